"""`paperboy browse` in a real browser: Datasette over a db filled by a real pass, headless Chromium
(Debian's package) driven by Playwright. Skipped, saying why, where either is missing."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from paperboy.db import connect, store
from tests.conftest import article_page, rss, story

pytest.importorskip("datasette", reason="Datasette is not installed (it comes with paperboy: pip install -e .)")
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install chromium)"),
]
ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "img"
FOOTER = "© 2024 Example Media. All rights reserved."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def archive(server, tmp_path) -> str:
    """Three articles from a good feed (each page with a copyright footer), and a feed that fails."""
    from paperboy.flows.ingest import ingest

    pages = {i: article_page(f"Story {i}", story(i), tail=f"<p>{FOOTER}</p>") for i in range(3)}
    items = [{"title": f"Story {i}", "link": server.add(f"/b{i}.html", pages[i]), "guid": f"b{i}"} for i in range(3)]
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    db = str(tmp_path / "paperboy.db")
    store.add_feed(connect(db), server.url("/feed.xml"), name="Good feed")
    store.add_feed(connect(db), server.url("/missing.xml"), name="Broken feed")
    ingest(db_path=db, progress=False)
    return db


def start_browse(archive: str, *extra: str) -> tuple[subprocess.Popen, str]:
    """`paperboy browse` in a process of its own (and its own session), once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperboy", "--db", archive, "browse", "--port", str(port), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2)
            return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > end:
                raise AssertionError(f"browse did not start: {proc.stdout.read() if proc.stdout else ''}") from None
            time.sleep(0.2)


@pytest.fixture
def browse(archive):
    proc, base = start_browse(archive)
    yield base
    os.killpg(proc.pid, 15)
    proc.wait(10)


@pytest.fixture
def page(browse):
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = chromium.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.errors = errors
        yield tab
        chromium.close()


def shot(tab, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"browse-{name}.png"), full_page=True)


def test_the_archive_seen_searched_and_watched_in_a_browser(browse, page, archive):
    page.goto(browse + "/")
    assert "paperboy archive" in page.content() and page.locator("a", has_text="Articles").count() >= 1
    shot(page, "home")

    page.goto(browse + "/paperboy/latest")
    assert page.locator("td.col-title").count() == 3
    shot(page, "latest")

    word = story(1)[0].split()[3]  # a word of the second story's first paragraph
    page.goto(f"{browse}/paperboy/search?q={word}")
    marks = page.locator("td.col-snippet mark")
    assert marks.count() >= 1 and marks.first.inner_text().lower() == word.lower()
    shot(page, "search")

    page.locator("td.col-id a").first.click()
    page.wait_for_url("**/-/article/*")
    paragraphs = page.locator("div.text p")
    assert paragraphs.count() == len(story(1))
    assert FOOTER not in page.content() and "All rights reserved" not in page.inner_text("body")
    shot(page, "article")

    page.goto(browse + "/paperboy/feeds_health")
    broken = page.locator("tr", has_text="Broken feed")
    assert "failing" in broken.inner_text() and "failing" not in page.locator("tr", has_text="Good feed").inner_text()
    shot(page, "feeds")

    page.goto(browse + "/-/charts")
    page.wait_for_function("[...document.querySelectorAll('canvas[data-view]')].every(c => c.dataset.drawn)")
    for chart in ("articles", "health", "failures"):
        painted = page.evaluate(
            """id => { const c = document.getElementById(id);
                       const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""",
            chart,
        )
        assert painted > 500, f"the {chart} chart drew nothing"
    assert int(page.locator("#articles").get_attribute("data-rows")) >= 1
    shot(page, "charts")
    assert page.errors == []


def test_bad_input_in_the_page_is_a_readable_message(browse, page):
    for query, says in (("%22unclosed", "unterminated string"), ("tuesday%20AND", "syntax error")):
        response = page.goto(f"{browse}/paperboy/search?q={query}")
        assert response.status == 400 and says in page.locator(".message-error").inner_text()
        assert "Traceback" not in page.content()
    response = page.goto(browse + "/-/article/99999")
    assert response.status == 404 and "No article with id 99999" in page.inner_text("body")
    page.goto(browse + "/-/article/nope")
    assert "is not an article id" in page.inner_text("body") and "Traceback" not in page.content()


def test_a_pass_run_while_browse_runs_links_its_summary_to_the_articles_it_stored(server, archive, browse, page):
    import asyncio
    import re
    from concurrent.futures import ThreadPoolExecutor

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from paperboy.flows.ingest import ingest

    items = [{"title": f"Story {i}", "link": server.url(f"/b{i}.html"), "guid": f"b{i}"} for i in range(3)]
    items.append({"title": "Story 9", "link": server.add("/b9.html", article_page("Story 9", story(9))), "guid": "b9"})
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    ingest(db_path=archive, progress=False)

    async def summaries() -> list[str]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-summary"])), limit=200
            )
            return [a.data or "" for a in found]

    with ThreadPoolExecutor(1) as other:  # Playwright's own loop runs in this thread
        found = other.submit(asyncio.run, summaries()).result()
    links = [m for data in found for m in re.findall(r"\]\((http[^)]+)\)", data) if browse in m]
    assert len(links) == 1, links
    page.goto(links[0])
    titles = page.locator("td.col-title").all_inner_texts()
    assert titles == ["Story 9"]


