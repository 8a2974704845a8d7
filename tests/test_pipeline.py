"""The ingest pass end to end: a real server on 127.0.0.1, a real SQLite file, real Prefect flow runs."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from paperboy.db import MAX_ATTEMPTS, connect, store
from tests.conftest import SEED, article_page, rss, story

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run(db_path, **kw) -> dict:
    from paperboy.flows.ingest import IngestRequest, ingest

    request = IngestRequest(**{k: kw.pop(k) for k in ("feeds", "due", "dask") if k in kw})
    return ingest(db_path=db_path, progress=False, request=request, **kw)


def rows(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def serve_feed(server, n: int, path: str = "/feed.xml", prefix: str = "/a") -> list[str]:
    links = []
    for i in range(n):
        links.append(server.add(f"{prefix}{i}.html", article_page(f"Story {i}", story(i))))
    server.add(
        path,
        rss([{"title": f"Story {i}", "link": link, "guid": f"{prefix}-{i}"} for i, link in enumerate(links)]),
        content_type="application/rss+xml",
    )
    return links


def test_first_pass_stores_every_article_and_second_pass_uses_conditional_get(server, db_path):
    serve_feed(server, 4)
    store.add_feed(connect(db_path), server.url("/feed.xml"))

    first = run(db_path)
    assert first["articles"]["new"] == 4
    assert rows(db_path, "select count(*) from articles")[0][0] == 4
    texts = [r[0] for r in rows(db_path, "select text from articles")]
    assert all("met on Tuesday to discuss" in t for t in texts)
    assert not any("Privacy" in t or "Politics" in t for t in texts)

    second = run(db_path)
    assert second["articles"]["new"] == 0
    assert second["feeds"]["not_modified"] == 1
    feed_hits = server.requests_to("/feed.xml")
    assert feed_hits[-1].headers.get("if-none-match") and feed_hits[-1].status == 304
    assert len(server.requests_to("/a0.html")) == 1  # no article fetched twice
    assert rows(db_path, "select count(*) from articles")[0][0] == 4


def test_a_new_item_is_picked_up_on_the_next_pass(server, db_path):
    links = serve_feed(server, 2)
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    run(db_path)
    links.append(server.add("/a2.html", article_page("Story 2", story(2))))
    server.add(
        "/feed.xml",
        rss([{"title": f"Story {i}", "link": link, "guid": f"/a-{i}"} for i, link in enumerate(links)]),
        content_type="application/rss+xml",
    )
    summary = run(db_path)
    assert summary["articles"]["new"] == 1
    assert rows(db_path, "select count(*) from articles")[0][0] == 3
    assert len(server.requests_to("/a0.html")) == 1


def test_a_failing_page_is_recorded_and_retried_on_a_later_pass(server, db_path):
    serve_feed(server, 2)
    server.add("/a1.html", "oops", status=500)
    store.add_feed(connect(db_path), server.url("/feed.xml"))

    summary = run(db_path)
    assert summary["articles"]["new"] == 1
    assert summary["articles"]["failed"] == 1
    assert "HTTP 500" in summary["articles"]["failed_by_reason"]
    status, attempts, error = rows(db_path, "select status, attempts, last_error from entries where key = '/a-1'")[0]
    assert (status, attempts, error) == ("failed", 1, "HTTP 500")

    server.add("/a1.html", article_page("Story 1", story(1)))  # the page recovers; the feed is unchanged
    summary = run(db_path)
    assert summary["articles"]["new"] == 1
    assert rows(db_path, "select status from entries where key = '/a-1'")[0][0] == "stored"


def test_a_page_that_keeps_failing_is_given_up_after_a_bounded_number_of_tries(server, db_path):
    serve_feed(server, 1)
    server.add("/a0.html", "gone", status=404)
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    for _ in range(MAX_ATTEMPTS + 2):
        run(db_path)
    assert len(server.requests_to("/a0.html")) == MAX_ATTEMPTS
    assert rows(db_path, "select status from entries")[0][0] == "gave_up"


def test_a_broken_feed_does_not_stop_the_others(server, db_path):
    serve_feed(server, 2)
    server.add("/broken.xml", "<html><body>this is no feed</body></html>")
    db = connect(db_path)
    store.add_feed(db, server.url("/broken.xml"))
    store.add_feed(db, "http://127.0.0.1:1/dead.xml")  # nothing listens there
    store.add_feed(db, server.url("/feed.xml"))

    summary = run(db_path)
    assert summary["articles"]["new"] == 2
    assert summary["feeds"]["failed"] == 2
    assert len(summary["errors"]) == 2
    health = {r.url: r for r in store.list_feeds(connect(db_path))}
    assert "not a feed" in (health[server.url("/broken.xml")].last_error or "")
    assert health["http://127.0.0.1:1/dead.xml"].consecutive_errors == 1
    assert health[server.url("/feed.xml")].last_success_at


def test_a_feed_slow_to_answer_holds_up_its_own_slot_only(server, db_path, monkeypatch, tmp_path):
    """Feeds are polled a few batches at a time (100,000 at once would be 2,000 threads): while one
    feed hangs, the feeds behind it are polled through the other slots, and no more run at once."""
    import threading

    from tests.server import Route

    monkeypatch.setattr("paperboy.flows.ingest.FEEDS_PER_TASK", 1)
    monkeypatch.setattr("paperboy.flows.ingest.POLL_TASKS", 2)
    feed = rss([]).encode()
    released = threading.Event()  # set once the five other feeds have been polled
    polled: list[str] = []

    def answer(handler) -> None:
        handler._answer(200, feed, {"Content-Type": "application/rss+xml"})
        polled.append(handler.path)
        if len(polled) == 5:
            released.set()

    def hang_until_the_others_are_polled(handler) -> None:
        released.wait(60)  # the timeout is for a failing test, not to pass one
        handler._answer(200, feed, {"Content-Type": "application/rss+xml"})

    db = connect(db_path)
    server.routes["/slow.xml"] = Route(raw=hang_until_the_others_are_polled)
    store.add_feed(db, server.url("/slow.xml"))
    for i in range(5):
        server.routes[f"/other{i}.xml"] = Route(raw=answer)
        store.add_feed(db, server.url(f"/other{i}.xml"))
    config = tmp_path / "config.toml"
    config.write_text("[settings]\nper_host = 10\n")  # so that only the polling slots limit requests at once
    summary = run(db_path, config_path=str(config))
    assert summary["feeds"]["failed"] == 0
    assert sum(summary["feeds"].values()) == 6
    assert released.is_set()  # the five were polled while the first still hung


def test_feeds_whose_last_poll_failed_are_polled_after_the_others(server, db_path, monkeypatch):
    """A batch waits for its slowest poll, and a dead host takes its whole connect timeout: feeds
    whose last poll failed go last, in batches of their own, and hold up no healthy feed."""
    monkeypatch.setattr("paperboy.flows.ingest.FEEDS_PER_TASK", 2)
    monkeypatch.setattr("paperboy.flows.ingest.POLL_TASKS", 1)
    db = connect(db_path)
    paths = [f"/lane{i}.xml" for i in range(4)]
    for path in paths:
        store.add_feed(db, server.add(path, rss([]), "application/rss+xml"))
    db.execute(
        "update feeds set consecutive_errors = 3 where url in (?, ?)", [server.url(paths[0]), server.url(paths[2])]
    )
    run(db_path)
    polled = [hit.path for hit in server.hits if hit.path in paths]
    assert sorted(polled[:2]) == ["/lane1.xml", "/lane3.xml"] and sorted(polled[2:]) == ["/lane0.xml", "/lane2.xml"]


def test_hosts_take_turns_in_the_order_feeds_are_polled():
    """A batch of one host's feeds would poll two at a time (the host's limit): each host gives one
    feed to each round, in the order its feeds came."""
    from paperboy.flows.engines.jobs import in_turns

    feeds = ["a/1", "a/2", "a/3", "b/1", "c/1", "c/2"]
    assert list(in_turns(feeds, lambda f: f.split("/")[0])) == ["a/1", "b/1", "c/1", "a/2", "c/2", "a/3"]
    many = [f"big/{i}" for i in range(50_000)] + [f"h{i}/1" for i in range(50_000)]
    turned = list(in_turns(many, lambda f: f.split("/")[0]))
    assert sorted(turned) == sorted(many) and turned[:3] == ["big/0", "h0/1", "h1/1"]
    later = {"a/1", "c/2"}  # a later lane: after every item of the first, in turns of their own
    lanes = list(in_turns(feeds, lambda f: f.split("/")[0], lane=lambda f: int(f in later)))
    assert lanes == ["a/2", "b/1", "c/1", "a/3", "a/1", "c/2"]


def test_batches_run_a_bounded_number_at_once_and_come_back_as_they_finish():
    """What keeps 100,000 feeds from being 2,000 threads at once, and a slow batch from holding up
    the batches behind it."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from paperboy.flows.engines.jobs import as_done

    gates = {i: threading.Event() for i in range(6)}
    submitted: list = []
    unfinished_at_submit: list[int] = []

    def work(i: int) -> int:
        gates[i].wait(60)  # the timeout is for a failing test, not to pass one
        return i

    with ThreadPoolExecutor(max_workers=10) as pool:

        def submit(i: int):
            unfinished_at_submit.append(sum(not f.done() for f in submitted))
            submitted.append(pool.submit(work, i))
            return submitted[-1]

        for i in range(1, 6):
            gates[i].set()
        futures = as_done(submit, iter(range(6)), 2)
        order = [next(futures).result() for _ in range(5)]  # batch 0 still hangs
        gates[0].set()
        order += [f.result() for f in futures]
    assert order == [1, 2, 3, 4, 5, 0]
    assert max(unfinished_at_submit) < 2  # never a third batch beside two running


