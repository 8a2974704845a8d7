"""Who may get in and what is whose: a feed's secrets sent to its own server only and kept out of the
archive, the archive's file and its neighbours never another application's, exports that run no
formula. Against a real HTTP server, real SQLite files, real Prefect flow runs."""

from __future__ import annotations

import base64
import csv
import io
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperboy.db import NotAnArchive, connect, store
from paperboy.flows.commands.main import cli
from tests.conftest import article_page, rss, story
from tests.server import TestServer

pytestmark = pytest.mark.usefixtures("prefect_harness")
PASSWORD = "s3cretPW"


def invoke(db_path, *args):
    return CliRunner().invoke(cli, ["--db", db_path, *args])


def demanding(server, path: str, body: str, **wanted: str) -> str:
    """A feed at `path` that answers 401 unless each wanted header (lower-case name) has its value."""

    def answer(handler) -> None:
        ok = all(handler.headers.get(name.replace("_", "-")) == value for name, value in wanted.items())
        data = body.encode() if ok else b"who are you?"
        handler._answer(200 if ok else 401, data, {"Content-Type": "application/rss+xml" if ok else "text/plain"})

    server.add(path, b"", raw=answer)
    return server.url(path)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def one_story_feed(server, name: str) -> str:
    link = server.add(f"/{name}.html", article_page(f"Story {name}", story(len(name))))
    return rss([{"title": f"Story {name}", "link": link, "guid": name}])


def test_a_feed_behind_basic_auth_is_polled_and_its_password_is_kept_out_of_every_output(server, db_path, tmp_path):
    demanding(server, "/auth.xml", one_story_feed(server, "a"), authorization=basic("alice", PASSWORD))
    url = f"http://alice:{PASSWORD}@127.0.0.1:{server.port}/auth.xml"

    added = invoke(db_path, "feeds", "add", url)
    assert added.exit_code == 0, added.output
    ran = invoke(db_path, "run", "--feed", url)
    assert ran.exit_code == 0, ran.output
    assert next(store.export_articles(connect(db_path), store.Among()))["title"] == "Story a"

    outputs = [added.output, ran.output]
    for args in (["feeds", "list"], ["feeds", "list", "--json"], ["export"], ["export", "--format", "csv"],
                 ["feeds", "export"], ["search", "council"]):  # fmt: skip
        result = invoke(db_path, *args)
        assert result.exit_code == 0, (args, result.output)
        outputs.append(result.output)
    assert not [o for o in outputs if PASSWORD in o]
    assert f"***@127.0.0.1:{server.port}" in outputs[-2]  # feeds export says the feed has credentials
    for path in Path(db_path).parent.iterdir():  # the archive, its WAL, its lock: none holds the password
        if path.is_file() and not path.name.endswith(".credentials"):
            assert PASSWORD.encode() not in path.read_bytes(), path
    credentials = Path(db_path + ".credentials")
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    prefect_db = os.environ.get("PAPERBOY_TEST_PREFECT_DB")
    if prefect_db:  # the flow run's parameters, in the Prefect server's database
        assert PASSWORD.encode() not in Path(prefect_db).read_bytes()
    assert PASSWORD in invoke(db_path, "feeds", "export", "--with-credentials").output


def test_credentials_go_to_the_feeds_own_origin_and_never_follow_a_redirect_elsewhere(server, db_path):
    other = TestServer()  # another port: another origin
    try:
        target = other.add("/moved.xml", one_story_feed(server, "b"), content_type="application/rss+xml")
        server.add("/go.xml", b"", status=302, headers={"Location": target})
        connect(db_path)
        invoke(db_path, "feeds", "add", "--no-check", f"http://bob:{PASSWORD}@127.0.0.1:{server.port}/go.xml",
               "--header", "X-Token: t0ken", "--cookie", "session=c00kie")  # fmt: skip
        os.environ["PAPERBOY_ALLOWED_HOSTS"] += f",127.0.0.1:{other.port}"
        assert invoke(db_path, "run").exit_code == 0
        [first] = server.requests_to("/go.xml")
        assert first.headers["authorization"] == basic("bob", PASSWORD)
        assert first.headers["x-token"] == "t0ken" and first.headers["cookie"] == "session=c00kie"
        [moved] = other.requests_to("/moved.xml")
        assert not {"authorization", "x-token", "cookie"} & set(moved.headers)
        assert all("authorization" not in h.headers for h in server.hits if h.path != "/go.xml")  # article pages
    finally:
        other.close()


def test_headers_and_cookies_from_a_toml_feed_list_are_sent(server, db_path, tmp_path):
    demanding(server, "/partner.xml", one_story_feed(server, "c"), x_api_key="k3y", cookie="a=1; b=2")
    listing = tmp_path / "feeds.toml"
    listing.write_text(
        f'[[feeds]]\nurl = "{server.url("/partner.xml")}"\nheaders = {{ X-Api-Key = "k3y" }}\n'
        'cookies = { a = "1", b = "2" }\n'
    )
    assert invoke(db_path, "feeds", "import", str(listing)).exit_code == 0
    assert invoke(db_path, "run").exit_code == 0
    assert len(list(store.export_articles(connect(db_path), store.Among()))) == 1
    assert b"k3y" not in Path(db_path).read_bytes()


def test_a_masked_url_is_refused_on_import_with_the_reason(db_path, tmp_path):
    opml = tmp_path / "feeds.opml"
    opml.write_text('<opml version="2.0"><body><outline text="x" xmlUrl="https://***@example.com/feed"/></body></opml>')
    result = invoke(db_path, "feeds", "import", str(opml))
    assert result.exit_code == 1 and "masked" in result.output and "--with-credentials" in result.output
    assert store.list_feeds(connect(db_path)) == []


