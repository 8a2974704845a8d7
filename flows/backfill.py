"""The backfill flow: fill the archive from a list of URLs, or re-extract what is stored.

    --reprocess   stored raw HTML through the current extractor, no network at all
    --urls FILE   one URL a line; resumable (what is stored is skipped, what failed is retried)

Archived and paged feeds and sitemaps (the other sources of the backfill issue) are not built yet.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from db import connect, store
from fetchers import Entry, host_of, url_key
from flows.config import load_config
from flows.ingest import PAGES_PER_TASK, extract_pages, fetch_pages, store_batch
from flows.progress import Progress, Summary
from flows.work import ExtractPool, PageJob, chunked, options_for

BACKFILL_FEED_ID = 0  # entries of URLs given by hand belong to no feed


@flow(name="backfill", log_prints=False, validate_parameters=False)
def backfill(
    db_path: str = "paperboy.db",
    feeds: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    urls_file: str | None = None,
    reprocess: bool = False,
    dry_run: bool = False,
    config_path: str | None = None,
    progress: bool = True,
) -> dict:
    cfg = load_config(config_path)
    db = connect(db_path)
    show = Progress(enabled=progress)
    if reprocess:
        return reprocess_stored(db, feeds or (), since, until, cfg, show, dry_run)
    return fetch_urls(db, Path(urls_file).read_text().split() if urls_file else [], cfg, show, dry_run)


def reprocess_stored(db, feeds, since, until, cfg, show: Progress, dry_run: bool) -> dict:
    """Re-extract stored pages with the current extractor; update the text where it changed."""
    pool = ExtractPool(cfg.workers)
    seen = changed = failed = 0
    total = db.execute("select count(*) from raw_pages").fetchone()[0]
    try:
        for batch in store.stored_pages(db, feeds, since, until):
            learned = store.learned_boilerplate(db, {host_of(p.url) for p in batch})
            jobs = [PageJob(p.url, p.html, options_for(cfg.extract, learned, host_of(p.url))) for p in batch]
            articles = extract_pages(jobs, pool, total)
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
        pool.close()
        show.done()
    return {"reprocessed": seen, "changed": changed, "unchanged": seen - changed - failed, "failed": failed,
            "dry_run": dry_run}  # fmt: skip


def fetch_urls(db, urls: list[str], cfg, show: Progress, dry_run: bool) -> dict:
    """Fetch, extract and store the given URLs; skip what is stored, retry what failed before."""
    urls = list(dict.fromkeys(u.strip() for u in urls if u.strip()))
    entries = [Entry("backfill:urls", url_key(u), None, u, None) for u in urls]
    if dry_run:
        todo = [e for e in entries if store.article_for_keys(db, [e.key]) is None]
        for e in todo:
            print(e.link)
        return {"found": len(urls), "would_fetch": len(todo), "stored": 0, "dry_run": True}
    todo, duplicates = store.new_entries(db, BACKFILL_FEED_ID, "backfill:urls", entries, url_key)
    summary = Summary()
    summary.articles["duplicate"] += duplicates
    pool = ExtractPool(cfg.workers)
    done = 0
    try:
        for batch in chunked([(BACKFILL_FEED_ID, e) for e in todo], PAGES_PER_TASK):
            future = fetch_pages.submit([e.link for _, e in batch], cfg.fetch)
            done += store_batch(db, batch, future, cfg.extract, {}, pool, len(todo), summary)
            show.status(f"backfill {done}/{len(todo)} · {summary.articles['new']} new")
    finally:
        pool.close()
        show.done()
    result = summary.as_dict()["articles"]
    return {"found": len(urls), "skipped": len(urls) - len(todo), **result, "dry_run": False}
