"""Durability: a pass killed at any point leaves a sound database, and the next pass converges."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperboy.db import connect, store
from paperboy.flows.stages import PAGES_PER_TASK
from tests.conftest import article_page, rss, story

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("prefect_harness")

RUN = """
import sys
from paperboy.flows.ingest import ingest
ingest(db_path=sys.argv[1], progress=False)
"""


def state(db_path: str):
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        articles = conn.execute("select url, text from articles order by url").fetchall()
        urls = [u for u, _ in articles]
        assert len(urls) == len(set(urls))
        half = conn.execute("select count(*) from articles a left join article_urls k on k.article_id = a.id "
                            "where k.key is null").fetchone()[0]  # fmt: skip
        assert half == 0, "an article stored without its addresses"
        return articles
    finally:
        conn.close()


def articles_in(db_path: str) -> int:
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            return conn.execute("select count(*) from articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or locked for a moment
        return 0


@pytest.mark.kill
def test_sigkill_at_chosen_points_then_the_next_pass_converges(server, tmp_path):
    """Each pass is killed at a point of its work, chosen by what the server and the db show (no
    sleeps): while polling, while fetching, right after a batch is stored, in the middle of the last
    batch, and after the last store. The db stays sound after each kill; the next pass converges."""
    from prefect.settings import PREFECT_API_URL

    pages = 2 * PAGES_PER_TASK + 40  # three batches (and fewer than a pass takes of one feed: 200)
    links = [server.add(f"/k{i}.html", article_page(f"Story {i}", story(i))) for i in range(pages)]
    items = [{"title": f"S{i}", "link": link, "guid": f"k{i}"} for i, link in enumerate(links)]
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value() or ""}
    killed, clean = str(tmp_path / "killed.db"), str(tmp_path / "clean.db")
    for db in (killed, clean):
        store.add_feed(connect(db), server.url("/feed.xml"))

    def page_hits() -> int:
        return sum(1 for h in server.hits if h.path.startswith("/k"))

    points = {
        "polling the feed": lambda start: len(server.requests_to("/feed.xml")) > start[0],
        "fetching pages": lambda start: page_hits() >= start[1] + 20,
        "after the first batch is stored": lambda start: articles_in(killed) >= 1,
        "in the last batch": lambda start: articles_in(killed) > PAGES_PER_TASK,
        "after the last store": lambda start: articles_in(killed) >= pages,
    }
    for name, reached in points.items():
        start = (len(server.requests_to("/feed.xml")), page_hits())
        proc = subprocess.Popen([sys.executable, "-c", RUN, killed], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while not reached(start) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert reached(start), f"the pass never got to {name}"
        state(killed)  # sound after every kill
        conn = sqlite3.connect(killed)  # the feed must be polled again by the next pass
        conn.execute("update feeds set etag = null, last_modified = null, content_hash = null")
        conn.commit()
        conn.close()
    for db in (killed, clean):
        subprocess.run([sys.executable, "-c", RUN, db], env=env, cwd=ROOT, check=True, capture_output=True)
    assert state(killed) == state(clean)
    assert len(state(clean)) == pages
