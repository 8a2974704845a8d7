"""Large inputs read as streams: the peak memory of `feeds import` of a 1,000,000-outline OPML file
and of recording a 1,600,000-line `backfill --urls` file, each beside the same command on a file of
one line, measured in the same run (its start-up memory).

    make bench-streams      (python bench/streams.py [--lines N] [--outlines N])

Each runs in a process of its own; printed: its peak RSS, and that as a ratio of the one-line run's.
The --urls figure is the recording of the backlog (read_url_list and store.record_backlog, what
`backfill --urls` does before it fetches), which is where the file's size tells.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAPERBOY = [sys.executable, "-m", "paperboy"]
RECORD = """
import resource, sys
from paperboy.core import Entry, url_key
from paperboy.db import connect, store
from paperboy.flows.backfill import URLS_FEED, URLS_FEED_ID, read_url_list
db = connect(sys.argv[2])
for urls, bad in read_url_list(sys.argv[1]):
    store.record_backlog(db, URLS_FEED_ID, "urls", [Entry(URLS_FEED, url_key(u), None, u, None) for u in urls])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
IMPORT = """
import resource, sys
from paperboy.flows.commands.main import main
sys.argv = ["paperboy", "--db", sys.argv[2], "feeds", "import", sys.argv[1]]
try:
    main()
except SystemExit:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def opml(path: Path, n: int) -> None:
    with open(path, "w") as f:
        f.write('<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="News">')
        for i in range(n):
            f.write(f'<outline type="rss" text="Feed {i}" xmlUrl="https://site{i % 5000}.example.com/feed/{i}.xml"/>\n')
        f.write("</outline></body></opml>")


def url_list(path: Path, n: int) -> None:
    with open(path, "w") as f:
        for i in range(n):
            f.write(f"https://news{i % 500}.example.com/section/2024/05/{i}/a-long-article-slug-number-{i}.html\n")


def peak_mb(script: str, source: Path, db: Path, from_stderr: bool) -> tuple[float, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script, str(source), str(db)], cwd=ROOT, capture_output=True,
                         text=True, check=True)  # fmt: skip
    text = (out.stderr if from_stderr else out.stdout).strip().splitlines()[-1]
    return int(text) / 1024, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlines", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=1_600_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for name, make, script, n, stderr in (
            ("feeds import, OPML outlines", opml, IMPORT, args.outlines, True),
            ("backfill --urls, lines recorded", url_list, RECORD, args.lines, False),
        ):
            make(t / "one", 1)
            make(t / "big", n)
            base, _ = peak_mb(script, t / "one", t / "one.db", stderr)
            peak, seconds = peak_mb(script, t / "big", t / "big.db", stderr)
            size = (t / "big").stat().st_size / 1e6
            print(f"{name}: {n:,} ({size:.0f} MB): peak RSS {peak:.0f} MB, x{peak / base:.2f} of one line's "
                  f"{base:.0f} MB; {seconds:.0f} s")  # fmt: skip
            for p in t.iterdir():
                p.unlink()


if __name__ == "__main__":
    main()