def test_an_archive_of_an_older_paperboy_gives_its_passwords_to_the_credentials_file(db_path):
    connect(db_path).conn.close()
    conn = sqlite3.connect(db_path)
    conn.execute("insert into feeds (url) values (?)", [f"https://carol:{PASSWORD}@example.com/feed"])
    conn.execute("pragma user_version = 1")  # as the paperboy before credentials moved wrote it
    conn.commit()
    conn.close()
    db = connect(db_path)
    assert [f.url for f in store.list_feeds(db)] == ["https://example.com/feed"]
    [access] = store.feed_access(db).values()
    assert (access.user, access.password, access.origin) == ("carol", PASSWORD, "https://example.com:443")


def test_another_applications_database_is_left_byte_identical(tmp_path):
    other = tmp_path / "app.db"
    conn = sqlite3.connect(other)
    conn.execute("create table feeds (id integer primary key, title text)")
    conn.execute("create table articles (id integer primary key, body text)")
    conn.execute("insert into feeds (title) values ('theirs')")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    for args in (["run"], ["feeds", "add", "--no-check", "https://example.com/feed"]):
        result = invoke(str(other), *args)
        assert result.exit_code == 1 and "not a paperboy archive" in result.output, result.output
    with pytest.raises(NotAnArchive):
        connect(str(other))
    assert other.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]


def test_a_new_archive_is_marked_as_paperboys(db_path):
    connect(db_path).conn.close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("pragma application_id").fetchone()[0] == int.from_bytes(b"pape", "big")
    conn.close()
    connect(db_path)  # and opened again as its own


def test_csv_export_runs_no_formula(server, db_path):
    evil = '=HYPERLINK("http://x","y")'
    link = server.add("/f.html", article_page(evil, ["=cmd|' /C calc'!A0 " + story(1)[0], *story(1)[1:]]))
    server.add("/f.xml", rss([{"title": evil, "link": link, "guid": "f"}]), content_type="application/rss+xml")
    store.add_feed(connect(db_path), server.url("/f.xml"))
    assert invoke(db_path, "run").exit_code == 0
    rows = list(csv.reader(io.StringIO(invoke(db_path, "export", "--format", "csv").output)))
    assert len(rows) == 2
    assert not [cell for row in rows[1:] for cell in row if cell[:1] in ("=", "+", "-", "@")]
    assert [cell for cell in rows[1] if cell.startswith("'=HYPERLINK(")], rows[1]  # the title, made inert


def test_a_link_in_place_of_the_lock_is_not_followed(server, db_path, tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    os.symlink(victim, db_path + ".pass.lock")
    result = invoke(db_path, "run")
    assert victim.read_text() == "keep me"
    assert "symbolic link" in result.output


def test_an_article_belongs_to_every_feed_that_links_it(server, db_path):
    """Three feeds: A and B share one article, B and C another; each also has one of its own."""
    pages = {n: server.add(f"/{n}.html", article_page(f"Story {n}", story(i))) for i, n in enumerate("wxyzv")}
    lists = {"A": "wx", "B": "xyz", "C": "zv"}
    for feed, names in lists.items():
        items = [{"title": f"Story {n}", "link": pages[n], "guid": n} for n in names]
        server.add(f"/{feed}.xml", rss(items), content_type="application/rss+xml")
        store.add_feed(connect(db_path), server.url(f"/{feed}.xml"))
    assert invoke(db_path, "run").exit_code == 0
    import json

    def titles(args) -> set[str]:
        out = invoke(db_path, *args).output
        return {json.loads(line)["title"] for line in out.splitlines() if line.startswith("{")}

    for feed, names in lists.items():
        expected = {f"Story {n}" for n in names}
        assert titles(["export", "--feed", server.url(f"/{feed}.xml")]) == expected, feed
        assert (
            titles(["search", "council", "--json", "--limit", "50", "--feed", server.url(f"/{feed}.xml")]) == expected
        )
    listing = invoke(db_path, "feeds", "list", "--json").output.splitlines()
    assert {json.loads(line)["url"].rsplit("/", 1)[1]: json.loads(line)["articles"] for line in listing} == {
        "A.xml": 2, "B.xml": 3, "C.xml": 2,
    }  # fmt: skip

    purged = invoke(db_path, "feeds", "remove", "--purge", "--yes", server.url("/B.xml"))
    assert purged.exit_code == 0 and "1 articles deleted, 2 kept" in purged.output, purged.output
    assert titles(["export"]) == {"Story w", "Story x", "Story z", "Story v"}
    assert titles(["export", "--feed", server.url("/A.xml")]) == {"Story w", "Story x"}
    assert titles(["export", "--feed", server.url("/C.xml")]) == {"Story z", "Story v"}
    assert invoke(db_path, "run").exit_code == 0  # nothing of A or C is lost or fetched again
    assert len(titles(["export"])) == 4


def test_a_backfill_reads_a_feed_behind_basic_auth_with_its_credentials(server, db_path):
    demanding(server, "/locked.xml", one_story_feed(server, "p1"), authorization=basic("erin", PASSWORD))
    demanding(server, "/locked.xml?paged=2", one_story_feed(server, "page2"), authorization=basic("erin", PASSWORD))
    store.add_feed(connect(db_path), f"http://erin:{PASSWORD}@127.0.0.1:{server.port}/locked.xml")
    feed = server.url("/locked.xml")
    result = invoke(db_path, "backfill", "--feed", feed, "--source", "archive", "--rate", "50")
    assert result.exit_code in (0, 3), result.output
    titles = {row["title"] for row in store.export_articles(connect(db_path), store.Among())}
    assert {"Story p1", "Story page2"} <= titles, (result.output, [(h.path, h.status) for h in server.hits])
