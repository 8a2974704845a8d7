"""The ingest pass, top to bottom: poll feeds, find what is new, fetch pages, extract, store.

Network I/O and extraction run in Prefect tasks, a batch of feeds or pages per task (a task run
costs as much as extracting a page). The tasks take and return frozen values, so any task runner
can run them; the database stays in the flow. Fetching, extracting and storing pages are the
stages a backfill shares (flows/stages.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from paperboy.core import Entry, Feed, FeedPoll, FeedState, host_of, internal_error, site_of, without_credentials
from paperboy.db import ArchiveDamaged, Busy, damage, exclusive, repair_warc, store
from paperboy.fetchers import FetchSettings
from paperboy.flows import schedule
from paperboy.flows.browse import stored_since
from paperboy.flows.config import Config
from paperboy.flows.engines.jobs import as_done, chunked, in_turns
from paperboy.flows.fetching import poll_many
from paperboy.flows.opened import Opened, handed, open_archive
from paperboy.flows.processes import exit_with_serve
from paperboy.flows.progress import Progress, Summary, markdown, tick_line
from paperboy.flows.stages import Batches, process_pages, release
from paperboy.flows.watching import deliver, match_new

# Tasks keep no results in memory (cache_result_in_memory=False; flows/stages.py says why).
FEEDS_PER_TASK = 200  # feeds polled concurrently inside one task (max_connections at a time)
# Tasks polling at once, each a thread with its own event loop. Two: more threads only contend for
# the GIL, and every poll cost more CPU (docs/performance.md). Submitted all at once, 100,000 feeds
# started 2,000 threads (1 GB).
POLL_TASKS = 2


@task(name="poll-feeds", cache_policy=NO_CACHE, cache_result_in_memory=False)
def poll_feeds(states: list[FeedState], settings: FetchSettings) -> list[FeedPoll]:
    """Conditional GET and parse for a batch of feeds. Failures come back as values. The list is
    emptied once polled: Prefect holds a task's parameters for the whole flow run (100,000 states)."""
    polls = poll_many(states, settings)
    states.clear()
    return polls


@dataclass(frozen=True)
class IngestRequest:
    """What a pass is asked to do (`paperboy run`'s and `serve`'s options), one value from the CLI to the flow."""

    feeds: tuple[str, ...] = ()  # feed URLs to poll; none: every feed
    due: bool = False  # only the feeds whose next poll time has come
    dask: str | None = None  # extract on this Dask cluster (over dask_address of the config)

    @classmethod
    def of(cls, value: IngestRequest | dict | None) -> IngestRequest:
        """The request, from a deployment's parameters (JSON) too."""
        if isinstance(value, dict):
            return cls(**{**value, "feeds": tuple(value.get("feeds") or ())})
        return value or cls()


@flow(name="ingest", log_prints=False, validate_parameters=False)
def ingest(
    db_path: str = "paperboy.db",
    request: IngestRequest | dict | None = None,
    config_path: str | None = None,
    progress: bool = True,
    report: bool = False,
) -> dict:
    """One pass over the feeds, one pass at a time on an archive: a pass that finds another running
    does nothing and says so (`busy` in its summary). `progress`: a status line as it works;
    `report`: a line when it is done (serve's ticks); failed feeds are told either way."""
    exit_with_serve()
    show = Progress(enabled=progress or report, status=progress)
    request = IngestRequest.of(request)
    opened = handed(db_path)  # `paperboy run` opened the archive, read the config, took the lock
    try:
        with nullcontext() if opened and opened.locked else exclusive(db_path, "pass"):
            opened = opened or open_archive(db_path, config_path, request.dask)
            result = ingest_pass(opened, request, show)
    except Busy as exc:
        result = {**Summary().as_dict(), "busy": str(exc)}
    if report:
        show.line(tick_line(result))
    return result


