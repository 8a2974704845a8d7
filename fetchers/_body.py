"""A response body as it arrives: decompressed in bounded steps (a bomb never inflates past the
cap), handed on part by part to a Body the caller chooses."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Protocol

import brotli

CHUNK = 64 * 1024  # decompressed bytes asked for at a time, so a bomb never inflates past the cap


class TooLarge(Exception):
    pass


class Body(Protocol):
    """What keeps a response's body as it arrives: `write` takes each decoded part (64 kB or
    less), `finish` gives what the FetchResult's `content` will be. A caller that only wants the
    page in another form (compressed, say) need never hold it joined."""

    def write(self, part: bytes) -> None: ...

    def finish(self) -> bytes: ...


BodyFactory = Callable[[], Body]


class JoinedBody:
    """The body as it came: its parts joined."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, part: bytes) -> None:
        self.parts.append(part)

    def finish(self) -> bytes:
        return b"".join(self.parts)


class _Decoder:
    """Decompresses a Content-Encoding stream without ever producing more than `limit` bytes."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.kind = encoding.strip().lower()
        if self.kind in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(zlib.MAX_WBITS | 32)
        elif self.kind == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS | 32)
            self._raw_deflate_tried = False
        elif self.kind == "br":
            self._br = brotli.Decompressor()
        elif self.kind in ("", "identity"):
            self.kind = "identity"
        else:
            raise ValueError(f"unsupported content-encoding {encoding!r}")

    def _count(self, out: bytes) -> bytes:
        self.size += len(out)
        if self.size > self.limit:
            raise TooLarge
        return out

    def feed(self, data: bytes) -> bytes:
        if self.kind == "identity":
            return self._count(data)
        parts: list[bytes] = []
        if self.kind == "br":
            out = self._br.process(data, output_buffer_limit=CHUNK)
            parts.append(self._count(out))
            while not self._br.can_accept_more_data():
                parts.append(self._count(self._br.process(b"", output_buffer_limit=CHUNK)))
            return b"".join(parts)
        try:
            out = self._z.decompress(data, CHUNK)
        except zlib.error:
            if self.kind == "deflate" and not self._raw_deflate_tried and self.size == 0:
                self._raw_deflate_tried = True  # some servers send raw deflate without the zlib header
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._z.decompress(data, CHUNK)
            else:
                raise
        parts.append(self._count(out))
        while self._z.unconsumed_tail:
            parts.append(self._count(self._z.decompress(self._z.unconsumed_tail, CHUNK)))
        return b"".join(parts)
