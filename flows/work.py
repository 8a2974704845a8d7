"""The work inside the ingest tasks: plain functions on frozen values, so that any Prefect task
runner (threads, a process pool, Dask) can run them. No database, no Prefect here."""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import multiprocessing.util
import os
import signal
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import TypeVar

import zstandard

import extractors
from core import Article, FeedPoll, FeedState
from extractors import ExtractOptions
from fetchers import (
    Fetcher,
    FetchResult,
    FetchSettings,
    Found,
    SourcePage,
    fetch_all,
    find_feeds,
    poll_feed,
    read_feed_page,
    read_sitemap,
    sitemap_roots,
)
from flows.processes import exit_with

T = TypeVar("T")
HTML_TYPES = ("text/html", "application/xhtml+xml", "")  # "" : the server named no type; try it


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _poll_many(states: list[FeedState], settings: FetchSettings) -> list[FeedPoll]:
    async with Fetcher(settings) as fetcher:
        return list(await asyncio.gather(*(poll_feed(s, fetcher=fetcher) for s in states)))


def poll_many(states: list[FeedState], settings: FetchSettings) -> list[FeedPoll]:
    return asyncio.run(_poll_many(states, settings))


def find_feed(url: str, settings: FetchSettings) -> Found:
    async def look() -> Found:
        async with Fetcher(settings) as fetcher:
            return await find_feeds(url, fetcher=fetcher)

    return asyncio.run(look())


def fetch_many(urls: list[str], settings: FetchSettings) -> list[FetchResult]:
    return asyncio.run(fetch_all(urls, settings))


def fetch_pages_compressed(urls: list[str], settings: FetchSettings) -> list[FetchedPage]:
    """The pages at `urls` as the flow holds them until they are stored: each page compressed as
    soon as it is in (CompressedBody), so a batch's pages are never all held whole at once (only
    those still arriving are: a few per host), and none is ever joined into one buffer."""
    return asyncio.run(fetch_all(urls, settings, each=compressed, body=CompressedBody))


async def _read_sources(pages: list[tuple[str, str, str]], settings: FetchSettings) -> list[SourcePage]:
    async with Fetcher(settings) as fetcher:
        reads = [
            read_sitemap(url, feed_url, fetcher=fetcher) if kind == "sitemap"
            else read_feed_page(url, feed_url, fetcher=fetcher)
            for kind, url, feed_url in pages
        ]  # fmt: skip
        return list(await asyncio.gather(*reads))


def read_sources(pages: list[tuple[str, str, str]], settings: FetchSettings) -> list[SourcePage]:
    """Read feed pages and sitemaps: (kind "feed" or "sitemap", URL, the feed they belong to) each."""
    return asyncio.run(_read_sources(pages, settings))


async def _find_sitemaps(site_urls: list[str], settings: FetchSettings) -> list[tuple[list[str], list[str]]]:
    async with Fetcher(settings) as fetcher:
        return list(await asyncio.gather(*(sitemap_roots(u, fetcher=fetcher) for u in site_urls)))


def find_sitemaps(site_urls: list[str], settings: FetchSettings) -> list[tuple[list[str], list[str]]]:
    """For each site: (the sitemaps its robots.txt names, the usual places besides)."""
    return asyncio.run(_find_sitemaps(site_urls, settings))


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


# A page is compressed once, as soon as it is fetched, and goes on compressed: held by the flow
# while earlier batches are extracted, sent to a worker (which inflates it, 0.2 ms), then stored as
# the archive keeps it. Holding pages at a sixth of their size took 20 MB off the flow's peak (bench,
# measure 4). Measured on the dev corpus (337 KB a page): zstd level 3 takes 0.8 ms and keeps 17 %
# of the size; zlib, used before, took 2.5 ms for 21 % (level 3). zstd lets go of the GIL meanwhile.
RAW_ZSTD_LEVEL = 3


@dataclass(frozen=True)
class FetchedPage:
    """A fetched page as the flow holds it: the exchange without its body, why the page cannot be
    extracted (None: it can), and then its body zstd-compressed."""

    result: FetchResult
    problem: str | None = None
    html_zstd: bytes | None = None


def compressed(result: FetchResult) -> FetchedPage:
    """The page as the flow holds it, from a result fetched with CompressedBody (its content is
    the page zstd-compressed, b"" when blank); the body kept only when there is an article to look for."""
    problem = page_problem(result)
    return FetchedPage(replace(result, content=b""), problem, result.content if problem is None else None)


