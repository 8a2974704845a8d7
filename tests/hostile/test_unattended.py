"""Unattended: one bad value in one feed or page never stops the archive.

Each test sets up what the web really sends on a real local server; each failed on the paperboy
that trusted the value (a traceback, no article for any feed, or a pass that never ends).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperboy.core import FeedState
from paperboy.db import connect, exclusive, store
from paperboy.fetchers import Fetcher, FetchSettings, poll_feed
from paperboy.flows.commands.main import cli
from paperboy.flows.processes import alive, descendants
from tests.conftest import article_page, rss, story
from tests.hostile.feeds import EXPANDED, add_dangerous_feeds, add_odd_value_feeds, one_item_feed, utf16_bomb

ROOT = Path(__file__).resolve().parents[2]
PAPERBOY = [sys.executable, "-m", "paperboy"]
GUARD = 120  # seconds: a hang guard around subprocesses that take well under a second

pytestmark = pytest.mark.usefixtures("prefect_harness")


def rows(db_path: str, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def run(db_path: str, **kw) -> dict:
    from paperboy.flows.ingest import IngestRequest, ingest

    request = IngestRequest(**{k: kw.pop(k) for k in ("feeds", "due", "dask") if k in kw})
    return ingest(db_path=db_path, progress=False, request=request, **kw)


def good_feeds(server, count: int = 3) -> list[str]:
    return [server.add(f"/good{i}.xml", one_item_feed(server, f"/good{i}", i), content_type="application/rss+xml")
            for i in range(count)]  # fmt: skip


def add_feeds(db_path: str, urls) -> None:
    db = connect(db_path)
    for url in urls:
        store.add_feed(db, url)


def cli_env(server, shared_api: bool = False, home=None) -> dict[str, str]:
    """The environment of a `paperboy` process: its own Prefect server (in `home`), or
    (`shared_api`) the session's, where starting one is not what the test is about."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    if shared_api:
        env["PREFECT_API_URL"] = PREFECT_API_URL.value() or ""
    if home is not None:
        env["PREFECT_HOME"] = str(home)
    return {**env, "PAPERBOY_ALLOWED_HOSTS": f"127.0.0.1:{server.port}"}


# --- 1. a value aborts the whole pass -----------------------------------------------------------


@pytest.mark.parametrize("case", [
    "ttl in superscript digits", "sy:updateFrequency in superscript digits", "ttl of 5,000 digits",
    "max-age of 5,000 digits", "Retry-After in superscript digits on the feed",
    "Retry-After in superscript digits on a linked page", "item links that are not http(s) URLs",
])  # fmt: skip
def test_one_odd_value_stops_nothing(server, db_path, case):
    good = good_feeds(server, 1)
    odd = add_odd_value_feeds(server)[case]
    add_feeds(db_path, [*good, odd])
    summary = run(db_path)
    assert rows(db_path, "select url from articles where url like '%/good0-page-0.html'"), summary
    # The odd feed's poll is recorded (so it is not due again at once), failed or not.
    [(polled, next_poll)] = rows(db_path, "select last_polled_at, next_poll_at from feeds where url = ?", [odd])
    assert polled and next_poll > polled
    urls = [u for (u,) in rows(db_path, "select url from articles")]
    assert all(u.startswith(("http://", "https://", "tag:")) for u in urls), urls


def test_a_retry_after_that_is_not_a_number_holds_nothing(server, db_path):
    odd = add_odd_value_feeds(server)
    add_feeds(db_path, [odd["Retry-After in superscript digits on a linked page"]])
    summary = run(db_path)
    assert summary["articles"]["failed_by_reason"] == {"HTTP 429": 1}
    assert rows(db_path, "select * from host_holds") == []


def test_a_feed_of_300000_items_is_read_in_portions(server, db_path, tmp_path):
    from paperboy.fetchers._xml import MAX_ITEMS

    config = tmp_path / "paperboy.toml"
    config.write_text("[settings]\nnew_pages_per_feed = 5\n")
    huge = add_dangerous_feeds(server)["300,000 items"]
    good = good_feeds(server, 1)
    add_feeds(db_path, [huge, *good])
    first = run(db_path, config_path=str(config))
    assert rows(db_path, "select count(*) from entries")[0][0] == MAX_ITEMS + 1
    assert first["articles"]["failed_by_reason"] == {"HTTP 404": 5}  # five pages of the huge feed (none exist)
    assert rows(db_path, "select count(*) from articles")[0][0] == 1  # the good feed's
    fetched = {h.path for h in server.hits if h.path[:2] == "/m" and h.path[2:].isdigit()}
    assert fetched == {f"/m{i}" for i in range(5)}  # the newest first
    run(db_path, config_path=str(config))  # the next portion: the rest of the feed waits its turn
    fetched = [h.path for h in server.hits if h.path[:2] == "/m" and h.path[2:].isdigit()]
    assert len(fetched) == 10 and set(fetched[5:]) == {f"/m{i}" for i in range(5, 10)}  # before the failed retry


