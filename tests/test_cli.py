"""The `paperboy` command as a user meets it: help everywhere, one-line errors, real files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from paperboy.db import connect, store
from paperboy.flows.commands.main import cli
from tests.conftest import SEED, article_page, rss, story


def commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from commands(cmd, (*prefix, name))


ALL_COMMANDS = sorted(commands(cli))


def test_the_command_list_is_complete():
    expected = {("feeds", "add"), ("feeds", "list"), ("feeds", "remove"), ("feeds", "import"), ("feeds", "export"),
                ("run",), ("serve",), ("extract",), ("search",), ("export",), ("show",)}  # fmt: skip
    assert expected <= set(ALL_COMMANDS)


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=" ".join)
def test_every_command_has_help(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    cmd = cli
    for name in path:
        cmd = cmd.commands[name]
    assert cmd.help and cmd.help.strip()


def invoke(db_path, *args, input=None):
    return CliRunner().invoke(cli, ["--db", db_path, *args], input=input, catch_exceptions=False)


def test_opml_round_trip(db_path, tmp_path):
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        '<outline text="News"><outline text="One" xmlUrl="https://one.example.com/feed.xml"/>'
        '<outline text="Two &amp; more" xmlUrl="https://two.example.com/rss?a=1&amp;b=2"/></outline>'
        "</body></opml>"
    )
    assert "2 feeds added" in invoke(db_path, "feeds", "import", str(opml)).output
    assert "0 feeds added" in invoke(db_path, "feeds", "import", str(opml)).output
    exported = invoke(db_path, "feeds", "export").output
    again = tmp_path / "out.opml"
    again.write_text(exported)
    other = str(tmp_path / "other.db")
    assert "2 feeds added" in invoke(other, "feeds", "import", str(again)).output
    urls = [json.loads(line)["url"] for line in invoke(other, "feeds", "list", "--json").output.splitlines()]
    assert urls == ["https://one.example.com/feed.xml", "https://two.example.com/rss?a=1&b=2"]
    names = [json.loads(line)["name"] for line in invoke(other, "feeds", "list", "--json").output.splitlines()]
    assert names == ["One", "Two & more"]


def test_feeds_add_list_remove(db_path):
    assert "added" in invoke(db_path, "feeds", "add", "https://x.example.com/feed", "--name", "X", "--no-check").output
    assert "already following" in invoke(db_path, "feeds", "add", "https://x.example.com/feed", "--no-check").output
    listing = invoke(db_path, "feeds", "list").output
    assert "https://x.example.com/feed" in listing and "last success: never" in listing
    assert "removed" in invoke(db_path, "feeds", "remove", "https://x.example.com/feed").output
    assert "no feeds yet" in invoke(db_path, "feeds", "list").output


@pytest.mark.parametrize(
    "args, message",
    [
        (["feeds", "add", "ftp://x.example.com/feed"], "not an http(s) URL"),
        (["feeds", "remove", "https://nope.example.com/"], "no such feed"),
        (["feeds", "import", "/nonexistent/feeds.opml"], "no such file"),
        (["run"], "no archive at"),
        (["export", "--since", "yesterday"], "--since wants a date"),
        (["--config", "/nonexistent.toml", "run"], "no such file"),
        (["--config", "/nonexistent.toml", "feeds", "list"], "/nonexistent.toml: no such file"),
    ],
    ids=[
        "bad scheme",
        "unknown feed",
        "missing file",
        "no feeds",
        "bad date",
        "missing config",
        "missing config, a command that reads none",
    ],
)
def test_errors_are_one_line_and_a_non_zero_exit(db_path, args, message):
    result = CliRunner().invoke(cli, ["--db", db_path, *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_bad_config_is_one_line(db_path, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[settings]\nmax_bytes = \n")
    args = ["--db", db_path, "--config", str(bad), "feeds", "add", "https://a.example/f", "--no-check"]
    assert CliRunner().invoke(cli, args).exit_code == 0  # feeds add without its check needs no config
    result = CliRunner().invoke(cli, ["--db", db_path, "--config", str(bad), "run"])
    assert result.exit_code != 0 and "not valid TOML" in result.output


@pytest.mark.parametrize("doc", ["README.md", "docs/operations.md"])
def test_the_settings_the_docs_show_are_the_defaults(doc, tmp_path, monkeypatch):
    """Each `[settings]` block of the docs, read as a config, changes nothing: a default changed in
    the code and not in the docs (or the other way) fails here."""
    import re
    from dataclasses import replace
    from pathlib import Path

    from paperboy.flows.config import load_config

    for name in ("PAPERBOY_CONFIG", "PAPERBOY_ALLOWED_HOSTS", "PAPERBOY_ALLOW_PRIVATE_NETWORKS", "PAPERBOY_DASK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no ./paperboy.toml
    text = (Path(__file__).resolve().parents[1] / doc).read_text()
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if b.startswith("[settings]")]
    assert blocks
    for block in blocks:
        shown = tmp_path / "shown.toml"
        shown.write_text(block)
        assert replace(load_config(str(shown)), path=None) == load_config(None)


def test_a_misspelt_rule_family_is_one_line(db_path, tmp_path):
    config = tmp_path / "paperboy.toml"
    config.write_text('[settings]\ndisabled_rules = ["bios"]\n')
    store.add_feed(connect(db_path), "https://a.example/f")
    result = CliRunner().invoke(cli, ["--db", db_path, "--config", str(config), "run"])
    assert result.exit_code != 0
    assert "unknown rule in disabled_rules: bios" in result.output and "bio" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_range_that_ends_before_it_starts_is_refused(db_path):
    result = CliRunner().invoke(
        cli, ["--db", db_path, "backfill", "--all", "--since", "2024-05-02", "--until", "2024-05-01"]
    )
    assert result.exit_code == 2 and result.output.strip() == (
        "paperboy: --since 2024-05-02 is after --until 2024-05-01: the range holds no day"
    )


BAD_CONFIGS = {
    "a word for a number": ('[settings]\nper_host = "two"\n', "per_host must be a whole number from 1 to 1000"),
    "a negative limit": ("[settings]\nper_host = -1\n", "per_host must be a whole number from 1 to 1000, not -1"),
    "a zero deadline": ("[settings]\ndeadline = 0\n", "deadline must be a number from 0.001 to 3600, not 0"),
    "an endless interval": ("[settings]\nmin_interval = inf\n", "min_interval must be a number from 0 to 3600"),
    "no number at all": ("[settings]\ndeadline = nan\n", "deadline must be a number from 0.001 to 3600, not nan"),
    "a time limit past any clock": ("[settings]\nextract_time_limit = 1e308\n", "extract_time_limit must be a number"),
    "a cap no read can hold": ("[settings]\nmax_bytes = 1000000000000000000\n",
                               "max_bytes must be a whole number from 1 to 1073741824"),
    "a WARC file size said as a whole number": ("[settings]\nwarc_file_bytes = 5\n",
                                                "warc_file_bytes must be a whole number from 1048576 to"),
    "a flag that is not one": ('[settings]\nallow_private_networks = "yes"\n', "must be true or false"),
    "a portion of none": ("[settings]\nnew_pages_per_feed = 0\n", "new_pages_per_feed must be a whole number from 1"),
    "an invalid XPath": ('[sites."a.example"]\ndrop_xpath = ["//div[@"]\n',
                         "sites.\"a.example\".drop_xpath: invalid XPath '//div[@'"),
    "an invalid pattern": ('[sites."a.example"]\ndrop_patterns = ["(unclosed"]\n',
                           "sites.\"a.example\".drop_patterns: invalid pattern '(unclosed'"),
    "an unknown site key": ('[sites."a.example"]\ndrop = ["x"]\n', "unknown key 'drop'"),
    "a misspelt section": ('[setings]\nper_host = 1\n', "unknown section [setings] (did you mean settings?)"),
    "a misspelt setting": ("[settings]\nmax_byte = 1000\n", "unknown setting 'max_byte' (did you mean max_bytes?)"),
    "a misspelt feed key": ('[[feeds]]\nurl = "https://a.example/f"\nnmae = "A"\n', "feeds[0]: unknown key 'nmae'"),
    "one [feeds] table": ('[feeds]\nurl = "https://a.example/f"\n', "write each feed as [[feeds]]"),
    "a place for pages that is none": ('[settings]\nraw_pages = "s3"\n',
                                        "raw_pages must be one of 'db', 'warc', 'none', not 's3'"),
    "a WARC folder that cannot be made": ('[settings]\nraw_pages = "warc"\nwarc_dir = "/proc/paperboy-warc"\n',
                                          "cannot make the WARC folder /proc/paperboy-warc"),
    "bounds the wrong way round": ("[settings]\nmin_poll_interval = 7200\nmax_poll_interval = 3600\n",
                                   "min_poll_interval (7200) must not exceed max_poll_interval (3600)"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_a_bad_config_value_is_one_line_and_no_feed_is_touched(server, db_path, tmp_path, case):
    text, message = BAD_CONFIGS[case]
    config = tmp_path / "bad.toml"
    config.write_text(text)
    store.add_feed(connect(db_path), server.add("/feed.xml", rss([]), content_type="application/rss+xml"))
    result = CliRunner().invoke(cli, ["--db", db_path, "--config", str(config), "run"])
    lines = result.output.strip().splitlines()
    assert result.exit_code != 0 and len(lines) == 1, result.output
    assert lines[0].startswith(f"paperboy: {config}: ") and message in lines[0], lines[0]
    assert lines[0].count(str(config)) == 1
    assert server.hits == []


def test_extract_jsonl_over_files(tmp_path):
    import gzip

    page = article_page("A title", story(1), tail="<p>© 2024 Example Media. All rights reserved.</p>")
    (tmp_path / "a.html").write_text(page)
    (tmp_path / "b.html.gz").write_bytes(gzip.compress(page.encode()))
    (tmp_path / "empty.html").write_text("<html><body></body></html>")
    result = CliRunner().invoke(cli, ["extract", "--format", "jsonl", str(tmp_path / "a.html"),
                                      str(tmp_path / "b.html.gz"), str(tmp_path / "empty.html")])  # fmt: skip
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in lines] == [str(tmp_path / n) for n in ("a.html", "b.html.gz", "empty.html")]
    assert set(lines[0]) == {"source", "url", "title", "authors", "published", "language", "confidence", "text"}
    assert lines[0]["confidence"] >= 0.5 and lines[2]["confidence"] is None
    assert lines[0]["title"] == "A title" and lines[0]["language"] == "en"
    assert "met on Tuesday" in lines[0]["text"] and "rights reserved" not in lines[0]["text"]
    assert lines[1]["text"] == lines[0]["text"]
    assert lines[2]["text"] == ""
    assert "empty.html: no article text found" in result.stderr


@pytest.mark.skipif(not SEED.exists(), reason="../shared/corpus/seed is not beside this checkout")
def test_extract_the_seed_page():
    result = CliRunner().invoke(cli, ["extract", "--format", "json", str(SEED / "article.html")])
    record = json.loads(result.stdout)
    assert record["authors"] == ["Sandy Fitzgerald"]
    assert len(record["text"].split("\n\n")) == 9


def test_cli_run_against_a_local_server_then_search_and_export(server, tmp_path, prefect_home):
    """The 'done when' of the pipeline issue, as a user runs it: a real process, its own Prefect
    (the second run uses the session's, which spares a server's start)."""
    from prefect.settings import PREFECT_API_URL

    for i in range(3):
        server.add(f"/p{i}.html", article_page(f"Harbour story {i}", story(i)))
    server.add("/feed.xml", rss([{"title": f"Harbour story {i}", "link": server.url(f"/p{i}.html"), "guid": f"p{i}"}
                                 for i in range(3)]), content_type="application/rss+xml")  # fmt: skip
    db = str(tmp_path / "cli.db")
    env = {**os.environ, "PAPERBOY_DB": db, "PREFECT_HOME": str(prefect_home)}
    env.pop("PREFECT_API_URL", None)

    def paperboy(*args):
        return subprocess.run(
            [sys.executable, "-m", "paperboy", *args], env=env, capture_output=True, text=True, timeout=300
        )

    assert paperboy("feeds", "add", server.url("/feed.xml")).returncode == 0
    first = paperboy("run")
    assert first.returncode == 0, first.stderr
    assert "articles: 3 new" in first.stdout
    assert "Traceback" not in first.stderr and "ERROR" not in first.stderr
    env["PREFECT_API_URL"] = PREFECT_API_URL.value() or ""
    second = paperboy("run")
    assert "articles: 0 new" in second.stdout and "1 not modified" in second.stdout
    assert len(server.requests_to("/p0.html")) == 1
    found = paperboy("search", "harbour story 2")
    assert "Harbour story 2" in found.stdout.splitlines()[0]
    exported = [json.loads(line) for line in paperboy("export").stdout.splitlines()]
    assert len(exported) == 3 and all(r["text"] for r in exported)
    csv_out = paperboy("export", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("id,url,feed") and len(csv_out) >= 4


def test_serve_ticks_on_its_schedule_polls_due_feeds_and_stops_cleanly(server, tmp_path, prefect_home):
    """`paperboy serve` starts its own Prefect server (the ephemeral one runs no scheduler)."""
    import signal
    import sqlite3
    import threading
    import time

    server.add("/s.html", article_page("Served story", story(5)))
    server.add(
        "/feed.xml",
        rss([{"title": "Served story", "link": server.url("/s.html"), "guid": "s"}]),
        content_type="application/rss+xml",
    )
    db = str(tmp_path / "serve.db")
    home = prefect_home
    env = {**os.environ, "PAPERBOY_DB": db, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    # Prefect's scheduler and runner look for work every minute and every 10 s by default.
    env.update(PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="1", PREFECT_RUNNER_POLL_FREQUENCY="1")
    subprocess.run([sys.executable, "-m", "paperboy", "feeds", "add", server.url("/feed.xml")], env=env, check=True)
    subprocess.run([sys.executable, "-m", "paperboy", "feeds", "add", server.url("/gone.xml"), "--no-check"], env=env,
                   check=True)  # fmt: skip
    added = len(server.requests_to("/feed.xml"))  # feeds add reads the feed once to check it
    import socket

    taken = socket.socket()  # the port asked for is taken: serve says so and takes another
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperboy", "serve", "--interval", "10", "--port", str(taken.getsockname()[1])],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []  # serve's stderr as it comes
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 180
        # The first tick polls both feeds; a later one finds neither due, so polls neither again.
        while time.monotonic() < deadline and not any("feeds 0 polled" in line for line in lines):
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("paperboy serve did not stop within 60 s of Ctrl-C") from None
        # The pipe closes when every process holding it has gone: serve leaves none behind.
        reader.join(timeout=30)
        assert not reader.is_alive(), "a process of serve still holds its stderr"
        proc.stderr.close()
        taken.close()
    err = "".join(lines)
    assert len(server.requests_to("/feed.xml")) == added + 1
    assert "is taken; using " in err
    assert "paperboy: Prefect server and UI at http://127.0.0.1:" in err
    ticks = [line for line in err.splitlines() if line.startswith("paperboy: tick ")]
    assert ticks and "feeds 2 polled, 0 not modified, 1 failed; articles 1 new, 0 failed" in ticks[0], err
    assert any("feeds 0 polled" in line for line in ticks[1:]), f"no tick after the first within 180 s: {err[-3000:]}"
    assert f"feed failed: {server.url('/gone.xml')}: HTTP 404" in err
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from articles").fetchone()[0] == 1
    prefect_db = sqlite3.connect(home / "prefect.db")
    from paperboy.flows.runner import deployment_name

    paused = prefect_db.execute("select paused from deployment where name = ?", [deployment_name(db)]).fetchall()
    assert paused == [(0,)]
    assert "Traceback" not in err, err[err.index("Traceback") - 500 :]


@pytest.fixture
def three_articles(server, db_path, prefect_harness):
    """An archive of three articles from two feeds."""
    from paperboy.flows.ingest import ingest

    texts = {
        "drones": ["Quadcopters flew over the zeppelin hangar in Iraq on Tuesday.", *story(11)],
        "harbour": ["The zeppelin hangar [U.S.] refits\nbegan on the old gantry.", *story(12)],
        "tunnel": ["A funicular under the ridge opened to gondolas and cyclists.", *story(13)],
    }
    for name, paragraphs in texts.items():
        page = server.add(f"/{name}.html", article_page(f"The {name} story", paragraphs))
        feed = "/one.xml" if name != "tunnel" else "/two.xml"
        items = [{"title": name, "link": page, "guid": name}]
        if feed in server.routes:
            items = [{"title": "drones", "link": server.url("/drones.html"), "guid": "drones"}, *items]
        server.add(feed, rss(items), content_type="application/rss+xml")
    for feed in ("/one.xml", "/two.xml"):
        store.add_feed(connect(db_path), server.url(feed))
    assert ingest(db_path=db_path, progress=False)["articles"]["new"] == 3
    return db_path


SEARCHES = {
    "all words": ("zeppelin hangar", {"drones", "harbour"}),
    "a phrase": ('"hangar in Iraq"', {"drones"}),
    "OR": ("funicular OR quadcopters", {"tunnel", "drones"}),
    "NOT": ("zeppelin NOT Iraq", {"harbour"}),
    "a prefix": ("gondol*", {"tunnel"}),
    "NEAR": ("NEAR(zeppelin Iraq, 5)", {"drones"}),
    "punctuation in plain words": ("U.S. refits", {"harbour"}),
}


@pytest.mark.parametrize("case", SEARCHES)
def test_search_understands_queries(three_articles, case):
    query, expected = SEARCHES[case]
    result = CliRunner().invoke(cli, ["--db", three_articles, "search", query, "--json"])
    found = {json.loads(line)["title"].split()[1] for line in result.stdout.splitlines()}
    assert result.exit_code == 0 and found == expected, result.output


def test_search_results_say_where_they_are_from_and_filter(three_articles, server):
    run = CliRunner().invoke
    [hit] = [
        json.loads(line)
        for line in run(cli, ["--db", three_articles, "search", "refits", "--json"]).stdout.splitlines()
    ]
    assert hit["feed"] == server.url("/one.xml") and hit["id"] and hit["published"] and hit["language"] == "en"
    assert "\n" not in hit["snippet"] and "**" not in hit["snippet"] and "[U.S.] refits" in hit["snippet"]
    only_two = run(cli, ["--db", three_articles, "search", "the", "--json", "--feed", server.url("/two.xml")])
    assert [json.loads(line)["title"] for line in only_two.stdout.splitlines()] == ["The tunnel story"]
    assert run(cli, ["--db", three_articles, "search", "zeppelin", "--lang", "de"]).exit_code == 1  # no match
    text = run(cli, ["--db", three_articles, "search", "funicular"]).output
    assert f"[{json.loads(only_two.stdout)['id']}] The tunnel story" in text


@pytest.mark.parametrize("query", ['"unclosed phrase', "*", "zeppelin AND", "NEAR(zeppelin", "(zeppelin"])
def test_a_query_that_cannot_be_read_is_one_line(three_articles, query):
    result = CliRunner().invoke(cli, ["--db", three_articles, "search", query])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("paperboy: search: the query cannot be read") and "--plain" in result.output
    plain = CliRunner().invoke(cli, ["--db", three_articles, "search", '"zeppelin', "--plain"])
    assert plain.exit_code == 0 and "zeppelin" in plain.output


def test_export_filters_by_day_feed_and_language(three_articles, server):
    def exported(*args):
        result = CliRunner().invoke(cli, ["--db", three_articles, "export", *args])
        assert result.exit_code == 0, result.output
        return [json.loads(line)["title"] for line in result.stdout.splitlines()]

    assert len(exported()) == 3
    assert exported("--feed", server.url("/two.xml")) == ["The tunnel story"]
    assert exported("--lang", "de") == [] and len(exported("--lang", "en")) == 3
    assert (
        exported("--until", "2021-07-04") == [] and len(exported("--since", "2021-07-05", "--until", "2021-07-05")) == 3
    )
    bad = CliRunner().invoke(cli, ["--db", three_articles, "export", "--until", "July"])
    assert bad.exit_code == 2 and "--until wants a date like 2024-05-01" in bad.output


def test_the_poll_interval_keeps_the_configured_bounds(server, db_path, tmp_path, prefect_harness):
    import sqlite3

    from paperboy.flows.ingest import ingest

    config = tmp_path / "paperboy.toml"
    config.write_text("[settings]\nmin_poll_interval = 60\nmax_poll_interval = 120\n")
    ok = server.add("/ok.xml", rss([]), content_type="application/rss+xml")
    gone = server.url("/missing.xml")
    for url in (ok, gone):
        store.add_feed(connect(db_path), url)
    ingest(db_path=db_path, progress=False, config_path=str(config))
    conn = sqlite3.connect(db_path)
    intervals = dict(conn.execute("select url, interval_seconds from feeds"))
    assert intervals[ok] == 120  # 30 minutes when nothing is known, held to the longest allowed
    assert 60 <= intervals[gone] <= 120  # the error backoff too


def test_one_run_opens_the_archive_reads_the_config_and_takes_the_lock_once(
    server, db_path, tmp_path, prefect_harness, monkeypatch
):
    """`paperboy run` checks all three before Prefect starts and hands them to the flow: counted
    where the system is asked (SQLite's connect, the config file's read, flock), not in our code."""
    import fcntl
    import tomllib

    config = tmp_path / "paperboy.toml"
    config.write_text("[settings]\nper_host = 2\n")
    feed = server.add("/f.xml", rss([{"title": "A", "link": server.add("/a.html", article_page("A", story(300)))}]),
                      content_type="application/rss+xml")  # fmt: skip
    store.add_feed(connect(db_path), feed)
    seen: dict[str, int] = {"archive": 0, "config": 0, "lock": 0}

    def counted(what, real, matches):
        def call(*args, **kw):
            seen[what] += matches(*args)
            return real(*args, **kw)

        return call

    same = os.path.realpath
    monkeypatch.setattr(
        sqlite3, "connect", counted("archive", sqlite3.connect, lambda p, *a: same(str(p)) == same(db_path))
    )
    monkeypatch.setattr(tomllib, "load", counted("config", tomllib.load, lambda fh, *a: same(fh.name) == same(config)))
    lock = db_path + ".pass.lock"
    monkeypatch.setattr(fcntl, "flock", counted(
        "lock", fcntl.flock, lambda fd, op: op & fcntl.LOCK_EX and same(f"/proc/self/fd/{fd}") == same(lock)
    ))  # fmt: skip
    result = CliRunner().invoke(cli, ["--db", db_path, "--config", str(config), "run", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["articles"]["new"] == 1
    assert seen == {"archive": 1, "config": 1, "lock": 1}


def test_feeds_added_together_fall_due_over_a_whole_interval_not_in_one_tick(server, db_path, prefect_harness):
    import sqlite3
    from datetime import datetime

    from paperboy.flows.ingest import ingest

    for i in range(30):
        store.add_feed(connect(db_path), server.add(f"/f{i}.xml", rss([]), content_type="application/rss+xml"))
    ingest(db_path=db_path, progress=False)
    conn = sqlite3.connect(db_path)
    waits = [
        (datetime.fromisoformat(due) - datetime.fromisoformat(polled)).total_seconds()
        for polled, due in conn.execute("select last_polled_at, next_poll_at from feeds")
    ]
    # 30 minutes when nothing is known; the first schedule anywhere from the shortest interval (10 minutes) to it
    assert all(600 - 2 <= w <= 1800 + 2 for w in waits), waits
    assert max(waits) - min(waits) > 600, sorted(waits)


def test_one_feed_under_any_spelling_of_its_address(db_path):
    run = CliRunner().invoke
    assert (
        "added https://www.example.com/Feed.xml"
        in run(cli, ["--db", db_path, "feeds", "add", "HTTPS://WWW.Example.COM:443/Feed.xml", "--no-check"]).output
    )
    for other in ("https://www.example.com/Feed.xml#top", "https://WWW.EXAMPLE.com/Feed.xml"):
        assert "already following" in run(cli, ["--db", db_path, "feeds", "add", other, "--no-check"]).output
    assert (
        "added" in run(cli, ["--db", db_path, "feeds", "add", "https://www.example.com/feed.xml", "--no-check"]).output
    )  # the path's case counts
    assert run(cli, ["--db", db_path, "feeds", "remove", "https://www.EXAMPLE.com/Feed.xml#x"]).exit_code == 0
    assert [r.url for r in store.list_feeds(connect(db_path))] == ["https://www.example.com/feed.xml"]


def test_show_one_article_by_id_or_address(three_articles, server):
    run = CliRunner().invoke
    [hit] = [
        json.loads(line)
        for line in run(cli, ["--db", three_articles, "search", "funicular", "--json"]).stdout.splitlines()
    ]
    by_id = run(cli, ["--db", three_articles, "show", str(hit["id"])])
    assert by_id.exit_code == 0 and by_id.output.startswith(f"[{hit['id']}] The tunnel story")
    assert f"feed:       {server.url('/two.xml')}" in by_id.output and "A funicular under the ridge" in by_id.output
    by_address = run(cli, ["--db", three_articles, "show", server.url("/tunnel.html").replace("http://", "https://")])
    assert by_address.output == by_id.output  # any address it was reached under
    raw = run(cli, ["--db", three_articles, "show", str(hit["id"]), "--raw"])
    assert raw.stdout_bytes.startswith(b"<!DOCTYPE html>") and b"funicular" in raw.stdout_bytes
    missing = run(cli, ["--db", three_articles, "show", "99999"])
    assert missing.exit_code == 1 and missing.output.startswith("paperboy: no article '99999'")


def test_confidence_is_stored_shown_and_leaves_the_doubtful_out_of_an_export(three_articles, server):
    from paperboy.flows.ingest import ingest

    brief = server.add("/brief.html", article_page("In brief", ["The ferry strike ended on Tuesday."]))
    server.add(
        "/three.xml", rss([{"title": "brief", "link": brief, "guid": "brief"}]), content_type="application/rss+xml"
    )
    store.add_feed(connect(three_articles), server.url("/three.xml"))
    assert ingest(db_path=three_articles, progress=False)["articles"]["new"] == 1
    run = CliRunner().invoke
    rows = [json.loads(line) for line in run(cli, ["--db", three_articles, "export"]).stdout.splitlines()]
    weighed = {r["title"]: r["confidence"] for r in rows}
    assert weighed["In brief"] < 0.5 and all(c >= 0.5 for t, c in weighed.items() if t != "In brief"), weighed
    trusted = run(cli, ["--db", three_articles, "export", "--min-confidence", "0.5"]).stdout.splitlines()
    assert sorted(json.loads(line)["title"] for line in trusted) == sorted(t for t in weighed if t != "In brief")
    assert "confidence" in run(cli, ["--db", three_articles, "export", "--format", "csv"]).stdout.splitlines()[0]
    brief_id = next(r["id"] for r in rows if r["title"] == "In brief")
    shown = run(cli, ["--db", three_articles, "show", str(brief_id)]).output
    assert f"confidence: {weighed['In brief']:.2f} (doubtful" in shown
    assert json.loads(run(cli, ["--db", three_articles, "show", str(brief_id), "--json"]).stdout)["confidence"] < 0.5
    bad = run(cli, ["--db", three_articles, "export", "--min-confidence", "2"])
    assert bad.exit_code == 2 and "--min-confidence" in bad.output


def test_a_removed_feed_keeps_its_articles_and_comes_back_whole(three_articles, server):
    import sqlite3

    run = CliRunner().invoke
    one = server.url("/one.xml")
    assert run(cli, ["--db", three_articles, "feeds", "remove", one]).output.strip() == f"removed {one}"
    assert one not in run(cli, ["--db", three_articles, "feeds", "list"]).output
    exported = [json.loads(line) for line in run(cli, ["--db", three_articles, "export"]).stdout.splitlines()]
    assert sorted(r["feed"] for r in exported) == [one, one, server.url("/two.xml")]  # still linked
    assert "added" in run(cli, ["--db", three_articles, "feeds", "add", one]).output
    assert f"{one}  [ok] 2 articles" in run(cli, ["--db", three_articles, "feeds", "list"]).output
    declined = run(cli, ["--db", three_articles, "feeds", "remove", one, "--purge"], input="n\n")
    assert (
        declined.exit_code == 1
        and f"delete {one} and those of its 2 stored articles no other feed links?" in declined.output
    )
    assert run(cli, ["--db", three_articles, "feeds", "remove", one, "--purge", "--yes"]).exit_code == 0
    conn = sqlite3.connect(three_articles)
    assert conn.execute("select count(*) from articles").fetchone() == (1,)
    assert conn.execute("select count(*) from raw_pages").fetchone() == (1,)
    assert conn.execute("select count(*) from feeds").fetchone() == (1,)


def test_feeds_edit_pauses_resumes_and_names(three_articles, server):
    from paperboy.flows.ingest import IngestRequest, ingest

    run = CliRunner().invoke
    two = server.url("/two.xml")
    assert run(cli, ["--db", three_articles, "feeds", "edit", two, "--pause", "--name", "Two"]).exit_code == 0
    listed = run(cli, ["--db", three_articles, "feeds", "list"]).output
    assert f"{two}  [paused]" in listed and "name: Two" in listed
    before = len(server.requests_to("/two.xml"))
    ingest(db_path=three_articles, progress=False)
    assert len(server.requests_to("/two.xml")) == before  # a paused feed is not polled
    run(cli, ["--db", three_articles, "feeds", "edit", two, "--resume", "--min-interval", "7200"])
    ingest(db_path=three_articles, progress=False, request=IngestRequest(due=True))
    assert len(server.requests_to("/two.xml")) == before + 1  # due at once when resumed
    [interval] = [r.interval_seconds for r in store.list_feeds(connect(three_articles)) if r.url == two]
    assert interval >= 7200
    nothing = run(cli, ["--db", three_articles, "feeds", "edit", two])
    assert nothing.exit_code == 2 and "say what to change" in nothing.output


def test_feeds_add_checks_the_url_and_finds_feeds_on_a_page(server, db_path):
    def add(url, *more):
        return CliRunner().invoke(cli, ["--db", db_path, "feeds", "add", url, *more])

    feed = server.add("/news.xml", rss([], title="The News"), content_type="application/rss+xml")
    assert add(feed).output.strip() == f"added {feed}"
    assert [r.name for r in store.list_feeds(connect(db_path))] == ["The News"]  # the feed's title
    head = '<link rel="alternate" type="application/atom+xml" href="/blog.atom"><link rel="alternate" href="/fr/">'
    server.add("/blog.atom", '<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title></feed>',
               content_type="application/atom+xml")  # fmt: skip
    page = server.add("/blog/", f"<html><head>{head}</head><body>Blog</body></html>")
    found = add(page)
    assert found.exit_code == 0 and f"found {server.url('/blog.atom')} on the page" in found.output
    server.add("/two/", '<html><head><link rel="alternate" type="application/rss+xml" href="/news.xml">'
               '<link rel="alternate" type="application/feed+json" href="/j.json"></head></html>')  # fmt: skip
    server.add("/j.json", '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": []}',
               content_type="application/feed+json")  # fmt: skip
    several = add(server.url("/two/"))
    assert several.exit_code == 1 and "names 2 feeds: add one of them" in several.output
    assert server.url("/j.json") in several.output
    server.add("/bare/", "<html><body>no links</body></html>")
    server.add("/rss.xml", rss([], title="Usual"), content_type="application/rss+xml")
    guessed = add(server.url("/bare/")).output
    assert f"the page names no feed; found one at a usual place: {server.url('/rss.xml')}" in guessed
    for bad, why in (
        (server.url("/missing.xml"), "HTTP 404"),
        (server.url("/blog.atom").replace("blog", "x"), "HTTP 404"),
    ):
        failed = add(bad)
        assert failed.exit_code == 1 and why in failed.output and "--no-check" in failed.output
    assert add(server.url("/missing.xml"), "--no-check").exit_code == 0


def test_exit_codes_tell_all_done_some_failed_and_nothing_done(server, db_path, tmp_path, prefect_harness):
    """0 all done, 3 done but some items failed, 1 nothing could be done: the same in every command."""
    good, missing = tmp_path / "good.html", tmp_path / "missing.html"
    good.write_text(article_page("A title", story(1)))

    def code(*args):
        return CliRunner().invoke(cli, ["--db", db_path, *args]).exit_code

    assert code("extract", str(good)) == 0
    assert code("extract", str(good), str(missing)) == 3
    assert code("extract", str(missing)) == 1

    not_opml = tmp_path / "feed.xml"
    not_opml.write_text(rss([]))
    empty = tmp_path / "empty.opml"
    empty.write_text('<?xml version="1.0"?><opml version="2.0"><body><outline text="folder"/></body></opml>')
    assert code("feeds", "import", str(not_opml)) == 1
    assert code("feeds", "import", str(empty)) == 1

    store.add_feed(connect(db_path), server.url("/gone-a.xml"))
    store.add_feed(connect(db_path), server.url("/gone-b.xml"))
    assert code("run") == 1  # every feed failed: nothing could be done
    ok = server.add("/ok.xml", rss([]), content_type="application/rss+xml")
    store.add_feed(connect(db_path), ok)
    assert code("run", "--feed", ok, "--feed", server.url("/gone-a.xml")) == 0  # a failed feed is retried later

    urls = tmp_path / "urls.txt"
    page = server.add("/story.html", article_page("A story", story(2)))
    urls.write_text(f"{page}\nnot a url\n")
    assert code("backfill", "--urls", str(urls)) == 3  # the page stored, the bad line refused
    urls.write_text(f"{server.url('/gone.html')}\n")
    assert code("backfill", "--urls", str(urls)) == 1


CJK_TEXTS = {
    "ja": ("東京の天気", "東京都は明日、晴れの予報です。気温は二十度まで上がる見込みです。"),
    "zh": ("北京新闻", "北京市今天举行了新闻发布会，介绍了城市交通的新计划。"),
    "ko": ("서울 소식", "서울에서 열린 회의에는 시민 수백 명이 참석했습니다."),
    "en": ("Tokyo in English", "The Tokyo metropolitan government met on Tuesday."),
}


@pytest.fixture
def cjk_archive(db_path):
    from paperboy.core import Article, Entry, Outcome

    db = connect(db_path)
    store.add_feed(db, "https://example.com/feed.xml")
    feed_id = store.list_feeds(db)[0].id
    outcomes = [
        Outcome(Entry("https://example.com/feed.xml", lang, lang, f"https://example.com/{lang}", title),
                Article(f"https://example.com/{lang}", text, title, language=lang), keys=(f"example.com/{lang}",))
        for lang, (title, text) in CJK_TEXTS.items()
    ]  # fmt: skip
    store.save_outcomes(db, feed_id, outcomes)
    return db_path


CJK_SEARCHES = {
    "two Han characters inside a longer word": ("東京", {"ja"}),
    "a Chinese word": ("北京", {"zh"}),
    "a Korean word with its particle": ("서울", {"ko"}),
    "kana": ("晴れ", {"ja"}),
    "a phrase of characters side by side only": ('"京都"', {"ja"}),  # 東京都 holds 京都
    "OR across scripts": ("北京 OR 서울", {"zh", "ko"}),
    "characters apart are no match": ("東都", set()),
    "Latin words still use the word index": ("Tokyo", {"en"}),
}


@pytest.mark.parametrize("case", CJK_SEARCHES)
def test_chinese_japanese_and_korean_text_is_searchable(cjk_archive, case):
    query, expected = CJK_SEARCHES[case]
    result = CliRunner().invoke(cli, ["--db", cjk_archive, "search", query, "--json"])
    found = {json.loads(line)["language"] for line in result.stdout.splitlines()}
    assert found == expected, result.output
    assert result.exit_code == (0 if expected else 1)


def test_cjk_snippets_read_as_written_and_an_older_archive_is_indexed(cjk_archive):
    import sqlite3

    hit = json.loads(CliRunner().invoke(cli, ["--db", cjk_archive, "search", "東京", "--json"]).stdout)
    assert (
        "東京都" in hit["snippet"]
        and "**" not in hit["snippet"]
        and "\x1f" not in hit["snippet"]
        and "晴れの予報" in hit["snippet"]
    )
    conn = sqlite3.connect(cjk_archive)  # an archive of a paperboy before the CJK index
    conn.execute("drop table articles_cjk")
    conn.execute("pragma user_version = 0")  # as a paperboy before the mark left it
    conn.close()
    result = CliRunner().invoke(cli, ["--db", cjk_archive, "search", "회의", "--json"])  # read-only: not upgraded
    assert result.exit_code == 1
    connect(cjk_archive)  # a writing command upgrades it
    result = CliRunner().invoke(cli, ["--db", cjk_archive, "search", "회의", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["language"] == "ko"


def test_feeds_list_reads_an_archive_of_an_older_paperboy_without_changing_it(db_path):
    invoke(db_path, "feeds", "add", "--no-check", "https://www.example.com/feed.xml")
    conn = sqlite3.connect(db_path)
    for column in ("removed_at", "min_interval"):  # added since
        conn.execute(f"alter table feeds drop column {column}")
    conn.execute("update feeds set consecutive_errors = null")  # rows written before it had a default
    conn.commit()
    result = invoke(db_path, "feeds", "list")
    assert result.output.startswith("[1] https://www.example.com/feed.xml  [new] 0 articles")
    [row] = [json.loads(line) for line in invoke(db_path, "feeds", "list", "--json").output.splitlines()]
    assert row["consecutive_errors"] == 0 and row["removed_at"] is None and row["disabled"] == 0
    assert "removed_at" not in [r[1] for r in conn.execute("pragma table_info(feeds)")]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_archives_served_with_one_prefect_home_each_run_their_own_passes(server, tmp_path, prefect_home):
    """Each `serve` deploys its own archive's deployment; its Prefect server answers its own UI only;
    SIGTERM and Ctrl-C stop it with 143 and 130."""
    import re
    import signal
    import threading
    import time
    import urllib.error
    import urllib.request

    env = {**os.environ, "PREFECT_HOME": str(prefect_home)}
    env.pop("PREFECT_API_URL", None)
    env.update(PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="1", PREFECT_RUNNER_POLL_FREQUENCY="1")
    dbs = {}
    for name in ("a", "b"):
        server.add(f"/{name}.html", article_page(f"Story {name}", story(ord(name))))
        link = server.url(f"/{name}.html")
        server.add(f"/{name}.xml", rss([{"title": f"Story {name}", "link": link, "guid": name}]),
                   content_type="application/rss+xml")  # fmt: skip
        dbs[name] = str(tmp_path / f"{name}.db")
        store.add_feed(connect(dbs[name]), server.url(f"/{name}.xml"))
    procs, said = {}, {}
    try:
        for name, db in dbs.items():
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", "paperboy", "--db", db, "serve", "--interval", "10", "--port", str(free_port())],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            said[name] = []
            threading.Thread(target=lambda p=procs[name], out=said[name]: out.extend(p.stderr), daemon=True).start()

        def titles(db: str) -> list[str]:
            return [r["title"] for r in store.export_articles(connect(db, read_only=True), store.Among())]

        deadline = time.monotonic() + 240
        while not all(titles(db) for db in dbs.values()):
            assert time.monotonic() < deadline, {n: "".join(s)[-2000:] for n, s in said.items()}
            assert all(p.poll() is None for p in procs.values()), {n: "".join(s)[-2000:] for n, s in said.items()}
            time.sleep(0.5)
        assert titles(dbs["a"]) == ["Story a"] and titles(dbs["b"]) == ["Story b"]
        deployed = sqlite3.connect(prefect_home / "prefect.db").execute("select name, parameters from deployment")
        by_db = {json.loads(parameters)["db_path"]: name for name, parameters in deployed}
        assert set(by_db) == set(dbs.values()) and len(set(by_db.values())) == 2, by_db  # one deployment each

        [ui] = {m for line in said["a"] for m in re.findall(r"UI at (http://127\.0\.0\.1:\d+)", line)}
        evil = urllib.request.Request(ui + "/api/health", method="OPTIONS", headers={
            "Origin": "http://attacker.example", "Access-Control-Request-Method": "POST"})  # fmt: skip
        try:
            with urllib.request.urlopen(evil, timeout=10) as answer:
                allowed = answer.headers.get("access-control-allow-origin")
        except urllib.error.HTTPError as exc:
            allowed = exc.headers.get("access-control-allow-origin")
        assert allowed in (None, ui), allowed
        post = urllib.request.Request(ui + "/api/flow_runs/filter", data=b"{}", method="POST",
                                      headers={"Content-Type": "application/json"})  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(post, timeout=10)
        assert refused.value.code == 403  # no CSRF token

        procs["a"].send_signal(signal.SIGTERM)  # as a service manager stops it
        procs["b"].send_signal(signal.SIGINT)  # Ctrl-C
        assert (procs["a"].wait(timeout=60), procs["b"].wait(timeout=60)) == (143, 130)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize(
    "args",
    [
        ["search", "x", "--since", "2025-13-01"],
        ["export", "--since", "2025-1-1"],
        ["backfill", "--all", "--rate", "0"],
        ["backfill"],
        ["backfill", "--source", "urls", "--all"],
        ["serve", "--cron", "bad cron"],
    ],  # fmt: skip
    ids=" ".join,
)
def test_a_bad_option_value_is_a_usage_error(db_path, args):
    store.add_feed(connect(db_path), "https://example.com/feed.xml")
    result = CliRunner().invoke(cli, ["--db", db_path, *args])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("paperboy: "), result.output


def test_a_named_feed_that_is_paused_or_gone_is_said_and_nothing_due_is_said_at_once(server, db_path, prefect_harness):
    feed = server.add("/p.xml", rss([]), content_type="application/rss+xml")
    store.add_feed(connect(db_path), feed)
    assert invoke(db_path, "feeds", "edit", feed, "--pause").exit_code == 0
    paused = CliRunner().invoke(cli, ["--db", db_path, "run", "--feed", feed])
    assert paused.exit_code == 1 and f"{feed} is paused: not polled" in paused.output, paused.output
    assert server.requests_to("/p.xml") == []
    assert invoke(db_path, "feeds", "edit", feed, "--resume").exit_code == 0
    assert CliRunner().invoke(cli, ["--db", db_path, "run"]).exit_code == 0  # polled: next due later
    nothing = CliRunner().invoke(cli, ["--db", db_path, "run", "--due"])
    assert nothing.exit_code == 0 and nothing.output.startswith("nothing due; the next feed is due at 20"), (
        nothing.output
    )
    assert len(server.requests_to("/p.xml")) == 1


@pytest.mark.parametrize("args", [["run"], ["backfill", "--reprocess"], ["backfill", "--all"]], ids=" ".join)
def test_a_mistyped_db_makes_no_archive(tmp_path, args):
    missing = tmp_path / "paperbyo.db"
    result = CliRunner().invoke(cli, ["--db", str(missing), *args])
    assert result.exit_code == 1 and f"no archive at {missing}" in result.output
    assert list(tmp_path.iterdir()) == []


def test_reprocess_with_a_url_list_is_a_usage_error(db_path, tmp_path):
    (tmp_path / "u.txt").write_text("https://example.com/a\n")
    result = CliRunner().invoke(cli, ["--db", db_path, "backfill", "--reprocess", "--urls", str(tmp_path / "u.txt")])
    assert result.exit_code == 2 and "one or the other" in result.output


def test_feeds_list_says_each_feeds_health_in_a_word_and_the_totals(server, db_path, prefect_harness):
    ok = server.add("/ok.xml", rss([]), content_type="application/rss+xml")
    for url in (ok, server.url("/broken.xml"), server.url("/later.xml"), server.url("/quiet.xml")):
        store.add_feed(connect(db_path), url)
    assert invoke(db_path, "run", "--feed", ok, "--feed", server.url("/broken.xml")).exit_code == 0
    assert invoke(db_path, "feeds", "edit", "4", "--pause").exit_code == 0  # a feed named by its id
    listed = invoke(db_path, "feeds", "list").output
    assert f"[1] {ok}  [ok] 0 articles" in listed
    assert f"[2] {server.url('/broken.xml')}  [failing]" in listed
    assert f"[3] {server.url('/later.xml')}  [new] 0 articles" in listed
    assert f"[4] {server.url('/quiet.xml')}  [paused]" in listed and "next poll: not while paused" in listed
    assert listed.rstrip().endswith("4 feeds: 1 ok, 1 failing, 1 new, 1 paused")
    health = {
        json.loads(line)["id"]: json.loads(line)["health"]
        for line in invoke(db_path, "feeds", "list", "--json").output.splitlines()
    }
    assert health == {1: "ok", 2: "failing", 3: "new", 4: "paused"}


def test_feeds_edit_refuses_what_cannot_be_and_says_what_it_did(db_path):
    store.add_feed(connect(db_path), "https://example.com/feed.xml")
    both = invoke(db_path, "feeds", "edit", "1", "--pause", "--resume")
    assert both.exit_code == 2 and "one or the other" in both.output
    low = invoke(db_path, "feeds", "edit", "1", "--min-interval", "30")
    assert low.exit_code == 2 and "below min_poll_interval (600 s)" in low.output
    done = invoke(db_path, "feeds", "edit", "1", "--pause", "--name", "Example", "--min-interval", "1200")
    assert done.exit_code == 0
    assert done.output.strip() == "https://example.com/feed.xml: named 'Example', polled at most every 1200 s, paused"
    assert invoke(db_path, "feeds", "edit", "9", "--pause").output.startswith("paperboy: no feed with id 9")


def test_a_feed_moved_for_good_is_added_under_its_new_address_once(server, db_path):
    new = server.add("/new.xml", rss([], title="Moved"), content_type="application/rss+xml")
    server.add("/old.xml", b"", status=301, headers={"Location": new})
    assert invoke(db_path, "feeds", "add", server.url("/old.xml")).output.strip() == f"added {new}"
    again = invoke(db_path, "feeds", "add", new, "--name", "Renamed")
    assert again.output.strip() == f"already following {new}: named 'Renamed'"
    assert [(f.url, f.name) for f in store.list_feeds(connect(db_path))] == [(new, "Renamed")]


def test_a_private_address_is_refused_with_the_settings_that_let_it_in(db_path, monkeypatch):
    monkeypatch.delenv("PAPERBOY_ALLOWED_HOSTS", raising=False)
    result = invoke(db_path, "feeds", "add", "http://127.0.0.1:9/feed.xml")
    assert result.exit_code == 1 and "allowed_hosts or allow_private_networks" in result.output, result.output


def test_search_export_and_show_refuse_what_they_cannot_read_and_page_through_matches(three_articles, server):
    def ran(*args):
        return CliRunner().invoke(cli, ["--db", three_articles, *args])

    assert ran("search", "  ").exit_code == 2
    assert ran("search", "zeppelin", "--lang", "english").exit_code == 2
    upper = ran("search", "zeppelin", "--lang", "EN", "--json")
    assert upper.exit_code == 0 and len(upper.output.splitlines()) == 2
    assert all("**" not in json.loads(line)["snippet"] for line in upper.output.splitlines())
    first, second = (json.loads(ran("search", "zeppelin", "--json", "--limit", "1", "--offset", str(n)).output)["id"]
                     for n in (0, 1))  # fmt: skip
    assert {first, second} == {json.loads(line)["id"] for line in upper.output.splitlines()}
    for command in (["search", "zeppelin"], ["export"]):
        unknown = ran(*command, "--feed", server.url("/never-followed.xml"))
        assert unknown.exit_code == 1 and "no such feed" in unknown.output
    by_id = ran("export", "--feed", "2")
    assert [json.loads(line)["title"] for line in by_id.output.splitlines()] == ["The tunnel story"]
    assert ran("show", "1", "--raw", "--json").exit_code == 2


def test_opml_folders_and_site_addresses_survive_an_import_and_an_export(db_path, tmp_path):
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        '<outline text="News"><outline text="Local"><outline text="One" xmlUrl="https://one.example.com/f.xml" '
        'htmlUrl="https://one.example.com/"/></outline><outline text="Two" xmlUrl="https://two.example.com/f"/></outline>'
        '<outline text="Three" xmlUrl="https://three.example.com/f"/></body></opml>'
    )
    assert invoke(db_path, "feeds", "import", str(opml)).exit_code == 0
    feeds = {f.url: (f.folder, f.site_url) for f in store.list_feeds(connect(db_path))}
    assert feeds == {
        "https://one.example.com/f.xml": ("News/Local", "https://one.example.com/"),
        "https://two.example.com/f": ("News", None),
        "https://three.example.com/f": (None, None),
    }
    exported = tmp_path / "out.opml"
    exported.write_text(invoke(db_path, "feeds", "export").output)
    other = str(tmp_path / "other.db")
    assert invoke(other, "feeds", "import", str(exported)).exit_code == 0
    assert {f.url: (f.folder, f.site_url) for f in store.list_feeds(connect(other))} == feeds


def test_search_says_when_there_are_more_matches(three_articles):
    first = CliRunner().invoke(cli, ["--db", three_articles, "search", "zeppelin", "--limit", "1"])
    assert first.exit_code == 0 and "(more matches: --offset 1 shows the next 1)" in first.output
    last = CliRunner().invoke(cli, ["--db", three_articles, "search", "zeppelin", "--limit", "1", "--offset", "1"])
    assert last.exit_code == 0 and "more matches" not in last.output
    past = CliRunner().invoke(cli, ["--db", three_articles, "search", "zeppelin", "--offset", "5"])
    assert past.exit_code == 1 and "no match past the first 5" in past.output


def test_a_feed_moved_to_one_followed_too_is_said(server, db_path, prefect_harness):
    target = server.add("/b.xml", rss([]), content_type="application/rss+xml")
    server.add("/a.xml", b"", status=301, headers={"Location": target})
    for url in (server.url("/a.xml"), target):
        store.add_feed(connect(db_path), url)
    invoke(db_path, "run")
    connect(db_path).execute("update feeds set next_poll_at = null")
    second = CliRunner().invoke(cli, ["--db", db_path, "run"])
    assert f"moved for good to {target}, followed too: `paperboy feeds remove 1`" in second.output, second.output
    assert "followed too" in invoke(db_path, "feeds", "list").output


def test_full_text_feeds_out_parse_and_carry_every_article_whole(three_articles, server):
    import feedparser

    one = server.url("/one.xml")
    atom = CliRunner().invoke(cli, ["--db", three_articles, "export", "--format", "atom", "--feed", one])
    assert atom.exit_code == 0, atom.output
    parsed = feedparser.parse(atom.stdout)
    assert not parsed.bozo, parsed.get("bozo_exception")
    stored = {row["url"]: row for row in store.export_articles(connect(three_articles), store.Among(feed=one))}
    assert {e.link for e in parsed.entries} == set(stored) and len(stored) == 2
    for entry in parsed.entries:
        text = stored[entry.link]["text"]
        assert entry.content[0].value.count("<p>") == len(text.split("\n\n"))
        assert text.split("\n\n")[-1] in entry.content[0].value and entry.published and entry.title

    newest = CliRunner().invoke(cli, ["--db", three_articles, "export", "--format", "jsonfeed", "--limit", "2"])
    feed = json.loads(newest.stdout)
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and feed["title"]
    assert len(feed["items"]) == 2 and all(item["id"] and item["content_html"] for item in feed["items"])
    assert [item["id"] for item in feed["items"]] == sorted((item["id"] for item in feed["items"]), reverse=True)


def test_prune_keeps_the_keys_and_nothing_else_and_vacuum_gives_the_space_back(three_articles, server):
    import re
    from pathlib import Path

    def on_disk() -> int:
        return sum(p.stat().st_size for p in Path(three_articles).parent.glob("paperboy.db*") if p.is_file())

    size = on_disk()
    hits = {path: len(server.requests_to(path)) for path in ("/drones.html", "/harbour.html", "/tunnel.html")}
    pruned = CliRunner().invoke(cli, ["--db", three_articles, "prune", "--before", "2022-01-01", "--yes", "--vacuum"])
    assert pruned.exit_code == 0 and pruned.output.startswith("3 articles from before 2022-01-01 pruned: "), (
        pruned.output
    )
    before, after = (float(n) for n in re.search(r"went from ([\d.]+) kB to ([\d.]+) kB", pruned.output).groups())
    assert after < before and on_disk() < size  # the file and its WAL
    assert CliRunner().invoke(cli, ["--db", three_articles, "search", "zeppelin"]).exit_code == 1
    assert CliRunner().invoke(cli, ["--db", three_articles, "export"]).output == ""
    connect(three_articles).execute("update feeds set next_poll_at = null, etag = null, content_hash = null")
    again = CliRunner().invoke(cli, ["--db", three_articles, "run"])
    assert again.exit_code == 0, again.output
    assert {path: len(server.requests_to(path)) for path in hits} == hits  # no pruned article fetched again
    assert CliRunner().invoke(cli, ["--db", three_articles, "export"]).output == ""


def test_retention_days_prunes_after_each_pass(three_articles, tmp_path):
    config = tmp_path / "keep.toml"
    config.write_text("[settings]\nretention_days = 30\n")
    connect(three_articles).execute("update feeds set next_poll_at = null, etag = null, content_hash = null")
    ran = CliRunner().invoke(cli, ["--db", three_articles, "--config", str(config), "run"])
    assert ran.exit_code == 0 and "retention: 3 articles from before" in ran.output, ran.output
    assert CliRunner().invoke(cli, ["--db", three_articles, "export"]).output == ""