def test_the_same_article_under_other_addresses_is_stored_once(server, db_path):
    canonical = server.url("/story.html")
    page = article_page("One story", story(7), canonical=canonical)
    server.add("/story.html", page)
    server.add("/amp/story.html", page)  # another address, same canonical
    server.add("/feed.xml", rss([
        {"title": "One story", "link": canonical + "?utm_source=rss&utm_medium=feed", "guid": "g1"},
        {"title": "One story (amp)", "link": server.url("/amp/story.html"), "guid": "g2"},
    ]), content_type="application/rss+xml")  # fmt: skip
    server.add(
        "/other.xml",
        rss([{"title": "Same", "link": canonical, "guid": "x"}]),
        content_type="application/rss+xml",
    )
    db = connect(db_path)
    store.add_feed(db, server.url("/feed.xml"))
    store.add_feed(db, server.url("/other.xml"))

    summary = run(db_path)
    assert rows(db_path, "select count(*) from articles")[0][0] == 1
    assert summary["articles"]["new"] == 1
    assert summary["articles"]["duplicate"] == 2, json.dumps(summary)
    run(db_path)
    assert rows(db_path, "select count(*) from articles")[0][0] == 1


def test_an_item_whose_page_fails_keeps_the_feed_text_until_the_page_works(server, db_path):
    content = "<p>" + " ".join(story(3)) + "</p><p>© 2024 Example Media. All rights reserved.</p>"
    server.add(
        "/feed.xml",
        rss([{"title": "Story 3", "link": server.url("/a3.html"), "guid": "g3", "content": content}]),
        content_type="application/rss+xml",
    )
    server.add("/a3.html", "down", status=503)
    store.add_feed(connect(db_path), server.url("/feed.xml"))

    summary = run(db_path)
    assert summary["articles"]["new"] == 1 and summary["articles"]["from_feed_text"] == 1
    source, text = rows(db_path, "select text_source, text from articles")[0]
    assert source == "feed" and "met on Tuesday" in text and "rights reserved" not in text

    server.add("/a3.html", article_page("Story 3", story(3) + ["A paragraph only the page has, about the harbour."]))
    summary = run(db_path)
    assert summary["articles"]["updated"] == 1
    source, text = rows(db_path, "select text_source, text from articles")[0]
    assert source == "page" and "only the page has" in text
    assert rows(db_path, "select count(*) from articles")[0][0] == 1