# --- 2. and 3. entity bombs and the cut that removes them ---------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "cp037", "utf-7"])
def test_a_dtd_is_cut_whatever_the_encoding(server, encoding):
    doc = utf16_bomb().decode("utf-16").replace('encoding="utf-16"', f'encoding="{encoding}"')
    server.add("/bomb.xml", doc.encode(encoding), content_type="application/xml")
    settings = FetchSettings(allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}))

    async def poll():
        async with Fetcher(settings) as fetcher:
            return await poll_feed(FeedState(server.url("/bomb.xml")), fetcher=fetcher)

    poll = asyncio.run(poll())
    assert EXPANDED not in repr(poll)
    assert poll.status == "fetched" and poll.entries, poll.error  # the feed itself is still read


def test_an_entity_bomb_in_a_utf16_feed_stores_nothing_expanded(server, db_path):
    add_feeds(db_path, [add_dangerous_feeds(server)["entity bomb in UTF-16"]])
    run(db_path)
    stored = rows(db_path, "select title, content from entries") + rows(db_path, "select title, text from articles")
    assert stored and not any(EXPANDED in (v or "") for row in stored for v in row)


def test_a_doctype_hidden_behind_a_comment_in_opml_is_cut(db_path, tmp_path):
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        f'<?xml version="1.0"?><!-- <!DOCTYPE x> --><!DOCTYPE opml [<!ENTITY e "{EXPANDED}">]>'
        '<opml version="2.0"><body><outline text="x" xmlUrl="https://example.com/&e;"/></body></opml>'
    )
    connect(db_path)
    result = CliRunner().invoke(cli, ["--db", db_path, "feeds", "import", str(opml)])
    assert EXPANDED not in result.output
    assert result.exit_code == 1 and "not valid OPML" in result.output  # the entity it names is undefined now
    assert rows(db_path, "select url from feeds") == []


CUT = """
import sys
from paperboy.core import FeedState
from paperboy.fetchers import FetchResult, parse_entries
body = sys.argv[1].encode() * int(sys.argv[2])
poll = parse_entries(FeedState("http://example.com/f"), FetchResult("http://example.com/f", "http://example.com/f", 200,
                     {"content-type": "application/xml"}, body))
print(poll.status, poll.error)
"""


