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
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from paperboy.core import Entry, Feed, FeedAccess, clamp, host_of, printable, url_key, url_problem
from paperboy.db import repair_warc, store
from paperboy.fetchers import FetchSettings, SourcePage, origin_of
from paperboy.flows.discover import Walker
from paperboy.flows.engines import extraction_for
from paperboy.flows.engines.jobs import Extracted, PageJob, options_for
from paperboy.flows.fetching import find_sitemaps, read_sources
from paperboy.flows.opened import handed, open_archive
from paperboy.flows.progress import FAILED, Progress, Summary, failures
from paperboy.flows.stages import PAGES_PER_TASK, Batches, extract_pages, process_pages, release

URLS_FEED_ID = 0  # entries of URLs given by hand belong to no feed
URLS_FEED = "backfill:urls"


@task(name="read-source-pages", cache_policy=NO_CACHE, cache_result_in_memory=False)
def read_source_pages(pages: list[tuple[str, str, str]], settings, access: dict) -> list[SourcePage]:
    """Feed pages and sitemaps of one round of the walks (a feed's own pages with its secrets)."""
    return read_sources(pages, settings, access)


@task(name="find-sitemaps", cache_policy=NO_CACHE, cache_result_in_memory=False)
def sitemaps_of(site_urls: list[str], settings) -> list[tuple[list[str], list[str]]]:
    return find_sitemaps(site_urls, settings)


@dataclass(frozen=True)
class BackfillRequest:
    """What a backfill is asked to do (`paperboy backfill`'s options), one value from the CLI to the flow."""

    feeds: tuple[str, ...] = ()  # feed URLs whose past to fetch
    all_feeds: bool = False
    source: str | None = None  # archive, sitemap or urls; None: archive, then sitemaps
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None
    urls_file: str | None = None  # absolute path of a file of article URLs
    reprocess: bool = False  # re-extract stored pages instead; no network
    dry_run: bool = False
    rate: float | None = None  # requests per second to one host; None: backfill_rate of the config
    dask: str | None = None  # extract on this Dask cluster (over dask_address of the config)


@flow(name="backfill", log_prints=False, validate_parameters=False)
def backfill(
    db_path: str = "paperboy.db",
    request: BackfillRequest = BackfillRequest(),
    config_path: str | None = None,
    progress: bool = True,
) -> dict:
    if isinstance(request, dict):  # a deployment's parameters, as JSON
        request = BackfillRequest(**{**request, "feeds": tuple(request.get("feeds") or ())})
    opened = handed(db_path) or open_archive(db_path, config_path, request.dask)  # by `paperboy backfill`
    db, cfg = opened.db, opened.config
    show = Progress(enabled=progress)
    for cut in repair_warc(db, cfg.raw_pages):  # a pass killed while writing left a torn record
        show.line(cut)
    if request.reprocess:
        return reprocess_stored(db, request.feeds, request.since, request.until, cfg, show, request.dry_run)
    rate = request.rate or cfg.backfill_rate
    settings = replace(cfg.fetch, min_interval=max(cfg.fetch.min_interval, 1 / rate), holds=store.host_holds(db))
    job = Job.start(db, request, settings, show)

    # 1. Find: walk every source of every feed, a round of pages at a time; record the backlog.
    for src in [s for s in job.sources if s != "urls"]:
        walk_source(job, src)
    if "urls" in job.sources and request.urls_file:
        record_url_list(job, request.urls_file)

    # 2. Fetch, extract and store the backlog, source by source, at each host's pace.
    if not request.dry_run:
        batches = Batches.of(cfg, settings)
        try:
            for src in job.sources:
                job.report[src].update(_stored_counts(fetch_backlog(job, src, batches)))
        finally:
            show.done()
        store.save_job_state(db, job.key, job.state, finished=True)
    return _summary(job.report, job.errors, request.dry_run, list(job.printed))


