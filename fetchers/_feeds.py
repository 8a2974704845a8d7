"""Feeds: a conditional GET, then feedparser on the bytes (never on a URL)."""

from __future__ import annotations

import calendar
import email.utils
import hashlib
import re
import time
from datetime import UTC, datetime

import feedparser

from ._http import Fetcher, hold_seconds
from ._models import Entry, FeedPoll, FeedState, FetchResult
from .urls import url_key

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, */*;q=0.8"
# An internal DTD subset is where entity bombs live (quadratic blowup, billion laughs, XXE): no
# real feed needs one, so it is cut before parsing.
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.S | re.I)
_ENTITY = re.compile(rb"<!ENTITY[^>]*>", re.S | re.I)
_SY_PERIOD = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000, "yearly": 31536000}


def conditional_headers(state: FeedState) -> dict[str, str]:
    headers = {"Accept": FEED_ACCEPT}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


async def fetch_feed(state: FeedState, *, fetcher: Fetcher) -> FetchResult:
    return await fetcher.get(state.url, conditional_headers(state))


def cache_hint(headers) -> int | None:
    """Seconds the response says it stays fresh (Cache-Control max-age, else Expires)."""
    cc = headers.get("cache-control", "")
    m = re.search(r"max-age\s*=\s*(\d+)", cc)
    if m:
        return int(m.group(1))
    expires = headers.get("expires")
    if expires:
        try:
            when = email.utils.parsedate_to_datetime(expires)
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0, int(when.timestamp() - time.time()))
        except (TypeError, ValueError):
            return None
    return None


def _iso(parsed) -> str | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()
    except (OverflowError, ValueError, TypeError):
        return None


def _text(value) -> str | None:
    if value is None:
        return None
    value = re.sub(r"\s+", " ", str(value)).strip()
    return value or None


def parse_entries(state: FeedState, result: FetchResult) -> FeedPoll:
    """The only feedparser call. Turns a fetched feed into a FeedPoll."""
    body = _ENTITY.sub(b"", _DOCTYPE.sub(b"", result.content, count=1))
    headers = dict(result.headers)
    headers.pop("content-encoding", None)  # already decoded by the fetcher
    headers.pop("content-location", None)  # feedparser would resolve relative links against it
    headers.setdefault("content-location", result.final_url)
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
        exc = parsed.get("bozo_exception")
        return FeedPoll(
            state,
            "failed",
            error=f"not a feed: {exc or 'no entries and no title'}"[:300],
            http_status=result.status,
        )
    entries = []
    seen: set[str] = set()
    for item in parsed.entries:
        link = _text(item.get("link"))
        guid = _text(item.get("id"))
        key = guid or (url_key(link) if link else None)
        if not key:
            title = _text(item.get("title")) or ""
            if not title:
                continue
            key = "title:" + hashlib.sha256(title.encode()).hexdigest()[:32]
        if key in seen:
            continue
        seen.add(key)
        authors = tuple(a["name"].strip() for a in item.get("authors", []) if a.get("name", "").strip())
        if not authors and item.get("author"):
            authors = (item["author"].strip(),)
        contents = item.get("content") or []
        content = max((c.get("value", "") for c in contents), key=len, default="") or item.get("summary")
        entries.append(
            Entry(
                feed_url=state.url,
                key=key,
                guid=guid,
                link=link,
                title=_text(item.get("title")),
                authors=authors,
                published=_iso(item.get("published_parsed") or item.get("updated_parsed")),
                content=content or None,
            )
        )
    feed = parsed.feed
    hints = [cache_hint(result.headers)]
    ttl = str(feed.get("ttl", "")).strip()
    if ttl.isdigit():
        hints.append(int(ttl) * 60)
    period = _SY_PERIOD.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if period:
        freq = str(feed.get("sy_updatefrequency", "1")).strip()
        hints.append(period // max(1, int(freq)) if freq.isdigit() else period)
    hint = max((h for h in hints if h), default=None)
    links = {link.get("rel"): link.get("href") for link in feed.get("links", []) if link.get("href")}
    return FeedPoll(
        state=state,
        status="fetched",
        entries=tuple(entries),
        title=_text(feed.get("title")),
        site_url=_text(feed.get("link")),
        http_status=result.status,
        ttl_hint=hint,
        prev_archive=links.get("prev-archive"),
        next_page=links.get("next"),
    )


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def poll_feed(state: FeedState, *, fetcher: Fetcher) -> FeedPoll:
    """Fetch and parse one feed: 304 or an unchanged body ends the work there."""
    result = await fetch_feed(state, fetcher=fetcher)
    permanent = [loc for status, loc in result.redirects if status in (301, 308)]
    moved = permanent[-1] if permanent and len(permanent) == len(result.redirects) else None
    if result.not_modified:
        return FeedPoll(state, "not_modified", http_status=304, ttl_hint=cache_hint(result.headers), moved_to=moved)
    if not result.ok:
        return FeedPoll(
            state,
            "failed",
            error=result.error or f"HTTP {result.status}",
            http_status=result.status,
            retry_after=hold_seconds(result),
            gone=result.status == 410,
        )
    new_state = FeedState(
        url=state.url,
        etag=result.headers.get("etag"),
        last_modified=result.headers.get("last-modified"),
        content_hash=content_hash(result.content),
    )
    if state.content_hash and new_state.content_hash == state.content_hash:
        return FeedPoll(
            new_state,
            "unchanged",
            http_status=result.status,
            ttl_hint=cache_hint(result.headers),
            moved_to=moved,
        )
    poll = parse_entries(new_state, result)
    if moved:
        poll = FeedPoll(**{**poll.__dict__, "moved_to": moved})
    return poll
