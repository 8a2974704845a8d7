"""paperboy as the work grows: feeds polled per tick, and the archive's costs from empty to millions.

    make bench-scale                      (python bench/scale.py --shared ../shared)
    python bench/scale.py --feeds 1000,10000,100000 --archive 0,1000000,5000000

Part 1, feeds. A synthetic feed server (a process of its own, asyncio) answers N feeds spread over
hosts 127.0.x.y (50 feeds a host, as a publisher's section feeds), each response after a latency
drawn from LATENCY ± JITTER, with ETag and 304, and article pages of distinct text (paragraphs of
../shared's dev corpus, each marked as its copy). For each N, with `paperboy` as a user runs it:
  - `feeds import` of an OPML of N feeds;
  - tick 1: `paperboy run`, every feed due and new to paperboy (each answers 200, no items yet);
  - tick 2: every feed due again after CHANGED of them gained an item: those answer 200 and their
    article is fetched, extracted and stored; the rest answer 304;
  - tick 3: every feed due again, none changed: every poll a 304 (what a 304 alone costs);
  each tick: wall time, feeds polled per second, CPU ms per poll of paperboy's own processes and,
  apart, of Prefect's API server, peak PSS of paperboy's processes (the server apart);
  - choosing the due feeds (`store.ids_to_poll(due_only=True)`, as a pass does) and `paperboy feeds list`.

Part 2, the archive. One archive grown through `store.save_outcomes` (the pipeline's own write:
rows, full-text and CJK index, dedup keys, entries) in batches of 1,000 to each size; at each size:
  - storing batches of 64 (as a pass does): rows/s, and the ratio to the empty archive's;
  - a dedup look-up by address (`store.article_for_keys`) and by text hash;
  - `store.search` p50/p95 for a one-word, a three-word and a phrase query;
  - `store.export_articles` rows/s over 100,000 rows, and the peak RSS of a full `paperboy export`
    at that size against the empty archive's (memory flat in archive size);
  - bytes on disk per article: text and metadata, indexes (FTS5, CJK, keys), and a raw page (zstd
    in the db, or a WARC record).
Past 1 M articles the archive grows by copying its first million in SQL (grow_by_copy says how).
Nothing is asserted: the figures are printed, with ratios to the smallest size of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import ENV, PAGE_SIZE, _pss  # noqa: E402

LATENCY, JITTER = 0.150, 0.050  # seconds: each response of the feed server
FEEDS_PER_HOST = 50
CHANGED = 0.01  # share of feeds with a new item before tick 2
_LETTERS = "abcdefghij"


def mark(n: int) -> str:
    """A copy's marker in letters: learned boilerplate folds digits, and would take copies for one text."""
    return "".join(_LETTERS[int(d)] for d in str(n))


def corpus_paragraphs(shared: Path) -> list[str]:
    manifest = shared / "corpus" / "dev" / "manifest.jsonl"
    if not manifest.exists():
        words = "council harbour budget bridge school river market station winter report".split()
        rng = random.Random(7)
        return [" ".join(rng.choice(words) for _ in range(60)).capitalize() + "." for _ in range(2000)]
    out = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        out += [p for p in json.loads(line)["body"].split("\n\n") if len(p) > 120]
    return out


def article_text(paragraphs: list[str], n: int, count: int = 6) -> str:
    rng = random.Random(n)
    return "\n\n".join(f"[{mark(n)}-{_LETTERS[k]}] {rng.choice(paragraphs)}" for k in range(count))


# --- part 1: the feed server ---------------------------------------------------------------------


def host_of_feed(i: int) -> str:
    h = i // FEEDS_PER_HOST
    return f"127.0.{h // 250}.{h % 250 + 2}"  # 127.0.0.1 is left to everything else


