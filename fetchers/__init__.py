"""HTTP for paperboy: feeds and pages, conditional GET, limits, politeness, the address guard.

The only package that imports httpx and feedparser. Nothing here raises on a bad URL, a dead host
or a broken feed: failures come back as values (`FetchResult.error`, `FeedPoll.error`).
"""

from ._feeds import parse_entries, poll_feed
from ._guard import address_is_public
from ._http import RETRY_AFTER_MAX, RETRY_AFTER_MIN, Fetcher, fetch_all, retry_after_seconds
from ._models import Entry, FeedPoll, FeedState, FetchResult, FetchSettings
from .urls import host_of, url_key

__all__ = [
    "RETRY_AFTER_MAX",
    "RETRY_AFTER_MIN",
    "Entry",
    "FeedPoll",
    "FeedState",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "address_is_public",
    "fetch_all",
    "host_of",
    "parse_entries",
    "poll_feed",
    "retry_after_seconds",
    "url_key",
]
