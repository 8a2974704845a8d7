"""paperboy's own httpx transport: HTTP/1.1 with h11 over asyncio streams, connecting only where the
address guard lets it, keeping a few idle connections for reuse.

httpx's own transport goes through httpcore's pool and anyio: two thirds of the CPU of a feed poll
that gets a 304 (docs/performance.md, "A 304 poll's CPU"). This is the part of that paperboy uses:
one GET at a time on a connection, no proxies, no HTTP/2, and of the timeouts only the connect's
(the Fetcher's deadline bounds the whole exchange).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from typing import NoReturn

import h11
import httpx

from ._guard import Guard

READ_SIZE = 64 * 1024
MAX_HEAD = 100 * 1024  # bytes of a response's status line and headers (httpcore's limit)
# Idle connections kept for reuse, and for how long: a host's next request (its pages after its
# robots.txt) takes one, where a batch of feeds, each on another host, would hold a socket apiece.
KEEP_IDLE = 8
KEEP_ALIVE_SECONDS = 5.0


class _Stale(Exception):
    """A kept connection the server had closed: the request never reached it, so it goes again."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        self.idle_since = 0.0

    def usable(self, now: float) -> bool:
        return not (self.reader.at_eof() or self.writer.is_closing()) and now - self.idle_since < KEEP_ALIVE_SECONDS

    def close(self) -> None:
        self.writer.close()

    async def next_event(self):
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await self.reader.read(READ_SIZE)
            if not data and self.h11.their_state is h11.SEND_RESPONSE:
                raise _Stale("the server closed the connection without sending a response")
            self.h11.receive_data(data)


class _Body(httpx.AsyncByteStream):
    """A response's body as it arrives; the connection goes back to the pool once it is all read."""

    def __init__(self, transport: GuardedTransport, key: tuple, conn: _Connection, request: httpx.Request) -> None:
        self._transport, self._key, self._request = transport, key, request
        self._conn: _Connection | None = conn

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        while conn is not None:
            try:
                event = await conn.next_event()
            except BaseException as exc:
                self._drop()
                _reraise(exc, self._request)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            else:  # EndOfMessage (or the connection closed at the end of a read-until-close body)
                self._finish()
                return

    def _finish(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._transport._release(self._key, conn)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    async def aclose(self) -> None:
        conn = self._conn
        if conn is None:
            return
        # A response without a body (a 304, a redirect) is complete with what was read: keep its connection.
        try:
            event = conn.h11.next_event()
        except h11.ProtocolError:
            event = None
        if isinstance(event, h11.EndOfMessage):
            self._finish()
        else:
            self._drop()


def _reraise(exc: BaseException, request: httpx.Request) -> NoReturn:
    """Raise httpx's error for what went wrong on the wire; cancellation and the rest as they are."""
    if isinstance(exc, h11.RemoteProtocolError):
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
    if isinstance(exc, h11.LocalProtocolError):
        raise httpx.LocalProtocolError(str(exc), request=request) from exc
    if isinstance(exc, OSError):
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
    raise exc


class GuardedTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 connections made only where `guard` lets them."""

    def __init__(self, guard: Guard, ssl_context: ssl.SSLContext) -> None:
        self._guard = guard
        self._tls = ssl_context
        self._idle: dict[tuple, list[_Connection]] = {}
        self._idle_count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.raw_scheme.decode("ascii")
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported scheme {scheme!r}", request=request)
        host = url.raw_host.decode("ascii")
        key = (scheme, host, url.port or (443 if scheme == "https" else 80))
        kept = self._kept(key)
        if kept is not None:
            try:
                return await self._exchange(key, kept, request)
            except _Stale:
                kept.close()  # closed by the server while it waited: a new connection takes the request
        conn = await self._connect(key, request)
        try:
            return await self._exchange(key, conn, request)
        except _Stale as exc:
            conn.close()
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc

    async def _connect(self, key: tuple, request: httpx.Request) -> _Connection:
        scheme, host, port = key
        timeout = request.extensions.get("timeout", {}).get("connect")
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await self._guard.connect(host, port, self._tls if scheme == "https" else None)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"no connection to {host}:{port} within {timeout} s", request=request) from exc
        except OSError as exc:  # refused, unreachable, unresolvable, or the TLS handshake failed
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return _Connection(reader, writer)

    async def _exchange(self, key: tuple, conn: _Connection, request: httpx.Request) -> httpx.Response:
        try:
            head = h11.Request(method=request.method, target=request.url.raw_path, headers=request.headers.raw)
            conn.writer.write(conn.h11.send(head))
            async for part in request.stream:  # type: ignore[union-attr]  # the Fetcher's requests: an empty ByteStream
                if part:
                    conn.writer.write(conn.h11.send(h11.Data(data=part)))
                    await conn.writer.drain()
            conn.writer.write(conn.h11.send(h11.EndOfMessage()))
            event = await conn.next_event()
            while isinstance(event, h11.InformationalResponse):  # 100 Continue and the like
                event = await conn.next_event()
        except BaseException as exc:
            conn.close()
            unanswered = conn.h11.their_state is h11.SEND_RESPONSE  # nothing of a response read
            if unanswered and isinstance(exc, (_Stale, ConnectionResetError, BrokenPipeError)):
                raise _Stale(str(exc) or type(exc).__name__) from exc
            _reraise(exc, request)
        if not isinstance(event, h11.Response):  # the connection closed where a response should be
            conn.close()
            raise httpx.RemoteProtocolError("the server closed the connection without a response", request=request)
        return httpx.Response(
            status_code=event.status_code,
            headers=event.headers.raw_items(),
            stream=_Body(self, key, conn, request),
            extensions={"http_version": b"HTTP/" + event.http_version, "reason_phrase": event.reason},
        )

    def _kept(self, key: tuple) -> _Connection | None:
        kept = self._idle.get(key)
        now = time.monotonic()
        while kept:
            conn = kept.pop()
            self._idle_count -= 1
            if conn.usable(now):
                return conn
            conn.close()
        return None

    def _release(self, key: tuple, conn: _Connection) -> None:
        """Keep a connection whose exchange is complete, when the server allows it."""
        if conn.h11.our_state is not h11.DONE or conn.h11.their_state is not h11.DONE or conn.writer.is_closing():
            conn.close()
            return
        conn.h11.start_next_cycle()
        conn.idle_since = time.monotonic()
        self._idle.setdefault(key, []).append(conn)
        self._idle_count += 1
        if self._idle_count > KEEP_IDLE:
            self._close_oldest()

    def _close_oldest(self) -> None:
        key, conn = min(((k, c[0]) for k, c in self._idle.items() if c), key=lambda kc: kc[1].idle_since)
        self._idle[key].pop(0).close()
        self._idle_count -= 1
        if not self._idle[key]:
            del self._idle[key]

    async def aclose(self) -> None:
        for kept in self._idle.values():
            for conn in kept:
                conn.close()
        self._idle.clear()
        self._idle_count = 0
