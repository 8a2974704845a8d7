"""The hostile web, at the fetcher: address guard, limits, deadlines, redirects, encodings.

Every test runs against the real server on 127.0.0.1 (tests/server.py) with fault-injecting routes.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import brotli
import pytest

from paperboy.core import FeedState
from paperboy.fetchers import FetchSettings, address_is_public, page_problem
from paperboy.flows.fetching import fetch_many, poll_many
from tests.conftest import assert_spaced
from tests.server import TestServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def canary():
    """A second server that paperboy must never reach: it is not in the allowed hosts."""
    server = TestServer()
    server.add("/secret", "internal data")
    yield server
    server.close()


@pytest.fixture
def settings(server) -> FetchSettings:
    return FetchSettings(allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}), deadline=5.0, retries=0)


def fetch(url: str, settings: FetchSettings):
    return fetch_many([url], settings)[0]


# --- the address guard --------------------------------------------------------------------------

BLOCKED_ADDRESSES = [
    "127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "224.0.0.1", "255.255.255.255",
]  # fmt: skip


@pytest.mark.parametrize("ip", BLOCKED_ADDRESSES)
def test_non_public_addresses_are_not_public(ip):
    assert not address_is_public(ip)


@pytest.mark.parametrize("ip", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_public(ip):
    assert address_is_public(ip)


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/secret",
        "http://localhost:{port}/secret",
        "http://2130706433:{port}/secret",  # 127.0.0.1 as one decimal number
        "http://0x7f000001:{port}/secret",  # and in hex
        "http://0177.0.0.1:{port}/secret",  # and in octal
        "http://[::1]:{port}/secret",
        "http://[::ffff:127.0.0.1]:{port}/secret",
    ],
    ids=["loopback", "localhost", "decimal", "hex", "octal", "ipv6 loopback", "ipv4-mapped"],
)
def test_private_targets_are_refused_and_the_canary_hears_nothing(template, canary, settings):
    canary.reset()
    canary.add("/secret", "internal data")
    result = fetch(template.format(port=canary.port), settings)
    assert result.error and result.error.startswith("refused")
    assert canary.hits == []


def test_a_redirect_to_a_private_address_is_refused(server, canary, settings):
    canary.reset()
    server.add("/go", "", status=302, headers={"Location": f"http://127.0.0.1:{canary.port}/secret"})
    result = fetch(server.url("/go"), settings)
    assert result.error and "refused" in result.error
    assert canary.hits == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed.xml", "/etc/passwd", "gopher://x/"])
def test_only_http_and_https_are_fetched(url, settings):
    result = fetch(url, settings)
    assert result.error and "not an http(s) URL" in result.error


def test_a_proxy_in_the_environment_cannot_route_around_the_guard(canary, settings, monkeypatch):
    canary.reset()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{canary.port}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{canary.port}")
    result = fetch("http://10.1.2.3/feed.xml", FetchSettings(deadline=3.0, retries=0))
    assert result.error and "refused" in result.error
    assert canary.hits == []


def test_allowed_hosts_open_only_the_named_port(server, canary):
    only_server = FetchSettings(allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}), retries=0)
    server.add("/ok", "fine")
    assert fetch(server.url("/ok"), only_server).ok
    assert fetch(f"http://127.0.0.1:{canary.port}/secret", only_server).error.startswith("refused")
    everything = FetchSettings(allow_private_networks=True, retries=0)
    canary.add("/secret", "internal data")
    assert fetch(f"http://127.0.0.1:{canary.port}/secret", everything).ok


# --- size, time and redirect limits -------------------------------------------------------------


def _bomb_route(data: bytes, encoding: str):
    def raw(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Encoding", encoding)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        try:
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    return raw


def _zeros_compressed(kind: str, size: int) -> bytes:
    chunk = b"\0" * (1 << 20)
    if kind == "gzip":
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        return b"".join(z.compress(chunk) for _ in range(size >> 20)) + z.flush()
    c = brotli.Compressor(quality=1)
    return b"".join(c.process(chunk) for _ in range(size >> 20)) + c.finish()


PEAK_RSS = """
import resource, sys
from paperboy.fetchers import FetchSettings
from paperboy.flows.fetching import fetch_many
settings = FetchSettings(allowed_hosts=frozenset({sys.argv[2]}), retries=0)
fetch_many(["http://127.0.0.1:1/warm-up"], settings)  # imports and a first event loop, outside the figure
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = fetch_many([sys.argv[1]], settings)[0]
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(result.error, (after - before) // 1024)
"""


@pytest.mark.parametrize("kind, size", [("gzip", 1 << 30), ("br", 4 << 30)], ids=["1 GiB gzip", "4 GiB brotli"])
def test_a_decompression_bomb_is_cut_at_the_cap_with_memory_bounded(server, kind, size):
    from tests.server import Route

    server.routes["/bomb"] = Route(raw=_bomb_route(_zeros_compressed(kind, size), kind))
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, server.url("/bomb"), f"127.0.0.1:{server.port}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    line = out.stdout.strip()
    assert "body larger than 10485760 bytes" in line, out.stderr
    grown_mb = int(line.rsplit(" ", 1)[1])
    assert grown_mb < 50, f"peak RSS grew by {grown_mb} MB"


def test_a_slow_drip_server_is_given_up_at_the_deadline(server):
    from tests.server import Route

    stop = threading.Event()

    def drip(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        for _ in range(60):  # bounded: at most 30 s
            if stop.is_set():
                return
            try:
                handler.wfile.write(b"x")
                handler.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return
            time.sleep(0.5)

    server.routes["/drip"] = Route(raw=drip)
    settings = FetchSettings(allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}), deadline=2.0, retries=0)
    try:
        result = fetch(server.url("/drip"), settings)
    finally:
        stop.set()
    assert result.error == "no complete answer within 2 s"


def test_redirects_are_limited_and_loops_reported(server, settings):
    for i in range(8):
        server.add(f"/r{i}", "", status=301, headers={"Location": f"/r{i + 1}"})
    server.add("/r8", "arrived")
    assert "more than 5 redirects" in fetch(server.url("/r0"), settings).error
    assert fetch(server.url("/r3"), settings).ok  # five hops
    server.add("/loop-a", "", status=302, headers={"Location": "/loop-b"})
    server.add("/loop-b", "", status=302, headers={"Location": "/loop-a"})
    assert "redirect loop" in fetch(server.url("/loop-a"), settings).error


def test_a_declared_oversize_body_is_not_read(server):
    from tests.server import Route

    def huge(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(50 * 1024 * 1024))
        handler.end_headers()

    server.routes["/huge"] = Route(raw=huge)
    settings = FetchSettings(allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}), retries=0, max_bytes=1024)
    assert "body larger than 1024 bytes" in fetch(server.url("/huge"), settings).error


@pytest.mark.parametrize(
    "content_type, problem",
    [("application/pdf", "not HTML: application/pdf"), ("image/png", "not HTML: image/png"),
     ("application/json", "not HTML: application/json")],
)  # fmt: skip
def test_pages_that_are_not_html_are_skipped_with_a_reason(server, settings, content_type, problem):
    server.add("/file", b"%PDF-1.4 binary", content_type=content_type)
    assert page_problem(fetch(server.url("/file"), settings)) == problem


def test_the_user_agent_names_paperboy(server, settings):
    server.add("/ua", "hi")
    fetch(server.url("/ua"), settings)
    assert server.requests_to("/ua")[0].headers["user-agent"].startswith("paperboy/")


def _one_after_another(urls: list[str], settings: FetchSettings) -> list:
    """The pages fetched in turn by one client, as a task fetches a host's pages."""
    import asyncio

    from paperboy.fetchers import Fetcher

    async def run() -> list:
        async with Fetcher(settings) as fetcher:
            return [await fetcher.get(url) for url in urls]

    return asyncio.run(run())


def test_a_hosts_pages_come_over_one_kept_connection(server, settings):
    urls = [server.add(f"/kept{i}", f"<p>page {i}</p>") for i in range(3)]
    results = _one_after_another([*urls, urls[0]], settings)  # the last one answered 304-free, in full
    assert [r.content for r in results] == [b"<p>page 0</p>", b"<p>page 1</p>", b"<p>page 2</p>", b"<p>page 0</p>"]
    assert len({hit.peer for hit in server.hits}) == 1


class _RawServer:
    """A server on 127.0.0.1 that answers each connection with `answer(socket)`, bytes as written."""

    def __init__(self, answer) -> None:
        import socket

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, args=(answer,), daemon=True).start()

    def _serve(self, answer) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                answer(conn)

    def fetch(self, paths: list[str]) -> list:
        settings = FetchSettings(allowed_hosts=frozenset({f"127.0.0.1:{self.port}"}), deadline=5.0, retries=0)
        try:
            return _one_after_another([f"http://127.0.0.1:{self.port}{path}" for path in paths], settings)
        finally:
            self.listener.close()


