"""The stages a pass and a backfill share: fetch a batch of pages, extract it on every core, store
it in one transaction. Batches flow through a pipeline: while one is stored, the ones after it are
fetched and extracted."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from paperboy.core import Entry, Outcome, capped, host_of, internal_error, site_of, url_key, web_url
from paperboy.db import ArchiveDamaged, RawPages, damage, store
from paperboy.extractors import ExtractOptions
from paperboy.fetchers import FetchSettings, hold_seconds
from paperboy.flows.config import Config
from paperboy.flows.engines import Extraction, extraction_for
from paperboy.flows.engines.cluster import ClusterLost
from paperboy.flows.engines.jobs import Extracted, Failed, FeedText, FromFeed, PageJob, chunked, options_for
from paperboy.flows.engines.memory import PAGE_BUFFER, give_back_memory, keep_large_buffers_apart
from paperboy.flows.fetching import FetchedPage, fetch_pages_compressed
from paperboy.flows.progress import STORED, Summary

# Task results are not kept in Prefect's in-memory result cache (cache_result_in_memory=False):
# it holds up to 1,000 results for the whole flow run, that is every page a pass fetched. And Prefect
# keeps each task run's parameters and return value alive until the flow run ends (a rollback hook
# of the task's transaction holds its engine), so the flow empties the lists it passed and got back
# once it is done with them (`release`): a pass's memory stays that of the batches in flight.
# Batches of 64 pages, two ahead: fewer task runs spare Prefect's server CPU, at the same peak memory
# (docs/performance.md).
PAGES_PER_TASK = 64  # pages fetched, then extracted, per task


AHEAD = 2  # batches being fetched or extracted while an earlier one is stored: bounds memory


@task(name="fetch-and-extract-pages", cache_policy=NO_CACHE, cache_result_in_memory=False)
def fetch_and_extract(
    batch: list[tuple[int, Entry]], settings: FetchSettings, options: ExtractOptions, learned: dict, pool: Extraction
) -> tuple[list[tuple[int, Entry, FetchedPage | None]], list[Extracted | Failed | FromFeed | None]]:
    """Fetch a batch's pages (each compressed as it is held until stored; transient errors retried
    per request, inside), then extract them on every core, each page with a time limit. An item whose
    page gives no article gets its feed text extracted instead. Returns each item with its page, and
    what its extraction gave. Extraction happens in the pool's workers only, the feed texts' too: the
    flow's process never loads trafilatura or the language model. One task for both halves: a task
    run costs Prefect's server CPU."""
    fetched = iter(fetch_pages_compressed([e.link for _, e in batch if e.link], settings))
    pages = [(feed_id, e, next(fetched) if e.link else None) for feed_id, e in batch]
    jobs, slots = page_jobs(pages, options, learned)
    results = pool.map(jobs)  # empties `jobs` as the workers take them
    extracted: list[Extracted | Failed | FromFeed | None] = [None] * len(pages)
    for i, result in zip(slots, results, strict=True):
        extracted[i] = result
    return pages, extracted


@task(name="extract-pages", cache_policy=NO_CACHE, cache_result_in_memory=False)
def extract_pages(jobs: list[PageJob], pool: Extraction) -> list[Extracted | Failed | FromFeed | None]:
    """trafilatura and the cleaning over a batch of stored pages, on every core (`backfill
    --reprocess`). The pool empties `jobs` as it takes them (Prefect would keep the pages for the
    whole flow run)."""
    return pool.map(jobs)


@dataclass
class Batches:
    """What every batch of a run is fetched and extracted with. `learned` (each host's learned
    boilerplate) grows as batches are stored."""

    settings: FetchSettings
    options: ExtractOptions
    pool: Extraction
    raw: RawPages = field(default_factory=RawPages)  # where the fetched pages are kept
    learned: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, cfg: Config, settings: FetchSettings) -> Batches:
        """A run's batches as its config says: fetched with `settings`, extracted on the engine the
        config names (the local pool, or its Dask cluster), pages kept where it says."""
        engine = extraction_for(cfg.workers, cfg.extract_time_limit, cfg.dask_address, cfg.dask_certs)
        return cls(settings, cfg.extract, engine, cfg.raw_pages)


def process_pages(
    db: Any,
    work: Iterable[tuple[int, Entry]],
    batches: Batches,
    summary: Summary,
    progress: Callable[[int], None],
    per_batch: int | None = None,
) -> None:
    """Fetch, extract and store (feed id, entry) pairs in batches of `per_batch` (PAGES_PER_TASK): while one batch is
    stored, the ones after it are fetched and extracted on every core."""
    settings, options, learned, pool = batches.settings, batches.options, batches.learned, batches.pool
    keep_large_buffers_apart(PAGE_BUFFER)  # pages pass through several threads' heaps here
    in_flight: deque = deque()
    done = 0

    def store_one() -> None:
        nonlocal done
        batch, future = in_flight.popleft()
        try:
            pages, extracted = future.result()
        except (ClusterLost, ArchiveDamaged):
            raise  # the pass stops; its items are taken up by the next one
        except Exception as exc:  # noqa: BLE001 - a defect in one batch fails its items, not the pass
            failed = Failed(internal_error(exc))
            pages, extracted = [(feed_id, e, None) for feed_id, e in batch], [failed] * len(batch)
        done += store_extracted(db, release(pages), release(extracted), batches, summary)
        give_back_memory()
        progress(done)

    for batch in chunked(work, per_batch or PAGES_PER_TASK):
        in_flight.append((batch, fetch_and_extract.submit(batch, settings, options, learned, pool)))
        if len(in_flight) > AHEAD:
            store_one()
    while in_flight:
        store_one()