@pytest.mark.parametrize("unit", ["<!DOCTYPE [", "<!ENTITY ", "<!DOCTYPE x [ ]  "])
def test_cutting_the_dtd_takes_linear_time(unit):
    """2 MB of unclosed declarations: the quadratic cut took 161 s for 400 kB and would take hours here."""
    out = subprocess.run([sys.executable, "-c", CUT, unit, str(2_000_000 // len(unit))], cwd=ROOT,
                         capture_output=True, text=True, timeout=GUARD)  # fmt: skip
    assert out.stdout.startswith("failed not a feed"), out.stderr


# --- 4. a killed run leaves nothing behind ------------------------------------------------------


GROUP_INT = -signal.SIGINT  # Ctrl-C: SIGINT to the terminal's whole process group, workers and all


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, GROUP_INT], ids=["kill", "term", "ctrl-c"])
def test_a_killed_run_leaves_no_process_behind(server, tmp_path, how, prefect_home):
    import threading

    release = threading.Event()

    def hang(handler) -> None:  # the page answers once the run is killed: the pass is mid-flight till then
        release.wait(GUARD)
        handler._answer(200, b"<html><body><p>late</p></body></html>", {"Content-Type": "text/html"})

    from tests.server import Route

    server.routes["/hang.html"] = Route(raw=hang)
    server.add("/feed.xml", rss([{"title": "H", "link": server.url("/hang.html"), "guid": "h"}]),
               content_type="application/rss+xml")  # fmt: skip
    db_path = str(tmp_path / "a.db")
    add_feeds(db_path, [server.url("/feed.xml")])
    proc = subprocess.Popen([*PAPERBOY, "--db", db_path, "run"], cwd=ROOT, env=cli_env(server, home=prefect_home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + GUARD
        while not server.requests_to("/hang.html") and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert server.requests_to("/hang.html"), proc.communicate()
        if how == GROUP_INT:  # the extraction workers are up (they start as the first pages are fetched)
            while len(descendants(proc.pid)) < 4 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
        left = descendants(proc.pid)
        assert left, "the run started no Prefect server"
        if how == GROUP_INT:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(how)
        out, err = proc.communicate(timeout=GUARD)
        deadline = time.monotonic() + GUARD
        while any(alive(pid) for pid in left) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in left if alive(pid)]
        if how == signal.SIGTERM:
            said = "paperboy: terminated: 0 articles stored; run the same command to go on"  # its one batch hangs
            assert proc.returncode == 143 and err.strip().splitlines()[-1] == said, err
            assert "Traceback" not in err
        if how == GROUP_INT:
            said = "paperboy: interrupted: 0 articles stored; run the same command to go on"
            assert proc.returncode == 130 and err.strip().splitlines()[-1] == said, err
            assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()


# --- 5. the deadline counts from the request, not the queue -------------------------------------


def test_pages_queued_behind_a_slow_host_are_not_late(server, db_path, tmp_path):
    config = tmp_path / "paperboy.toml"
    config.write_text("[settings]\nper_host = 1\nmin_interval = 0.5\ndeadline = 1.0\nretries = 0\n")
    links = [server.add(f"/q{i}.html", article_page(f"Queued {i}", story(300 + i))) for i in range(6)]
    server.add("/feed.xml", rss([{"title": f"Q{i}", "link": link, "guid": f"q{i}"} for i, link in enumerate(links)]),
               content_type="application/rss+xml")  # fmt: skip
    add_feeds(db_path, [server.url("/feed.xml")])
    summary = run(db_path, config_path=str(config))  # the last page waits 3 s for its turn; each takes ms
    assert summary["articles"]["new"] == 6, summary


# --- 6. what is stored and printed --------------------------------------------------------------


def test_only_http_addresses_become_an_articles_url(server, db_path):
    add_feeds(db_path, [add_odd_value_feeds(server)["item links that are not http(s) URLs"]])
    run(db_path)
    urls = [u for (u,) in rows(db_path, "select url from articles")]
    assert len(urls) == 7 and all(u.startswith("tag:") for u in urls), urls  # stored from their feed text
    exported = CliRunner().invoke(cli, ["--db", db_path, "export"]).output
    assert "javascript:" not in exported and "data:" not in exported and "file:" not in exported


def test_control_sequences_never_reach_the_terminal(server, db_path):
    add_feeds(db_path, [add_dangerous_feeds(server)["control sequences in titles"]])
    run(db_path)
    titles = [t for (t,) in rows(db_path, "select title from articles")] + [
        t for (t,) in rows(db_path, "select title from entries")]  # fmt: skip
    assert titles and not any(ch in t for t in titles for ch in "\x1b\x07\x9b")
    conn = sqlite3.connect(db_path)  # an archive written before: printing must clean it too
    conn.execute("update feeds set title = 'Feed \x1b[2J', last_error = 'bad \x1b]0;x\x07'")
    conn.commit()
    conn.close()
    for args in (["feeds", "list"], ["search", "council"], ["export"]):
        output = CliRunner().invoke(cli, ["--db", db_path, *args]).output
        assert output and not any(ch in output for ch in "\x1b\x07\x9b"), args


def test_credentials_in_a_feed_url_are_never_printed(server, db_path):
    url = f"http://reader:s3cret@127.0.0.1:{server.port}/good0.xml"
    good_feeds(server, 1)
    add_feeds(db_path, [url])
    run(db_path)
    assert rows(db_path, "select count(*) from articles")[0][0] == 1  # the feed is still fetched
    for args in (["feeds", "list"], ["feeds", "list", "--json"], ["export"], ["export", "--format", "csv"],
                 ["feeds", "export"]):  # fmt: skip
        output = CliRunner().invoke(cli, ["--db", db_path, *args]).output
        assert "s3cret" not in output and f"127.0.0.1:{server.port}/good0.xml" in output, args
    assert "***@127.0.0.1" in CliRunner().invoke(cli, ["--db", db_path, "feeds", "export"]).output
    assert "s3cret" in CliRunner().invoke(cli, ["--db", db_path, "feeds", "export", "--with-credentials"]).output


def test_feeds_import_refuses_urls_that_are_not_urls(db_path, tmp_path):
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="a" xmlUrl="http:///feed"/>'
        '<outline text="b" xmlUrl="https://example.com/a&#10;b"/><outline text="c" xmlUrl="https://example.com:99999/f"/>'
        '<outline text="ok" xmlUrl="https://example.com/feed.xml"/></body></opml>'
    )
    result = CliRunner().invoke(cli, ["--db", db_path, "feeds", "import", str(opml)])
    assert result.exit_code == 3  # done, some items failed
    refused = [line for line in result.output.splitlines() if "refused" in line and line.startswith("paperboy:")]
    assert len(refused) == 3, result.output
    assert [u for (u,) in rows(db_path, "select url from feeds")] == ["https://example.com/feed.xml"]


