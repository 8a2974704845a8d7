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
    max_connections: int = 128  # concurrent requests of one client (a task's batch)
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


HTML_TYPES = ("text/html", "application/xhtml+xml", "")  # "" : the server named no type; try it


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