def test_the_flow_process_leaves_trafilatura_and_the_language_model_to_the_workers():
    """The process that runs the flow stays small: extraction, the feed texts' included, happens in
    the extraction workers, so nothing the flow imports loads trafilatura (nor, with it, py3langid's
    74 MB model on the first page that fails)."""
    code = (
        "import sys, paperboy.flows.commands, paperboy.flows.ingest, paperboy.flows.backfill, paperboy.flows.discover, "
        "paperboy.flows.fetching, paperboy.flows.engines.jobs, paperboy.flows.engines.pool; "
    )
    code += "print(sorted(m for m in ('trafilatura', 'py3langid', 'htmldate') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def _worker_kb(worker, prefix: str) -> int:
    """The kB of a pool worker's /proc/self/smaps_rollup lines starting with `prefix` ("Shared_", "Private_")."""
    rollup = worker.submit(Path("/proc/self/smaps_rollup").read_text).result(timeout=120)
    return sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith(prefix))


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="reads Linux's /proc")
def test_the_extraction_workers_share_the_language_model_instead_of_each_loading_it():
    from paperboy.flows.engines.pool import ExtractPool

    # the model alone is 74 MB; a worker that loads its own shares about 40
    assert _worker_kb(ExtractPool(workers=1)._pool(), "Shared_") > 70 * 1024


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="reads Linux's /proc")
def test_a_worker_does_not_load_a_copy_of_its_own_for_a_page_with_little_text():
    """Such a page goes through trafilatura's backup extractors, whose jusText stoplists of every
    language take 27 MB: loaded before the workers fork, they are shared too."""
    import zstandard

    from paperboy.extractors import ExtractOptions
    from paperboy.flows.engines.jobs import PageJob
    from paperboy.flows.engines.pool import ExtractPool

    ExtractPool.shutdown_all()  # a new worker, that has extracted nothing yet
    pool = ExtractPool(workers=1)
    before = _worker_kb(pool._pool(), "Private_")
    short = "<html><body><article><p>A short notice: the meeting moved to Thursday at noon.</p></article></body></html>"
    [done] = pool.map([PageJob("http://localhost/short", zstandard.compress(short.encode()), ExtractOptions())])
    assert "meeting moved to Thursday" in done.article.text
    after = _worker_kb(pool._pool(), "Private_")
    assert after - before < 12 * 1024  # 5 MB here; 39 MB when the worker loaded the stoplists itself


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="reads Linux's /proc")
def test_a_worker_guesses_languages_without_copying_the_language_model():
    """The model's tables are read on every page: a worker must read them where they are shared,
    not copy the pages it reads (6.4 MB of copies over these texts when two tables were lists)."""
    from paperboy.extractors._extract import detect_language
    from paperboy.flows.engines.pool import ExtractPool

    rnd = random.Random(7)
    scripts = [(0x61, 0x7B), (0xE0, 0x100), (0x430, 0x450), (0x5D0, 0x5EB), (0x627, 0x64B), (0x905, 0x940),
               (0xE01, 0xE30), (0x3041, 0x3097), (0x4E00, 0x4F00), (0xAC00, 0xAD00)]  # fmt: skip
    texts = [
        " ".join("".join(chr(rnd.randrange(*scripts[k % len(scripts)])) for _ in range(rnd.randrange(2, 9)))
                 for _ in range(150))
        for k in range(60)
    ]  # fmt: skip
    ExtractPool.shutdown_all()  # a new worker, that has read nothing yet
    worker = ExtractPool(workers=1)._pool()
    before = _worker_kb(worker, "Private_")
    guesses = list(worker.map(detect_language, texts, [None] * len(texts)))
    after = _worker_kb(worker, "Private_")
    assert len(set(guesses)) >= 5  # the texts took the model through many scripts
    assert after - before < 3.5 * 1024  # 1.7 MB here; 6.4 MB with the tables as lists


