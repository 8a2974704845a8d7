"""Backfill from a site's past, against a real server: paged feeds, an RFC 5005 archive chain,
sitemaps (an index, lastmod, news sitemaps, robots.txt), date ranges, resume and politeness."""

from __future__ import annotations

import gzip
import sqlite3

import pytest

from paperboy.db import connect, store
from tests.conftest import article_page, assert_spaced, rss, story
from tests.server import Route, TestServer

pytestmark = pytest.mark.usefixtures("prefect_harness")
FAST = 50.0  # requests per second to the test server (the default, 1, is for strangers' sites)


def backfill(db_path, **kw) -> dict:
    from paperboy.flows.backfill import BackfillRequest
    from paperboy.flows.backfill import backfill as flow

    kw = {"rate": FAST, **kw, "feeds": tuple(kw.get("feeds", ()))}
    return flow(db_path=db_path, request=BackfillRequest(**kw), progress=False)


def ingest(db_path) -> dict:
    from paperboy.flows.ingest import ingest as flow

    return flow(db_path=db_path, progress=False)


def stored(db_path) -> set[str]:
    conn = sqlite3.connect(db_path)
    try:
        return {r[0].rsplit("/", 1)[-1] for r in conn.execute("select url from articles")}
    finally:
        conn.close()


def article(server, name: str, n: int) -> str:
    return server.add(f"/a/{name}.html", article_page(f"Story {name}", story(n)))


def paged_site(server, pages: int = 5, per_page: int = 2, page_server=None) -> str:
    """A WordPress-like feed: ?paged=2..N, newest first, one day apart; ?paged=N+1 is a 404.
    Article n is served by `page_server(n)` when given, else by the feed's server."""
    n = 0
    for page in range(1, pages + 1):
        items = []
        for _ in range(per_page):
            day = 28 - n
            at = page_server(n) if page_server else server
            items.append({"title": f"P{n}", "link": article(at, f"p{n}", n), "guid": f"p{n}",
                          "pubDate": f"{['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][(day + 3) % 7]}, "
                                     f"{day:02d} Jan 2024 10:00:00 GMT"})  # fmt: skip
            n += 1
        path = "/paged/feed.xml" + (f"?paged={page}" if page > 1 else "")
        server.add(path, rss(items), content_type="application/rss+xml")
    server.add(f"/paged/feed.xml?paged={pages + 1}", "not found", status=404, content_type="text/plain")
    return server.url("/paged/feed.xml")


def atom(entries: list[tuple[str, str, str]], prev: str | None) -> str:
    """(id, link, updated) entries; a prev-archive link when `prev`."""
    link = f'<link rel="prev-archive" href="{prev}"/>' if prev else ""
    items = "".join(
        f"<entry><id>{i}</id><title>{i}</title><link href='{href}'/><updated>{when}</updated></entry>"
        for i, href, when in entries
    )
    return (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Arch</title>'
            f"<id>urn:arch</id><updated>2024-03-20T00:00:00Z</updated>{link}{items}</feed>")  # fmt: skip


def archive_site(server) -> str:
    months = {"current": "03", "2024-02": "02", "2024-01": "01"}
    prev = {"current": "/arch/2024-02.xml", "2024-02": "/arch/2024-01.xml", "2024-01": None}
    n = 100
    for name, month in months.items():
        entries = []
        for day in (20, 10):
            entries.append(
                (f"urn:{name}:{day}", article(server, f"m{month}d{day}", n), f"2024-{month}-{day}T08:00:00Z")
            )
            n += 1
        path = "/arch/feed.xml" if name == "current" else f"/arch/{name}.xml"
        server.add(path, atom(entries, prev[name] and server.url(prev[name])), content_type="application/atom+xml")
    return server.url("/arch/feed.xml")


