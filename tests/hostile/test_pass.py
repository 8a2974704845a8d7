"""The hostile web through a whole pass: what a feed or page does to paperboy, and what it cannot."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from paperboy.db import connect, store
from paperboy.flows.commands.main import cli
from tests.conftest import article_page, rss, story

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run(db_path) -> dict:
    from paperboy.flows.ingest import ingest

    return ingest(db_path=db_path, progress=False)


def one(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchone()
    finally:
        conn.close()


def feed_of(server, links, path="/feed.xml"):
    server.add(
        path,
        rss([{"title": f"T{i}", "link": link, "guid": f"g{i}"} for i, link in enumerate(links)]),
        content_type="application/rss+xml",
    )


def test_robots_txt_disallows_article_pages(server, db_path):
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    feed_of(
        server,
        [
            server.add("/private/a.html", article_page("A", story(1))),
            server.add("/public/b.html", article_page("B", story(2))),
        ],
    )
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    summary = run(db_path)
    assert summary["articles"]["new"] == 1
    assert summary["articles"]["failed_by_reason"] == {"disallowed by robots.txt": 1}
    assert server.requests_to("/private/a.html") == []


def test_robots_txt_is_read_once_for_a_pass_of_many_batches(server, db_path, monkeypatch):
    """Each batch of pages has a client of its own; robots.txt is still asked for once a pass."""
    from paperboy.flows import stages

    monkeypatch.setattr(stages, "PAGES_PER_TASK", 2)
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    links = [server.add(f"/news/{i}.html", article_page(f"Story {i}", story(i))) for i in range(5)]
    feed_of(server, [*links, server.add("/private/x.html", article_page("X", story(9)))])
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    summary = run(db_path)
    assert summary["articles"]["new"] == 5  # three batches of pages, all of them read the rules
    assert summary["articles"]["failed_by_reason"] == {"disallowed by robots.txt": 1}
    assert len(server.requests_to("/robots.txt")) == 1


def test_an_unreachable_robots_txt_means_disallowed(server, db_path):
    server.add("/robots.txt", "down", status=500)
    feed_of(server, [server.add("/a.html", article_page("A", story(1)))])
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    assert run(db_path)["articles"]["failed_by_reason"] == {"HTTP 500 (robots.txt)": 1}
    assert server.requests_to("/a.html") == []


def test_retry_after_holds_the_host_for_the_rest_of_the_batch(server, db_path):
    links = [server.add(f"/p{i}.html", "slow down", status=429, headers={"Retry-After": "120"}) for i in range(6)]
    feed_of(server, links)
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    summary = run(db_path)
    assert summary["articles"]["failed"] == 6
    page_requests = [h for h in server.hits if h.path.startswith("/p")]
    assert len(page_requests) <= 2  # the per-host concurrency; after the first 429 the host is left alone


def test_a_feed_that_is_gone_is_disabled(server, db_path):
    server.add("/feed.xml", "gone", status=410)
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    run(db_path)
    assert one(db_path, "select last_error from feeds") == ("HTTP 410",)
    hits = len(server.requests_to("/feed.xml"))
    run(db_path)
    assert len(server.requests_to("/feed.xml")) == hits  # never polled again
    listed = CliRunner().invoke(cli, ["--db", db_path, "feeds", "list"]).output
    assert "[gone]" in listed and "410 Gone" in listed and "paused" not in listed  # the publisher stopped it
    assert (
        CliRunner().invoke(cli, ["--db", db_path, "feeds", "edit", server.url("/feed.xml"), "--resume"]).exit_code == 0
    )
    run(db_path)
    assert len(server.requests_to("/feed.xml")) == hits + 1


def test_a_feed_that_retries_after_is_scheduled_no_sooner_than_asked(server, db_path):
    server.add("/feed.xml", "busy", status=503, headers={"Retry-After": "7200"})
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    run(db_path)
    interval, errors = one(db_path, "select interval_seconds, consecutive_errors from feeds")
    assert interval == 7200 and errors == 1


def test_a_permanent_redirect_seen_twice_moves_the_feed(server, db_path):
    feed_of(server, [server.add("/a.html", article_page("A", story(1)))], path="/new.xml")
    server.add("/old.xml", "", status=301, headers={"Location": server.url("/new.xml")})
    store.add_feed(connect(db_path), server.url("/old.xml"))
    run(db_path)
    assert one(db_path, "select url from feeds")[0] == server.url("/old.xml")
    run(db_path)
    assert one(db_path, "select url from feeds")[0] == server.url("/new.xml")


def test_a_temporary_redirect_does_not_move_the_feed(server, db_path):
    feed_of(server, [server.add("/a.html", article_page("A", story(1)))], path="/new.xml")
    server.add("/old.xml", "", status=302, headers={"Location": server.url("/new.xml")})
    store.add_feed(connect(db_path), server.url("/old.xml"))
    run(db_path)
    run(db_path)
    assert one(db_path, "select url from feeds")[0] == server.url("/old.xml")


XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
]


def test_stored_text_is_plain_text(server, db_path):
    paragraphs = story(3)
    page = article_page("Safe <script>alert(1)</script>", [p + " " + x for p, x in zip(paragraphs, XSS, strict=False)])
    items = [
        {"title": "X" + XSS[0], "link": server.add("/x.html", page), "guid": "x"},
        {
            "title": "Y",
            "guid": "y",
            "content": "".join(f"<p>{p} {x}</p>" for p, x in zip(story(4), XSS, strict=False)),
        },
    ]
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    run(db_path)
    conn = sqlite3.connect(db_path)
    stored = " ".join(" ".join(str(v) for v in row) for row in conn.execute("select title, text from articles"))
    assert conn.execute("select count(*) from articles").fetchone()[0] == 2
    low = stored.lower()
    assert "<script" not in low and "javascript:" not in low and "onerror=" not in low and "onload=" not in low


def test_retry_after_outlives_the_pass(server, db_path):
    from paperboy.fetchers import HOSTS

    links = [server.add(f"/p{i}.html", "slow down", status=429, headers={"Retry-After": "3600"}) for i in range(3)]
    feed_of(server, links)
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    run(db_path)
    HOSTS.forget_holds()  # as if the next pass were a new process: only the db remembers
    before = len(server.hits)
    summary = run(db_path)
    assert len(server.hits) == before  # neither the feed nor its pages were asked again within the hour
    assert summary["feeds"]["failed"] == 1


def test_a_page_whose_extraction_runs_too_long_is_given_up_with_a_reason(server, db_path, tmp_path):
    from paperboy.flows.ingest import ingest

    huge = article_page("Huge", [p for n in range(3000) for p in story(n)])  # ~3.5 MB: several seconds of extraction
    feed_of(server, [server.add("/huge.html", huge), server.add("/fine.html", article_page("Fine", story(7)))])
    config = tmp_path / "paperboy.toml"
    config.write_text("[settings]\nextract_time_limit = 1\n")
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    summary = ingest(db_path=db_path, progress=False, config_path=str(config))
    assert summary["articles"]["new"] == 1, str(summary["articles"])
    assert summary["articles"]["failed_by_reason"] == {"extraction took longer than 1 s": 1}
    assert one(db_path, "select status, last_error from entries where link like '%huge%'") == (
        "failed", "extraction took longer than 1 s"
    )  # fmt: skip
