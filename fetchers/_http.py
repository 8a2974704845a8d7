"""HTTP for feeds and pages: limits, politeness and the address guard in one client.

Exceptions never escape `Fetcher.get`: every failure comes back as a FetchResult with `error` set,
one line saying what went wrong, and `transient` telling whether a later retry may help.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import random
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC
from typing import Any
from urllib.parse import urljoin, urlsplit

import brotli
import httpx
from protego import Protego

from paperboy.core import FeedAccess, ascii_int, internal_error, same_origin_or_upgrade, site_of, url_problem

from ._body import Body, BodyFactory, JoinedBody, TooLarge, _Decoder
from ._guard import BlockedAddress, Guard
from ._hosts import HOSTS
from ._models import FetchResult, FetchSettings
from ._transport import GuardedTransport

REDIRECTS = (301, 302, 303, 307, 308)
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
RETRY_AFTER_MIN, RETRY_AFTER_MAX = 60, 24 * 3600  # a server's Retry-After, clamped to this range
# How long the rules read from a robots.txt serve every Fetcher of the process (RFC 9309 allows up to
# 24 h). A robots.txt that could not be read is not shared: the next batch asks again.
ROBOTS_TTL = 3600.0
_ROBOTS_SLOT = "robots.txt "  # HOSTS key of the one-at-a-time slot for reading an origin's robots.txt


def http_date_seconds(value: str | None, now: float | None = None) -> int | None:
    """Seconds from now until an HTTP date (0 when it is past); None for a value that is not one."""
    if not value or len(value) > 100:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0, int(when.timestamp() - (now or time.time())))
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def retry_after_seconds(value: str | None, now: float | None = None) -> int | None:
    """Retry-After as seconds: a number of seconds (ASCII digits) or an HTTP date."""
    if not value:
        return None
    seconds = ascii_int(value)
    return seconds if seconds is not None else http_date_seconds(value, now)


def hold_seconds(result: FetchResult) -> int | None:
    """How long a 429/503 asks us to leave its host alone, clamped; None when it does not."""
    if result.status not in (429, 503):
        return None
    seconds = retry_after_seconds(result.headers.get("retry-after"))
    return None if seconds is None else min(max(seconds, RETRY_AFTER_MIN), RETRY_AFTER_MAX)


@asynccontextmanager
async def _slot(host: str, settings: FetchSettings) -> AsyncIterator[None]:
    """One of the host's concurrent slots in this process, after its minimum interval."""
    await HOSTS.acquire(host, settings.per_host, settings.min_interval)
    try:
        yield
    finally:
        HOSTS.release(host)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context for the process: building one loads the CA bundle, which every
    client (every batch of pages) would pay for."""
    return httpx.create_ssl_context()


class Fetcher:
    """One async client for a batch of requests; use as `async with Fetcher(settings) as f`."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        # The guard sits where connections are made: redirects and every DNS answer pass through it.
        # Requests go to the transport itself, not through httpx's client: paperboy follows redirects
        # by hand and keeps no cookies, and the client's URL merging and cookie jar cost a 304 poll
        # 0.2 ms of its 1.1-1.3 (docs/performance.md). No proxy from the environment, either.
        self.transport = GuardedTransport(Guard(settings.allow_private_networks, settings.allowed_hosts), _tls())
        self._headers = httpx.Headers(
            {"User-Agent": settings.user_agent, "Accept": "*/*", "Accept-Encoding": "gzip, deflate, br"}
        )
        # A timeout for connecting only (all the transport reads): the deadline bounds the whole exchange (_request).
        self._timeouts = {"connect": settings.connect_timeout}
        self._overall = asyncio.Semaphore(settings.max_connections)
        # origin -> Protego rules; True (no rules: allowed); or the failed FetchResult (disallowed, and why)
        self._robots: dict[str, Protego | bool | FetchResult] = {}
        for host, until in settings.holds:  # Retry-After holds remembered from earlier passes
            HOSTS.hold(host, until)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.transport.aclose()

    @asynccontextmanager
    async def _get(self, url: str, headers: dict[str, str]) -> AsyncIterator[httpx.Response]:
        """One GET and its response: the body is read as it is iterated, and let go on leaving."""
        merged = self._headers.copy()
        merged.update(headers)  # the caller's own (Accept, a conditional GET's) over the defaults, in any case
        request = httpx.Request("GET", url, headers=merged, extensions={"timeout": self._timeouts})
        response = await self.transport.handle_async_request(request)
        response.request = request
        try:
            yield response
        finally:
            await response.aclose()

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> FetchResult:
        """One POST (a webhook delivery) through the same guard and deadline, no redirect followed and
        no retry (the caller's outbox tries again later); its answer's status, or why none came."""
        problem = url_problem(url)
        if problem is not None:
            return FetchResult(url, url, error=f"refused: {problem}")
        merged = self._headers.copy()
        merged.update(headers)
        request = httpx.Request("POST", url, headers=merged, content=body, extensions={"timeout": self._timeouts})
        try:
            async with asyncio.timeout(self.settings.deadline):
                response = await self.transport.handle_async_request(request)
                try:
                    async for _ in response.aiter_raw():  # read the answer, so the connection can be kept
                        pass
                finally:
                    await response.aclose()
        except TimeoutError:
            return FetchResult(url, url, error=f"no answer within {self.settings.deadline:g} s", transient=True)
        except BlockedAddress as exc:
            return FetchResult(url, url, error=f"refused: {exc}")
        except httpx.HTTPError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, BlockedAddress):
                return FetchResult(url, url, error=f"refused: {cause}")
            return FetchResult(
                url, url, error=f"{type(exc).__name__}: {exc or type(exc).__name__}"[:300], transient=True
            )
        status = response.status_code
        return FetchResult(url, url, status, error=None if 200 <= status < 300 else f"HTTP {status}")

    async def robots_allow(self, url: str) -> bool | FetchResult:
        """robots.txt for `url`'s origin, with RFC 9309's rules for failures: 4xx means no rules
        (allowed); 5xx or unreachable means disallowed. Rules read are shared by the process's
        Fetchers for ROBOTS_TTL seconds; a failure to read it is this Fetcher's alone."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            # One reader per origin across the process's event loops; the others wait and reuse.
            await HOSTS.acquire(_ROBOTS_SLOT + origin, 1)
            try:
                if origin not in self._robots:
                    self._robots[origin] = HOSTS.robots(origin) or await self._read_robots(origin)
            finally:
                HOSTS.release(_ROBOTS_SLOT + origin)
        rules = self._robots[origin]
        if isinstance(rules, (bool, FetchResult)):
            return rules
        return rules.can_fetch(url, "paperboy")

    async def _read_robots(self, origin: str) -> Protego | bool | FetchResult:
        result = await self._get_once(origin + "/robots.txt", {})
        if result.ok:
            rules: Protego | bool = Protego.parse(result.content.decode("utf-8", errors="replace"))
        elif (result.error or "").startswith("refused"):
            # The guard refuses the page itself, with its own reason. Not shared: the guard's
            # settings are this Fetcher's.
            return True
        elif 400 <= result.status < 500:
            rules = True
        else:
            return result  # 5xx or unreachable: disallowed, and why
        HOSTS.remember_robots(origin, rules, ROBOTS_TTL)
        return rules

    async def robots_sitemaps(self, url: str) -> list[str]:
        """The Sitemap lines of robots.txt for `url`'s origin, as absolute URLs."""
        await self.robots_allow(url)
        parts = urlsplit(url)
        rules = self._robots.get(f"{parts.scheme}://{parts.netloc}")
        if not isinstance(rules, Protego):
            return []
        return [urljoin(url, s) for s in rules.sitemaps]

    async def get_page(self, url: str, body: BodyFactory | None = None) -> FetchResult:
        """An article page: as `get`, after robots.txt says yes."""
        if url_problem(url) is None:
            verdict = await self.robots_allow(url)
            if isinstance(verdict, FetchResult):  # robots.txt could not be read: RFC 9309 says disallowed
                why = verdict.error if verdict.status == 0 else f"HTTP {verdict.status}"
                return FetchResult(url, url, error=f"{why} (robots.txt)", transient=True)
            if not verdict:
                return FetchResult(url, url, error="disallowed by robots.txt")
        return await self.get(url, body=body)

    async def get(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        body: BodyFactory | None = None,
        access: FeedAccess | None = None,
    ) -> FetchResult:
        """GET with redirects followed by hand, retries on transient errors, and every limit.
        `body`, when given, makes what keeps each response's body as it arrives (see Body); by
        default the body's parts are joined into `content`. `access`: a feed's secrets, sent on
        each hop to their own origin only."""
        host = site_of(url)
        result = self._note(host, await self._get_once(url, headers, body, access))
        for attempt in range(self.settings.retries):
            if not result.transient or HOSTS.held_for(host) > 0:
                break
            await asyncio.sleep(self.settings.retry_backoff * (2**attempt) * (1 + random.random() / 2))
            result = self._note(host, await self._get_once(url, headers, body, access))
        return result

    def _note(self, host: str, result: FetchResult) -> FetchResult:
        """Honour a 429/503 Retry-After on that host for every request of this process."""
        seconds = hold_seconds(result)
        if seconds is not None:
            HOSTS.hold(host, time.time() + seconds)
        return result

    async def _get_once(
        self,
        url: str,
        headers: dict[str, str] | None,
        body: BodyFactory | None = None,
        access: FeedAccess | None = None,
    ) -> FetchResult:
        try:
            return await self._follow(url, headers or {}, body, access)
        except Exception as exc:  # noqa: BLE001 - a URL from a stranger must never crash a pass
            return FetchResult(url, url, error=f"{type(exc).__name__}: {exc}"[:300])

    async def _follow(
        self, url: str, headers: dict[str, str], body: BodyFactory | None, access: FeedAccess | None
    ) -> FetchResult:
        hops: list[tuple[int, str]] = []
        seen = {url}
        current = url
        while True:
            problem = url_problem(current)
            if problem is not None:
                return FetchResult(url, current, error=f"refused: {problem}: {current[:200]!r}", redirects=tuple(hops))
            sent = headers
            if access and same_origin_or_upgrade(access.origin, current):
                sent = {**headers, **access.request_headers()}
            result = await self._request(url, current, sent, tuple(hops), body)
            if result.status not in REDIRECTS or result.error:
                return result
            location = result.headers.get("location")
            if not location:
                return FetchResult(
                    url,
                    current,
                    result.status,
                    result.headers,
                    error=f"HTTP {result.status} without a Location",
                    redirects=tuple(hops),
                )
            nxt = urljoin(current, location)
            hops.append((result.status, nxt))
            if nxt in seen:
                return FetchResult(
                    url, nxt, result.status, error=f"redirect loop at {nxt[:200]}", redirects=tuple(hops)
                )
            if len(hops) > self.settings.max_redirects:
                return FetchResult(
                    url,
                    nxt,
                    result.status,
                    error=f"more than {self.settings.max_redirects} redirects",
                    redirects=tuple(hops),
                )
            seen.add(nxt)
            current = nxt
            headers = {k: v for k, v in headers.items() if k.lower() not in ("if-none-match", "if-modified-since")}

    async def _request(
        self, url: str, current: str, headers: dict[str, str], hops, body_factory: BodyFactory | None
    ) -> FetchResult:
        host = site_of(current)
        async with self._overall, _slot(host, self.settings):
            wait = HOSTS.held_for(host)
            if wait > 0:  # this host asked us to wait (now, while this request queued, or on an earlier pass)
                return FetchResult(
                    url,
                    current,
                    error=f"host asked us to wait (Retry-After, {wait:.0f} s left)",
                    transient=True,
                    redirects=hops,
                )
            try:
                # The deadline runs from here: a request waiting for its host's slot is not late yet.
                async with (
                    asyncio.timeout(self.settings.deadline),
                    self._get(current, headers) as resp,
                ):
                    head = {k.lower(): v for k, v in resp.headers.items()}
                    if resp.status_code in REDIRECTS or resp.status_code == 304:
                        return FetchResult(url, current, resp.status_code, head, redirects=hops)
                    body = await self._read(resp, head, body_factory() if body_factory else JoinedBody())
            except TimeoutError:
                return FetchResult(
                    url, current, error=f"no complete answer within {self.settings.deadline:g} s", transient=True,
                    redirects=hops,
                )  # fmt: skip
            except BlockedAddress as exc:
                return FetchResult(url, current, error=f"refused: {exc}", redirects=hops)
            except httpx.InvalidURL as exc:
                return FetchResult(url, current, error=f"refused: invalid URL: {exc}", redirects=hops)
            except TooLarge:
                return FetchResult(
                    url, current, error=f"body larger than {self.settings.max_bytes} bytes", redirects=hops
                )
            except ValueError as exc:
                return FetchResult(url, current, error=str(exc), redirects=hops)
            except (zlib.error, brotli.error) as exc:
                return FetchResult(url, current, error=f"bad compressed body: {exc}", redirects=hops)
            except httpx.TimeoutException:
                return FetchResult(url, current, error="timed out", transient=True, redirects=hops)
            except httpx.HTTPError as exc:
                cause = exc.__cause__ or exc.__context__
                if isinstance(cause, BlockedAddress):
                    return FetchResult(url, current, error=f"refused: {cause}", redirects=hops)
                if isinstance(cause, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
                    # Not transient, and never tried again without verification.
                    return FetchResult(url, current, error=f"TLS error: {exc}"[:300], redirects=hops)
                msg = str(exc) or type(exc).__name__
                return FetchResult(
                    url, current, error=f"{type(exc).__name__}: {msg}"[:300], transient=True, redirects=hops
                )
        status = resp.status_code
        if status >= 400:
            return FetchResult(
                url,
                current,
                status,
                head,
                body,
                error=f"HTTP {status}",
                transient=status in TRANSIENT_STATUS,
                redirects=hops,
            )
        return FetchResult(url, current, status, head, body, redirects=hops)

    async def _read(self, resp: httpx.Response, head: dict[str, str], body: Body) -> bytes:
        limit = self.settings.max_bytes
        declared = head.get("content-length", "")
        encodings = [e for e in head.get("content-encoding", "").split(",") if e.strip()]
        size = ascii_int(declared, max_digits=20)
        if size is not None and not encodings and size > limit:
            raise TooLarge
        if len(encodings) > 1:
            raise ValueError(f"unsupported content-encoding {head['content-encoding']!r}")
        decoder = _Decoder(encodings[0] if encodings else "identity", limit)
        async for chunk in resp.aiter_raw():
            body.write(decoder.feed(chunk))
        return body.finish()


async def fetch_all(
    urls: list[str],
    settings: FetchSettings,
    each: Callable[[FetchResult], Any] | None = None,
    body: BodyFactory | None = None,
) -> list[Any]:
    """Fetch many article pages concurrently within the limits (robots.txt obeyed); in order of `urls`.
    `each`, when given, is applied to each result as soon as it is in, and its value is kept instead
    (so a caller can shrink a page before the rest of the batch arrives); `body`, when given, keeps
    each page's body as it arrives (see Body)."""
    async with Fetcher(settings) as fetcher:

        async def one(url: str):
            try:
                result = await fetcher.get_page(url, body)
                return each(result) if each is not None else result
            except Exception as exc:  # noqa: BLE001 - a defect in one page's handling is that page's error
                result = FetchResult(url, url, error=internal_error(exc))
                return each(result) if each is not None else result

        return list(await asyncio.gather(*(one(u) for u in urls)))
