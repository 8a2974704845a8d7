"""The network work of the flows' tasks: batches of feeds polled and pages fetched, each batch in an
event loop of its own inside its task; pages held compressed from the parts they arrive in."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, replace

import zstandard

from paperboy.core import FeedAccess, FeedPoll, FeedState
from paperboy.fetchers import (
    Fetcher,
    FetchResult,
    FetchSettings,
    Found,
    SourcePage,
    fetch_all,
    find_feeds,
    page_problem,
    poll_feed,
    read_feed_page,
    read_sitemap,
    sitemap_roots,
)


async def _poll_many(states: list[FeedState], settings: FetchSettings) -> list[FeedPoll]:
    async with Fetcher(settings) as fetcher:
        return list(await asyncio.gather(*(poll_feed(s, fetcher=fetcher) for s in states)))


def poll_many(states: list[FeedState], settings: FetchSettings) -> list[FeedPoll]:
    return asyncio.run(_poll_many(states, settings))


def find_feed(url: str, settings: FetchSettings, access: FeedAccess | None = None) -> Found:
    async def look() -> Found:
        async with Fetcher(settings) as fetcher:
            return await find_feeds(url, fetcher=fetcher, access=access)

    return asyncio.run(look())


def fetch_many(urls: list[str], settings: FetchSettings) -> list[FetchResult]:
    return asyncio.run(fetch_all(urls, settings))


def fetch_pages_compressed(urls: list[str], settings: FetchSettings) -> list[FetchedPage]:
    """The pages at `urls` as the flow holds them until they are stored: each page compressed as
    soon as it is in (CompressedBody), so a batch's pages are never all held whole at once (only
    those still arriving are: a few per host), and none is ever joined into one buffer."""
    return asyncio.run(fetch_all(urls, settings, each=compressed, body=CompressedBody))


async def _read_sources(
    pages: list[tuple[str, str, str]], settings: FetchSettings, access: dict[str, FeedAccess]
) -> list[SourcePage]:
    async with Fetcher(settings) as fetcher:
        reads = [
            read_sitemap(url, feed_url, fetcher=fetcher) if kind == "sitemap"
            else read_feed_page(url, feed_url, fetcher=fetcher, access=access.get(feed_url))
            for kind, url, feed_url in pages
        ]  # fmt: skip
        return list(await asyncio.gather(*reads))


def read_sources(
    pages: list[tuple[str, str, str]], settings: FetchSettings, access: dict[str, FeedAccess] | None = None
) -> list[SourcePage]:
    """Read feed pages and sitemaps: (kind "feed" or "sitemap", URL, the feed they belong to) each;
    `access`: the secrets of the feeds that have any, by feed URL."""
    return asyncio.run(_read_sources(pages, settings, access or {}))


async def _find_sitemaps(site_urls: list[str], settings: FetchSettings) -> list[tuple[list[str], list[str]]]:
    async with Fetcher(settings) as fetcher:
        return list(await asyncio.gather(*(sitemap_roots(u, fetcher=fetcher) for u in site_urls)))


def find_sitemaps(site_urls: list[str], settings: FetchSettings) -> list[tuple[list[str], list[str]]]:
    """For each site: (the sitemaps its robots.txt names, the usual places besides)."""
    return asyncio.run(_find_sitemaps(site_urls, settings))


# A page is compressed once, as soon as it is fetched, and goes on so: held by the flow, sent to a
# worker, stored as the archive keeps it (level 3: docs/performance.md, "Pages travel compressed").
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
    or less each) and compressed when complete, never joined into one buffer. A joined page would
    be a mapping of its own in the flow's process (keep_large_buffers_apart), faulted in each time.

    One compressor for the process, behind a lock: a new one for each page maps and faults in its
    tables afresh, and one per thread would hold its tables each. A stream cannot stay open while
    parts arrive, as pages of a batch arrive interleaved and a compressor streams one at a time: so
    the parts are compressed together once the page is in."""

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
