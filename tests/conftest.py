from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from paperboy.fetchers import HOSTS
from tests.server import TestServer  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "corpus" / "seed"
FIXTURES = Path(__file__).parent / "fixtures"
needs_corpus = pytest.mark.skipif(
    not (SHARED / "corpus" / "dev").exists(), reason="../shared/corpus is not beside this checkout"
)


def corpus_pages(every: dict[str, int]):
    """(page id, page bytes, gzipped as stored) of every so many pages of each dev set: {"dev": 2, ...}."""
    for corpus, step in every.items():
        manifest = SHARED / "corpus" / corpus / "manifest.jsonl"
        entries = [json.loads(line) for line in manifest.read_text(encoding="utf-8").split("\n") if line.strip()]
        for e in entries[::step]:
            yield e["id"], (manifest.parent / e["html_file"]).read_bytes()


def pytest_configure(config):
    """With several test processes (pytest-xdist), one Prefect server for all of them, started
    here as they start (a server each would cost each process seconds of CPU); the processes wait
    for it when a test first needs it (`prefect_harness`)."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    import socket
    import subprocess
    import sys
    import tempfile

    home = tempfile.mkdtemp(prefix="paperboy-tests-prefect-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port),
           "--no-ui", "--no-scheduler", "--no-late-runs", "--log-level", "ERROR"]  # fmt: skip
    # Of the services, only the one that stores events (the watches' tests read them back): the rest
    # would spend the test processes' CPU on loops no test needs.
    quiet = ("CANCELLATION_CLEANUP", "FOREMAN", "PAUSE_EXPIRATIONS", "REPOSSESSOR", "TASK_RUN_RECORDER",
             "EVENT_LOGGER", "TRIGGERS", "FLOW_RUN_NOTIFICATIONS")  # fmt: skip
    env = {**os.environ, "PREFECT_HOME": home, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_EVENTS_STREAM_OUT_ENABLED": "false", "PREFECT_SERVER_LOGS_STREAM_OUT_ENABLED": "false",
           **{f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false" for name in quiet}}  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    os.environ["PAPERBOY_TEST_PREFECT_API"] = url
    os.environ["PREFECT_API_URL"] = url  # read by the test processes' Prefect at its import: every thread's
    os.environ["PAPERBOY_TEST_PREFECT_DB"] = os.path.join(home, "prefect.db")
    config._paperboy_prefect = proc


def pytest_collection_modifyitems(config, items):
    """A test that starts paperboy with a Prefect server of its own is a `server` test."""
    for item in items:
        if "prefect_home" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.server)


def pytest_unconfigure(config):
    proc = getattr(config, "_paperboy_prefect", None)
    if proc is not None:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_for(url: str, timeout: float = 180) -> None:
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the tests' Prefect server did not answer at {url} within {timeout:g} s") from None
            time.sleep(0.2)


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect API for the session: the server shared by the test processes, else Prefect's test
    harness. Without the flow runs' heartbeats: Prefect's engine waits up to a second for the
    heartbeat thread at the end of each run, which is most of a test's pass. A request the server
    leaves unanswered (its SQLite store, with two flow runs at once, now and then holds one) is sent
    again after 10 s rather than Prefect's 60."""
    from prefect.settings import (
        PREFECT_API_REQUEST_TIMEOUT,
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    quick = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, PREFECT_API_REQUEST_TIMEOUT: 10.0}
    shared = os.environ.get("PAPERBOY_TEST_PREFECT_API")
    if shared:
        _wait_for(shared + "/health")
        with temporary_settings({PREFECT_API_URL: shared, **quick}):
            yield
        return
    with prefect_test_harness(server_startup_timeout=120), temporary_settings(quick):
        yield


@pytest.fixture
def prefect_home(tmp_path, prefect_harness):
    """A PREFECT_HOME for a paperboy process that starts its own Prefect server, its database
    migrated already (a copy of the session's): a new one spends seconds of CPU migrating."""
    import sqlite3

    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    home = tmp_path / "prefect"
    home.mkdir()
    path = os.environ.get("PAPERBOY_TEST_PREFECT_DB")
    source = sqlite3.connect(path or str(PREFECT_API_DATABASE_CONNECTION_URL.value()).split(":///", 1)[1])
    copy = sqlite3.connect(home / "prefect.db")
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    return home