OK_PAGE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\n<p>ok</p>"


def test_a_kept_connection_the_server_dropped_is_not_an_error():
    """A server may close a kept connection as the next request is sent (its idle timeout): the
    request never reached it, so it goes again on a new connection, with no retry spent."""

    def answer_once(conn) -> None:
        conn.recv(65536)  # the first request: answered, the connection kept open
        conn.sendall(OK_PAGE)
        conn.recv(65536)  # the next one: closed without an answer

    server = _RawServer(answer_once)
    results = server.fetch(["/a", "/b"])
    assert [(r.error, r.content) for r in results] == [(None, b"<p>ok</p>"), (None, b"<p>ok</p>")]
    assert server.connections == 2


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\n<p>ok\r\n4\r\n</p>\r\n0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>ok</p>",  # the body ends where the connection does
        b"HTTP/1.1 100 Continue\r\n\r\n" + OK_PAGE,
    ],
    ids=["chunked", "until the connection closes", "after a 100 Continue"],
)
def test_a_body_is_read_whole_however_it_is_framed(response):
    def answer(conn) -> None:
        conn.recv(65536)
        conn.sendall(response)

    [result] = _RawServer(answer).fetch(["/page"])
    assert (result.error, result.content) == (None, b"<p>ok</p>")


def test_a_body_cut_short_is_an_error_not_a_page():
    def answer(conn) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 900\r\n\r\n<p>the start")

    [result] = _RawServer(answer).fetch(["/page"])
    assert result.content == b"" and "RemoteProtocolError" in result.error and result.transient