_ZSTD = zstandard.ZstdCompressor(level=RAW_ZSTD_LEVEL)
_ZSTD_LOCK = threading.Lock()  # a compressor serves one thread at a time


class CompressedBody:
    """A page's body as the flow keeps it (fetchers.Body): held in the parts it arrives in (64 kB
    or less each) and compressed when complete, never joined into one buffer. In the flow's
    process every buffer of 128 kB or more is a mapping of its own (keep_large_buffers_apart), and
    a joined page was one: mapped, faulted in a page at a time, unmapped. Compressing the parts
    instead took the flow's page faults in a bench pass from about 400 to about 180 thousand, and
    its peak from 161 to 147 MB (scratch runs beside the bench, three of each).

    One compressor for the process, behind a lock: a new one for each page cost 1.16 ms a dev page
    where a kept one costs 0.81, its tables mapped and faulted in afresh each time; and one per
    thread would hold its tables each. A stream cannot stay open while parts arrive, as pages of a
    batch arrive interleaved and a compressor streams one at a time: so the parts are compressed
    together once the page is in."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.blank = True  # nothing but white space so far

    def write(self, part: bytes) -> None:
        if self.blank and part and not part.isspace():
            self.blank = False
        self.parts.append(part)

    def finish(self) -> bytes:
        parts, self.parts = self.parts, []
        if self.blank:
            return b""
        with _ZSTD_LOCK:
            stream = _ZSTD.compressobj(size=sum(map(len, parts)))
            out = [stream.compress(part) for part in parts]
            out.append(stream.flush())
        return b"".join(out)


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


def page_problem(result: FetchResult) -> str | None:
    """Why a fetched page cannot be extracted, or None."""
    if result.error:
        return result.error
    if not result.ok:
        return f"HTTP {result.status}"
    if result.content_type not in HTML_TYPES:
        return f"not HTML: {result.content_type}"
    if not result.content.strip():
        return "empty page"
    return None


# Parsing costs memory by the tag (lxml's tree, and trafilatura copies it twice): 10 MB of `<p>a</p>`
# took a worker to 950 MB. The largest of 179 real news pages has 8,000 tags.
MAX_TAGS = 100_000


def run_job(job: PageJob) -> Extracted | Failed | None:
    if job.html_zstd is None:
        return None
    html = zstandard.decompress(job.html_zstd)
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


@dataclass(frozen=True)
class Failed:
    """An extraction that gave no answer: the page is failed with this reason and tried on a later pass."""

    reason: str


class _OutOfTime(BaseException):  # not an Exception: the extractor's own `except Exception` must not eat it
    pass


def _out_of_time(signum, frame) -> None:
    raise _OutOfTime


def start_worker(parent: int) -> None:
    """Run once in each worker at its start. (Nothing to load: the forkserver it was forked from
    loaded the extractors and their language model, see flows/forkserver.py.)"""
    exit_with(parent)


def _glibc():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune or trim
        return None


_LIBC = _glibc()
_MALLOC_TRIM = getattr(_LIBC, "malloc_trim", None)
_MALLOPT = getattr(_LIBC, "mallopt", None)


M_MMAP_THRESHOLD = -3  # mallopt's parameter (glibc's malloc.h)
LARGE_BUFFER = 1 << 20
# In the flow's process, which holds pages without parsing them: a page (300 kB) is read in a fetch
# task's thread, and its space stayed in that thread's heap once the page was compressed. The flow's
# peak in the bench's pass: 132 to 134 MB of its own with this threshold, 158 to 173 without it.
PAGE_BUFFER = 128 << 10


def keep_large_buffers_apart(size: int = LARGE_BUFFER) -> None:
    """Serve allocations of `size` bytes or more from mappings of their own, handed back to the
    system when freed. glibc otherwise raises this threshold to the largest buffer freed so far (up
    to 32 MB); from then on a page's buffers (its bytes, its text) come from the heap, which keeps
    their space after they are freed. In an extraction worker: 10 MB less held (`make bench`,
    measure 4) at no measurable cost a page. (At 256 kB, pages cost 4% more CPU.)"""
    if _MALLOPT is not None:
        _MALLOPT(M_MMAP_THRESHOLD, size)


def give_back_memory() -> None:
    """Hand the heap freed by a stored batch back to the system. glibc keeps freed memory for the
    process's next allocations, and a batch of pages leaves holes it does not reuse whole: the flow's
    process held about 30 MB more without this (bench, measure 4). Not in the extraction workers: a
    trim after each page gave back 18 MB there, but made a page cost 6 to 20% more CPU (the freed
    memory is touched again by the next page); keep_large_buffers_apart gets 10 MB of it for free."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _limited(fn, job: PageJob, limit: float):
    """In a worker process (its main thread, where signals arrive): fn(job), given up after `limit` s."""
    previous = signal.signal(signal.SIGALRM, _out_of_time)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        return fn(job)
    except _OutOfTime:
        return Failed(f"extraction took longer than {limit:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_job_limited(job: PageJob, limit: float) -> Extracted | Failed | FromFeed | None:
    """The page's article; failing that, when the job has its feed text, that text's (FromFeed)."""
    result = _limited(run_job, job, limit)
    if isinstance(result, Extracted) or job.feed_text is None:
        return result
    article = _limited(run_feed_text, job, limit)
    reason = result.reason if isinstance(result, Failed) else None
    return FromFeed(None if isinstance(article, Failed) else article, reason)


def _forkserver_context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["flows.forkserver"])
    return ctx


