"""The backfill flow: fill the archive with a site's past, resumably; or re-extract what is stored.

    sources       archive (RFC 5005 and paged feeds), sitemap, urls (a file, one URL a line)
    --reprocess   stored raw HTML through the current extractor, no network at all

Without --source, a feed's archive is walked first and its sitemaps only when the archive holds
nothing older than the feed itself (sitemaps list every page of a site, not only its articles).

1. Find: walk each source page by page at the host's pace; what is in the date range is recorded
   as the feed's backlog (entries with status "backlog:<source>"), the walk's state as the job's
   checkpoint after every round.
2. Fetch, extract, store the backlog in batches, as the ingest pass does.

Interrupted, the same command takes the job up again: finished walks are not walked again, and
the backlog holds only what is not stored yet. Scheduled passes leave the backlog alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from core import Entry, host_of, printable, url_key, url_problem
from db import connect, store
from fetchers import SourcePage, origin_of
from flows.config import load_config
from flows.discover import Walker
from flows.ingest import extract_pages, process_pages, release
from flows.progress import Progress, Summary
from flows.work import Extracted, ExtractPool, PageJob, find_sitemaps, options_for, read_sources

URLS_FEED_ID = 0  # entries of URLs given by hand belong to no feed
URLS_FEED = "backfill:urls"


@task(name="read-source-pages", cache_policy=NO_CACHE, cache_result_in_memory=False)
def read_source_pages(pages: list[tuple[str, str, str]], settings) -> list[SourcePage]:
    """Feed pages and sitemaps of one round of the walks."""
    return read_sources(pages, settings)


@task(name="find-sitemaps", cache_policy=NO_CACHE, cache_result_in_memory=False)
def sitemaps_of(site_urls: list[str], settings) -> list[tuple[list[str], list[str]]]:
    return find_sitemaps(site_urls, settings)


@flow(name="backfill", log_prints=False, validate_parameters=False)
def backfill(
    db_path: str = "paperboy.db",
    feeds: list[str] | None = None,
    all_feeds: bool = False,
    source: str | None = None,
    since: str | None = None,
    until: str | None = None,
    urls_file: str | None = None,
    reprocess: bool = False,
    dry_run: bool = False,
    rate: float | None = None,
    config_path: str | None = None,
    progress: bool = True,
) -> dict:
    cfg = load_config(config_path)
    db = connect(db_path)
    show = Progress(enabled=progress)
    if reprocess:
        return reprocess_stored(db, feeds or (), since, until, cfg, show, dry_run)
    rate = rate or cfg.backfill_rate
    settings = replace(cfg.fetch, min_interval=max(cfg.fetch.min_interval, 1 / rate), holds=store.host_holds(db))
    targets = [r for r in store.list_feeds(db) if all_feeds or r["url"] in (feeds or ())]
    sources = [source] if source else ["archive", "sitemap"] if targets else []
    if urls_file and "urls" not in sources:
        sources.append("urls")
    params = {"feeds": sorted(r["url"] for r in targets), "sources": sources, "since": since, "until": until,
              "urls_file": os.path.abspath(urls_file) if urls_file else None}  # fmt: skip
    job = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    state = {} if dry_run else store.job_state(db, job, params) or {}
    report: dict[str, Counter] = {s: Counter() for s in sources}
    errors: list[str] = []

    # 1. Find: walk every source of every feed, a round of pages at a time; record the backlog.
    feed_ids = {r["url"]: r["id"] for r in targets}
    printed: dict[str, None] = {}  # --dry-run: each address once, in the order found
    for src in [s for s in sources if s != "urls"]:
        walkers = []
        for r in targets:
            if src == "sitemap" and source is None and state.get("archive", {}).get(r["url"], {}).get("older"):
                continue  # the archive had the feed's past; the sitemap would add the rest of the site
            walkers.append(Walker(src, r["url"], state.setdefault(src, {}).get(r["url"], {}).get("walk")))
        roots = [w for w in walkers if w.wants_roots]
        if roots:  # the sitemaps of the feed's own host, and of its site when that is elsewhere
            sites = {
                w.feed_url: list(dict.fromkeys([origin_of(w.feed_url), *_site(targets, w.feed_url)])) for w in roots
            }
            every = sorted({o for origins in sites.values() for o in origins})
            found = dict(zip(every, release(sitemaps_of.submit(every, settings).result()), strict=True))
            for w in roots:
                w.set_roots([u for o in sites[w.feed_url] for u in found[o][0]],
                            [u for o in sites[w.feed_url] for u in found[o][1]])  # fmt: skip
        while not all(w.done for w in walkers):
            todo = [(w, page) for w in walkers for page in w.next_pages()]
            pages = release(read_source_pages.submit([p for _, p in todo], settings).result())
            for (w, _), page in zip(todo, pages, strict=True):
                kept = w.take(page, since, until)
                if dry_run:
                    _print_new(db, kept, printed)
                else:
                    report[src].update(store.record_backlog(db, feed_ids[w.feed_url], src, kept))
            for w in walkers:
                state[src][w.feed_url] = {"walk": w.state, "older": w.found_older}
            if not dry_run:
                store.save_job_state(db, job, state)
            read = sum(w.state["pages"] for w in walkers)
            show.status(f"{src}: {read} pages read, {sum(w.state['in_range'] for w in walkers)} articles in range")
        for w in walkers:
            report[src].update(pages=w.state["pages"], found=w.state["found"], in_range=w.state["in_range"])
            errors += w.state["errors"]
            for e in w.state["errors"]:
                show.line(f"{src}: {e}")
    if "urls" in sources and urls_file:
        urls, bad = read_url_list(urls_file)
        for line in bad:
            show.line(f"urls: {line}")
        errors += bad
        entries = [Entry(URLS_FEED, url_key(u), None, u, None) for u in urls]
        report["urls"].update(found=len(urls), in_range=len(urls))
        if dry_run:
            _print_new(db, entries, printed)
        else:
            report["urls"].update(store.record_backlog(db, URLS_FEED_ID, "urls", entries))
            feed_ids[URLS_FEED] = URLS_FEED_ID

    # 2. Fetch, extract and store the backlog, source by source, at each host's pace.
    if not dry_run:
        pool = ExtractPool(cfg.workers, cfg.extract_time_limit)
        try:
            by_id = {fid: url for url, fid in feed_ids.items()}
            for src in sources:
                summary = fetch_backlog(db, by_id, src, since if src != "urls" else None,
                                        until if src != "urls" else None, settings, cfg, pool, show)  # fmt: skip
                report[src].update(_stored_counts(summary))
        finally:
            show.done()
        store.save_job_state(db, job, state, finished=True)
    return _summary(report, errors, dry_run, list(printed))


def read_url_list(path: str) -> tuple[list[str], list[str]]:
    """The URLs of a file, one a line (blank lines and `#` comments skipped), each once; and a line
    for each line that is not an http(s) URL, with its number."""
    urls: list[str] = []
    bad: list[str] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        problem = url_problem(line)
        if problem:
            bad.append(f"{path}:{number}: {problem}: {printable(line)[:200]!r}")
        else:
            urls.append(line)
    return list(dict.fromkeys(urls)), bad


def fetch_backlog(db, feeds: dict[int, str], src, since, until, settings, cfg, pool, show: Progress) -> Summary:
    summary = Summary()
    total = store.backlog_size(db, feeds, src, since, until)
    if not total:
        return summary
    started = time.monotonic()

    def progress(done: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-6)
        failed = sum(v for k, v in summary.articles.items() if k.startswith("failed:"))
        show.status(f"{src}: {done}/{total} pages · {summary.articles['new']} new · {failed} failed"
                    f" · {rate:.1f}/s · ETA {_duration((total - done) / rate if rate else 0)}")  # fmt: skip

    pool.warm()
    try:
        process_pages(db, store.backlog(db, feeds, src, since, until), settings, cfg.extract, {}, pool, summary,
                      progress)  # fmt: skip
    finally:
        store.save_holds(db, summary.holds)
    return summary


def reprocess_stored(db, feeds, since, until, cfg, show: Progress, dry_run: bool) -> dict:
    """Re-extract stored pages with the current extractor; update the text where it changed."""
    pool = ExtractPool(cfg.workers, cfg.extract_time_limit)
    seen = changed = failed = 0
    total = store.stored_page_count(db, feeds, since, until)
    try:
        for batch in store.stored_pages(db, feeds, since, until):  # (a batch at a time: memory stays flat)
            learned = store.learned_boilerplate(db, {host_of(p.url) for p in batch})
            jobs = [PageJob(p.url, p.html_zstd, options_for(cfg.extract, learned, host_of(p.url))) for p in batch]
            articles = [a.article if isinstance(a, Extracted) else None for a in release(extract_pages(jobs, pool))]
            failed += sum(1 for a in articles if a is None)
            updates = [(p.article_id, a) for p, a in zip(batch, articles, strict=True) if a is not None]
            if dry_run:
                changed += sum(
                    1 for p, a in zip(batch, articles, strict=True) if a and store.text_hash(a.text) != p.text_hash
                )
            else:
                changed += store.replace_texts(db, updates)
            seen += len(batch)
            show.status(f"re-extracted {seen}/{total} · {changed} changed")
    finally:
        show.done()
    return {"reprocessed": seen, "changed": changed, "unchanged": seen - changed - failed, "failed": failed,
            "dry_run": dry_run}  # fmt: skip


def _print_new(db, entries: list[Entry], printed: dict[str, None]) -> None:
    """--dry-run: the article addresses that would be fetched (not stored yet), in the order found."""
    for e in entries:
        if e.link and e.link not in printed and store.article_for_keys(db, [url_key(e.link)]) is None:
            printed[e.link] = None


def _stored_counts(summary: Summary) -> dict:
    a = summary.as_dict()["articles"]
    return {"stored": a["new"], "updated": a["updated"], "duplicate": a["duplicate"] + a["unchanged"],
            "failed": a["failed"], **{f"failed: {k}": v for k, v in a["failed_by_reason"].items()}}  # fmt: skip


def _summary(report: dict[str, Counter], errors: list[str], dry_run: bool, would_fetch: list[str]) -> dict:
    """found, in range, stored, skipped, failed: by source and in all."""
    out: dict = {"sources": {}, "errors": errors, "dry_run": dry_run}
    if dry_run:
        out["would_fetch"] = len(would_fetch)
        out["urls"] = would_fetch
    for src, c in report.items():
        skipped = c["known"] + c["already_stored"] + c["duplicate"]
        out["sources"][src] = {
            "pages": c["pages"], "found": c["found"], "in_range": c["in_range"], "stored": c["stored"],
            "updated": c["updated"], "skipped": skipped, "failed": c["failed"],
            "failed_by_reason": {k.split(": ", 1)[1]: v for k, v in c.items() if k.startswith("failed: ")},
        }  # fmt: skip
    for key in ("found", "in_range", "stored", "updated", "skipped", "failed"):
        out[key] = sum(s[key] for s in out["sources"].values())
    return out


def _site(targets: list[dict], feed_url: str) -> list[str]:
    return [origin_of(r["site_url"]) for r in targets if r["url"] == feed_url and r["site_url"]]


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return (
        f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"
    )
