"""The values that cross paperboy's layers: small, frozen, picklable, and importing nothing of
paperboy (fetchers make entries and polls, extractors make articles, flows make outcomes, db stores
them)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field, fields

EXTRACTOR_VERSION = "6"  # bump when a change to extraction or cleaning (extractors/) changes stored text


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header or cookie name (RFC 9110 token)
_UNSAFE_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # a header value may hold tabs, never line breaks


def header_problem(name: str, value: str) -> str | None:
    """Why `name: value` cannot be sent as a request header (None: it can)."""
    if not _TOKEN.fullmatch(name):
        return f"{name!r} is not a header name"
    if _UNSAFE_VALUE.search(value):
        return f"the value of {name} holds a line break or a control character"
    return None


@dataclass(frozen=True)
class FeedAccess:
    """What a feed's server asks for before it answers: HTTP Basic credentials, headers, cookies.
    Kept outside the archive (db/credentials.py) and sent only to `origin`, the feed's own: never
    on a redirect to another origin, never to article pages. Its repr shows no value, so a log or a
    traceback that prints a FeedState carries no secret."""

    origin: str  # scheme://host:port of the feed the secrets were given for
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    cookies: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def __bool__(self) -> bool:
        return bool(self.user or self.password or self.headers or self.cookies)

    def request_headers(self) -> dict[str, str]:
        """The headers that carry the secrets."""
        out = dict(self.headers)
        if self.user is not None or self.password is not None:
            pair = f"{self.user or ''}:{self.password or ''}".encode()
            out["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        if self.cookies:
            out["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies)
        return out

    def updated(self, other: FeedAccess) -> FeedAccess:
        """These secrets with `other`'s over them (a header or cookie of the same name replaced)."""
        headers = {k.lower(): (k, v) for k, v in self.headers}
        headers.update({k.lower(): (k, v) for k, v in other.headers})
        cookies = dict(self.cookies) | dict(other.cookies)
        user, password = (other.user, other.password) if other.user is not None else (self.user, self.password)
        return FeedAccess(other.origin, user, password, tuple(headers.values()), tuple(cookies.items()))


@dataclass(frozen=True)
class FeedState:
    """What we remember of a feed between polls."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    access: FeedAccess | None = field(default=None, repr=False)  # the feed's secrets, where it has any


@dataclass(frozen=True)
class Entry:
    """One feed item."""

    feed_url: str
    key: str  # the guid, else the normalised link: unique within a feed
    guid: str | None
    link: str | None
    title: str | None
    authors: tuple[str, ...] = ()
    published: str | None = None  # ISO 8601, UTC
    content: str | None = None  # HTML from content:encoded, Atom content or the summary


@dataclass(frozen=True)
class FeedPoll:
    """The outcome of polling one feed."""

    state: FeedState  # the new state to store (etag, last_modified, hash)
    status: str  # "fetched", "not_modified", "unchanged" or "failed"
    entries: tuple[Entry, ...] = ()
    title: str | None = None
    site_url: str | None = None
    error: str | None = None
    http_status: int = 0
    ttl_hint: int | None = None  # seconds the publisher asks us to wait (ttl, sy:update*, Cache-Control)
    retry_after: int | None = None  # seconds, from a 429/503 (clamped to 1 minute - 1 day)
    gone: bool = False  # 410: disable the feed
    moved_to: str | None = None  # a permanent redirect's target
    prev_archive: str | None = None  # RFC 5005: the archive page before this one
    next_page: str | None = None  # RFC 5005 paged feeds: the next page
    notice: str | None = None  # something the user should hear of a poll that worked (items left unread)


DOUBTFUL = 0.5  # an article whose text is weighed under this confidence is doubtful


@dataclass(frozen=True)
class Article:
    url: str  # the page's URL (after redirects)
    text: str  # paragraphs separated by one blank line
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    source: str = "page"  # "page", or "feed" when the text came from the feed's own content
    extractor_version: str = EXTRACTOR_VERSION
    removed: tuple[tuple[str, str], ...] = ()  # (rule, paragraph) that cleaning removed
    confidence: float | None = None  # 0 to 1, how far to trust the text; None where none was measured


@dataclass(frozen=True)
class Outcome:
    """What became of one entry in a pass: an article (from its page or the feed), or an error."""

    entry: Entry
    article: Article | None = None
    raw_zstd: bytes | None = None  # the page, zstd-compressed
    keys: tuple[str, ...] = ()  # normalised addresses it was reached under
    error: str | None = None  # why the page gave no article (the fallback may still have text)


@dataclass(frozen=True)
class StoredPage:
    article_id: int
    url: str
    html_zstd: bytes  # the page, zstd-compressed
    text_hash: str


@dataclass(frozen=True, slots=True)  # slots: a tick holds every feed due, 100,000 of them
class Feed:
    """A followed feed as the store keeps it: its address, its memory between polls, its health."""

    id: int
    url: str
    name: str | None = None  # the user's
    title: str | None = None  # the feed's own
    site_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    added_at: str | None = None
    last_polled_at: str | None = None
    last_success_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    consecutive_errors: int = 0
    next_poll_at: str | None = None
    interval_seconds: int | None = None
    ttl_hint: int | None = None
    moved_to: str | None = None  # a permanent redirect's target, seen once
    disabled: int = 0  # 0 polled; 1 paused by the user; 2 gone (HTTP 410)
    removed_at: str | None = None
    min_interval: int | None = None  # seconds: this feed's own shortest poll interval
    folder: str | None = None  # the user's folder for it (an OPML outline around it)
    articles: int = 0  # stored articles (when the store counted them)

    @property
    def state(self) -> FeedState:
        return FeedState(self.url, self.etag, self.last_modified, self.content_hash)


FEED_FIELDS = tuple(f.name for f in fields(Feed))  # read once: `feeds list --json` writes 100,000 feeds
