"""The values that leave fetchers/: small, frozen, picklable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FetchSettings:
    """How to fetch: one object instead of a dozen keyword arguments."""

    user_agent: str = "paperboy/0.1 (+https://github.com/paperboy-news/paperboy)"
    deadline: float = 30.0  # seconds for a whole request, body included (slow-drip servers)
    connect_timeout: float = 10.0
    max_bytes: int = 10 * 1024 * 1024  # body cap, after decompression
    max_redirects: int = 5
    per_host: int = 2  # concurrent requests to one host
    max_connections: int = 32  # concurrent requests overall
    min_interval: float = 0.0  # seconds between two request starts on one host
    retries: int = 1  # extra tries on a transient error (timeout, connection error, 5xx)
    retry_backoff: float = 0.5  # seconds before the first retry; doubles each time
    allow_private_networks: bool = False
    allowed_hosts: frozenset[str] = frozenset()  # "host" or "host:port" let through the address guard
    holds: tuple[tuple[str, float], ...] = ()  # (host, epoch): Retry-After holds from earlier passes


@dataclass(frozen=True)
class FetchResult:
    """One HTTP exchange. `error` is set when there is no usable response."""

    url: str
    final_url: str
    status: int = 0  # 0 when no response came
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names
    content: bytes = b""
    error: str | None = None
    transient: bool = False  # the error is worth retrying later (timeout, 5xx, connection)
    redirects: tuple[tuple[int, str], ...] = ()  # (status, location) of each hop

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class FeedState:
    """What we remember of a feed between polls."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None


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