def urlset(urls: list[tuple[str, str]], news: bool = False) -> str:
    if news:
        body = "".join(
            f"<url><loc>{u}</loc><news:news><news:publication><news:name>X</news:name><news:language>en"
            f"</news:language></news:publication><news:publication_date>{d}</news:publication_date>"
            f"<news:title>T</news:title></news:news></url>"
            for u, d in urls
        )
    else:
        body = "".join(f"<url><loc>{u}</loc><lastmod>{d}</lastmod></url>" for u, d in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{body}</urlset>')  # fmt: skip


def sitemap_site(server) -> str:
    """robots.txt names an index of three sitemaps (one gzipped news sitemap, one not modified since
    2023) and disallows /a/private-*; the feed itself has one item."""
    server.add("/robots.txt", f"User-agent: *\nDisallow: /a/private\nSitemap: {server.url('/sm/index.xml')}\n",
               content_type="text/plain")  # fmt: skip
    server.add("/sm/index.xml", (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{server.url('/sm/pages.xml')}</loc><lastmod>2024-05-01</lastmod></sitemap>"
        f"<sitemap><loc>{server.url('/sm/news.xml.gz')}</loc><lastmod>2024-05-02T10:00:00+00:00</lastmod></sitemap>"
        f"<sitemap><loc>{server.url('/sm/old.xml')}</loc><lastmod>2023-06-01</lastmod></sitemap>"
        "</sitemapindex>"), content_type="application/xml")  # fmt: skip
    server.add("/sm/pages.xml", urlset([
        (article(server, "s-new", 200), "2024-04-10"),
        (article(server, "s-old", 201), "2023-11-30"),
        (article(server, "private-x", 202), "2024-04-11"),
    ]), content_type="application/xml")  # fmt: skip
    news = urlset([(article(server, "n-1", 203), "2024-05-02T09:00:00+02:00"),
                   (article(server, "n-2", 204), "2024-05-03")], news=True)  # fmt: skip
    server.add("/sm/news.xml.gz", gzip.compress(news.encode()), content_type="application/x-gzip")
    server.add("/sm/old.xml", urlset([(article(server, "ancient", 205), "2023-06-01")]), content_type="application/xml")
    server.add("/site/feed.xml", rss([{"title": "N", "link": server.url("/a/n-2.html"), "guid": "n2"}]),
               content_type="application/rss+xml")  # fmt: skip
    return server.url("/site/feed.xml")


def test_a_paged_feed_is_walked_to_its_end_and_filtered_on_dates(server, db_path):
    feed = paged_site(server, pages=5)
    store.add_feed(connect(db_path), feed)
    summary = backfill(db_path, feeds=[feed], source="archive", since="2024-01-21", until="2024-01-25")
    assert stored(db_path) == {f"p{n}.html" for n in range(3, 8)}  # 25 Jan (p3) to 21 Jan (p7), inclusive
    archive = summary["sources"]["archive"]
    assert archive["pages"] == 5 and archive["found"] == 10 and archive["in_range"] == 5 and archive["stored"] == 5
    assert server.requests_to("/a/p0.html") == [] and server.requests_to("/a/p9.html") == []
    assert server.requests_to("/paged/feed.xml?paged=6") == []  # page 5 was older than the range: the walk ended


def test_an_rfc5005_archive_chain_stops_where_the_range_ends(server, db_path):
    feed = archive_site(server)
    store.add_feed(connect(db_path), feed)
    summary = backfill(db_path, feeds=[feed], source="archive", since="2024-02-01")
    assert stored(db_path) == {"m03d20.html", "m03d10.html", "m02d20.html", "m02d10.html"}
    assert (
        summary["sources"]["archive"]["pages"] == 3
    )  # January was read, found older than the range, and ended the walk
    assert server.requests_to("/a/m01d20.html") == []


def test_sitemaps_from_robots_txt_with_an_index_lastmod_and_news(server, db_path):
    feed = sitemap_site(server)
    store.add_feed(connect(db_path), feed)
    summary = backfill(db_path, feeds=[feed], source="sitemap", since="2024-01-01")
    assert stored(db_path) == {"s-new.html", "n-1.html", "n-2.html"}
    sitemap = summary["sources"]["sitemap"]
    assert sitemap["failed_by_reason"] == {"disallowed by robots.txt": 1}
    assert server.requests_to("/a/private-x.html") == []  # robots.txt said no
    assert server.requests_to("/sm/old.xml") == []  # not modified since the range began: not read
    assert server.requests_to("/a/s-old.html") == []


def test_without_a_source_the_sitemap_serves_a_feed_with_no_archive(server, db_path):
    feed = sitemap_site(server)
    store.add_feed(connect(db_path), feed)
    summary = backfill(db_path, all_feeds=True, since="2024-01-01")
    assert summary["sources"]["archive"]["pages"] == 1  # the feed itself; ?paged=2 and ?page=2 repeat it
    assert summary["sources"]["sitemap"]["stored"] == 3


def test_a_dry_run_lists_what_it_would_fetch_and_fetches_no_article(server, db_path):
    import json

    from click.testing import CliRunner

    from paperboy.flows.commands.main import cli

    feed = paged_site(server, pages=2)
    store.add_feed(connect(db_path), feed)
    summary = backfill(db_path, feeds=[feed], source="archive", dry_run=True)
    assert summary["would_fetch"] == 4
    assert sorted(summary["urls"]) == sorted(server.url(f"/a/p{n}.html") for n in range(4))
    assert len(server.requests_to("/paged/feed.xml?paged=3")) == 1  # the end of the feed: one 404, no more
    args = ["--db", db_path, "backfill", "--feed", feed, "--source", "archive", "--dry-run", "--rate", str(FAST)]
    printed = CliRunner().invoke(cli, args)
    assert sorted(printed.stdout.splitlines()[:4]) == sorted(summary["urls"])  # the URLs, then the summary
    as_json = CliRunner().invoke(cli, [*args, "--json"])
    assert json.loads(as_json.stdout)["urls"] == summary["urls"]  # stdout is one JSON document
    assert not [h for h in server.hits if h.path.startswith("/a/")]
    assert stored(db_path) == set()


def test_backfill_and_scheduled_runs_store_each_article_once(server, db_path):
    feed = paged_site(server, pages=3)
    store.add_feed(connect(db_path), feed)
    ingest(db_path)  # the feed's first page: p0, p1
    summary = backfill(db_path, feeds=[feed], source="archive")
    assert summary["stored"] == 4 and summary["skipped"] == 2
    assert len(server.requests_to("/a/p0.html")) == 1
    again = backfill(db_path, feeds=[feed], source="archive")  # a finished job, run again: nothing new
    assert again["stored"] == 0 and again["skipped"] == 6
    assert ingest(db_path)["articles"]["new"] == 0
    assert stored(db_path) == {f"p{n}.html" for n in range(6)}
    conn = sqlite3.connect(db_path)
    assert conn.execute("select count(*), count(distinct content_hash) from articles").fetchone() == (6, 6)


def test_the_rate_keeps_requests_to_one_host_apart(server, db_path):
    feed = paged_site(server, pages=2)
    store.add_feed(connect(db_path), feed)
    backfill(db_path, feeds=[feed], source="archive", rate=10.0)
    starts = sorted(h.at for h in server.hits)
    assert len(starts) >= 8
    assert_spaced(starts, 0.1)


@pytest.fixture
def other_server(server, monkeypatch):
    """A second allowed server: a host of its own, with its own politeness slots."""
    other = TestServer()
    monkeypatch.setenv("PAPERBOY_ALLOWED_HOSTS", f"127.0.0.1:{server.port},127.0.0.1:{other.port}")
    yield other
    other.close()


@pytest.mark.kill
def test_a_killed_backfill_resumes_without_fetching_again_what_it_stored(server, other_server, db_path):
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path

    from prefect.settings import PREFECT_API_URL

    from paperboy.flows.stages import PAGES_PER_TASK

    # 100 articles. Those after the first batch come from another host, which does not answer
    # until the first run is killed: the first batch can be stored, the next cannot.
    first = PAGES_PER_TASK
    assert first < 100
    feed = paged_site(server, pages=5, per_page=20, page_server=lambda n: other_server if n >= first else server)
    held = threading.Event()

    def held_back(body):
        def answer(handler):
            held.wait(60)
            handler._answer(200, body, {"Content-Type": "text/html; charset=utf-8"})

        return answer

    for n in range(first, 100):
        route = other_server.routes[f"/a/p{n}.html"]
        other_server.routes[f"/a/p{n}.html"] = Route(raw=held_back(route.body))
    store.add_feed(connect(db_path), feed)
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value() or "", "PAPERBOY_DB": db_path}
    cmd = [sys.executable, "-m", "paperboy", "backfill", "--feed", feed, "--source", "archive", "--rate", "30"]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not stored(db_path) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    held.set()
    before = stored(db_path)
    assert 0 < len(before) < 100
    feed_reads = len([h for h in server.hits if h.path.startswith("/paged/")])

    done = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert stored(db_path) == {f"p{n}.html" for n in range(100)}
    assert before == {f"p{n}.html" for n in range(first)}
    assert all(len(server.requests_to(f"/a/{name}")) == 1 for name in before)  # stored: never fetched again
    assert len([h for h in server.hits if h.path.startswith("/paged/")]) == feed_reads  # the walk was checkpointed
    assert "archive: 100 found" in done.stdout