def release(items: list) -> list:
    """A copy of a task's list, the list itself emptied: Prefect holds on to it for the whole flow run."""
    copy = list(items)
    items.clear()
    return copy


def page_jobs(pages: list[tuple[int, Entry, FetchedPage | None]], options: ExtractOptions, learned: dict):
    """The extraction jobs of a batch's items, and the item each is for: a fetched page (with the
    item's feed text to fall back on), or the feed text alone when there is no page."""
    jobs, slots = [], []
    for i, (_, e, page) in enumerate(pages):
        address = e.link or _entry_address(e)
        feed_text = FeedText(e.content, address, e.title, e.authors, e.published) if e.content else None
        feed_text = feed_text if feed_text and feed_text.html.strip() else None
        if page is not None and page.html_zstd is not None:
            url = page.result.final_url
            jobs.append(PageJob(url, page.html_zstd, options_for(options, learned, host_of(url)), e.authors,
                                feed_text=feed_text))  # fmt: skip
            slots.append(i)
        elif feed_text is not None:
            jobs.append(PageJob(address, None, options_for(options, learned, host_of(address)), feed_text=feed_text))
            slots.append(i)
    return jobs, slots


def store_extracted(db, pages, articles, batches: Batches, summary: Summary) -> int:
    """Store one extracted batch in one transaction; an entry whose page failed falls back to its feed text."""
    outcomes: dict[int | None, list[Outcome]] = {}
    for (feed_id, e, page), article in zip(pages, articles, strict=True):
        outcome = outcome_for(e, page, article)
        cut = capped(outcome.article.text) if outcome.article else None
        if outcome.article and cut is not None:  # stored, but not whole: the summary says so
            outcome = replace(outcome, article=replace(outcome.article, text=cut))
            summary.articles["text_cut"] += 1
        outcomes.setdefault(feed_id, []).append(outcome)
        seconds = hold_seconds(page.result) if page is not None else None
        if seconds is not None:
            summary.holds[site_of(page.result.final_url)] = time.time() + seconds
    for feed_id, items in outcomes.items():
        counts = save_or_fail(db, feed_id, items, batches.raw)
        summary.articles.update(counts)
        STORED.update(stored=counts["new"] + counts["updated"])
        from_feed = [o for o in items if o.article and o.article.source == "feed"]
        summary.articles["fallback"] += sum(1 for o in from_feed if o.entry.link)  # its page is tried again
        summary.articles["feed_only"] += sum(1 for o in from_feed if not o.entry.link)  # no page to try
    # What this batch taught about each host's boilerplate serves the batches after it.
    hosts = {host_of(p.result.final_url) for _, _, p in pages if p is not None}
    batches.learned.update(store.learned_boilerplate(db, hosts))
    return len(pages)


def save_or_fail(db, feed_id: int | None, items: list[Outcome], raw: RawPages) -> Counter:
    """Store a feed's share of a batch in one transaction; should that fail, each item alone, and an
    item that cannot be stored is recorded as failed with the reason (tried again on a later pass)."""
    try:
        return store.save_outcomes(db, feed_id, items, raw)
    except Exception as exc:  # noqa: BLE001 - find the item at fault; the others are stored
        if damage(exc):  # not the items' fault: the pass stops, their attempts kept
            raise ArchiveDamaged(damage(exc)) from exc
        counts: Counter = Counter()
        for item in items:
            try:
                counts += store.save_outcomes(db, feed_id, [item], raw)
            except Exception as exc:  # noqa: BLE001
                error = internal_error(exc)
                counts += store.save_outcomes(db, feed_id, [replace(item, article=None, raw_zstd=None, error=error)])
        return counts


def outcome_for(e: Entry, page: FetchedPage | None, article: Extracted | Failed | FromFeed | None) -> Outcome:
    """What to store for an item: its page's article (and the page), its feed text's, or why it has none."""
    keys = [url_key(e.link)] if e.link else []
    if isinstance(article, Extracted) and page is not None:
        canonical = article.article.canonical_url
        keys += [url_key(page.result.final_url)] + ([url_key(canonical)] if canonical else [])
        return Outcome(e, article.article, page.html_zstd, tuple(keys))
    if isinstance(article, Failed):
        error = article.reason
    elif page is None:
        error = "no link in the feed item"
    elif isinstance(article, FromFeed) and article.reason:
        error = article.reason
    else:
        error = page.problem or "no article text in the page"
    fallback = article.article if isinstance(article, FromFeed) else None
    return Outcome(e, fallback, None, tuple(keys) or (url_key(_entry_address(e)),), error)


def _entry_address(e: Entry) -> str:
    """An address for an item with no link: its guid when that is a URL, else a tag URI."""
    if e.guid and web_url(e.guid):
        return e.guid
    return f"tag:paperboy,2026:{url_key(e.feed_url)}/{e.key}"
