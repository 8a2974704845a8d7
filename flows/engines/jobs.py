"""What the flows hand to extraction and get back: frozen, picklable values, and the work a worker
does with one job (the page's article, else its feed text's), within a time limit. Any executor
that runs `run_job_limited` can run them: the local pool (pool.py), a Dask cluster (cluster.py)."""

from __future__ import annotations

import ctypes
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from itertools import islice
from typing import Any, TypeVar

import zstandard

from paperboy import extractors
from paperboy.core import Article
from paperboy.extractors import ExtractOptions

T = TypeVar("T")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def in_turns(items: Iterable[T], key: Callable[[T], str], lane: Callable[[T], int] = lambda _: 0) -> Iterator[T]:
    """`items` with each key taking its turn: the first item of every key, then the second of every
    key, and so on, each key's items in their order; an item is let go once given. A key whose items
    are all taken leaves the round (one host with 50,000 feeds beside 50,000 hosts with one each
    costs 100,000 steps, not 50,000²). The items of a later `lane` come after all of an earlier one's."""
    lanes: dict[int, dict[str, deque[T]]] = {}
    for item in items:
        lanes.setdefault(lane(item), {}).setdefault(key(item), deque()).append(item)
    del items  # a list given in would hold every item to the end
    for number in sorted(lanes):
        rounds = deque(lanes.pop(number).values())
        while rounds:
            group = rounds.popleft()
            yield group.popleft()
            if group:
                rounds.append(group)


def as_done(submit: Callable[[T], Any], batches: Iterable[T], in_flight: int) -> Iterator[Any]:
    """`submit(batch)` for each batch, at most `in_flight` of them running at once, and each future as
    it is done, in the order they finish: a slow batch holds up its own slot, not the ones behind it."""
    done: queue.SimpleQueue = queue.SimpleQueue()
    batches = iter(batches)
    running = 0
    for batch in islice(batches, in_flight):
        submit(batch).add_done_callback(done.put)
        running += 1
    while running:
        future = done.get()
        running -= 1
        for batch in islice(batches, 1):
            submit(batch).add_done_callback(done.put)
            running += 1
        yield future


@dataclass(frozen=True)
class FeedText:
    """A feed item's own text (its content or summary, HTML), and what the feed says of it."""

    html: str
    url: str  # the item's address
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None


@dataclass(frozen=True)
class PageJob:
    url: str
    html_zstd: bytes | None  # the page, zstd-compressed; None: no page (not fetched), only the feed text
    options: ExtractOptions
    hint_authors: tuple[str, ...] = ()
    feed_text: FeedText | None = None  # extracted instead when the page gives no article


@dataclass(frozen=True)
class Extracted:
    """A page's article."""

    article: Article


@dataclass(frozen=True)
class FromFeed:
    """A page that gave no article, and its feed item's text extracted in its place (None: the
    item has no text). `reason`: why the page gave none, when it was more than "no article text"."""

    article: Article | None
    reason: str | None = None


def options_for(options: ExtractOptions, learned: dict[str, frozenset[str]], host: str) -> ExtractOptions:
    """The extraction options for a page of `host`, with what was learned of that host's boilerplate."""
    return replace(options, boilerplate=learned[host]) if host in learned else options


# Parsing costs memory by the tag (lxml's tree, and trafilatura copies it twice); real news pages have
# a few thousand tags.
MAX_TAGS = 100_000


def run_job(job: PageJob) -> Extracted | Failed | None:
    if job.html_zstd is None:
        return None
    return run_page(zstandard.decompress(job.html_zstd), job)


def run_page(html: bytes, job: PageJob) -> Extracted | Failed | None:
    """The article of `html`, a page as the job would carry it, with the job's address and options."""
    if html.count(b"<") > MAX_TAGS:
        return Failed(f"page too large to parse: more than {MAX_TAGS} tags")
    article = extractors.extract(html, job.url, job.options, hint_authors=job.hint_authors)
    return Extracted(article) if article is not None else None


def run_feed_text(job: PageJob) -> Article | None:
    text = job.feed_text
    assert text is not None  # run_job_limited calls this for a job that has one
    return extractors.extract_fragment(
        text.html, text.url, title=text.title, authors=text.authors, published=text.published, options=job.options
    )


def batch_time_limit(jobs: list[PageJob], time_limit: float) -> float:
    """The longest a batch's job may take: its page's extraction, and its feed text's after it."""
    return time_limit * (2 if any(j.feed_text is not None for j in jobs) else 1)


@dataclass(frozen=True)
class Failed:
    """An extraction that gave no answer: the page is failed with this reason and tried on a later pass."""

    reason: str


class _OutOfTime(BaseException):  # not an Exception: the extractor's own `except Exception` must not eat it
    pass


_FIRED: list[bool] = []  # the alarm went off (its exception may land where it is swallowed: a finaliser)


def _out_of_time(signum, frame) -> None:
    _FIRED.append(True)
    raise _OutOfTime


def _limited(fn, job: PageJob, limit: float):
    """fn(job), given up after `limit` s: by an alarm signal in a process's main thread (the local
    pool's workers), by an exception raised into the thread otherwise (a Dask worker runs its tasks
    in threads). Either interrupts Python code, which is where extraction spends its time."""
    if threading.current_thread() is not threading.main_thread():
        return _limited_in_thread(fn, job, limit)
    previous = signal.signal(signal.SIGALRM, _out_of_time)
    _FIRED.clear()
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        result = fn(job)
    except _OutOfTime:
        result = None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    # (the alarm went off: its exception raised here, or swallowed where it landed, in a finaliser)
    return Failed(f"extraction took longer than {limit:g} s") if _FIRED else result


def _limited_in_thread(fn, job: PageJob, limit: float):
    target, state = threading.get_ident(), {"running": True}
    lock = threading.Lock()

    def stop() -> None:
        with lock:  # never raised once fn has returned
            if state["running"]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(_OutOfTime))

    timer = threading.Timer(limit, stop)
    timer.start()
    try:
        try:
            return fn(job)
        finally:
            with lock:
                state["running"] = False
            timer.cancel()
    except _OutOfTime:
        return Failed(f"extraction took longer than {limit:g} s")


def run_job_limited(job: PageJob, limit: float) -> Extracted | Failed | FromFeed | None:
    """The page's article; failing that, when the job has its feed text, that text's (FromFeed)."""
    result = _limited(run_job, job, limit)
    if isinstance(result, Extracted) or job.feed_text is None:
        return result
    article = _limited(run_feed_text, job, limit)
    reason = result.reason if isinstance(result, Failed) else None
    return FromFeed(None if isinstance(article, Failed) else article, reason)


def run_page_limited(html: bytes, job: PageJob, limit: float) -> Extracted | Failed | None:
    """run_page within the time limit: a page read in this process (`paperboy extract`) is not compressed
    to travel, which cost a fortieth of its extraction."""
    return _limited(partial(run_page, html), job, limit)


def run_jobs_limited(jobs: list[PageJob], limit: float) -> list[Extracted | Failed | FromFeed | None]:
    """A run of jobs in one task (a Dask worker's): each with its own time limit."""
    return [run_job_limited(job, limit) for job in jobs]