def test_a_backfill_and_a_scheduled_pass_at_once_store_each_article_once(server, tmp_path):
    import contextvars
    import threading

    feed = paged_site(server, pages=3, per_page=4)
    for round_ in range(4):  # the two interleave differently each round
        db_path = str(tmp_path / f"both{round_}.db")
        store.add_feed(connect(db_path), feed)
        errors: list[BaseException] = []

        def guarded(fn, *args, errors=errors, **kw):
            try:
                fn(*args, **kw)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        # Each thread in a copy of the test's context: the Prefect settings of the harness are there.
        both = [((backfill, db_path), {"feeds": [feed], "source": "archive", "rate": 50.0}), ((ingest, db_path), {})]
        threads = [
            threading.Thread(target=contextvars.copy_context().run, args=(guarded, *args), kwargs=kw)
            for args, kw in both
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        conn = sqlite3.connect(db_path)
        rows = conn.execute(
            "select count(*), count(distinct url), count(distinct content_hash) from articles"
        ).fetchone()
        conn.close()
        assert rows == (12, 12, 12)


def test_a_site_of_more_sitemaps_than_a_walk_reads_stores_what_it_found(server, db_path):
    """2,001 sitemaps in an index, more than MAX_PAGES: the walk stops there, says so, and what the
    sitemaps it read list is stored (each lists one old article, out of the range, and a few a new one)."""
    from paperboy.flows.discover import MAX_PAGES

    children = []
    for i in range(MAX_PAGES + 1):
        day = "2024-03-01" if i % 700 == 1 else "2020-01-01"
        url = server.url(f"/a/x{i}.html")
        server.add(f"/sm/c{i}.xml", f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{url}</loc>'
                   f"<lastmod>{day}</lastmod></url></urlset>", content_type="application/xml")  # fmt: skip
        children.append(f"<sitemap><loc>{server.url(f'/sm/c{i}.xml')}</loc></sitemap>")
        if day > "2024":
            article(server, f"x{i}", i)
    index = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + "".join(children) + "</sitemapindex>"
    server.add("/sitemap.xml", index, content_type="application/xml")
    server.add("/robots.txt", f"Sitemap: {server.url('/sitemap.xml')}\n", content_type="text/plain")
    feed = server.add("/big/feed.xml", rss([]), content_type="application/rss+xml")
    store.add_feed(connect(db_path), feed)
    summary = backfill(db_path, feeds=[feed], source="sitemap", since="2024-01-01", rate=2000.0)
    read = summary["sources"]["sitemap"]["pages"]
    assert MAX_PAGES <= read < MAX_PAGES + 4  # the round of 4 that reached the limit is read whole
    assert {"x1.html", "x701.html", "x1401.html"} == stored(db_path)
    assert any(f"stopped after {MAX_PAGES} pages" in e for e in summary["errors"]), summary["errors"]
