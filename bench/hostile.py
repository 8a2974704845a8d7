"""One pass over every hostile feed of the tests beside three good ones: what it costs.

    make bench-hostile      (python bench/hostile.py)

The feeds are those of tests/hostile/feeds.py on a local server: odd numbers (superscript digits,
5,000-digit ttl and max-age, Retry-After '²' on a feed and on a page), links that are not http(s)
URLs, 300,000 items in 9 MB, an entity bomb behind UTF-16, 400 kB of unclosed DOCTYPEs, control
sequences in titles. Printed: the exit code, seconds from start to end (Prefect's start-up in it),
the peak memory of the paperboy process tree (RSS, and PSS without Prefect's API server), articles
stored, and feeds failed. For comparison, the same pass over the three good feeds alone.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import TreeRSS  # noqa: E402  (bench/bench.py, this folder being first on the path)
from paperboy.db import connect, store  # noqa: E402
from tests.hostile.feeds import add_dangerous_feeds, add_odd_value_feeds, one_item_feed  # noqa: E402
from tests.server import TestServer  # noqa: E402


def one_pass(server: TestServer, feeds: list[str], tmp: str, tag: str) -> dict:
    import os
    import subprocess
    import time

    db = str(Path(tmp) / f"{tag}.db")
    conn = connect(db)
    for url in feeds:
        store.add_feed(conn, url)
    env = {**os.environ, "PAPERBOY_ALLOWED_HOSTS": f"127.0.0.1:{server.port}", "PREFECT_HOME": str(Path(tmp) / "p")}
    env = {k: v for k, v in env.items() if not k.startswith("PREFECT_API")}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "paperboy", "--db", db, "run"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    memory = TreeRSS(proc.pid)
    _, err = proc.communicate()
    seconds = time.perf_counter() - started
    memory.stop()
    look = sqlite3.connect(db)
    articles = look.execute("select count(*) from articles").fetchone()[0]
    failed = look.execute("select count(*) from feeds where consecutive_errors > 0").fetchone()[0]
    return {"exit": proc.returncode, "seconds": seconds, "rss_mb": memory.peak / 2**20,
            "pss_mb": memory.own_pss_peak / 2**20, "articles": articles, "feeds_failed": failed,
            "traceback": "Traceback" in err}  # fmt: skip


def main() -> int:
    server = TestServer()
    try:
        good = [server.add(f"/good{i}.xml", one_item_feed(server, f"/good{i}", i), content_type="application/rss+xml")
                for i in range(3)]  # fmt: skip
        bad = {**add_odd_value_feeds(server), **add_dangerous_feeds(server)}
        with tempfile.TemporaryDirectory() as tmp:
            one_pass(server, good, tmp, "warm")  # Prefect's database is made on the first start
            rows = [
                ("three good feeds", one_pass(server, good, tmp, "good")),
                (f"the same and {len(bad)} hostile ones", one_pass(server, [*good, *bad.values()], tmp, "all")),
            ]
    finally:
        server.close()
    print(f"{'pass':<34} {'exit':>4} {'seconds':>8} {'RSS MB':>7} {'PSS MB':>7} {'articles':>8} {'failed':>6}")
    for name, r in rows:
        traceback = "  (a traceback was printed)" if r["traceback"] else ""
        print(f"{name:<34} {r['exit']:>4} {r['seconds']:>8.1f} {r['rss_mb']:>7.0f} {r['pss_mb']:>7.0f} "
              f"{r['articles']:>8} {r['feeds_failed']:>6}{traceback}")  # fmt: skip
    good_pass, all_pass = rows[0][1], rows[1][1]
    print(f"ratio to the good feeds alone: {all_pass['seconds'] / good_pass['seconds']:.2f}x the time, "
          f"{all_pass['pss_mb'] / good_pass['pss_mb']:.2f}x the PSS")  # fmt: skip
    return 0 if all_pass["exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
