"""Feeds: a conditional GET, then feedparser on the bytes (never on a URL)."""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

import feedparser

from paperboy.core import Entry, FeedPoll, FeedState, ascii_int, internal_error, one_line, printable, url_key, web_url

from ._http import Fetcher, hold_seconds, http_date_seconds
from ._models import FetchResult
from ._xml import MAX_ITEMS, UnsafeXML, first_items, safe_xml

# feedparser asks for libxml2's SAX driver before expat on every parse: the failed import of a module
# not installed was a tenth of a feed poll's CPU. Expat, which every parse here fell back to anyway.
feedparser.api.PREFERRED_XML_PARSERS = []

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, */*;q=0.8"
_SY_PERIOD = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000, "yearly": 31536000}
HINT_MAX = 366 * 24 * 3600  # a publisher's hint beyond a year says nothing more (the schedule caps at a day)
# Caps on what one item may put in the archive: a feed within the body cap can still hold one huge field.
MAX_TITLE = 1000  # characters
MAX_NAME = 200  # characters of one author's name
MAX_AUTHORS = 20
MAX_GUID = 1024  # characters; a longer guid is kept by its hash
MAX_CONTENT = 1_000_000  # characters of an item's own HTML (content:encoded, summary)


def conditional_headers(state: FeedState) -> dict[str, str]:
    headers = {"Accept": FEED_ACCEPT}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


async def fetch_feed(state: FeedState, *, fetcher: Fetcher) -> FetchResult:
    return await fetcher.get(state.url, conditional_headers(state), access=state.access)


def cache_hint(headers) -> int | None:
    """Seconds the response says it stays fresh (Cache-Control max-age, else Expires)."""
    for directive in headers.get("cache-control", "").split(","):
        name, _, value = directive.partition("=")
        if name.strip().lower() == "max-age":
            seconds = ascii_int(value.strip().strip('"'))
            if seconds is not None:
                return min(seconds, HINT_MAX)
    return http_date_seconds(headers.get("expires"))


def _iso(parsed) -> str | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()
    except (OverflowError, ValueError, TypeError):
        return None


def _publisher_hint(feed) -> int | None:
    """The longest wait the feed itself asks for: RSS ttl (minutes), sy:updatePeriod / updateFrequency."""
    hints = []
    ttl = ascii_int(feed.get("ttl", ""))
    if ttl:
        hints.append(min(ttl * 60, HINT_MAX))
    period = _SY_PERIOD.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if period:
        freq = ascii_int(feed.get("sy_updatefrequency", "1")) or 1
        hints.append(max(1, period // freq))
    return max(hints, default=None)


def parse_entries(state: FeedState, result: FetchResult) -> FeedPoll:
    """The only feedparser call. Turns a fetched feed into a FeedPoll; a feed that cannot be read
    is a failed poll, never an exception."""
    try:
        return _parse(state, result)
    except Exception as exc:  # noqa: BLE001 - one feed's bytes must not stop the others
        return FeedPoll(state, "failed", error=f"could not read the feed: {type(exc).__name__}: {exc}"[:300],
                        http_status=result.status)  # fmt: skip


def _parse(state: FeedState, result: FetchResult) -> FeedPoll:
    if _is_json_feed(result):
        return _parse_json_feed(state, result)
    headers = dict(result.headers)
    headers.pop("content-encoding", None)  # already decoded by the fetcher
    headers.pop("content-location", None)  # feedparser would resolve relative links against it
    headers["content-location"] = result.final_url
    try:
        body, headers = safe_xml(result.content, headers)
    except UnsafeXML as exc:
        return FeedPoll(state, "failed", error=f"not a feed: {exc}", http_status=result.status)
    body, cut = first_items(body)
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
        problem = parsed.get("bozo_exception")
        # Decoding put an XML declaration line before a document that had none: its lines are one less.
        shift = int(
            body.startswith(b"<?xml") and not result.content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml")
        )
        return FeedPoll(
            state,
            "failed",
            error=f"not a feed: {_where(str(problem), shift) if problem else 'no entries and no title'}"[:300],
            http_status=result.status,
        )
    entries, repeated = _unique(_entry(state.url, item) for item in parsed.entries)
    feed = parsed.feed
    hints = [cache_hint(result.headers), _publisher_hint(feed)]
    links = {link.get("rel"): web_url(link.get("href")) for link in feed.get("links", []) if link.get("href")}
    return FeedPoll(
        state=state,
        status="fetched",
        entries=entries,
        title=one_line(feed.get("title"), MAX_TITLE),
        site_url=web_url(feed.get("link")),
        http_status=result.status,
        ttl_hint=max((h for h in hints if h), default=None),
        prev_archive=links.get("prev-archive"),
        next_page=links.get("next"),
        notice=_notice(cut, repeated),
    )


_POSITION = re.compile(r"^<unknown>:(\d+):(\d+): ")


def _where(problem: str, shift: int) -> str:
    """expat's `<unknown>:2:14: unclosed token` as `line 1, column 14: unclosed token`."""
    found = _POSITION.match(problem)
    if not found:
        return problem
    line, column = int(found.group(1)) - shift, int(found.group(2))
    return f"line {max(line, 1)}, column {column}: {problem[found.end() :]}"


def _notice(cut: bool, repeated: int) -> str | None:
    """What the user should hear of a feed that was read: items left unread, items sharing an id."""
    said = []
    if cut:
        said.append(f"the feed lists more than {MAX_ITEMS} items: the first {MAX_ITEMS} were read")
    if repeated:
        said.append(f"{repeated} item{'s' * (repeated != 1)} share{'s' * (repeated == 1)} a guid (or link) with an "
                    "earlier one: the first of each was kept")  # fmt: skip
    return "; ".join(said) or None


def _unique(entries: Iterable[Entry | None]) -> tuple[tuple[Entry, ...], int]:
    """The entries, each key once (the first), none of the items that gave no entry; and how many
    were dropped for a key an earlier one had."""
    out: dict[str, Entry] = {}
    repeated = 0
    for entry in entries:
        if entry is not None:
            if entry.key in out:
                repeated += 1
            else:
                out[entry.key] = entry
    return tuple(out.values()), repeated


def _is_json_feed(result: FetchResult) -> bool:
    return "json" in result.content_type or result.content[:64].lstrip()[:1] == b"{"


def _parse_json_feed(state: FeedState, result: FetchResult) -> FeedPoll:
    """A JSON Feed (1.0 or 1.1, https://jsonfeed.org), read into the same values as RSS and Atom."""
    try:
        feed = json.loads(result.content)
    except (ValueError, RecursionError) as exc:
        return FeedPoll(state, "failed", error=f"not a feed: not valid JSON: {exc}"[:300], http_status=result.status)
    version = feed.get("version") if isinstance(feed, dict) else None
    if not (isinstance(version, str) and version.startswith("https://jsonfeed.org/version/")):
        return FeedPoll(
            state, "failed", error="not a feed: JSON without a jsonfeed.org version", http_status=result.status
        )
    items = feed.get("items") if isinstance(feed.get("items"), list) else []
    entries, repeated = _unique(_json_entry(state.url, item) for item in items[:MAX_ITEMS] if isinstance(item, dict))
    return FeedPoll(
        state=state,
        status="fetched",
        entries=entries,
        title=one_line(feed.get("title"), MAX_TITLE),
        site_url=web_url(feed.get("home_page_url")),
        http_status=result.status,
        ttl_hint=cache_hint(result.headers),
        next_page=web_url(feed.get("next_url")),
        notice=_notice(len(items) > MAX_ITEMS, repeated),
    )


def _json_entry(feed_url: str, item: dict) -> Entry | None:
    """A JSON Feed item through the same checks and caps as an RSS or Atom item."""
    text = item.get("content_text")
    body = item.get("content_html") or (f"<p>{html.escape(text)}</p>" if isinstance(text, str) else "")
    listed = item.get("authors")
    authors = listed if isinstance(listed, list) else [item.get("author")]  # 1.1, 1.0
    return _entry(feed_url, {
        "id": item.get("id") if isinstance(item.get("id"), (str, int)) else None,
        "link": item.get("url") or item.get("external_url"),
        "title": item.get("title"),
        "authors": [a for a in authors if isinstance(a, dict)],
        "content": [{"value": body}],
        "summary": item.get("summary"),
        "published_parsed": _rfc3339(item.get("date_published") or item.get("date_modified")),
    })  # fmt: skip


def _rfc3339(value) -> time.struct_time | None:
    """A JSON Feed date (RFC 3339) as the UTC time tuple feedparser gives for RSS dates."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip()[:64])
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).timetuple()
    except (ValueError, OverflowError):
        return None


def _entry(feed_url: str, item) -> Entry | None:
    """One item as paperboy keeps it, every field checked and capped; None for an item with
    neither a guid, a link nor a title. Only an http(s) address becomes the item's link."""
    link = web_url(item.get("link"))
    guid = one_line(item.get("id"), 100 * MAX_GUID)
    if guid and len(guid) > MAX_GUID:
        guid = "sha256:" + hashlib.sha256(guid.encode()).hexdigest()
    title = one_line(item.get("title"), MAX_TITLE)
    key = guid or (url_key(link) if link else None)
    if not key:
        if not title:
            return None
        key = "title:" + hashlib.sha256(title.encode()).hexdigest()[:32]
    names = [a.get("name") for a in item.get("authors", []) if isinstance(a, dict)] or [item.get("author")]
    authors = tuple(dict.fromkeys(n for n in (one_line(n, MAX_NAME) for n in names[:MAX_AUTHORS]) if n))
    contents = item.get("content") or []
    content = max((str(c.get("value") or "") for c in contents), key=len, default="") or item.get("summary")
    if not isinstance(content, str | None):
        content = None
    return Entry(
        feed_url=feed_url,
        key=key,
        guid=guid,
        link=link,
        title=title,
        authors=authors,
        published=_iso(item.get("published_parsed") or item.get("updated_parsed")),
        content=printable(str(content))[:MAX_CONTENT] if content else None,
    )


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def poll_feed(state: FeedState, *, fetcher: Fetcher) -> FeedPoll:
    """Fetch and parse one feed: 304 or an unchanged body ends the work there. Whatever the feed
    sends, and whatever goes wrong in handling it, comes back as this feed's failed poll."""
    try:
        return await _poll(state, fetcher)
    except Exception as exc:  # noqa: BLE001 - a defect in one feed's handling is that feed's error
        return FeedPoll(state, "failed", error=internal_error(exc))


def _validator(value: str | None) -> str | None:
    """An ETag or Last-Modified to send back next time: only a short one of printable characters
    (one the HTTP client would refuse to send would fail every later poll of the feed)."""
    if not value or len(value) > 1024 or not value.isprintable():
        return None
    return value


async def _poll(state: FeedState, fetcher: Fetcher) -> FeedPoll:
    result = await fetch_feed(state, fetcher=fetcher)
    permanent = [loc for status, loc in result.redirects if status in (301, 308)]
    moved = web_url(permanent[-1]) if permanent and len(permanent) == len(result.redirects) else None
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
        etag=_validator(result.headers.get("etag")),
        last_modified=_validator(result.headers.get("last-modified")),
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
        poll = replace(poll, moved_to=moved)
    return poll
