"""A real HTTP server on 127.0.0.1 for the tests: routes set per test, every request recorded."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # answer If-None-Match with 304 when the ETag matches
    raw: object = None  # a callable(handler) that writes the whole response itself (fault injection)


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    status: int
    at: float = 0.0  # time.monotonic() when the request arrived
    peer: int = 0  # the client's port: requests with the same one came over one connection
    body: bytes = b""  # what a POST sent


class TestServer:
    __test__ = False  # a helper, not a test class

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.active = 0
        self.max_active = 0  # most requests in progress at once (of this test: see reset)
        self.generation = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else a small body waits 40 ms for the client's delayed ACK

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                headers = {k.lower(): v for k, v in self.headers.items()}
                if route is None:
                    status, body, extra = 404, b"not found", {"Content-Type": "text/plain"}
                else:
                    status, body, extra = route.status, route.body, dict(route.headers)
                    if route.conditional and status == 200:
                        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                        extra.setdefault("ETag", etag)
                        if headers.get("if-none-match") == etag:
                            status, body = 304, b""
                with server._lock:
                    server.hits.append(Hit(self.path, headers, status, time.monotonic(), self.client_address[1]))
                    self._counted = server.generation
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                try:
                    if route is not None and route.raw is not None:
                        route.raw(self)
                        return
                    self._answer(status, body, extra)
                finally:
                    self._done()

            def do_POST(self) -> None:  # noqa: N802 - a receiver of webhooks: answers its route's status
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                route = server.routes.get(self.path)
                status = route.status if route is not None else 404
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.hits.append(Hit(self.path, headers, status, time.monotonic(), self.client_address[1], data))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _done(self) -> None:
                """A request stops counting as in progress when its answer starts: once the client has
                read the answer it may send the next one before this thread gets to run again."""
                with server._lock:
                    if getattr(self, "_counted", None) == server.generation:  # not a request of an earlier test
                        server.active -= 1
                    self._counted = None

            def _answer(self, status, body, extra) -> None:
                self._done()
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", **kw) -> str:
        data = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": content_type, **kw.pop("headers", {})}
        self.routes[path] = Route(data, headers=headers, **kw)
        return self.url(path)

    def requests_to(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path]

    def reset(self) -> None:
        self.routes.clear()
        with self._lock:
            self.hits.clear()
            self.max_active = self.active = 0  # requests of the test before (a slow drip) may still run
            self.generation += 1

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
