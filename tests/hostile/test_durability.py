"""Durability: a pass killed at random points leaves a sound database, and the next pass converges."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from db import connect, store
from tests.conftest import article_page, rss, story

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20  # SIGKILLs at random moments of a pass, in all
CHAINS = 2  # databases killed side by side (each kill costs a process start-up: two at once halve the wait)

pytestmark = pytest.mark.usefixtures("prefect_harness")

RUN = """
import sys
from flows.ingest import ingest
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


def test_sigkill_at_random_points_then_the_next_pass_converges(server, tmp_path):
    import threading

    from prefect.settings import PREFECT_API_URL

    links = [server.add(f"/k{i}.html", article_page(f"Story {i}", story(i))) for i in range(40)]
    server.add("/feed.xml", rss([{"title": f"S{i}", "link": link, "guid": f"k{i}"} for i, link in enumerate(links)]),
               content_type="application/rss+xml")  # fmt: skip
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value() or ""}
    killed = [str(tmp_path / f"killed{c}.db") for c in range(CHAINS)]
    clean_db = str(tmp_path / "clean.db")
    for db in [*killed, clean_db]:
        store.add_feed(connect(db), server.url("/feed.xml"))
    problems: list[BaseException] = []

    def chain(db: str, seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(KILLS // CHAINS):
                proc = subprocess.Popen([sys.executable, "-c", RUN, db], env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
                time.sleep(rng.uniform(2.0, 7.0))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                state(db)  # sound after every kill
                conn = sqlite3.connect(db)  # the feed must be polled again by the next pass
                conn.execute("update feeds set etag = null, last_modified = null, content_hash = null")
                conn.commit()
                conn.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            problems.append(exc)

    threads = [threading.Thread(target=chain, args=(db, 20261124 + c)) for c, db in enumerate(killed)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []
    for db in [*killed, clean_db]:
        subprocess.run([sys.executable, "-c", RUN, db], env=env, cwd=ROOT, check=True, capture_output=True)
    for db in killed:
        assert state(db) == state(clean_db)
    assert len(state(clean_db)) == 40