@dataclass
class Job:
    """A backfill job as it runs: its key (its parameters' hash), its checkpoint, and its counts."""

    db: Any
    request: BackfillRequest
    settings: FetchSettings
    show: Progress
    targets: list[Feed]  # the feeds whose past is walked
    sources: list[str]
    key: str
    state: dict  # the checkpoint: each walk's state, by source and feed
    report: dict[str, Counter] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    feed_ids: dict[str, int] = field(default_factory=dict)
    access: dict[str, FeedAccess] = field(default_factory=dict)  # the secrets of the targets with any
    printed: dict[str, None] = field(default_factory=dict)  # --dry-run: each address once, in the order found

    @classmethod
    def start(cls, db: Any, request: BackfillRequest, settings: FetchSettings, show: Progress) -> Job:
        """The job these options make, taken up from its checkpoint when it ran before."""
        targets = [r for r in store.list_feeds(db) if request.all_feeds or r.url in request.feeds]
        sources = [request.source] if request.source else ["archive", "sitemap"] if targets else []
        if request.urls_file and "urls" not in sources:
            sources.append("urls")
        urls_file = os.path.abspath(request.urls_file) if request.urls_file else None
        params = {"feeds": sorted(r.url for r in targets), "sources": sources, "since": request.since,
                  "until": request.until, "urls_file": urls_file}  # fmt: skip
        key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
        state = {} if request.dry_run else store.job_state(db, key, params) or {}
        job = cls(db, request, settings, show, targets, sources, key, state)
        job.report = {s: Counter() for s in sources}
        job.feed_ids = {r.url: r.id for r in targets}
        secrets = store.feed_access(db)  # a feed's archive pages are its requests too
        job.access = {r.url: secrets[r.id] for r in targets if r.id in secrets}
        return job

    def record(self, src: str, feed_url: str, entries: list[Entry]) -> None:
        """What a walk found in range: printed (--dry-run) or recorded as the feed's backlog."""
        if self.request.dry_run:
            _print_new(self.db, entries, self.printed)
        else:
            self.report[src].update(store.record_backlog(self.db, self.feed_ids[feed_url], src, entries))


def walk_source(job: Job, src: str) -> None:
    """Walk one source of every feed, a round of pages at a time, the checkpoint saved after each."""
    db, request, state = job.db, job.request, job.state
    walkers = []
    for r in job.targets:
        if src == "sitemap" and request.source is None and state.get("archive", {}).get(r.url, {}).get("older"):
            continue  # the archive had the feed's past; the sitemap would add the rest of the site
        walkers.append(Walker(src, r.url, state.setdefault(src, {}).get(r.url, {}).get("walk")))
    roots = [w for w in walkers if w.wants_roots]
    if roots:  # the sitemaps of the feed's own host, and of its site when that is elsewhere
        sites = {w.feed_url: list(dict.fromkeys([origin_of(w.feed_url), *_site(job.targets, w.feed_url)]))
                 for w in roots}  # fmt: skip
        every = sorted({o for origins in sites.values() for o in origins})
        found = dict(zip(every, release(sitemaps_of.submit(every, job.settings).result()), strict=True))
        for w in roots:
            w.set_roots([u for o in sites[w.feed_url] for u in found[o][0]],
                        [u for o in sites[w.feed_url] for u in found[o][1]])  # fmt: skip
    while not all(w.done for w in walkers):
        todo = [(w, page) for w in walkers for page in w.next_pages()]
        pages = release(read_source_pages.submit([p for _, p in todo], job.settings, job.access).result())
        for (w, _), page in zip(todo, pages, strict=True):
            job.record(src, w.feed_url, w.take(page, request.since, request.until))
        for w in walkers:
            state[src][w.feed_url] = {"walk": w.state, "older": w.found_older}
        if not request.dry_run:
            store.save_job_state(db, job.key, state)
        read = sum(w.state["pages"] for w in walkers)
        job.show.status(f"{src}: {read} pages read, {sum(w.state['in_range'] for w in walkers)} articles in range")
    for w in walkers:
        job.report[src].update(pages=w.state["pages"], found=w.state["found"], in_range=w.state["in_range"])
        job.errors += w.state["errors"]
        for e in w.state["errors"]:
            job.show.line(f"{src}: {e}")