def serve(n_feeds: int, port_queue, control, shared: str, latency: float, jitter: float) -> None:
    """The feed server's process: feeds /f/<i>.xml, pages /a/<i>/<k>.html. `control` (a Pipe) takes
    ("change", share) between ticks and answers the number of requests served."""
    paragraphs = corpus_paragraphs(Path(shared))
    versions = [0] * n_feeds
    served = [0]

    def respond(target: str, headers: dict[str, str]) -> tuple[int, str, bytes, str]:
        m = re.fullmatch(r"/f/(\d+)\.xml", target)
        if m and int(m.group(1)) < n_feeds:
            i = int(m.group(1))
            v = versions[i]
            etag = f'"{i}-{v}"'
            if headers.get("if-none-match") == etag:
                return 304, etag, b"", "application/rss+xml"
            base = f"http://{host_of_feed(i)}:{port}"
            items = "".join(
                f"<item><title>Story {i}-{k}</title><link>{base}/a/{i}/{k}.html</link>"
                f'<guid isPermaLink="false">s-{i}-{k}</guid></item>'
                for k in range(max(0, v - 4), v)
            )
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>{items}</channel></rss>'
            return 200, etag, body.encode(), "application/rss+xml"
        m = re.fullmatch(r"/a/(\d+)/(\d+)\.html", target)
        if m:
            n = int(m.group(1)) * 1000 + int(m.group(2))
            paras = "".join(f"<p>{p}</p>" for p in article_text(paragraphs, n).split("\n\n"))
            html = f"<html><head><title>Story {m.group(1)}-{m.group(2)}</title></head><body><article>"
            html += f"<h1>Story {m.group(1)}-{m.group(2)}</h1>{paras}</article></body></html>"
            return 200, f'"a{n}"', html.encode(), "text/html; charset=utf-8"
        if target == "/robots.txt":
            return 200, '"r"', b"User-agent: *\nAllow: /\n", "text/plain"
        return 404, '"x"', b"not found", "text/plain"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                target = line.split(b" ")[1].decode()
                headers = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                await asyncio.sleep(random.uniform(latency - jitter, latency + jitter))
                status, etag, body, ctype = respond(target, headers)
                served[0] += 1
                head = f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nETag: {etag}\r\n"
                head += f"Content-Length: {len(body)}\r\n\r\n"
                writer.write(head.encode() + body)
                await writer.drain()
        except (ConnectionError, IndexError, UnicodeDecodeError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        nonlocal port
        hosts = sorted({host_of_feed(i) for i in range(n_feeds)})
        first = await asyncio.start_server(handle, host=hosts[0], port=0, backlog=4096)
        port = first.sockets[0].getsockname()[1]  # every host on the same port
        if hosts[1:]:
            await asyncio.start_server(handle, host=hosts[1:], port=port, backlog=4096)
        port_queue.put(port)
        loop = asyncio.get_running_loop()
        while True:
            msg = await loop.run_in_executor(None, control.recv)
            if msg[0] == "change":
                rng = random.Random(msg[2])
                for i in rng.sample(range(n_feeds), int(n_feeds * msg[1])):
                    versions[i] += 1
            elif msg[0] == "stop":
                control.send(served[0])
                return
            control.send(served[0])

    port = 0
    asyncio.run(main())


class FeedServer:
    def __init__(self, n_feeds: int, shared: Path, latency: float, jitter: float) -> None:
        ctx = multiprocessing.get_context("spawn")
        ports = ctx.Queue()
        self.control, theirs = ctx.Pipe()
        self.proc = ctx.Process(target=serve, args=(n_feeds, ports, theirs, str(shared), latency, jitter), daemon=True)
        self.proc.start()
        self.port = ports.get(timeout=120)

    def url(self, i: int) -> str:
        return f"http://{host_of_feed(i)}:{self.port}/f/{i}.xml"

    def change(self, share: float, seed: int) -> int:
        self.control.send(("change", share, seed))
        return self.control.recv()

    def stop(self) -> None:
        self.control.send(("stop",))
        self.control.recv()
        self.proc.join(10)


class Tree:
    """CPU seconds and peak memory of a process and its descendants, Prefect's API server apart:
    /proc sampled every 0.25 s (a process's CPU as last seen; one that lives under 0.25 s is missed)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.cpu, self.own_pss, self.server_rss, self._stop = pid, {}, 0, 0, False
        self.extraction: set[int] = set()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from paperboy.flows.processes import children_by_parent

        tick = os.sysconf("SC_CLK_TCK")
        last_pss = 0.0
        while not self._stop:
            children = children_by_parent()
            tree, todo = [], [self.pid]
            while todo:
                p = todo.pop()
                tree.append(p)
                todo.extend(children.get(p, []))
            ours, server_rss = [], 0
            for p in tree:
                try:
                    cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")
                    stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                    rss = int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_SIZE
                except (OSError, IndexError, ValueError):
                    continue
                server = b"uvicorn" in cmd or b"prefect.server" in cmd or b"server start" in cmd
                self.cpu[p] = (server, (int(stat[11]) + int(stat[12])) / tick)
                if b"forkserver" in cmd:  # the extraction pool: its forkserver and the workers forked from it
                    self.extraction.add(p)
                if server:
                    server_rss += rss
                else:
                    ours.append(p)
            self.server_rss = max(self.server_rss, server_rss)
            if time.monotonic() - last_pss > 1.0:
                self.own_pss = max(self.own_pss, sum(map(_pss, ours)))
                last_pss = time.monotonic()
            time.sleep(0.25)

    def extraction_cpu(self) -> float:
        """CPU seconds of the extraction pool's processes (part of paperboy's)."""
        return sum(c for p, (_, c) in self.cpu.items() if p in self.extraction)

    def stop(self) -> tuple[float, float]:
        """(paperboy's CPU seconds, the API server's)."""
        self._stop = True
        self.thread.join()
        own = sum(c for server, c in self.cpu.values() if not server)
        return own, sum(c for server, c in self.cpu.values() if server)


def paperboy(db: str, *args: str, home: str, discard: bool = False) -> tuple[float, Tree, str]:
    """Run a paperboy command; its output, or nothing when `discard` (an export of millions of rows)."""
    cmd = [sys.executable, "-m", "paperboy", "--db", db, *args]
    env = {**ENV, "PAPERBOY_ALLOW_PRIVATE_NETWORKS": "1", "PREFECT_HOME": home}
    t0 = time.perf_counter()
    stdout = subprocess.DEVNULL if discard else subprocess.PIPE
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE, text=True)
    tree = Tree(proc.pid)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    tree.stop()
    if proc.returncode not in (0, 3):
        raise SystemExit(f"bench: paperboy {' '.join(args)} exited {proc.returncode}: {err.strip()[-800:]}")
    return elapsed, tree, out


def feeds_part(n: int, shared: Path, tmp: Path, home: str, latency: float, jitter: float) -> dict:
    server = FeedServer(n, shared, latency, jitter)
    db = str(tmp / f"feeds-{n}.db")
    config = tmp / "scale.toml"
    # Prefect's thread pool runs the polling tasks: enough of them for the latency to be covered.
    config.write_text("[settings]\nmax_connections = 512\n")
    opml = tmp / f"feeds-{n}.opml"
    opml.write_text(
        "<opml version='2.0'><body>"
        + "".join(f"<outline text='f{i}' xmlUrl='{server.url(i)}'/>" for i in range(n))
        + "</body></opml>"
    )
    out: dict = {"feeds": n}
    t, _, _ = paperboy(db, "--config", str(config), "feeds", "import", str(opml), home=home)
    out["import_s"] = t
    for tick, share in ((1, 0.0), (2, CHANGED), (3, 0.0)):
        if share:
            server.change(share, seed=tick)
        sqlite3.connect(db).execute("update feeds set next_poll_at = null").connection.commit()
        before = server.change(0, seed=0)
        wall, tree, text = paperboy(db, "--config", str(config), "run", "--json", home=home)
        own_cpu, server_cpu = tree.stop()
        summary = json.loads(text)
        f = summary["feeds"]
        polled = f["fetched"] + f["not_modified"] + f["unchanged"] + f["failed"]
        out[f"tick{tick}"] = {
            "wall_s": wall, "flow_s": summary["seconds"], "polled": polled, "failed": f["failed"],
            "not_modified": f["not_modified"], "new_articles": summary["articles"]["new"],
            "feeds_per_s": polled / summary["seconds"], "cpu_ms_per_poll": 1000 * own_cpu / max(polled, 1),
            "extraction_cpu_ms_per_poll": 1000 * tree.extraction_cpu() / max(polled, 1),
            "server_cpu_ms_per_poll": 1000 * server_cpu / max(polled, 1), "own_pss_mb": tree.own_pss / 2**20,
            "server_rss_mb": tree.server_rss / 2**20, "requests": server.change(0, seed=0) - before,
        }  # fmt: skip
    from paperboy.db import connect, store

    conn = connect(db)
    conn.execute("update feeds set next_poll_at = null where id % 20 = 0")  # 5 % due
    t0 = time.perf_counter()
    due = store.ids_to_poll(conn, due_only=True)
    out["due_select_s"], out["due"] = time.perf_counter() - t0, len(due)
    t, tree, _ = paperboy(db, "feeds", "list", home=home)
    out["feeds_list_s"], out["feeds_list_pss_mb"] = t, tree.own_pss / 2**20
    server.stop()
    return out


# --- part 2: the archive -------------------------------------------------------------------------


def outcomes(paragraphs: list[str], start: int, count: int, feed_url: str) -> list:
    from paperboy.core import Article, Entry, Outcome

    out = []
    for n in range(start, start + count):
        url = f"https://news{n % 997}.example/a/{n}.html"
        text = article_text(paragraphs, n)
        published = f"20{20 + n % 6}-{1 + n % 12:02d}-{1 + n % 28:02d}"
        out.append(
            Outcome(
                Entry(feed_url, f"k{n}", f"k{n}", url, f"Story {mark(n)}"),
                Article(url, text, title=f"Story {mark(n)}", published=published, language="en"),
                None,
                (url.removeprefix("https://"),),
            )
        )
    return out


def grow(db, feed_id: int, feed_url: str, paragraphs: list[str], start: int, end: int, say) -> None:
    from paperboy.db import RawPages, store

    nowhere = RawPages("none")  # raw pages are measured apart: a sample in the db and in a WARC file
    t0 = time.perf_counter()
    for k in range(start, end, 1000):
        batch = outcomes(paragraphs, k, min(1000, end - k), feed_url)
        store.new_entries(db, feed_id, feed_url, [o.entry for o in batch], limit=len(batch))
        store.save_outcomes(db, feed_id, batch, nowhere)
        if (k // 1000) % 100 == 0:
            rate = (k - start + 1000) / (time.perf_counter() - t0)
            say(f"  archive at {k + 1000:,} articles ({rate:,.0f}/s)")


API_UP_TO = 1_000_000  # articles stored through store.save_outcomes; past this, copied in SQL


def grow_by_copy(db, start: int, end: int, say) -> None:
    """From `start` to `end` articles by copying the first API_UP_TO in SQL: the same rows with a
    suffix on every address, guid, key and text hash (so none is a duplicate), their full-text index
    made by the same triggers, their addresses and entries. The texts repeat (the index's vocabulary
    does not grow); 5 M articles through the store's API would take this machine two hours."""
    conn = db.conn
    cols = "feed_id, title, authors, published, language, text, text_source, fetched_at, updated_at, extractor_version"
    have, copy, t0 = start, start // API_UP_TO, time.perf_counter()
    while have < end:
        copy += 1
        lo = 0
        while lo < API_UP_TO and have < end:
            n = min(100_000, API_UP_TO - lo, end - have)
            tag = f"#{copy}"
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                f"insert into articles (url, guid, content_hash, {cols}) select url || ?, guid || ?, "
                f"content_hash || ?, {cols} from articles where id > ? and id <= ?",
                [tag, tag, tag, lo, lo + n],
            )
            conn.execute(
                "insert into article_urls (key, article_id) select u.key || ?, b.id from article_urls u "
                "join articles a on a.id = u.article_id join articles b on b.url = a.url || ? "
                "where a.id > ? and a.id <= ?",
                [tag, tag, lo, lo + n],
            )
            conn.execute(
                "insert into entries (feed_id, key, guid, link, title, status, article_id, attempts, first_seen_at, "
                "updated_at) select e.feed_id, e.key || ?, e.guid || ?, e.link || ?, e.title, e.status, b.id, "
                "e.attempts, e.first_seen_at, e.updated_at from entries e join articles a on a.id = e.article_id "
                "join articles b on b.url = a.url || ? where a.id > ? and a.id <= ?",
                [tag, tag, tag, tag, lo, lo + n],
            )
            conn.execute("COMMIT")
            lo, have = lo + n, have + n
            say(f"  archive at {have:,} articles (copied, {(have - start) / (time.perf_counter() - t0):,.0f}/s)")


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def pct(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, int(p * len(values)))]