# --- 7. smaller ---------------------------------------------------------------------------------


def test_a_second_pass_on_the_same_archive_does_not_start(server, db_path):
    add_feeds(db_path, good_feeds(server, 1))
    with exclusive(db_path, "pass"):
        result = CliRunner().invoke(cli, ["--db", db_path, "run"])
        assert result.exit_code == 1 and "another pass is running" in result.output, result.output
        assert "another pass is running" in run(db_path)["busy"]  # a served tick says so too
    assert server.hits == []  # no feed was touched
    assert run(db_path)["articles"]["new"] == 1


def test_extract_keeps_a_passs_limits(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(article_page("A story", story(1)))
    huge = tmp_path / "tags.html"
    huge.write_bytes(b"<html><body>" + b"<p>a</p>" * 150_000 + b"</body></html>")
    slow = tmp_path / "slow.toml"
    slow.write_text("[settings]\nextract_time_limit = 0.001\n")
    small = tmp_path / "small.toml"
    small.write_text("[settings]\nmax_bytes = 1000\n")
    cases = [([], huge, "page too large to parse"), (["--config", str(slow)], page, "took longer than 0.001 s"),
             (["--config", str(small)], page, "larger than 1000 bytes")]  # fmt: skip
    for options, path, message in cases:
        result = CliRunner().invoke(cli, [*options, "extract", str(path)])
        assert result.exit_code == 1 and message in result.output, result.output
    assert CliRunner().invoke(cli, ["extract", str(page)]).exit_code == 0


def test_a_search_of_thousands_of_words_is_refused_at_once(db_path):
    connect(db_path)
    result = CliRunner().invoke(cli, ["--db", db_path, "search", " ".join(f"w{i}" for i in range(2000))])
    assert result.exit_code == 1 and "query too long" in result.output


def test_a_read_only_archive_can_be_searched_and_exported(server, tmp_path):
    db_path = str(tmp_path / "ro" / "a.db")
    Path(db_path).parent.mkdir()
    add_feeds(db_path, good_feeds(server, 1))
    run(db_path)
    lock = Path(f"{db_path}.pass.lock")
    lock.unlink()
    files = [Path(db_path), Path(db_path).parent]
    if subprocess.run(["chattr", "+i", *map(str, files)], capture_output=True).returncode != 0:
        pytest.skip("chattr cannot make files immutable here (root may write any file otherwise)")
    try:
        for args in (["search", "council"], ["export"], ["feeds", "list"], ["feeds", "export"]):
            result = CliRunner().invoke(cli, ["--db", db_path, *args])
            assert result.exit_code == 0 and "Story 0" in result.output or "good0" in result.output, (
                args,
                result.output,
            )
    finally:
        subprocess.run(["chattr", "-i", *map(str, files)], check=True)


def test_a_storage_error_is_one_line_without_a_traceback(server, tmp_path, prefect_harness):
    db_path = str(tmp_path / "a.db")
    add_feeds(db_path, good_feeds(server, 1))
    conn = sqlite3.connect(db_path)  # every write of a poll's outcome fails, as on a full disk
    conn.execute("create trigger full before update on feeds begin select raise(fail, 'database or disk is full'); end")
    conn.commit()
    conn.close()
    out = subprocess.run([*PAPERBOY, "--db", db_path, "run"], cwd=ROOT, env=cli_env(server, shared_api=True),
                         capture_output=True, text=True, timeout=GUARD)  # fmt: skip
    assert out.returncode == 1
    assert "Traceback" not in out.stderr and "Crash" not in out.stderr, out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("paperboy: error:")
    assert "database or disk is full" in out.stderr.strip().splitlines()[-1]


# --- all of it in one pass ----------------------------------------------------------------------


def test_a_pass_over_every_hostile_feed_stores_the_good_ones_and_exits_0(server, tmp_path, prefect_harness):
    db_path = str(tmp_path / "a.db")
    good = good_feeds(server, 3)
    bad = {**add_odd_value_feeds(server), **add_dangerous_feeds(server)}
    add_feeds(db_path, [*good, *bad.values()])
    out = subprocess.run([*PAPERBOY, "--db", db_path, "run"], cwd=ROOT, env=cli_env(server, shared_api=True),
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    for i in range(3):
        assert rows(db_path, "select 1 from articles where url like ?", [f"%/good{i}-page-{i}.html"])
    never_polled = rows(db_path, "select url from feeds where last_polled_at is null")
    assert never_polled == []
    failed = dict(rows(db_path, "select url, last_error from feeds where consecutive_errors > 0"))
    assert set(failed) == {bad["Retry-After in superscript digits on the feed"], bad["400 kB of unclosed DOCTYPEs"]}
    assert all(failed.values())


def test_a_list_of_urls_keeps_only_urls(server, db_path, tmp_path):
    from paperboy.flows.backfill import BackfillRequest, backfill

    good = server.add("/listed.html", article_page("Listed", story(400)))
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# articles to fetch\n\n{good}\nnot a url\nhttp://example.com:99999/x\njavascript:alert(1)\n")
    connect(db_path)
    summary = backfill(db_path, BackfillRequest(urls_file=str(urls)), progress=False)
    assert summary["stored"] == 1
    assert [e.split(": ")[0].rsplit(":", 1)[1] for e in summary["errors"]] == ["4", "5", "6"]  # the bad lines
    assert [k for (k,) in rows(db_path, "select key from entries")] == [f"127.0.0.1:{server.port}/listed.html"]


@pytest.mark.parametrize("stage", ["parse", "record", "batch"])
def test_a_defect_of_ours_in_one_feed_is_that_feeds_error(server, db_path, monkeypatch, stage):
    """A bug, not a hostile value: whatever stage it is in, it fails what it touched, and the pass,
    the other feeds and the next pass go on."""
    from paperboy.fetchers import _feeds
    from paperboy.flows import stages

    good, doomed = good_feeds(server, 2)
    add_feeds(db_path, [good, doomed])

    def defect(*args, **kwargs):
        raise RuntimeError("a defect")

    def only_doomed(real, is_doomed):
        return lambda *a, **kw: defect() if is_doomed(*a, **kw) else real(*a, **kw)

    with monkeypatch.context() as m:
        if stage == "parse":
            m.setattr(_feeds, "_parse", only_doomed(_feeds._parse, lambda state, r: state.url == doomed))
        elif stage == "record":
            m.setattr(store, "new_entries", only_doomed(store.new_entries, lambda db, fid, url, *a: url == doomed))
        else:
            m.setattr(
                stages,
                "page_jobs",
                only_doomed(stages.page_jobs, lambda pages, *a: "good1" in pages[0][1].link),
            )
            m.setattr(stages, "PAGES_PER_TASK", 1)
        summary = run(db_path)
        assert rows(db_path, "select count(*) from articles where url like '%/good0-page-0.html'")[0][0] == 1
        if stage == "batch":
            assert summary["articles"]["failed_by_reason"] == {"internal error": 1}
            assert rows(db_path, "select status, last_error from entries where key = '/good1-1'") == [
                ("failed", "internal error: RuntimeError: a defect")]  # fmt: skip
        else:
            [(errors, error)] = rows(
                db_path, "select consecutive_errors, last_error from feeds where url = ?", [doomed]
            )
            assert errors == 1 and "RuntimeError: a defect" in error
    connect(db_path).execute("update feeds set next_poll_at = null, content_hash = null, etag = null")
    again = run(db_path)
    assert rows(db_path, "select count(*) from articles")[0][0] == 2, again  # the next pass stores what the defect held