def test_the_summary_says_how_long_the_pass_took(server, db_path):
    import time

    serve_feed(server, 3)
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    t0 = time.monotonic()
    summary = run(db_path)
    wall = time.monotonic() - t0
    assert summary["articles"]["new"] == 3
    assert 0 < summary["seconds"] <= wall


def test_raw_html_is_kept_compressed_and_search_finds_the_article(server, db_path):
    serve_feed(server, 1)
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    run(db_path)
    import zstandard

    raw = rows(db_path, "select html_zstd from raw_pages")[0][0]
    assert b"met on Tuesday to discuss" in zstandard.decompress(raw)
    hits = store.search(connect(db_path), "tuesday vote")
    assert hits and hits[0]["title"] == "Story 0" and "**Tuesday**" in hits[0]["snippet"]


def test_a_private_address_is_refused_unless_allowed(server, db_path, monkeypatch):
    serve_feed(server, 1)
    monkeypatch.delenv("PAPERBOY_ALLOWED_HOSTS")
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    summary = run(db_path)
    assert summary["feeds"]["failed"] == 1
    assert "non-public address" in summary["errors"][0]
    assert server.requests_to("/feed.xml") == []
    monkeypatch.setenv("PAPERBOY_ALLOW_PRIVATE_NETWORKS", "1")
    assert run(db_path)["articles"]["new"] == 1