def _slow_pages(server, count: int, seconds: float) -> list[str]:
    """`count` pages at /slow<i> that each take `seconds` to answer."""
    from tests.server import Route

    def slow(handler):
        time.sleep(seconds)
        handler._answer(200, b"<html><body><p>ok</p></body></html>", {"Content-Type": "text/html"})

    for i in range(count):
        server.routes[f"/slow{i}"] = Route(raw=slow)
    return [server.url(f"/slow{i}") for i in range(count)]


def test_requests_to_one_host_are_limited(server):
    pages = _slow_pages(server, 8, 0.3)
    settings = FetchSettings(allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}), retries=0, per_host=2)
    results = fetch_many(pages, settings)
    assert all(r.ok for r in results)
    assert server.max_active == 2


def test_the_host_limit_and_interval_hold_across_concurrent_tasks(server):
    """Tasks run in threads, each with its own client and event loop: politeness is per host, not per client."""
    import threading

    pages = _slow_pages(server, 12, 0.2)
    settings = FetchSettings(
        allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}), retries=0, per_host=2, min_interval=0.1
    )
    results: list = []

    def task(k: int) -> None:
        results.extend(fetch_many(pages[k * 4 : k * 4 + 4], settings))

    threads = [threading.Thread(target=task, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 12 and all(r.ok for r in results)
    assert server.max_active == 2
    assert_spaced(sorted(h.at for h in server.hits), 0.1)  # the interval, across clients


def test_a_late_waking_loop_does_not_bring_the_next_request_closer():
    """The interval counts from when a request really starts, not from the turn it booked."""
    import asyncio
    import time

    from paperboy.fetchers._hosts import HostBook

    book = HostBook()
    started: list[float] = []

    async def request() -> None:
        await book.acquire("h", limit=3, min_interval=0.1)
        started.append(time.monotonic())
        await asyncio.sleep(0.5)
        book.release("h")

    async def main() -> None:
        tasks = [asyncio.create_task(request()) for _ in range(3)]
        await asyncio.sleep(0.09)
        time.sleep(0.04)  # the loop is busy when the second request's turn comes
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert len(started) == 3
    assert min(b - a for a, b in zip(started, started[1:], strict=False)) >= 0.1


# --- feed XML -----------------------------------------------------------------------------------


def _poll(server, settings, body: bytes, content_type="application/rss+xml"):
    server.add("/f.xml", body, content_type=content_type)
    return poll_many([FeedState(server.url("/f.xml"))], settings)[0]


def test_quadratic_blowup_is_harmless(server, settings):
    big = "a" * 20_000
    refs = "&big;" * 20_000
    feed = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{big}">]>'
            f'<rss version="2.0"><channel><title>T</title><item><title>x{refs}</title>'
            f"<link>http://example.com/1</link></item></channel></rss>").encode()  # fmt: skip
    poll = _poll(server, settings, feed)
    assert poll.status == "fetched"
    assert len(poll.entries[0].title) < 200_000  # the entity was never expanded 20,000 times


LATIN1_FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Caf\xe9</title>'
    "<item><title>Cr\xe8me br\xfbl\xe9e</title><link>http://e.com/1</link></item></channel></rss>"
).encode("latin-1")
UTF16_FEED = (
    '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>Café</title>'
    "<item><title>Crème brûlée</title><link>http://e.com/1</link></item></channel></rss>"
).encode("utf-16")
NUL_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Nul\x00l</title>'
    b"<item><title>Bad \xff\xfe bytes</title><link>http://e.com/1</link></item></channel></rss>"
)


