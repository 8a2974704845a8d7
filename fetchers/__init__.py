"""HTTP for paperboy: feeds and pages, conditional GET, limits, politeness, the address guard.

The only package that imports httpx and feedparser. Nothing here raises on a bad URL, a dead host
or a broken feed: failures come back as values (`FetchResult.error`, `FeedPoll.error`).
"""

from ._body import Body, JoinedBody
from ._discover import SourcePage, origin_of, paged_url, parse_sitemap, read_feed_page, read_sitemap, sitemap_roots
from ._feeds import parse_entries, poll_feed
from ._find import Found, find_feeds
from ._guard import address_is_public
from ._hosts import HOSTS
from ._http import RETRY_AFTER_MAX, RETRY_AFTER_MIN, Fetcher, fetch_all, hold_seconds, retry_after_seconds
from ._models import FetchResult, FetchSettings, page_problem
from ._xml import UnsafeXML, safe_xml

__all__ = [
    "UnsafeXML",
    "Found",
    "find_feeds",
    "safe_xml",
    "HOSTS",
    "RETRY_AFTER_MAX",
    "RETRY_AFTER_MIN",
    "SourcePage",
    "Body",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "JoinedBody",
    "address_is_public",
    "fetch_all",
    "page_problem",
    "hold_seconds",
    "origin_of",
    "paged_url",
    "parse_entries",
    "parse_sitemap",
    "poll_feed",
    "read_feed_page",
    "read_sitemap",
    "retry_after_seconds",
    "sitemap_roots",
]