@pytest.mark.skipif(not SEED.exists(), reason="../shared/corpus/seed is not beside this checkout")
def test_the_seed_article_is_stored_as_its_nine_paragraphs_only(server, db_path):
    server.add("/article.html", (SEED / "article.html").read_bytes())
    feed = (SEED / "feed.xml").read_text().replace("{base}", server.base)
    server.add("/feed.xml", feed, content_type="application/rss+xml")
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    run(db_path)
    expected = json.loads((SEED / "manifest.jsonl").read_text().splitlines()[0])
    text, authors, title = rows(db_path, "select text, authors, title from articles")[0]
    assert text.split("\n\n") == expected["body"].split("\n\n")
    assert len(text.split("\n\n")) == 9
    assert "Sandy Fitzgerald" in json.loads(authors)
    assert "All rights reserved" not in text and "three decades" not in text
    assert title == expected["title"]


def test_the_summary_is_published_as_a_markdown_artifact(server, db_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    serve_feed(server, 1)
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    run(db_path)

    async def latest():
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-summary"])), limit=50
            )
            return found

    import asyncio

    artifacts = asyncio.run(latest())
    assert artifacts and any("| articles new | 1 |" in (a.data or "") for a in artifacts)


def test_a_paragraph_that_recurs_across_a_sites_articles_is_learned_as_boilerplate(server, db_path):
    promo = "Our journalism is funded by readers like you, and every contribution keeps it free for all."
    links = []
    for i in range(8):
        paragraphs = story(i)
        paragraphs.insert(2, promo)
        links.append(server.add(f"/b{i}.html", article_page(f"Story {i}", paragraphs)))
    server.add(
        "/feed.xml",
        rss([{"title": f"Story {i}", "link": link, "guid": f"b{i}"} for i, link in enumerate(links[:4])]),
        content_type="application/rss+xml",
    )
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    run(db_path)  # four articles of one host: the promo is now known boilerplate
    server.add(
        "/feed.xml",
        rss([{"title": f"Story {i}", "link": link, "guid": f"b{i}"} for i, link in enumerate(links)]),
        content_type="application/rss+xml",
    )
    run(db_path)
    texts = dict(rows(db_path, "select guid, text from articles"))
    assert all(promo not in texts[f"b{i}"] for i in range(4, 8))
    assert all("met on Tuesday to discuss" in texts[f"b{i}"] for i in range(8))


def test_a_sites_learned_boilerplate_is_read_through_an_index_that_an_older_archive_gains(db_path):
    """The read after every batch must not walk every paragraph ever counted for the site."""
    older = connect(db_path).conn  # the archive as an older paperboy left it
    older.execute("drop index boilerplate_learned")
    older.execute("pragma user_version = 0")
    db = connect(db_path)
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    store.learned_boilerplate(db, {"news.example"})
    (read,) = [s for s in statements if "from boilerplate" in s]
    plan = " ".join(row[3] for row in db.conn.execute(f"explain query plan {read}"))
    assert "USING INDEX boilerplate_learned" in plan


def test_a_json_feed_is_followed_like_rss(server, db_path):
    pages = [server.add(f"/j{i}.html", article_page(f"JSON story {i}", story(500 + i))) for i in range(2)]
    items = [{"id": f"j{i}", "url": page, "title": f"JSON story {i}", "date_published": "2024-05-07T10:00:00Z"}
             for i, page in enumerate(pages)]  # fmt: skip
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "JSON", "items": items}
    store.add_feed(connect(db_path), server.add("/feed.json", json.dumps(feed), content_type="application/feed+json"))
    assert run(db_path)["articles"]["new"] == 2
    assert run(db_path)["feeds"]["not_modified"] == 1  # conditional GET, as for RSS
