"""Finding a feed from what a user gives: a feed's URL, or a page that links its feeds."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from paperboy.core import FeedAccess, FeedState, web_url

from ._feeds import FEED_ACCEPT, parse_entries
from ._http import Fetcher
from ._models import FetchResult

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
              "application/rdf+xml", "application/xml", "text/xml")  # fmt: skip
USUAL_PLACES = ("/feed", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/feed.json", "/rss")


@dataclass(frozen=True)
class Found:
    """What a URL turned out to be: the feeds found (URL, title), or why none was."""

    feeds: tuple[tuple[str, str | None], ...] = ()
    error: str | None = None
    page: bool = False  # the URL was a page, and the feeds were found from it
    guessed: bool = False  # the page names no feed: the one found is at a usual place (/feed, /rss.xml…)


def _html(result: FetchResult) -> bool:
    start = result.content[:512].lstrip().lower()
    return result.content_type in ("text/html", "application/xhtml+xml") or start.startswith(
        (b"<!doctype html", b"<html")
    )


def _as_feed(url: str, result: FetchResult) -> tuple[str, str | None] | None:
    """(the feed's URL, its title) when `result` is a feed: the address it moved to for good when
    every redirect on the way was permanent (301, 308), so that it is followed under one address."""
    if not result.ok or _html(result):
        return None
    if result.redirects and all(status in (301, 308) for status, _ in result.redirects):
        url = result.final_url
    poll = parse_entries(FeedState(url), result)
    return (url, poll.title) if poll.status == "fetched" else None


def _linked(result: FetchResult) -> list[str]:
    """The feeds a page names in its head: <link rel="alternate" type="…feed type…" href>."""
    try:
        tree = lxml.html.fromstring(result.content)
    except (etree.ParserError, ValueError):
        return []
    out = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = web_url(urljoin(result.final_url, link.get("href") or ""))
        if "alternate" in rel and kind in FEED_TYPES and href and href not in out:
            out.append(href)
    return out


async def find_feeds(url: str, *, fetcher: Fetcher, access: FeedAccess | None = None) -> Found:
    """The feed at `url`; or, for a page, the feeds it links, else those at the usual places.
    `access`: the secrets the user gave with `url`, sent to its origin only."""
    result = await fetcher.get(url, {"Accept": FEED_ACCEPT + ", text/html;q=0.5"}, access=access)
    if not result.ok:
        return Found(error=result.error or f"HTTP {result.status}")
    feed = _as_feed(url, result)
    if feed:
        return Found((feed,))
    if not _html(result):
        return Found(error="neither a feed nor a page")
    candidates = _linked(result) or [urljoin(result.final_url, place) for place in USUAL_PLACES]
    found = []
    for candidate in candidates:
        feed = _as_feed(candidate, await fetcher.get(candidate, {"Accept": FEED_ACCEPT}, access=access))
        if feed:
            found.append(feed)
            if not _linked(result):  # the first of the usual places that answers is enough
                break
    guessed = not _linked(result)
    why = None if found else "a page that names no feed, and none at the usual places"
    return Found(tuple(found), why, page=True, guessed=guessed)
