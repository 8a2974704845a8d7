"""Backfill: URLs from a file (resumable, no duplicates with scheduled runs) and --reprocess."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from paperboy.db import connect, store
from tests.conftest import article_page, rss, story

pytestmark = pytest.mark.usefixtures("prefect_harness")


def backfill(db_path, config_path=None, **kw) -> dict:
    from paperboy.flows.backfill import BackfillRequest
    from paperboy.flows.backfill import backfill as flow

    return flow(db_path=db_path, request=BackfillRequest(**kw), config_path=config_path, progress=False)


def ingest(db_path, **kw) -> dict:
    from paperboy.flows.ingest import ingest as flow

    return flow(db_path=db_path, progress=False, **kw)


def count(db_path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("select count(*) from articles").fetchone()[0]
    finally:
        conn.close()


def test_urls_are_stored_once_whichever_path_found_them(server, db_path, tmp_path):
    links = [server.add(f"/u{i}.html", article_page(f"Story {i}", story(i))) for i in range(4)]
    server.add("/feed.xml", rss([{"title": "S0", "link": links[0], "guid": "s0"}]), content_type="application/rss+xml")
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    ingest(db_path)
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(links + [server.url("/missing.html")]) + "\n")

    dry = backfill(db_path, urls_file=str(urls), dry_run=True, rate=50.0)  # (the default: a request a second)
    assert dry["would_fetch"] == 4 and count(db_path) == 1

    first = backfill(db_path, urls_file=str(urls), rate=50.0)
    assert first["stored"] == 3 and first["failed"] == 1 and count(db_path) == 4
    assert len(server.requests_to("/u0.html")) == 1  # the feed had it: not fetched again

    again = backfill(db_path, urls_file=str(urls), rate=50.0)  # resumes: only the failure is tried again
    assert again["stored"] == 0 and again["skipped"] == 4 and count(db_path) == 4
    assert all(len(server.requests_to(f"/u{i}.html")) == 1 for i in range(4))
    assert len(server.requests_to("/missing.html")) == 2


def stored_with_its_copyright_line(server, db_path, tmp_path) -> sqlite3.Connection:
    """One article stored while the copyright rule was off: its text keeps "All rights reserved"."""
    page = article_page("Story", story(1), tail="<p>© 2024 Example Media. All rights reserved.</p>")
    server.add(
        "/feed.xml",
        rss([{"title": "S", "link": server.add("/s.html", page), "guid": "s"}]),
        content_type="application/rss+xml",
    )
    loose = tmp_path / "loose.toml"
    loose.write_text('[settings]\ndisabled_rules = ["copyright"]\n')
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    ingest(db_path, config_path=str(loose))
    return sqlite3.connect(db_path)


def test_reprocess_updates_the_text_when_the_cleaning_changes_and_makes_no_request(server, db_path, tmp_path):
    conn = stored_with_its_copyright_line(server, db_path, tmp_path)
    assert "All rights reserved" in conn.execute("select text from articles").fetchone()[0]
    hits = len(server.hits)

    preview = backfill(db_path, reprocess=True, dry_run=True)
    assert preview["changed"] == 1 and "All rights reserved" in conn.execute("select text from articles").fetchone()[0]
    summary = backfill(db_path, reprocess=True)  # the copyright rule is on again
    assert summary["reprocessed"] == 1 and summary["changed"] == 1
    assert "All rights reserved" not in conn.execute("select text from articles").fetchone()[0]
    assert store.search(connect(db_path), "tuesday")  # the full-text index followed
    assert len(server.hits) == hits
    assert backfill(db_path, reprocess=True)["changed"] == 0


def test_reprocess_reads_the_pages_an_older_paperboy_archived_with_zlib(server, db_path, tmp_path):
    import zlib

    import zstandard

    conn = stored_with_its_copyright_line(server, db_path, tmp_path)
    html = zstandard.decompress(conn.execute("select html_zstd from raw_pages").fetchone()[0])
    # the archive as paperboy wrote it before zstd: zlib in html_zlib, no html_zstd column
    conn.execute("update raw_pages set html_zlib = ?", [zlib.compress(html)])
    conn.execute("alter table raw_pages drop column html_zstd")
    conn.execute("pragma user_version = 0")  # as a paperboy before the mark left it
    conn.commit()

    summary = backfill(db_path, reprocess=True)
    assert summary["reprocessed"] == 1 and summary["changed"] == 1
    assert "All rights reserved" not in conn.execute("select text from articles").fetchone()[0]
    assert "html_zstd" in [r[1] for r in conn.execute("pragma table_info(raw_pages)")]


def test_pages_kept_in_warc_files_pass_warcio_and_replay_into_the_same_article(server, db_path, tmp_path):
    page = article_page("Story", story(1), tail="<p>© 2024 Example Media. All rights reserved.</p>")
    items = [{"title": "S", "link": server.add("/s.html", page), "guid": "s"}]
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    loose, strict = tmp_path / "loose.toml", tmp_path / "strict.toml"
    loose.write_text('[settings]\nraw_pages = "warc"\ndisabled_rules = ["copyright"]\n')
    strict.write_text('[settings]\nraw_pages = "warc"\n')
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    ingest(db_path, config_path=str(loose))
    items.append({"title": "T", "link": server.add("/t.html", article_page("Other", story(2))), "guid": "t"})
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    ingest(db_path, config_path=str(loose))  # a second pass appends to the same file

    conn = sqlite3.connect(db_path)
    kept = conn.execute("select html_zstd, warc_file from raw_pages").fetchall()
    assert len(kept) == 2 and all(zstd is None for zstd, _ in kept)
    warcs = sorted(Path(db_path + ".warc").glob("*.warc.gz"))
    assert len(warcs) == 1 and {name for _, name in kept} == {str(warcs[0].relative_to(Path(db_path).parent))}
    warcio = str(Path(sys.executable).with_name("warcio"))
    check = subprocess.run([warcio, "check", "-v", str(warcs[0])], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run([warcio, "index", str(warcs[0])], capture_output=True, text=True, check=True).stdout
    assert server.url("/s.html") in index and server.url("/t.html") in index

    hits = len(server.hits)
    assert backfill(db_path, config_path=str(loose), reprocess=True)["changed"] == 0  # the same article again
    summary = backfill(db_path, config_path=str(strict), reprocess=True)
    assert summary["reprocessed"] == 2 and summary["changed"] == 1
    assert "All rights reserved" not in conn.execute("select text from articles where title = 'Story'").fetchone()[0]
    assert len(server.hits) == hits


def test_pages_kept_nowhere_store_the_articles_alone(server, db_path, tmp_path):
    server.add(
        "/feed.xml",
        rss([{"title": "S", "link": server.add("/s.html", article_page("Story", story(1))), "guid": "s"}]),
        content_type="application/rss+xml",
    )
    config = tmp_path / "none.toml"
    config.write_text('[settings]\nraw_pages = "none"\n')
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    assert ingest(db_path, config_path=str(config))["articles"]["new"] == 1
    conn = sqlite3.connect(db_path)
    assert conn.execute("select count(*) from raw_pages").fetchone()[0] == 0
    assert backfill(db_path, config_path=str(config), reprocess=True)["reprocessed"] == 0


def test_a_missing_warc_file_fails_its_pages_and_the_rest_are_re_extracted(server, db_path, tmp_path):
    links = [server.add(f"/w{i}.html", article_page(f"Story {i}", story(i))) for i in range(2)]
    items = [{"title": f"S{i}", "link": link, "guid": f"w{i}"} for i, link in enumerate(links)]
    server.add("/feed.xml", rss(items[:1]), content_type="application/rss+xml")
    config = tmp_path / "warc.toml"
    config.write_text('[settings]\nraw_pages = "warc"\nwarc_file_bytes = 1048576\n')
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    ingest(db_path, config_path=str(config))
    for old in Path(db_path + ".warc").glob("*.warc.gz"):
        old.rename(old.with_name("moved-away"))  # the next pass starts a file of its own
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    ingest(db_path, config_path=str(config))
    (Path(db_path + ".warc") / "moved-away").unlink()
    summary = backfill(db_path, config_path=str(config), reprocess=True)
    assert summary["reprocessed"] == 2 and summary["failed"] == 1 and count(db_path) == 2