@pytest.mark.parametrize(
    "body, content_type",
    [
        (LATIN1_FEED, "application/rss+xml; charset=utf-8"),
        (UTF16_FEED, "application/rss+xml"),
        (NUL_FEED, "application/rss+xml"),
    ],
    ids=["charset that lies", "utf-16", "NUL and invalid utf-8"],
)
def test_bad_encodings_give_valid_text_or_a_clear_error(server, settings, body, content_type):
    poll = _poll(server, settings, body, content_type)
    if poll.status == "failed":
        assert poll.error
        return
    for entry in poll.entries:
        (entry.title or "").encode("utf-8")  # valid text: no lone surrogates
        assert "\x00" not in (entry.title or "")


def test_xxe_reads_no_local_file(server, settings):
    feed = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rss version="2.0"><channel><title>T</title><item><title>a&x;b</title>'
            b"<link>http://e.com/1</link></item></channel></rss>")  # fmt: skip
    poll = _poll(server, settings, feed)
    assert all("root:" not in (e.title or "") for e in poll.entries)


def test_a_gzip_body_is_decoded(server, settings):
    from tests.server import Route

    html = b"<html><body><p>compressed page</p></body></html>"
    server.routes["/gz"] = Route(raw=_bomb_route(gzip.compress(html), "gzip"))
    assert fetch(server.url("/gz"), settings).content == html


def test_a_page_kept_compressed_as_it_arrives_is_the_page_as_served(server, settings):
    import os

    import zstandard

    from paperboy.flows.fetching import fetch_pages_compressed
    from tests.server import Route

    # Far more than one read: the page arrives in many parts, and its gzip copy in others.
    html = (
        b"<html><body>"
        + b"".join(b"<p>%s</p>" % os.urandom(300).hex().encode() for _ in range(700))
        + b"</body></html>"
    )
    server.add("/big", html)
    server.routes["/big-gz"] = Route(raw=_bomb_route(gzip.compress(html), "gzip"))
    server.add("/blank", b" \n\t " * 50_000)
    big, big_gz, blank = fetch_pages_compressed([server.url(p) for p in ("/big", "/big-gz", "/blank")], settings)
    assert big.problem is None and zstandard.decompress(big.html_zstd) == html
    assert big_gz.problem is None and zstandard.decompress(big_gz.html_zstd) == html
    assert len(big.html_zstd) < len(html) / 1.5
    assert blank.problem == "empty page" and blank.html_zstd is None


# --- TLS ------------------------------------------------------------------------------------------


def _self_signed(tmp_path):
    x509 = pytest.importorskip("cryptography.x509")
    import datetime
    import ipaddress

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_file, key_file


class _TLSServer:
    """A real HTTPS server on 127.0.0.1 with a self-signed certificate: its handshakes and the paths it served."""

    def __init__(self, tmp_path) -> None:
        import ssl
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.cert_file, key_file = _self_signed(tmp_path)
        self.handshakes: list = []
        self.served: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                outer.served.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        class Server(ThreadingHTTPServer):
            def get_request(self):
                sock, addr = super().get_request()
                outer.handshakes.append(addr)
                return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, key_file)
        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_certificate_error_is_an_error_and_never_retried_without_verification(tmp_path):
    server = _TLSServer(tmp_path)
    try:
        port = server.port
        settings = FetchSettings(allowed_hosts=frozenset({f"127.0.0.1:{port}"}), retries=2)
        [poll] = poll_many([FeedState(f"https://127.0.0.1:{port}/feed.xml")], settings)
        assert poll.status == "failed"
        assert poll.error.startswith("TLS error") and "CERTIFICATE_VERIFY_FAILED" in poll.error
        assert len(server.handshakes) == 1 and server.served == []  # one attempt despite retries=2, and nothing served
        [page] = fetch_many([f"https://127.0.0.1:{port}/page.html"], settings)  # robots.txt fails the same way
        assert "CERTIFICATE_VERIFY_FAILED" in page.error and server.served == []
    finally:
        server.close()


FETCH_OVER_TLS = """
import sys
from paperboy.fetchers import FetchSettings
from paperboy.flows.fetching import fetch_many
settings = FetchSettings(allowed_hosts=frozenset({sys.argv[2]}), retries=0)
result = fetch_many([sys.argv[1]], settings)[0]
print(result.error, result.content)
"""


def test_a_page_over_tls_is_fetched_when_its_certificate_is_trusted(tmp_path):
    """SSL_CERT_FILE names the CAs to trust (a company's own, say), as for any OpenSSL client."""
    import os

    server = _TLSServer(tmp_path)
    try:
        url, host = f"https://127.0.0.1:{server.port}/page.html", f"127.0.0.1:{server.port}"
        env = {**os.environ, "SSL_CERT_FILE": str(server.cert_file)}
        out = subprocess.run([sys.executable, "-c", FETCH_OVER_TLS, url, host], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
        assert out.stdout.split() == ["None", "b'ok'"], out.stderr
        assert server.served == ["/robots.txt", "/page.html"]
    finally:
        server.close()