def test_the_doubtful_texts_are_shown_by_feed_and_site(server, archive, browse, page):
    from paperboy.flows.ingest import ingest

    brief = server.add("/brief.html", article_page("In brief", ["The ferry strike ended on Tuesday."]))
    items = [{"title": f"Story {i}", "link": server.url(f"/b{i}.html"), "guid": f"b{i}"} for i in range(3)]
    server.add("/feed.xml", rss([*items, {"title": "In brief", "link": brief, "guid": "brief"}]),
               content_type="application/rss+xml")  # fmt: skip
    ingest(db_path=archive, progress=False)
    page.goto(browse + "/paperboy/doubtful_sites")
    [row] = page.locator("tbody tr").all()
    site = row.locator("td.col-site").inner_text()
    assert "Good feed" in row.inner_text() and site == server.url("/").split("/")[2]
    assert row.locator("td.col-articles").inner_text() == "4" and row.locator("td.col-doubtful").inner_text() == "1"
    page.goto(f"{browse}/paperboy/doubtful?site={site}")
    assert page.locator("td.col-title").all_inner_texts() == ["In brief"]
    shot(page, "doubtful")
    assert page.errors == []


def test_a_story_republished_by_another_outlet_is_shown_side_by_side(server, archive, browse, page, monkeypatch):
    from paperboy.flows.ingest import ingest

    added = "The council said on Wednesday that the first contracts would be signed before the end of the month."
    copy = [*story(1)[:3], added]  # the last two paragraphs cut, one added
    link = server.add("/other/b1.html", article_page("Story 1, as another outlet tells it", copy))
    link = link.replace("127.0.0.1", "localhost")  # another outlet: another host (the same server)
    monkeypatch.setenv("PAPERBOY_ALLOWED_HOSTS", f"127.0.0.1:{server.port},localhost:{server.port}")
    server.add(
        "/other.xml", rss([{"title": "Story 1", "link": link, "guid": "o1"}]), content_type="application/rss+xml"
    )
    store.add_feed(connect(archive), server.url("/other.xml"), name="Other outlet")
    assert ingest(db_path=archive, progress=False)["articles"]["new_versions"] == 1
    page.goto(browse + "/paperboy/stories")
    [row] = page.locator("tbody tr").all()
    assert row.locator("td.col-versions").inner_text() == "2" and row.locator("td.col-outlets").inner_text() == "2"
    row.locator("td.col-story a").click()
    page.wait_for_url("**/-/story/*")
    versions = page.locator("section.version")
    assert versions.count() == 2
    assert versions.nth(1).locator("p.added").all_inner_texts() == [added]
    assert versions.nth(1).locator(".cut p").all_inner_texts() == story(1)[3:]
    shot(page, "story")
    page.locator("section.version h2 a").first.click()
    page.wait_for_url("**/-/article/*")
    assert "2 versions" in page.locator("p.story").inner_text()
    assert page.errors == []


def status(url: str, method: str = "GET") -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)):
            return 200
    except urllib.error.HTTPError as exc:
        return exc.code


def test_browse_is_read_only_and_keeps_the_internals_and_sql_out_of_reach(browse):
    for path in ("/paperboy/feeds", "/paperboy/latest", "/paperboy/search?q=council", "/-/article/1"):
        assert status(browse + path) == 200, path
        assert status(browse + path, "POST") == 405, path
    for path in ("/paperboy/raw_pages", "/paperboy/raw_pages.json", "/paperboy/raw_pages/1.blob?_blob_column=html_zstd",
                 "/paperboy/entries.json", "/paperboy/host_holds.csv", "/paperboy.db",
                 "/paperboy.json?sql=select+url+from+feeds", "/paperboy?sql=select+1"):  # fmt: skip
        assert 400 <= status(browse + path) < 500, path


def test_browse_search_speaks_paperboy_search_syntax(browse, archive):
    from urllib.parse import quote

    word = story(1)[0].split()[3]
    for query in ("U.S.", "don't", "C++", "ferry-strike", f"{word} 東京都"):
        assert status(f"{browse}/paperboy/search.json?q={quote(query)}") == 200, query
    with urllib.request.urlopen(f"{browse}/paperboy/search.json?_shape=array&q={quote(word + '.')}") as answer:
        assert len(__import__("json").load(answer)) >= 1  # plain words: the full stop is no syntax


