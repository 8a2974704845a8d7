"""A server on the loopback for the benches, in a thread of its own."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


def start(handler) -> tuple[ThreadingHTTPServer, str]:
    """The server of `handler` on a free port of 127.0.0.1, serving; and its base address."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