def archive_part(size: int, db_path: str, paragraphs: list[str], home: str, tmp: Path) -> dict:
    from paperboy.db import connect, store

    db = connect(db_path)
    feed_url = "https://news.example/feed.xml"
    feed_id = db.execute("select id from feeds where url = ?", [feed_url]).fetchone()[0]
    out: dict = {"articles": db.execute("select count(*) from articles").fetchone()[0]}
    # storing: 20 batches of 64 new articles, as a pass stores them (1,280 more articles: a rounding error)
    base = 10_000_000_000 + size
    batches = [outcomes(paragraphs, base + 64 * b, 64, feed_url) for b in range(20)]
    for b in batches:
        store.new_entries(db, feed_id, feed_url, [o.entry for o in b], limit=64)
    from paperboy.db import RawPages

    t0 = time.perf_counter()
    for b in batches:
        store.save_outcomes(db, feed_id, b, RawPages("none"))
    out["store_rows_per_s"] = 64 * 20 / (time.perf_counter() - t0)
    rng = random.Random(size)
    probe = [rng.randrange(max(out["articles"], 1)) for _ in range(200)]
    keys = [f"news{n % 997}.example/a/{n}.html" for n in probe]
    out["dedup_key_ms"] = (
        1000 * statistics.median(timed(lambda: [store.article_for_keys(db, [k]) for k in keys], 3)) / 200
    )
    hashes = [store.text_hash(article_text(paragraphs, n)) for n in probe]
    sql = "select id from articles where content_hash = ?"
    out["dedup_hash_ms"] = (
        1000 * statistics.median(timed(lambda: [db.execute(sql, [h]).fetchone() for h in hashes], 3)) / 200
    )
    words = [w for w in re.findall(r"[a-z]{6,}", " ".join(paragraphs[:400]).lower())]
    wrng = random.Random(1)
    for kind, make in (
        ("one word", lambda: wrng.choice(words)),
        ("three words", lambda: " ".join(wrng.sample(words, 3))),
        ("phrase", lambda: '"' + " ".join(wrng.choice(paragraphs).split()[2:4]) + '"'),
    ):
        queries = [make() for _ in range(40)]
        times = [timed(lambda q=q: store.search(db, q), 1)[0] for q in queries]
        out[f"search {kind} p50_ms"] = 1000 * pct(times, 0.5)
        out[f"search {kind} p95_ms"] = 1000 * pct(times, 0.95)
    t0 = time.perf_counter()
    rows = 0
    for _ in store.export_articles(db):
        rows += 1
        if rows >= 100_000:
            break
    out["export_rows_per_s"] = rows / (time.perf_counter() - t0) if rows else 0.0
    _, tree, _ = paperboy(db_path, "export", home=home, discard=True)
    out["export_pss_mb"] = tree.own_pss / 2**20
    return out