@pytest.fixture(scope="session")
def _server():
    server = TestServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _robots_read_anew():
    """paperboy remembers robots.txt per origin for the process: a test's server (or a port an
    earlier test's server had) must be asked again."""
    HOSTS.forget_robots()


@pytest.fixture
def server(_server, monkeypatch):
    """The local HTTP server, emptied for each test; paperboy may reach it and nothing else private."""
    _server.reset()
    HOSTS.forget_holds()  # one test's Retry-After must not hold the next test's server
    monkeypatch.setenv("PAPERBOY_ALLOWED_HOSTS", f"127.0.0.1:{_server.port}")
    monkeypatch.delenv("PAPERBOY_ALLOW_PRIVATE_NETWORKS", raising=False)
    monkeypatch.delenv("PAPERBOY_CONFIG", raising=False)
    return _server


@pytest.fixture
def db_path(tmp_path) -> str:
    return str(tmp_path / "paperboy.db")


def rss(items: list[dict], title: str = "Test feed", extra_channel: str = "") -> str:
    """An RSS 2.0 feed; each item: title, link, guid, description, content, author, pubDate."""
    parts = []
    for it in items:
        xml = [f"<title>{it.get('title', 'Untitled')}</title>"]
        if it.get("link"):
            xml.append(f"<link>{it['link']}</link>")
        if it.get("guid"):
            xml.append(f'<guid isPermaLink="false">{it["guid"]}</guid>')
        if it.get("description"):
            xml.append(f"<description><![CDATA[{it['description']}]]></description>")
        if it.get("content"):
            xml.append(f"<content:encoded><![CDATA[{it['content']}]]></content:encoded>")
        if it.get("author"):
            xml.append(f"<dc:creator>{it['author']}</dc:creator>")
        xml.append(f"<pubDate>{it.get('pubDate', 'Mon, 05 Jul 2021 13:41:00 GMT')}</pubDate>")
        parts.append("<item>" + "".join(xml) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>{title}</title><link>http://example.org/</link><description>d</description>"
        f"{extra_channel}{''.join(parts)}</channel></rss>"
    )


def article_page(title: str, paragraphs: list[str], *, canonical: str | None = None, tail: str = "") -> str:
    """A news page with the usual furniture around the story."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{link}'
        f'<meta property="og:title" content="{title}"></head><body>'
        '<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/politics">Politics</a></nav></header>'
        f"<main><article><h1>{title}</h1>{body}{tail}</article></main>"
        "<footer><p>Terms | Privacy | Contact</p></footer></body></html>"
    )


WORDS = (
    "council budget harbour bridge station school road repair mayor residents contract summer winter "
    "weather supplier traffic ferry cyclist engineer bearing closure river market library museum park "
    "tram tunnel hospital nurse teacher pupil farmer harvest festival concert theatre stadium election"
).split()


def story(n: int) -> list[str]:
    """Five distinct, plausible paragraphs for article number n (their words differ, not only numbers)."""
    place = "".join(chr(97 + int(d)) for d in str(n)).capitalize() + "ville"  # no digits: they fold in fingerprints
    out = []
    for i in range(5):
        picked = [WORDS[(n * 7 + i * 3 + k * 5) % len(WORDS)] for k in range(8)]
        out.append(
            f"The council of {place} met on Tuesday to discuss the {picked[0]} and the {picked[1]}, "
            f"and members argued at "
            f"length about the {picked[2]}, the {picked[3]} and the old {picked[4]} near the {picked[5]}, "
            f"before the {picked[6]} and the {picked[7]} were put to a vote."
        )
    return out


def assert_spaced(starts: list[float], interval: float) -> None:
    """Request arrivals at the server are `interval` apart, give or take the loopback's jitter.

    Arrival times are taken at the server, after the client's and the server's threads have run: on
    a loaded machine one request can reach the handler late (one CI run saw 0.2 s) and so arrive just
    before the next, which left on time. A late arrival shortens the gap after it by what it adds to
    the gap before it, so one short gap is forgiven when, with the gap before it, it still spans two
    spaced gaps. Requests that really start together make short gaps again and again, and fail.
    """
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    short = [i for i, g in enumerate(gaps) if g < 0.75 * interval]
    assert len(short) <= 1, gaps
    for i in short:  # the request before this gap was late, not early: the gap before it is long
        assert i > 0 and gaps[i - 1] + gaps[i] >= 2 * 0.75 * interval, gaps
    assert starts[-1] - starts[0] >= 0.95 * interval * len(gaps), gaps