PACED_BATCH_SECONDS = 8  # of requests a backfill batch holds, at the backfill's rate per host
URLS_PER_ROUND = 10_000  # lines of --urls recorded per transaction: a file of millions is never held whole


def record_url_list(job: Job, urls_file: str) -> None:
    """Record the file's URLs as the backlog, a round of lines at a time, saying how far it got."""
    job.feed_ids[URLS_FEED] = URLS_FEED_ID
    found = 0
    for urls, bad in read_url_list(urls_file):
        job.errors += bad  # said once, in the summary
        found += len(urls)
        job.record("urls", URLS_FEED, [Entry(URLS_FEED, url_key(u), None, u, None) for u in urls])
        job.show.status(f"urls: {found:,} read from {urls_file}")
    job.report["urls"].update(found=found, in_range=found)


_COMMENT = re.compile(
    r"(?:^|\s)#.*$"
)  # a comment: a line from `#`, or `#` after white space (a URL's own # is no comment)


def read_url_list(path: str) -> Iterator[tuple[list[str], list[str]]]:
    """The URLs of a file, one a line (blank lines and `#` comments skipped), a round of lines at a
    time, each URL once in its round (storage knows the ones seen in rounds before); and a line for
    each line that is not an http(s) URL, with its number."""
    urls: list[str] = []
    bad: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            line = _COMMENT.sub("", line).strip()
            if line:
                problem = url_problem(line)
                if problem:
                    bad.append(f"{path}:{number}: {problem}: {printable(line)[:200]!r}")
                else:
                    urls.append(line)
            if number % URLS_PER_ROUND == 0:
                yield list(dict.fromkeys(urls)), bad
                urls, bad = [], []
    yield list(dict.fromkeys(urls)), bad


def fetch_backlog(job: Job, src: str, batches: Batches) -> Summary:
    """Fetch, extract and store what the walks of `src` left in the backlog."""
    db, show, summary = job.db, job.show, Summary()
    feeds = {fid: url for url, fid in job.feed_ids.items()}
    dated = src != "urls"  # a list of URLs is taken whole
    since, until = (job.request.since, job.request.until) if dated else (None, None)
    total = store.backlog_size(db, feeds, src, since, until)
    if not total:
        return summary
    started = time.monotonic()

    def progress(done: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-6)
        failed = sum(failures(summary.articles).values())
        show.status(f"{src}: {done}/{total} pages · {summary.articles['new']} new · {failed} failed"
                    f" · {rate:.1f}/s · ETA {_duration((total - done) / rate if rate else 0)}")  # fmt: skip

    batches.pool.warm()
    try:
        # Stored as it goes: a batch holds about PACED_BATCH_SECONDS of requests at the backfill's rate,
        # so an interrupted backfill fetches little again (64 pages at one a second were a minute).
        per_batch = clamp(int(PACED_BATCH_SECONDS / max(batches.settings.min_interval, 1e-3)), 4, PAGES_PER_TASK)
        process_pages(db, store.backlog(db, feeds, src, since, until), batches, summary, progress, per_batch)
    finally:
        store.save_holds(db, summary.holds)
    return summary


def reprocess_stored(db, feeds, since, until, cfg, show: Progress, dry_run: bool) -> dict:
    """Re-extract stored pages with the current extractor; update the text where it changed."""
    pool = extraction_for(cfg.workers, cfg.extract_time_limit, cfg.dask_address, cfg.dask_certs)
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
            "failed": a["failed"], **{FAILED + k: v for k, v in a["failed_by_reason"].items()}}  # fmt: skip


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
            "failed_by_reason": failures(c),
        }  # fmt: skip
    for key in ("found", "in_range", "stored", "updated", "skipped", "failed"):
        out[key] = sum(s[key] for s in out["sources"].values())
    return out


def _site(targets: list[Feed], feed_url: str) -> list[str]:
    return [origin_of(r.site_url) for r in targets if r.url == feed_url and r.site_url]


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return (
        f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"
    )
