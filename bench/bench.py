"""paperboy's speed, against a baseline measured in the same run.

    make bench           (python bench/bench.py --shared ../shared)

A local server on 127.0.0.1 serves the pages of ../shared/corpus/dev, repeated under new addresses
(each copy made unique: a marker in every paragraph, its own canonical address) through FEEDS
feeds. Printed:
  1. baseline: trafilatura.extract over the same HTML in one process, pages per second (measured
     before, between and after the runs of (2)); and the same on every core at once, with nothing else
     running: the most any pipeline could reach here at trafilatura's cost per page
  2. `paperboy run` from an empty db: articles per second end to end, and the ratio to (1); run
     three times (--runs), each compared with the baselines measured just before and after it,
     and the median reported with every run's ratio
  3. a second pass with nothing new: seconds (beyond Prefect's start-up, and beyond a pass with no
     feed due), and requests made
  4. peak RSS (the paperboy process tree) during (2), and again with twice the articles
  5. storing 10,000 articles into the db: rows per second
  6. Prefect's share: a flow run's start-up and the cost of one task run
  7. extraction on a local Dask cluster against the local pool (bench/cluster.py; --no-cluster)
  8. 100 watches matched over (2)'s articles, beside the pass's own work
  9. stories: (2)'s articles given their stories again, beside the pass's own work
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from _serve import start as serve_on_loopback  # (bench/, the folder of the script run)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ENV = {
    **os.environ,
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}


_HEAD_TAG = re.compile(rb"<(?:link|meta)\b[^>]*>", re.I)
_OWN_ADDRESS = re.compile(rb"""rel=["']?canonical\b|property=["']?og:url\b""", re.I)
_ADDRESS_VALUE = re.compile(rb"""\b(?:href|content)=(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
_PARAGRAPH_OPEN = re.compile(rb"<p(?:\s[^>]*)?>|<br\s*/?>", re.I)  # where a paragraph starts


def _template(html: bytes, lead: bytes) -> tuple[list[bytes], list[str]]:
    """A page cut where its copies differ: the pieces between the cuts, and what fills each cut
    ("url": the copy's address replaces the page's own; "mark": the copy's marker is inserted)."""
    cuts = []
    for tag in _HEAD_TAG.finditer(html):  # the page's own address: <link rel=canonical>, og:url
        value = _ADDRESS_VALUE.search(tag.group()) if _OWN_ADDRESS.search(tag.group()) else None
        if value:
            group = next(g for g in (1, 2, 3) if value.group(g) is not None)
            cuts.append((tag.start() + value.start(group), tag.start() + value.end(group), "url"))
    cuts += [(m.end(), m.end(), "mark") for m in _PARAGRAPH_OPEN.finditer(html)]
    at = html.find(lead) if lead else -1
    while at >= 0:
        cuts.append((at, at, "mark"))
        at = html.find(lead, at + len(lead))
    pieces, kinds, last = [], [], 0
    for start, end, kind in sorted(cuts):
        if start < last:  # inside a cut already made
            continue
        pieces.append(html[last:start])
        kinds.append(kind)
        last = end
    pieces.append(html[last:])
    return pieces, kinds


class CorpusServer:
    """Feeds /f/<i>.xml, pages /p/<i>/<j>.html: page (i*per+j) of the corpus, made unique."""

    def __init__(self, pages: list[bytes], leads: list[bytes], feeds: int, per_feed: int) -> None:
        self.pages, self.feeds, self.per_feed = pages, feeds, per_feed
        # Each page cut once where its copies differ: serving a copy is then a join, and the bench's
        # own server takes little of the two cores it shares with the run it measures.
        self.templates = [_template(html, lead) for html, lead in zip(pages, leads, strict=True)]
        self.requests = 0
        self.lock = threading.Lock()
        srv = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The head and the body go out in two writes. With Nagle's algorithm on, a small body
            # then waits for the client's delayed ACK of the head: 43 ms for every feed, where a
            # server that writes a response at once answers in under 1 ms. Polling 100 feeds two at
            # a time took 2.2 s of that wait, all of it the bench server's own.
            disable_nagle_algorithm = True

            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802
                with srv.lock:
                    srv.requests += 1
                body, ctype = srv.route(self.path)
                status = 200 if body is not None else 404
                body = body or b"not found"
                # a body is a function of its path: its ETag is the path's hash, which spares this
                # server a hash of every 300 kB page on the cores the measured run shares
                etag = '"' + hashlib.md5(self.path.encode()).hexdigest() + '"'
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd, self.base = serve_on_loopback(Handler)

    def page(self, i: int, j: int) -> bytes:
        """Copy n of a corpus page: its own canonical URL, and a marker at the start of every
        paragraph and before the story's first words, so that no copy is a duplicate of another."""
        n = i * self.per_feed + j
        pieces, kinds = self.templates[n % len(self.pages)]
        url = f"{self.base}/p/{i}/{j}.html".encode()
        # letters, not digits: learned boilerplate folds digits, and would take the copies for one text
        mark = b"[copy " + "".join(chr(97 + int(d)) for d in str(n)).encode() + b"] "
        fill = {"url": url, "mark": mark}
        out = [pieces[0]]
        for kind, piece in zip(kinds, pieces[1:], strict=True):
            out += (fill[kind], piece)
        return b"".join(out)

    def route(self, path: str) -> tuple[bytes | None, str]:
        m = re.fullmatch(r"/f/(\d+)\.xml", path)
        if m:
            i = int(m.group(1))
            items = "".join(
                f"<item><title>Story {i}-{j}</title><link>{self.base}/p/{i}/{j}.html</link>"
                f'<guid isPermaLink="false">s-{i}-{j}</guid></item>'
                for j in range(self.per_feed)
            )
            feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>{items}</channel></rss>'
            return feed.encode(), "application/rss+xml"
        m = re.fullmatch(r"/p/(\d+)/(\d+)\.html", path)
        if m:
            return self.page(int(m.group(1)), int(m.group(2))), "text/html; charset=utf-8"
        return None, "text/plain"


PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class TreeRSS:
    """Peak resident memory of a process and all its descendants, sampled every 0.1 s (statm); and the peak
    without Prefect's own API server (the ephemeral server is a child process of the run). RSS counts
    the pages that processes share (the extraction workers' libraries, forked from one parent) once
    per process; PSS shares them out, so the tree's PSS is what the machine really gives it."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.own_peak, self.own_pss_peak, self._stop = pid, 0, 0, 0, False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _tree(self) -> list[int]:
        from paperboy.flows.processes import children_by_parent

        children = children_by_parent()
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(children.get(p, []))
        return out

    def _run(self) -> None:
        next_pss = next_tree = 0.0
        high_read = 0  # the highest RSS at which PSS was read
        tree: list[int] = []
        while not self._stop:
            # The tree is found again once a second: a walk of /proc costs 5 ms, and at every sample
            # the sampler took 2.5 % of a core from the run it measures (1.4 % now). A new process
            # starts small, so a second's delay in seeing it misses no peak.
            if time.monotonic() >= next_tree:
                tree, next_tree = self._tree(), time.monotonic() + 1.0
            total = own = 0
            ours = []  # the tree's processes but Prefect's API server
            for p in tree:
                try:
                    cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")
                    server = b"uvicorn" in cmd or b"prefect.server" in cmd or b"server start" in cmd
                    rss = int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_SIZE
                except (OSError, IndexError, ValueError):
                    continue
                total += rss
                if not server:
                    own += rss
                    ours.append(p)
            self.peak = max(self.peak, total)
            self.own_peak = max(self.own_peak, own)
            # PSS costs the kernel a walk of every page table (6 ms for a 300 MB process), and read
            # twice a second near the peak it took 1 s of CPU from a pass of 30 s on two cores. It
            # is read when RSS passes its highest yet by 0.5 % (what the processes share hardly
            # moves, so PSS peaks with RSS), and every 2 s near the peak besides.
            now = time.monotonic()
            if own > 1.005 * high_read or (own >= 0.98 * self.own_peak and now >= next_pss):
                next_pss, high_read = now + 2.0, max(high_read, own)
                self.own_pss_peak = max(self.own_pss_peak, sum(map(_pss, ours)))
            time.sleep(0.1)

    def stop(self) -> int:
        self._stop = True
        self.thread.join()
        return self.peak


def paperboy(db: str, *args: str, home: str) -> tuple[float, tuple[int, int, int], str]:
    cmd = [sys.executable, "-m", "paperboy", "--db", db, *args]
    env = {**ENV, "PAPERBOY_ALLOW_PRIVATE_NETWORKS": "1", "PREFECT_HOME": home}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rss = TreeRSS(proc.pid)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    rss.stop()
    peak = (rss.peak, rss.own_peak, rss.own_pss_peak)
    if proc.returncode:
        raise SystemExit(f"bench: paperboy {' '.join(args)} failed: {err.strip()[-500:]}")
    return elapsed, peak, out


def ingest_run(server: CorpusServer, feeds: int, home: str, tmp: str, tag: str) -> dict:
    db = str(Path(tmp) / f"{tag}.db")
    opml = Path(tmp) / f"{tag}.opml"
    opml.write_text(
        "<opml version='2.0'><body>"
        + "".join(f"<outline text='f{i}' xmlUrl='{server.base}/f/{i}.xml'/>" for i in range(feeds))
        + "</body></opml>"
    )
    paperboy(db, "feeds", "import", str(opml), home=home)
    empty_t, _, _ = paperboy(db, "run", "--due", "--feed", f"{server.base}/f/0.xml", home=home)  # warm-up
    before = server.requests
    elapsed, peak, out = paperboy(db, "run", "--json", home=home)
    summary = json.loads(out)
    return {
        "db": db,
        "elapsed": elapsed,
        "peak": peak,
        "new": summary["articles"]["new"],
        "duplicate": summary["articles"]["duplicate"],
        "failed": summary["articles"]["failed"],
        "reasons": summary["articles"]["failed_by_reason"],
        "requests": server.requests - before,
        "seconds": summary["seconds"],  # the flow's own clock: its body, from Prefect up to its summary
    }


def prefect_costs(home: str) -> tuple[float, float]:
    """(flow run start-up with the ephemeral server, seconds per task run), in a fresh process."""
    code = """
import time, json
t0 = time.perf_counter()
from prefect import flow, task
@task
def noop(i): return i
@flow
def empty(): return 0
@flow
def many(n):
    for i in range(n): noop.submit(i).result()  # submitted, as the pipeline's tasks are
empty()
t1 = time.perf_counter()
many(5)
t2 = time.perf_counter()
many(105)
t3 = time.perf_counter()
print(json.dumps({"startup": t1 - t0, "per_task": ((t3 - t2) - (t2 - t1)) / 100}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**ENV, "PREFECT_HOME": home},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return data["startup"], data["per_task"]


def store_rate(tmp: str, n: int = 10_000) -> float:
    import zstandard

    from paperboy.core import Article, Entry, Outcome
    from paperboy.db import connect, store
    from paperboy.flows.fetching import RAW_ZSTD_LEVEL

    db = connect(str(Path(tmp) / "store.db"))
    store.add_feed(db, "https://bench.example/feed.xml")
    feed_id = db.execute("select id from feeds").fetchone()[0]
    text = "\n\n".join(f"Paragraph {k} of a story about the harbour bridge and the council budget." for k in range(12))
    outcomes = [
        Outcome(
            Entry("https://bench.example/feed.xml", f"k{i}", f"k{i}", f"https://bench.example/a/{i}", f"T{i}"),
            Article(f"https://bench.example/a/{i}", f"Story {i}.\n\n{text}", title=f"Story {i}"),
            zstandard.compress(b"<html>" + os.urandom(16).hex().encode() * 200 + b"</html>", RAW_ZSTD_LEVEL),
            (f"bench.example/a/{i}",),
        )
        for i in range(n)
    ]
    store.new_entries(db, feed_id, "https://bench.example/feed.xml", [o.entry for o in outcomes], limit=n)
    t0 = time.perf_counter()
    for k in range(0, n, 64):
        store.save_outcomes(db, feed_id, outcomes[k : k + 64])
    return n / (time.perf_counter() - t0)


def baseline_rate(pages: list[bytes]) -> float:
    return len(pages) / _extract_all(pages)


def _extract_all(pages: list[bytes], start=None) -> float:
    """Seconds trafilatura.extract takes over `pages`. With `start` (a barrier shared by processes
    measured together), after a first pass that is not counted, once every process is ready."""
    import logging

    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # "discarding data: None" on two pages
    if start is not None:
        for html in pages:
            trafilatura.extract(html)
        start.wait()
    t0 = time.perf_counter()
    for html in pages:
        trafilatura.extract(html)
    return time.perf_counter() - t0


def ceiling_rate(pages: list[bytes], workers: int) -> float:
    """trafilatura.extract in `workers` processes at once, each over all of `pages` as (1) is, and
    nothing else running: pages per second, the ceiling for (2). Measured rather than taken as (1)
    times the cores: processes on one machine share its caches and memory bandwidth, and a virtual
    machine's cores may be less than whole."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("forkserver")  # this process runs the page server's threads
    with ctx.Manager() as manager, ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        start = manager.Barrier(workers)
        seconds = list(pool.map(_extract_all, [pages] * workers, [start] * workers))
    return workers * len(pages) / max(seconds)


def corpus(shared: Path) -> tuple[list[dict], list[bytes], list[bytes]] | None:
    """The dev corpus: its manifest entries, their pages, and each page's lead (where CorpusServer
    marks a copy); None, said in a line, when ../shared is not beside this checkout."""
    manifest = shared / "corpus" / "dev" / "manifest.jsonl"
    if not manifest.exists():
        print(f"bench: {manifest} not found (the corpus is not beside this checkout)", file=sys.stderr)
        return None
    entries = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    pages = [gzip.decompress((manifest.parent / e["html_file"]).read_bytes()) for e in entries]
    leads = [e["body"].split("\n\n")[0][:30].encode() for e in entries]
    return entries, pages, leads


def main() -> int:
    from paperboy.flows.ingest import FEEDS_PER_TASK
    from paperboy.flows.stages import PAGES_PER_TASK

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--feeds", type=int, default=100)
    ap.add_argument("--per-feed", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3, help="runs of (2), each between two baselines (default 3)")
    ap.add_argument("--no-double", action="store_true", help="skip the run with twice the articles")
    ap.add_argument("--no-cluster", action="store_true", help="skip (7), the passes through a local Dask cluster")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    found = corpus(Path(args.shared))
    if found is None:
        return 2
    entries, pages, leads = found
    n = args.feeds * args.per_feed
    server = CorpusServer(pages, leads, args.feeds * 2, args.per_feed)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; {n} articles through {args.feeds} feeds")

    with tempfile.TemporaryDirectory() as tmp:
        home = str(Path(tmp) / "prefect")
        sample = [server.page(i // args.per_feed, i % args.per_feed) for i in range(min(n, 2 * len(pages)))]
        cores = os.cpu_count() or 1
        # A first pass is not counted: it ran 33 to 36 pages/s where the passes after it ran 37 to 40
        # (the process's heap grows, trafilatura's caches fill), and (2) is mostly workers past theirs.
        baseline_rate(sample)
        bases = [baseline_rate(sample)]
        ceiling = ceiling_rate(sample, cores)

        prefect_costs(home)  # the first start creates Prefect's database: not counted
        startup, per_task = prefect_costs(home)
        # This machine's speed drifts, at times by a fifth within minutes, and one run of (2) against
        # the same code gave 1.53x and 1.74x in two benches. So (2) is run several times, each
        # between two baselines and compared with their mean, and the median ratio is reported.
        runs = []
        for i in range(args.runs):
            runs.append(ingest_run(server, args.feeds, home, tmp, f"a{i}"))
            bases.append(baseline_rate(sample))
        ceiling = (ceiling + ceiling_rate(sample, cores)) / 2
        base = sum(bases) / len(bases)
        print(
            f"1. baseline trafilatura.extract, one process: {base:.1f} pages/s "
            f"({len(sample)} pages; {', '.join(f'{b:.1f}' for b in bases)} before, between and after the runs of (2)); "
            f"in {cores} processes at once, nothing else running: {ceiling:.1f} pages/s, "
            f"ratio {ceiling / base:.2f} (the ceiling for (2))"
        )
        for i, run in enumerate(runs):
            # The work is timed by the pass itself, from its flow's first line to its summary: a
            # start-up measured in another process (below, 6.) varied by 0.9 s between benches,
            # 3 % of the work, which moved a run's ratio as much.
            run["rate"] = run["new"] / run["seconds"]
            run["ratio"] = run["rate"] / ((bases[i] + bases[i + 1]) / 2)
        middle = sorted(runs, key=lambda r: r["ratio"])[len(runs) // 2]
        through = (middle["new"] + middle["duplicate"]) / middle["seconds"]  # a duplicate went through it all too
        ratios = ", ".join(f"{r['ratio']:.2f}" for r in runs)
        print(
            f"2. paperboy run, empty db, median of {len(runs)} runs: {middle['new']} new, "
            f"{middle['duplicate']} duplicate, {middle['failed']} failed {middle['reasons'] or ''} "
            f"in {middle['elapsed']:.1f} s, "
            f"{middle['seconds']:.1f} s of it the pass's own work after Prefect's start-up "
            f"(the elapsed time less the start-up measured in 6.: {middle['elapsed'] - startup:.1f} s): "
            f"{middle['rate']:.1f} new articles/s, "
            f"ratio to (1) {middle['ratio']:.2f} ({middle['rate'] / ceiling:.0%} of the ceiling); "
            f"{through:.1f} articles/s counting the duplicates. Each run's ratio to the baselines either side of it: "
            f"{ratios}"
        )
        run = max(runs, key=lambda r: r["peak"][2])  # memory: the run with the highest peak

        before = server.requests
        t2, _, out = paperboy(run["db"], "run", "--json", home=home)
        second = json.loads(out)
        requests = server.requests - before
        # The same command with no feed due: the CLI's start-up alone (it says nothing is due before
        # Prefect starts). What the second pass takes beyond Prefect's start-up is the pass's own work.
        idle, _, _ = paperboy(run["db"], "run", "--due", "--json", home=home)
        print(
            f"3. second pass, nothing new: {t2:.1f} s ({max(0.0, t2 - startup):.1f} s beyond Prefect's start-up, "
            f"{max(0.0, t2 - idle):.1f} s beyond `run --due` with nothing due, which starts no Prefect: {idle:.1f} s), "
            f"{requests} requests for {args.feeds} feeds, "
            f"{second['feeds']['not_modified']} not modified, {second['articles']['new']} new"
        )

        mb = 2**20
        line = (f"4. peak RSS during (2), the highest of its runs: {run['peak'][0] / mb:.0f} MB for the process tree, "
                f"{run['peak'][1] / mb:.0f} MB without Prefect's API server "
                f"(PSS, shared pages counted once: {run['peak'][2] / mb:.0f} MB)")  # fmt: skip
        if not args.no_double:
            double = ingest_run(server, args.feeds * 2, home, tmp, "b")
            line += (
                f"; with {double['new']} articles: {double['peak'][0] / mb:.0f} MB, "
                f"{double['peak'][1] / mb:.0f} MB without the server (PSS {double['peak'][2] / mb:.0f} MB) "
                f"(x{double['peak'][1] / run['peak'][1]:.2f} for x{double['new'] / max(1, run['new']):.1f} articles)"
            )
        print(line)

        print(f"5. storing 10,000 articles: {store_rate(tmp):.0f} rows/s")
        print(
            f"6. Prefect: flow start-up {startup:.1f} s, "
            f"{'< 0.5' if per_task < 0.0005 else f'{per_task * 1000:.1f}'} ms per submitted task run "
            f"(a pass of {args.feeds} feeds and {n} articles runs about "
            f"{-(-args.feeds // FEEDS_PER_TASK) + -(-n // PAGES_PER_TASK)} tasks)"
        )
        if not args.no_cluster:
            print(dask_row(pages, leads, home, tmp))
        print(watch_row(middle))
        print(story_row(middle))
    return 0


def watch_row(run: dict, count: int = 100) -> str:
    """What matching `count` watches costs a pass: their queries (words, phrases, OR, a language)
    made from the words of the run's own articles, matched over all of them as the pass's new rows,
    beside the pass's own work."""
    import random
    import time

    from paperboy.db import connect, store

    db = connect(run["db"])
    words = sorted({w.lower() for (text,) in db.execute("select text from articles limit 200")
                    for w in text.split() if w.isalpha() and len(w) > 6})  # fmt: skip
    pick = random.Random(7)
    queries = [" ".join(pick.sample(words, 1 + i % 2)) if i % 3 else f'"{pick.choice(words)}" OR {pick.choice(words)}'
               for i in range(count)]  # fmt: skip
    watches = [
        store.add_watch(db, f"bench{i}", q, language="en" if i % 4 == 0 else None) for i, q in enumerate(queries)
    ]
    started = time.perf_counter()
    matched = sum(len(store.record_matches(db, w, store.matching(db, w, after=0))) for w in watches)
    took = time.perf_counter() - started
    for w in watches:
        store.remove_watch(db, w.name)
    share = took / run["seconds"]
    return (f"8. watches: {count} matched over the {run['new']} new articles of (2): {took:.2f} s, {matched} matches "
            f"recorded; {share:.1%} of the pass's own work ({run['seconds']:.1f} s) (target <= 5%)")  # fmt: skip


def story_row(run: dict) -> str:
    """What giving each article its story costs a pass: the run's stored articles grouped again, in
    the order they were stored and in one transaction, as the pass did while storing them."""
    import time

    from paperboy.db import _stories, connect

    db = connect(run["db"])
    rows = db.execute("select id, text from articles where pruned_at is null order by id").fetchall()
    db.execute("begin")
    db.execute("delete from story_bands")
    db.execute("delete from story_sigs")
    started = time.perf_counter()
    new = sum(_stories.assign(db, article_id, text) for article_id, text in rows)
    took = time.perf_counter() - started
    db.execute("rollback")  # (the archive as the pass left it)
    share = took / run["seconds"]
    return (f"9. stories: the {len(rows)} articles of (2) given their stories again: {took:.2f} s ({new} stories), "
            f"{share:.1%} of the pass's own work ({run['seconds']:.1f} s) (target <= 5%)")  # fmt: skip


def dask_row(pages: list[bytes], leads: list[bytes], home: str, tmp: str) -> str:
    """Row 7 (bench/cluster.py), on feeds of its own: (2)'s feeds have been fetched by now."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return "7. skipped: distributed is not installed (pip install -e '.[cluster]')"
    from cluster import cluster_row

    feeds, runs = 40, 2
    return cluster_row(CorpusServer(pages, leads, feeds * 2 * runs, 20), feeds, home, tmp, runs)


if __name__ == "__main__":
    sys.exit(main())
