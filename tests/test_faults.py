"""Faults and edges: a damaged archive stops a pass without charging its items. Against a real
HTTP server, a real SQLite file and real Prefect flow runs."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from paperboy.db import connect, store
from paperboy.flows.commands.main import cli
from tests.conftest import article_page, rss, story

pytestmark = pytest.mark.usefixtures("prefect_harness")


def three_stories(server) -> str:
    items = [{"title": f"Story {i}", "link": server.add(f"/d{i}.html", article_page(f"Story {i}", story(i))),
              "guid": f"d{i}"} for i in range(3)]  # fmt: skip
    return server.add("/feed.xml", rss(items), content_type="application/rss+xml")


def test_a_dropped_table_stops_the_pass_in_one_line_and_costs_no_item_an_attempt(server, db_path):
    store.add_feed(connect(db_path), three_stories(server))
    conn = sqlite3.connect(db_path)
    conn.execute("drop table articles_fts")  # its triggers stay, and every insert of an article fails
    conn.commit()
    result = CliRunner().invoke(cli, ["--db", db_path, "run"])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and "is damaged (no such table: main.articles_fts)" in lines[-1], result.output
    assert not [line for line in lines if "internal error" in line]
    assert conn.execute("select count(*) from articles").fetchone() == (0,)
    assert conn.execute("select sum(attempts), count(*) from entries where status = 'pending'").fetchone() == (0, 3)

    conn.execute("create virtual table articles_fts using fts5(title, text, "
                 "tokenize='unicode61 remove_diacritics 2', content='articles')")  # fmt: skip
    conn.commit()
    again = CliRunner().invoke(cli, ["--db", db_path, "run"])
    assert again.exit_code == 0, again.output
    assert conn.execute("select count(*) from articles").fetchone() == (3,)
    conn.close()


def test_an_article_past_the_text_cap_is_stored_cut_and_the_summary_says_so(server, db_path):
    from paperboy.core import MAX_TEXT

    words = story(7)
    paragraphs = [f"Part {i}. {words[i % 5]} And so the {i}th account went on." for i in range(5_000)]
    assert sum(map(len, paragraphs)) > MAX_TEXT
    link = server.add("/huge.html", article_page("A very long record", paragraphs))
    server.add("/huge.xml", rss([{"title": "A very long record", "link": link, "guid": "h"}]),
               content_type="application/rss+xml")  # fmt: skip
    store.add_feed(connect(db_path), server.url("/huge.xml"))
    result = CliRunner().invoke(cli, ["--db", db_path, "run"])
    assert result.exit_code == 0, result.output
    assert f"1 stored with their text cut at {MAX_TEXT:,} characters" in result.output
    [(text,)] = sqlite3.connect(db_path).execute("select text from articles").fetchall()
    assert MAX_TEXT - 1000 < len(text) <= MAX_TEXT and text.endswith("went on.")


def test_a_torn_warc_record_is_cut_on_the_next_pass_and_said(server, db_path, tmp_path):
    import gzip
    import subprocess
    import sys
    from pathlib import Path

    items = [{"title": "S0", "link": server.add("/w0.html", article_page("Story 0", story(0))), "guid": "w0"}]
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    config = tmp_path / "warc.toml"
    config.write_text('[settings]\nraw_pages = "warc"\n')
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    args = ["--db", db_path, "--config", str(config), "run"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    [warc] = Path(db_path + ".warc").glob("*.warc.gz")
    whole = warc.read_bytes()
    with open(warc, "ab") as fh:  # as a pass killed while writing leaves it: a record and half of another
        fh.write(whole + whole[: len(whole) // 2])
    torn = warc.stat().st_size - len(whole)

    items.append({"title": "S1", "link": server.add("/w1.html", article_page("Story 1", story(1))), "guid": "w1"})
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert f"cut {torn} bytes past the last stored record of {warc}" in again.output
    warcio = str(Path(sys.executable).with_name("warcio"))
    for path in Path(db_path + ".warc").glob("*.warc.gz"):
        gzip.decompress(path.read_bytes())  # gzip -t: every member whole
        check = subprocess.run([warcio, "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    assert sqlite3.connect(db_path).execute("select count(*) from raw_pages").fetchone() == (2,)
    reprocessed = CliRunner().invoke(cli, ["--db", db_path, "--config", str(config), "backfill", "--reprocess"])
    assert reprocessed.exit_code == 0, reprocessed.output


def test_a_url_list_is_read_in_rounds_and_each_article_stored_once(server, db_path, tmp_path, monkeypatch):
    from paperboy.flows import backfill as backfill_flow

    monkeypatch.setattr(backfill_flow, "URLS_PER_ROUND", 4)  # eleven lines: three rounds
    links = [server.add(f"/u{i}.html", article_page(f"Story {i}", story(i))) for i in range(6)]
    lines = [*links[:3], "# a comment", "not a url", links[0], *links[3:], "", links[5], links[1]]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(lines) + "\n")
    connect(db_path)
    result = CliRunner().invoke(cli, ["--db", db_path, "backfill", "--urls", str(listing), "--rate", "50"])
    assert result.exit_code == 3, result.output  # done, with the bad line said
    assert f"{listing}:5: " in result.output  # the bad line, with its number
    stored = sqlite3.connect(db_path).execute("select url from articles order by url").fetchall()
    assert sorted(u for (u,) in stored) == sorted(links)
    assert len(server.requests_to("/u0.html")) == 1 and len(server.requests_to("/u5.html")) == 1


def test_an_opml_list_of_many_feeds_in_folders_is_read_as_it_streams(db_path, tmp_path, monkeypatch):
    from paperboy.flows.commands import opml

    monkeypatch.setattr(opml, "CHUNK", 4096)  # the file in many chunks
    folders = "".join(
        f'<outline text="Folder {f}">'
        + "".join(f'<outline text="F{f}-{i}" xmlUrl="https://f{f}.example.com/{i}.xml"/>' for i in range(500))
        + "</outline>"
        for f in range(6)
    )
    opml = tmp_path / "many.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><head/><body>{folders}</body></opml>')
    result = CliRunner().invoke(cli, ["--db", db_path, "feeds", "import", str(opml)])
    assert result.exit_code == 0 and "3000 feeds added" in result.output, result.output
    bomb = tmp_path / "bomb.opml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">]><opml><body>'
                    '<outline xmlUrl="https://x.example/&a;"/></body></opml>')  # fmt: skip
    refused = CliRunner().invoke(cli, ["--db", db_path, "feeds", "import", str(bomb)])
    assert refused.exit_code == 1 and "declares entities" in refused.output


def test_a_backfill_summary_adds_up_when_pages_repeat_items(server, db_path, tmp_path):
    import json

    links = {n: server.add(f"/r/{n}.html", article_page(f"Story {n}", story(i))) for i, n in enumerate("abc")}

    def page(names: str) -> str:
        return rss([{"title": n, "link": links[n], "guid": n} for n in names])

    feed = server.add("/r/feed.xml", page("ab"), content_type="application/rss+xml")
    server.add("/r/feed.xml?paged=2", page("bc"), content_type="application/rss+xml")  # b again
    server.add("/r/feed.xml?paged=3", "no", status=404, content_type="text/plain")
    store.add_feed(connect(db_path), feed)
    result = CliRunner().invoke(cli, ["--db", db_path, "backfill", "--feed", feed, "--rate", "50", "--json"])
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)
    assert total["found"] == 4 and total["stored"] == 3
    assert total["stored"] + total["updated"] + total["skipped"] + total["failed"] == total["in_range"], total


def test_a_comment_after_a_url_is_a_comment(server, db_path, tmp_path):
    link = server.add("/c.html", article_page("Story c", story(3)))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{link}   # the one we were asked for\n{link}#section-2\n")
    connect(db_path)
    result = CliRunner().invoke(cli, ["--db", db_path, "backfill", "--urls", str(listing), "--rate", "50"])
    assert result.exit_code == 0, result.output
    assert sqlite3.connect(db_path).execute("select count(*) from articles").fetchone() == (1,)


def test_feed_items_say_what_became_of_them(server, db_path):
    first, second = (server.add(f"/g{i}.html", article_page(f"Story {i}", story(i))) for i in (5, 6))
    items = [
        {"title": "No link", "guid": "n1", "content": "<p>" + " ".join(story(4)) + "</p>"},
        {"title": "First", "link": first, "guid": "same"},
        {"title": "Second", "link": second, "guid": "same"},
    ]
    store.add_feed(connect(db_path), server.add("/items.xml", rss(items), content_type="application/rss+xml"))
    out = CliRunner().invoke(cli, ["--db", db_path, "run"]).output
    assert "1 stored from the feed's own text (the item links no page)" in out, out
    assert "will be tried again" not in out
    assert "1 item shares a guid (or link) with an earlier one: the first of each was kept" in out
    store.add_feed(connect(db_path), server.add("/broken.xml", "<rss><channel><title", content_type="text/xml"))
    broken = CliRunner().invoke(cli, ["--db", db_path, "run", "--feed", server.url("/broken.xml")]).output
    assert "not a feed: line 1, column 14: unclosed token" in broken, broken