def bytes_per_article(db_path: str) -> dict:
    conn = sqlite3.connect(db_path)
    n = conn.execute("select count(*) from articles").fetchone()[0] or 1
    try:
        rows = conn.execute("select name, sum(pgsize) from dbstat group by name").fetchall()
    except sqlite3.OperationalError:
        return {"db_bytes_per_article": os.path.getsize(db_path) / n}
    text = sum(b for name, b in rows if name == "articles")
    fts = sum(b for name, b in rows if name.startswith(("articles_fts", "articles_cjk")))
    other = sum(b for name, b in rows) - text - fts
    return {"text_and_metadata": text / n, "full_text_index": fts / n, "keys_entries_and_indexes": other / n}


def raw_page_bytes(shared: Path, tmp: Path) -> dict:
    """One raw page's bytes in the db (zstd) and in a WARC record: the dev corpus's pages, stored both ways."""
    import gzip

    import zstandard

    from paperboy.db import RawPages, connect
    from paperboy.db._warc import append
    from paperboy.flows.fetching import RAW_ZSTD_LEVEL

    manifest = shared / "corpus" / "dev" / "manifest.jsonl"
    if not manifest.exists():
        return {}
    pages = [gzip.decompress((manifest.parent / json.loads(x)["html_file"]).read_bytes())
             for x in manifest.read_text().splitlines()]  # fmt: skip
    zstd = sum(len(zstandard.compress(p, RAW_ZSTD_LEVEL)) for p in pages) / len(pages)
    db = connect(str(tmp / "warc-sample.db"))
    places = append(
        db, RawPages("warc"), [(f"https://x.example/{i}", "2026-01-01T00:00:00", p) for i, p in enumerate(pages)]
    )
    warc = sum(length for _, _, length in places) / len(pages)
    return {
        "raw_page_zstd_in_db": zstd,
        "raw_page_warc_record": warc,
        "raw_page_html": sum(map(len, pages)) / len(pages),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--feeds", default="1000,10000,100000", help="feed counts, comma-separated (0: skip part 1)")
    ap.add_argument("--archive", default="0,1000000,5000000", help="archive sizes, comma-separated (skip: '')")
    ap.add_argument("--latency", type=float, default=LATENCY)
    ap.add_argument("--jitter", type=float, default=JITTER)
    ap.add_argument("--tmp", default=None, help="folder for the dbs (5 M articles take about 40 GB)")
    ap.add_argument("--archive-db", default=None, help="grow and measure this archive (kept) instead of a new one")
    args = ap.parse_args()
    shared = Path(args.shared)

    def say(line: str) -> None:
        print(line, flush=True)

    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp_:
        tmp = Path(tmp_)
        home = str(tmp / "prefect")
        results: dict = {"feeds": [], "archive": []}
        for n in [int(x) for x in args.feeds.split(",") if x.strip() and int(x)]:
            hosts = (n + FEEDS_PER_HOST - 1) // FEEDS_PER_HOST
            say(f"feeds: {n:,} on {hosts:,} hosts, latency {args.latency * 1000:.0f} ± {args.jitter * 1000:.0f} ms")
            r = feeds_part(n, shared, tmp, home, args.latency, args.jitter)
            results["feeds"].append(r)
            for tick in ("tick1", "tick2", "tick3"):
                t = r[tick]
                say(f"  {tick}: {t['polled']:,} polled ({t['not_modified']:,} 304, {t['failed']} failed), "
                    f"{t['new_articles']} new articles; {t['flow_s']:.1f} s in the flow ({t['wall_s']:.1f} s wall); "
                    f"{t['feeds_per_s']:.0f} feeds/s; CPU {t['cpu_ms_per_poll']:.2f} ms/poll "
                    f"(extraction's {t['extraction_cpu_ms_per_poll']:.2f} of it) "
                    f"(+ Prefect's server {t['server_cpu_ms_per_poll']:.2f}); PSS {t['own_pss_mb']:.0f} MB "
                    f"(Prefect's server RSS {t['server_rss_mb']:.0f} MB)")  # fmt: skip
            say(f"  import {r['import_s']:.1f} s; due selection {r['due_select_s'] * 1000:.0f} ms ({r['due']:,} due); "
                f"feeds list {r['feeds_list_s']:.1f} s ({r['feeds_list_pss_mb']:.0f} MB)")  # fmt: skip
        sizes = sorted(int(x) for x in args.archive.split(",") if x.strip())
        if sizes:
            from paperboy.db import connect, store

            paragraphs = corpus_paragraphs(shared)
            db_path = args.archive_db or str(tmp / "archive.db")
            db = connect(db_path)
            store.add_feed(db, "https://news.example/feed.xml")
            feed_id = db.execute("select id from feeds where url = 'https://news.example/feed.xml'").fetchone()[0]
            have = db.execute("select count(*) from articles").fetchone()[0]
            if have and 0 in sizes:  # the empty archive's figures, from this run too
                empty = str(tmp / "empty.db")
                store.add_feed(connect(empty), "https://news.example/feed.xml")
                results["archive"].append({"size": 0, **archive_part(0, empty, paragraphs, home, tmp)})
                say(f"archive of 0 articles: {json.dumps({k: round(v, 2) for k, v in results['archive'][0].items()})}")
            for size in [s for s in sizes if s >= have]:
                grow(db, feed_id, "https://news.example/feed.xml", paragraphs, have, min(size, API_UP_TO), say)
                if size > API_UP_TO:
                    grow_by_copy(db, max(have, API_UP_TO), size, say)
                have = max(have, size)
                r = {"size": size, **archive_part(size, db_path, paragraphs, home, tmp), **bytes_per_article(db_path)}
                results["archive"].append(r)
                first = results["archive"][0]
                say(f"archive of {r['articles']:,} articles:")
                for k, v in r.items():
                    if k in ("size", "articles"):
                        continue
                    ratio = (
                        f"  (x{v / first[k]:.2f} of {first['articles']:,})" if first is not r and first.get(k) else ""
                    )
                    say(f"  {k}: {v:,.2f}{ratio}")
            say(f"raw pages: {json.dumps({k: round(v) for k, v in raw_page_bytes(shared, tmp).items()})}")
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