def test_sql_of_ones_own_only_when_asked(archive):
    db = connect(archive)
    w = store.add_watch(db, "council", "council", webhook="https://hooks.example.com/T0KEN")
    store.record_matches(db, w, store.matching(db, w))
    proc, base = start_browse(archive, "--sql")
    try:
        with urllib.request.urlopen(base + "/paperboy/watch_matches.json?watch=council&_shape=array") as answer:
            assert len(__import__("json").load(answer)) == 3  # a watch's matches, in a view
        for secret in ("secret", "webhook", "*"):
            assert 400 <= status(base + f"/paperboy.json?sql=select+{secret}+from+watches") < 500, secret
        assert status(base + "/paperboy.json?sql=select+count(*)+from+articles") == 200
        assert 400 <= status(base + "/paperboy.json?sql=select+*+from+raw_pages") < 500  # the internals stay shut
        odd = "select 'x' as id, 'a feed' as feed, 'a day' as day, 'an address' as url"  # looks like a view's row
        assert status(base + "/paperboy?sql=" + urllib.parse.quote(odd)) == 200
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(10)


def test_stopping_browse_by_its_pid_stops_datasette_and_leaves_no_file(archive):
    from paperboy.flows.processes import alive, descendants

    proc, base = start_browse(archive)
    [child] = descendants(proc.pid)
    command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
    metadata = Path(command[command.index(b"--metadata") + 1].decode())
    assert metadata.exists() and Path(archive + ".browse.json").exists()
    os.kill(proc.pid, 15)  # the process alone, as `kill PID` does
    assert proc.wait(30) == 143
    deadline = time.monotonic() + 30
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child)
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/-/versions.json", timeout=2)
    assert not metadata.exists() and not metadata.parent.exists()
    assert not Path(archive + ".browse.json").exists()


def test_an_address_beyond_loopback_is_said(archive):
    proc, _ = start_browse(archive, "--host", "0.0.0.0")
    os.killpg(proc.pid, 15)
    out, _ = proc.communicate(timeout=30)
    assert "warning: 0.0.0.0 lets anyone who can reach this machine read the archive" in out


@contextlib.contextmanager
def read_only_copy(archive: str, folder: Path, suffixes: tuple[str, ...]):
    """The archive's files with these suffixes ("", "-wal", "-shm"), copied as they are (its last
    articles still in the -wal), on a read-only bind mount; skipped where mounting is not allowed."""
    source, media = folder / "src", folder / "media"
    source.mkdir()
    media.mkdir()
    for suffix in suffixes:
        if Path(archive + suffix).exists():
            shutil.copy(archive + suffix, source / ("paperboy.db" + suffix))
    if subprocess.run(["mount", "--bind", str(source), str(media)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount here (mounting needs root and CAP_SYS_ADMIN)")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(media)], capture_output=True).returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield str(media / "paperboy.db")
    finally:
        subprocess.run(["umount", str(media)], capture_output=True)


def test_browse_serves_an_archive_on_read_only_media(archive, tmp_path):
    """The archive copied with its -wal and -shm files to read-only media: all of it is shown."""
    with read_only_copy(archive, tmp_path, ("", "-wal", "-shm")) as db:
        proc, base = start_browse(db)
        try:
            assert status(base + "/paperboy/latest") == 200
            assert status(base + "/paperboy/search?q=council") == 200
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(10)


def test_browse_says_when_a_wal_on_read_only_media_cannot_be_read(archive, tmp_path):
    """Without its -shm file, a -wal on read-only media cannot be read: the db is served as it is
    without it, and browse says so in one line."""
    if not Path(archive + "-wal").exists() or not Path(archive + "-wal").stat().st_size:
        pytest.skip("the archive's articles were all checkpointed into the db file")
    with read_only_copy(archive, tmp_path, ("", "-wal")) as db:
        proc, base = start_browse(db)
        os.killpg(proc.pid, 15)
        out, _ = proc.communicate(timeout=30)
    assert "paperboy.db-wal cannot be read here" in out


def test_browse_serves_full_text_feeds_for_reader_apps(browse, archive):
    import json

    import feedparser

    with urllib.request.urlopen(browse + "/-/feeds/all.atom") as answer:
        assert answer.headers["content-type"].startswith("application/atom+xml")
        parsed = feedparser.parse(answer.read())
    assert not parsed.bozo and len(parsed.entries) == 3
    assert all(entry.content[0].value.count("<p>") == len(story(0)) for entry in parsed.entries)
    assert parsed.feed.links[0].href == browse + "/-/feeds/all.atom"
    with urllib.request.urlopen(browse + "/-/feeds/1.json") as answer:
        feed = json.load(answer)
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and len(feed["items"]) == 3
    assert status(browse + "/-/feeds/2.json") == 200 and status(browse + "/-/feeds/nope.atom") == 400
    db = connect(archive)
    w = store.add_watch(db, "one story", '"Story 1"')
    store.record_matches(db, w, store.matching(db, w))
    with urllib.request.urlopen(browse + "/-/feeds/watch/one%20story.atom") as answer:
        watched = feedparser.parse(answer.read())
    assert not watched.bozo and [e.title for e in watched.entries] == ["Story 1"]
