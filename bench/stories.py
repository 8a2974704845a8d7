"""Stories (#41): pairwise precision and recall of "same story", through the real pipeline.

    make eval-stories      (python bench/stories.py --shared ../shared)
    python bench/stories.py --scale 1000000      (a look-up in an archive of a million articles)

Real article texts (the dev corpus's expected bodies) are republished by several outlets, each with
its own page template and the edits outlets make: a headline of its own, a dateline, an advertisement
or a "related" box inside, the last paragraphs cut, a correction appended. Other real texts stand
beside them once each. A local server serves one feed per outlet; `paperboy run` stores them and
`paperboy export --format jsonl` gives each article's story. Every pair of articles is then a pair
of one report (the same text) or not, and the story field says the same or not.
"""

from __future__ import annotations

import argparse
import html
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from _serve import start as serve_on_loopback  # (bench/, the folder of the script run)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPUBLISHED = 60  # reports, each carried by 2 to 5 outlets
ALONE = 100  # other reports, carried once
SHARING = 20  # of those, reports that quote the first paragraph of another of them
OUTLETS = 6


def template(outlet: int, title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    title = html.escape(title)
    shells = [
        f"<header><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></header><main><article><h1>{title}</h1>"
        f"{body}</article></main><footer><p>© 2026 Outlet Zero. All rights reserved.</p></footer>",
        f"<div id='top'><a href='/'>Outlet One</a></div><div class='story-body'><h1>{title}</h1>"
        f"<div class='byline'>By Staff</div>{body}</div><ul class='more'><li><a href='/a'>Markets today</a></li>"
        "<li><a href='/b'>Weather</a></li></ul>",
        f"<section class='content'><h1 class='headline'>{title}</h1><div class='text'>{body}</div>"
        "<aside><h3>Most read</h3><ul><li><a href='/x'>A</a></li><li><a href='/y'>B</a></li></ul></aside></section>",
    ]
    return (
        f"<html><head><title>{title} | Outlet {outlet}</title></head><body>{shells[outlet % len(shells)]}</body></html>"
    )


def republish(rng: random.Random, paragraphs: list[str]) -> list[str]:
    """One outlet's version of a report."""
    out = list(paragraphs)
    if len(out) > 4 and rng.random() < 0.5:
        out = out[: len(out) - rng.randint(1, len(out) // 2)]  # the last paragraphs cut, up to half
    for _ in range(rng.randint(0, 2)):
        out.insert(rng.randint(1, len(out)), "Advertisement")
    if rng.random() < 0.3:
        out.insert(len(out) // 2 + 1, "Related: Five things to know about the markets this week")
    if rng.random() < 0.5:
        out[0] = f"{rng.choice(['LONDON', 'PARIS', 'NEW YORK', 'BERLIN'])} (Agency) — {out[0]}"
    if rng.random() < 0.3 or out == paragraphs:  # each version differs (an exact copy is stored once anyway)
        out.append("Correction: an earlier version of this article misstated a date.")
    return out


class Server:
    def __init__(self, routes: dict[str, tuple[bytes, str]]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802
                body, ctype = routes.get(self.path, (b"not found", "text/plain"))
                self.send_response(200 if self.path in routes else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd, self.base = serve_on_loopback(Handler)


def rss(title: str, items: list[tuple[str, str]]) -> bytes:
    parts = "".join(f"<item><title>{html.escape(t)}</title><link>{u}</link><guid>{u}</guid></item>" for t, u in items)
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title><link>http://x/</link>"
            f"<description>d</description>{parts}</channel></rss>").encode()  # fmt: skip


def paperboy(db: str, *args: str, home: str) -> str:
    env = {**os.environ, "PAPERBOY_ALLOW_PRIVATE_NETWORKS": "1", "PREFECT_HOME": home,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}  # fmt: skip
    proc = subprocess.run([sys.executable, "-m", "paperboy", "--db", db, *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    if proc.returncode not in (0,):
        raise SystemExit(f"eval-stories: paperboy {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return proc.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--scale", type=int, default=0, help="only the look-up in an archive of this many articles")
    args = ap.parse_args()
    if args.scale:
        scale(args.scale)
        return 0
    manifest = Path(args.shared) / "corpus" / "dev" / "manifest.jsonl"
    if not manifest.exists():
        print(f"eval-stories: no {manifest} (the corpus is not beside this checkout)", file=sys.stderr)
        return 2
    rng = random.Random(41)
    bodies = [json.loads(line) for line in manifest.read_text(encoding="utf-8").split("\n") if line.strip()]
    bodies = [b for b in bodies if len([p for p in b["body"].split("\n") if p.strip()]) >= 4]
    rng.shuffle(bodies)
    chosen = bodies[: REPUBLISHED + ALONE]
    routes: dict[str, tuple[bytes, str]] = {}
    feeds: dict[int, list[tuple[str, str]]] = {o: [] for o in range(OUTLETS)}
    truth: dict[str, int] = {}  # page path -> report
    # Reports that quote another's paragraph (a statement, a quote carried by both): not one report.
    quoted = [json.loads(json.dumps(b)) for b in chosen[REPUBLISHED : REPUBLISHED + SHARING]]
    for entry, other in zip(quoted, chosen[REPUBLISHED + SHARING : REPUBLISHED + 2 * SHARING], strict=True):
        entry["body"] += "\n" + other["body"].split("\n")[0]
    chosen[REPUBLISHED : REPUBLISHED + SHARING] = quoted
    for n, entry in enumerate(chosen):
        paragraphs = [p.strip() for p in entry["body"].split("\n") if p.strip()]
        outlets = rng.sample(range(OUTLETS), rng.randint(2, 5)) if n < REPUBLISHED else [rng.randrange(OUTLETS)]
        for k, outlet in enumerate(outlets):
            version = paragraphs if k == 0 else republish(rng, paragraphs)
            title = entry["title"] if k == 0 else f"{entry['title']} ({rng.choice(['update', 'report', 'live'])})"
            path = f"/o{outlet}/{n}.html"
            routes[path] = (template(outlet, title, version).encode(), "text/html; charset=utf-8")
            feeds[outlet].append((title, path))
            truth[path] = n
    server = Server(routes)
    for outlet, items in feeds.items():
        routes[f"/o{outlet}.xml"] = (rss(f"Outlet {outlet}", [(t, server.base + p) for t, p in items]),
                                     "application/rss+xml")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        db, home = str(Path(tmp) / "stories.db"), str(Path(tmp) / "prefect")
        for outlet in feeds:
            paperboy(db, "feeds", "add", f"{server.base}/o{outlet}.xml", home=home)
        t0 = time.perf_counter()
        summary = json.loads(paperboy(db, "run", "--json", home=home))
        elapsed = time.perf_counter() - t0
        rows = [json.loads(line) for line in paperboy(db, "export", home=home).splitlines()]
        texts = [r["text"] for r in rows]
        story = {r["url"].removeprefix(server.base): r["story"] for r in rows}
        missing = [p for p in truth if p not in story]
        from paperboy.db import connect, store  # a page stored as another's exact text: that article's story

        archive = connect(db, read_only=True)
        for path in missing:
            found = store.article(archive, server.base + path)
            if found:
                story[path] = found["story_id"]
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(p for p in truth if p in story), 2):
        same, said = truth[a] == truth[b], story[a] == story[b]
        tp += same and said
        fp += said and not same
        fn += same and not said
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    a = summary["articles"]
    print(f"pages: {len(truth)} ({REPUBLISHED} reports republished by 2-5 outlets, {ALONE} alone, {SHARING} of "
          f"those quoting a paragraph of another); stored {a['new']}, {len(missing)} as another's text once "
          f"cleaned; pass {elapsed:.1f} s")  # fmt: skip
    print(f"new stories {a['new_stories']}, new versions {a['new_versions']}; duplicate {a['duplicate']}, "
          f"failed {a['failed_by_reason']}")  # fmt: skip

    print(f"pairs of one report: {tp + fn}; pairwise precision {precision:.3f}, recall {recall:.3f} "
          f"(asked: 0.98, 0.95)")  # fmt: skip
    from paperboy.db import _stories  # the grouping's own work, in this process, beside extraction's

    t0 = time.perf_counter()
    for text in texts:
        _stories.bands(_stories.signature(_stories.shingles(text)))
    grouping = (time.perf_counter() - t0) * 1000 / max(1, len(texts))
    from paperboy.extractors import extract

    pages = [routes[p][0] for p in truth][:100]
    t0 = time.perf_counter()
    for page in pages:
        extract(page, "https://outlet.example/a")
    extraction = (time.perf_counter() - t0) * 1000 / max(1, len(pages))
    print(f"cost per article: shingles and bands {grouping:.2f} ms, extraction {extraction:.2f} ms "
          f"({grouping / extraction:.1%} of it; the look-up's reads not counted)")  # fmt: skip
    return 0


def scale(n: int) -> None:
    """A look-up in an archive of n articles: their bands (random, as texts that share nothing) in the
    archive's own table and index, then new articles' stories given one at a time."""
    import numpy as np

    from paperboy.db import _stories, connect

    with tempfile.TemporaryDirectory() as tmp:
        db = connect(str(Path(tmp) / "scale.db"))
        rng = np.random.default_rng(41)
        t0 = time.perf_counter()
        for start in range(0, n, 100_000):
            ids = np.arange(start + 1, min(n, start + 100_000) + 1)
            keys = rng.integers(0, 1 << 62, size=(len(ids), _stories.BANDS), dtype=np.int64)
            rows = ((int(k), int(i)) for i, ks in zip(ids, keys, strict=True) for k in ks)
            with db.conn:
                db.conn.execute("begin")
                db.conn.executemany("insert into story_bands (band, article_id) values (?, ?)", rows)
        filled = time.perf_counter() - t0
        texts = [" ".join(f"w{(i * 7919 + j) % 100_003}" for j in range(600)) for i in range(200)]
        times = []
        db.execute("begin")  # as a pass stores: a batch in one transaction
        for i, text in enumerate(texts):
            db.execute("insert into articles (id, url, text) values (?, ?, ?)", [n + 1 + i, f"https://x/{i}", text])
            t = time.perf_counter()
            _stories.assign(db, n + 1 + i, text)
            times.append(time.perf_counter() - t)
        db.execute("commit")
        times.sort()
        print(f"at {n:,} articles ({n * _stories.BANDS:,} band rows, filled in {filled:.0f} s): a story's look-up "
              f"and its bands stored, median {times[len(times) // 2] * 1000:.2f} ms, "
              f"95th percentile {times[int(len(times) * 0.95)] * 1000:.2f} ms (asked: 2 ms at 1 M)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
