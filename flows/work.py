"""The work inside the ingest tasks: plain functions on frozen values, so that any Prefect task
runner (threads, a process pool, Dask) can run them. No database, no Prefect here."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import TypeVar

from extractors import Article, ExtractOptions, extract
from fetchers import (
    FeedPoll,
    FeedState,
    Fetcher,
    FetchResult,
    FetchSettings,
    SourcePage,
    fetch_all,
    poll_feed,
    read_feed_page,
    read_sitemap,
    sitemap_roots,
)

T = TypeVar("T")
HTML_TYPES = ("text/html", "application/xhtml+xml", "")  # "" : the server named no type; try it
POOL_MIN_PAGES = 40  # below this, starting worker processes costs more than it saves


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


def fetch_many(urls: list[str], settings: FetchSettings) -> list[FetchResult]:
    return asyncio.run(fetch_all(urls, settings))


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
class PageJob:
    url: str
    html: bytes
    options: ExtractOptions
    hint_authors: tuple[str, ...] = ()


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


def run_job(job: PageJob) -> Article | None:
    return extract(job.html, job.url, job.options, hint_authors=job.hint_authors)


class ExtractPool:
    """Extraction on every core: a process pool started only when a pass has enough pages."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: Executor | None = None

    def map(self, jobs: list[PageJob], expected_total: int) -> list[Article | None]:
        if self.workers > 1 and expected_total >= POOL_MIN_PAGES:
            if self._pool is None:
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(["extractors", "flows.work"])
                self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx)
            return list(self._pool.map(run_job, jobs, chunksize=max(1, len(jobs) // (self.workers * 4))))
        return [run_job(j) for j in jobs]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