def start_forkserver() -> None:
    """Start the process the extraction workers are forked from, and return at once: it loads the
    extractors (a second of CPU, flows/forkserver.py) while this process does other things, such as
    waiting for Prefect's server to start on the other core. Starting the pool later takes the
    forkserver already running (and waits for it to be ready)."""
    from multiprocessing import forkserver

    _forkserver_context()
    forkserver.ensure_running()


class ExtractPool:
    """Extraction on every core, in worker processes shared by every flow run of this process.

    Workers start once, forked from a forkserver that loaded the extractors (flows/forkserver.py),
    and serve every batch after. A page is given up after `time_limit` seconds by an alarm in its
    worker; should a worker hang where no alarm reaches (inside C code), the pool is killed and
    started again, and the pages it held are failed with a reason. No pass waits on one page for
    longer than that.
    """

    _shared: dict[int, Executor] = {}
    _lock = threading.Lock()

    def __init__(self, workers: int = 0, time_limit: float = 30.0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.time_limit = time_limit

    def _pool(self) -> Executor:
        with self._lock:
            pool = self._shared.get(self.workers)
            if pool is None:
                pool = ProcessPoolExecutor(
                    self.workers, mp_context=_forkserver_context(), initializer=start_worker, initargs=(os.getpid(),)
                )
                self._shared[self.workers] = pool
            return pool

    def warm(self) -> None:
        """Start the workers now (their start-up then overlaps with polling the feeds)."""
        self._pool().submit(os.getpid)

    def map(self, jobs: list[PageJob]) -> list[Extracted | Failed | FromFeed | None]:
        """The jobs' results, in order. `jobs` is emptied once the pool has taken them all: a job (its
        page, compressed) is then held only until its worker is done with it."""
        if not jobs:
            return []
        rounds = -(-len(jobs) // self.workers)
        per_job = self.time_limit * (2 if any(j.feed_text is not None for j in jobs) else 1)  # page, feed text
        pool = self._pool()
        try:
            futures = [pool.submit(run_job_limited, job, self.time_limit) for job in jobs]
        except BrokenExecutor:
            self._restart(pool)
            pool = self._pool()
            futures = [pool.submit(run_job_limited, job, self.time_limit) for job in jobs]
        jobs.clear()
        done, pending = wait(futures, timeout=per_job * (rounds + 1) + 10)
        if pending:  # a worker is stuck beyond the reach of its alarm
            self._restart(pool)
        out: list[Extracted | Failed | FromFeed | None] = []
        for f in futures:
            if f in pending:
                out.append(Failed(f"extraction did not finish within {self.time_limit:g} s (worker restarted)"))
                continue
            try:
                out.append(f.result())
            except BrokenExecutor:
                out.append(Failed("extraction worker died"))
            except Exception as exc:  # noqa: BLE001 - one page must not fail its batch
                out.append(Failed(f"extraction failed: {type(exc).__name__}: {exc}"[:300]))
        return out

    def _restart(self, pool: Executor) -> None:
        with self._lock:
            if self._shared.get(self.workers) is pool:
                del self._shared[self.workers]
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    @classmethod
    def shutdown_all(cls) -> None:
        with cls._lock:
            pools = list(cls._shared.values())
            cls._shared.clear()
        for pool in pools:
            pool.shutdown(cancel_futures=True)


# Stop the workers when the process ends. In a multiprocessing child (Prefect's runner starts flow
# runs that way) exit joins every child process first: a finaliser with a high priority runs before
# that, and before the pool's own queues are closed (their finalisers have priority 10).
atexit.register(ExtractPool.shutdown_all)
multiprocessing.util.Finalize(None, ExtractPool.shutdown_all, exitpriority=100)
