"""HTTP for paperboy: feeds and pages, conditional GET, limits, politeness, the address guard.

The only package that imports httpx and feedparser. Nothing here raises on a bad URL, a dead host
or a broken feed: failures come back as values (`FetchResult.error`, `FeedPoll.error`).
"""

from typing import TYPE_CHECKING

from ._models import FetchResult, FetchSettings, page_problem
from ._xml import UnsafeXML, safe_xml

if TYPE_CHECKING:
    from ._body import Body, JoinedBody
    from ._discover import SourcePage, origin_of, paged_url, parse_sitemap, read_feed_page, read_sitemap, sitemap_roots
    from ._feeds import parse_entries, poll_feed
    from ._find import Found, find_feeds
    from ._guard import address_is_public
    from ._hosts import HOSTS
    from ._http import RETRY_AFTER_MAX, RETRY_AFTER_MIN, Fetcher, fetch_all, hold_seconds, retry_after_seconds

# The rest is imported on first use: httpx, h11 and feedparser are a large part of every command's
# start-up, and `feeds list`, `search` or `export` never fetch.
_LAZY = {
    "Body": "_body", "JoinedBody": "_body",
    "SourcePage": "_discover", "origin_of": "_discover", "paged_url": "_discover", "parse_sitemap": "_discover",
    "read_feed_page": "_discover", "read_sitemap": "_discover", "sitemap_roots": "_discover",
    "parse_entries": "_feeds", "poll_feed": "_feeds",
    "Found": "_find", "find_feeds": "_find",
    "address_is_public": "_guard",
    "HOSTS": "_hosts",
    "RETRY_AFTER_MAX": "_http", "RETRY_AFTER_MIN": "_http", "Fetcher": "_http", "fetch_all": "_http",
    "hold_seconds": "_http", "retry_after_seconds": "_http",
}  # fmt: skip


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FetchResult", "FetchSettings", "UnsafeXML", "page_problem", "safe_xml", *_LAZY]