def ingest_pass(opened: Opened, request: IngestRequest, show: Progress) -> dict:
    db, cfg = opened.db, opened.config
    for cut in repair_warc(db, cfg.raw_pages):  # a pass killed while writing left a torn record
        show.line(cut)
    started = datetime.now(UTC).isoformat(timespec="seconds")  # the browse view of this pass's articles starts here
    summary = Summary()
    settings = replace(cfg.fetch, holds=store.host_holds(db))  # Retry-After holds outlive a pass
    newest = store.newest_id(db)  # the articles this pass stores come after it: the watches' to match
    to_poll = store.ids_to_poll(
        db, request.feeds, due_only=request.due
    )  # (id, url, failing): a row is read in its turn
    total = len(to_poll)
    by_url: dict[str, Feed] = {}  # the rows of the feeds being polled, each until its poll is back
    access = store.feed_access(db)  # the secrets of the feeds that have any, kept outside the archive

    def submit_polls(chunk: list[tuple[int, str, int]]):
        rows = store.feeds_by_id(db, [feed_id for feed_id, _, _ in chunk])
        by_url.update((r.url, r) for r in rows)
        return poll_feeds.submit([replace(r.state, access=access.get(r.id)) for r in rows], settings)

    # 1. Poll the feeds: a conditional GET each, parsed from the bytes, a batch of feeds per task.
    # Hosts take turns: a batch of one host's feeds would poll two at a time (its politeness limit).
    # Feeds whose last poll failed come last, all but a few in batches of their own: a batch waits for
    # its slowest poll, and a dead host takes its whole connect timeout, twice with the retry.
    turns = in_turns(to_poll, lambda f: host_of(f[1]), lane=lambda f: f[2])
    polls = as_done(submit_polls, chunked(turns, FEEDS_PER_TASK), POLL_TASKS)
    del to_poll  # held by the turns, each until it is handed out
    batches = Batches.of(cfg, settings)
    learned = batches.learned  # each host's learned boilerplate
    looked_up: set[str] = set()  # hosts asked for it (a host with none learned is not in `learned`)
    found = 0

    # 2. As each batch of polls comes back (in the order they finish): remember each feed's state;
    # storage says which entries are new. The pages of a batch's new entries are on their way while
    # later batches are polled.
    def new_work() -> Iterator[tuple[int, Entry]]:
        nonlocal found
        polled = 0
        for future in polls:
            batch = release(future.result())
            for poll in batch:
                row = by_url.pop(poll.state.url)  # a feed's row is not held past its poll
                todo = remember_poll(db, row, poll, summary, show, cfg)
                if todo and not found:
                    batches.pool.warm()  # the workers start while the first pages are fetched
                hosts = {host_of(e.link) for e in todo if e.link} - looked_up
                looked_up.update(hosts)
                learned.update(store.learned_boilerplate(db, hosts))
                found += len(todo)
                yield from ((row.id, e) for e in todo)
            polled += len(batch)
            show.status(f"feeds {polled}/{total}")

    # 3. Fetch the pages, extract, store: batches in a pipeline, one transaction per batch.
    try:
        process_pages(
            db, new_work(), batches, summary,
            lambda done: show.status(f"articles {done}/{found} · {summary.articles['new']} new"),
        )  # fmt: skip
    finally:
        show.done()
        store.save_holds(db, summary.holds)

    # 4. Watches: the pass's new articles matched against each, the matches delivered (and earlier ones
    # whose receivers were down).
    watches = [w for w, _ in store.list_watches(db)]
    if watches:
        matched = match_new(db, watches, newest, show)
        delivered, retry = deliver(db, settings, show)
        summary.watches.update(matched=matched, delivered=delivered, to_retry=retry)
    if cfg.retention_days:  # retention: what is older loses its text and page, its keys stay
        before = (datetime.now(UTC) - timedelta(days=cfg.retention_days)).date().isoformat()
        pruned, freed = store.prune(db, before)
        if pruned:
            show.line(f"retention: {pruned} articles from before {before} pruned, {freed / 1e6:.1f} MB")
    result = summary.as_dict()
    browse = stored_since(opened.db_path, started)
    create_markdown_artifact(markdown(result, browse), key="ingest-summary", description="paperboy ingest pass")
    return result


def remember_poll(db, row: Feed, poll: FeedPoll, summary: Summary, show: Progress, cfg: Config) -> list[Entry]:
    """Store what a feed's poll found; its entries to fetch now (at most new_pages_per_feed, the rest
    wait for later passes). Whatever goes wrong here is this feed's error, recorded against it."""
    try:
        todo, duplicates = store.new_entries(db, row.id, row.url, poll.entries, cfg.new_pages_per_feed)
    except Exception as exc:  # noqa: BLE001 - a defect in one feed's handling must not stop the pass
        if damage(exc):  # unless it is the archive's
            raise ArchiveDamaged(damage(exc)) from exc
        poll = replace(poll, status="failed", error=internal_error(exc))
        todo, duplicates = [], 0
    summary.articles["duplicate"] += duplicates
    summary.feeds[poll.status] += 1
    lo = max(cfg.min_poll_interval, row.min_interval or 0)  # the feed's own shortest interval, if longer
    record_feed(db, row, poll, len(todo), (lo, max(lo, cfg.max_poll_interval)))
    url = without_credentials(row.url)
    if poll.retry_after is not None:
        summary.holds[site_of(poll.state.url)] = time.time() + poll.retry_after
    if poll.status == "failed":
        summary.errors.append(f"{url}: {poll.error}")
        show.line(f"feed failed: {url}: {poll.error}")
    elif poll.notice:
        show.line(f"feed {url}: {poll.notice}")
    if poll.moved_to and poll.moved_to == row.moved_to and store.is_followed(db, poll.moved_to):
        show.line(f"feed {url} moved for good to {without_credentials(poll.moved_to)}, followed too: "
                  f"`paperboy feeds remove {row.id}` stops polling it twice")  # fmt: skip
    return todo


def record_feed(db, row: Feed, poll: FeedPoll, new_items: int, bounds: tuple[int, int]) -> None:
    """The feed's health and its next poll time, within the (shortest, longest) interval."""
    lo, hi = bounds
    if poll.status == "failed":
        interval = schedule.error_backoff(row.consecutive_errors or 0, poll.retry_after, lo, hi)
    else:
        interval = schedule.next_interval(row.interval_seconds, new_items=new_items, hint=poll.ttl_hint, lo=lo, hi=hi)
    # A failing feed waits its whole backoff (a Retry-After is never cut short); the others are spread.
    delay = interval if poll.status == "failed" else schedule.spread(interval, row.interval_seconds is None, lo)
    # A permanent redirect moves the feed once it is seen on two polls in a row.
    confirmed = bool(poll.moved_to) and poll.moved_to == row.moved_to
    store.record_poll(
        db,
        row.id,
        poll,
        next_poll_at=schedule.at(delay),
        interval=interval,
        moved_to_confirmed=confirmed,
    )
