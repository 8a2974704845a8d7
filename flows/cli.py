"""The `paperboy` command: opens the database, calls the library, turns errors into one line."""

from __future__ import annotations

import csv
import json
import os
import signal
import sys
import zlib
from pathlib import Path

import click

# Prefect reads these at import: no telemetry calls to a network we do not have, and quiet logs.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
# The first start on a new machine creates Prefect's database: more than the default 20 s when busy.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

from core import feed_identity, printable, url_problem, without_credentials
from db import Busy, QueryError, connect, exclusive, store
from flows.config import ConfigError, feeds_in, load_config, read_toml  # noqa: E402
from flows.opml import OPMLError, read_opml, write_opml  # noqa: E402

MAX_QUERY_CHARS = 1000  # a search's words: FTS5 costs grow with the square of the terms
MAX_QUERY_TERMS = 32

# Exit codes, the same for every command (README, "Exit codes"): a wrapper can tell them apart.
OK, FAILED, USAGE, PARTIAL = 0, 1, 2, 3


def _exit_for(done: int, failed: int) -> None:
    """Some items failed: 3 when others were done, 1 when none was (nothing could be done)."""
    if failed:
        sys.exit(PARTIAL if done else FAILED)


class Fail(click.ClickException):
    """A command that cannot do what it was asked: one line on stderr, `paperboy: ` and why."""

    def show(self, file=None) -> None:
        click.echo(f"paperboy: {printable(self.format_message())}", err=True)


def say(text: str = "", err: bool = False) -> None:
    """Print what came from the network or the archive: no control characters reach the terminal."""
    click.echo(printable(text), err=err)


class Ctx:
    def __init__(self, db_path: str, config: str | None) -> None:
        self.db_path = db_path
        self.config_path = config

    def db(self, read_only: bool = False):
        """The archive; `read_only` for commands that only read it (never changed, never upgraded)."""
        try:
            return connect(self.db_path, read_only=read_only)
        except Exception as exc:  # the store's errors, a path that is a folder, a file that is not a db
            raise Fail(f"cannot open database {self.db_path}: {exc}") from exc

    def config(self):
        try:
            return load_config(self.config_path)
        except ConfigError as exc:
            raise Fail(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_path",
    default="paperboy.db",
    envvar="PAPERBOY_DB",
    show_default=True,
    help="SQLite database file (env PAPERBOY_DB).",
)
@click.option(
    "--config",
    "config_path",
    default=None,
    envvar="PAPERBOY_CONFIG",
    help="TOML config file (env PAPERBOY_CONFIG; default ./paperboy.toml when present).",
)
@click.version_option("0.1.0", prog_name="paperboy")
@click.pass_context
def cli(ctx: click.Context, db_path: str, config_path: str | None) -> None:
    """paperboy follows news feeds and keeps a clean, searchable archive of their articles."""
    ctx.obj = Ctx(db_path, config_path)


# --- feeds --------------------------------------------------------------------------------------


@cli.group()
def feeds() -> None:
    """Add, list, remove, import and export the feeds followed."""


def _check_url(url: str) -> str:
    problem = url_problem(url)
    if problem:
        raise Fail(f"{problem}: {printable(url)!r}")
    return url.strip()


def _stored_url(url: str, known: set[str], hint: str) -> str:
    """The followed feed's URL as stored, `url` written as given or in any form of the same identity."""
    if url in known:
        return url
    by_identity = {feed_identity(k): k for k in known}
    if feed_identity(url) in by_identity:
        return by_identity[feed_identity(url)]
    raise Fail(f"no such feed: {without_credentials(url)} ({hint})")


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="A display name for the feed.")
@click.option("--no-check", is_flag=True, help="Add the URL as it is, without fetching it.")
@click.pass_obj
def feeds_add(obj: Ctx, url: str, name: str | None, no_check: bool) -> None:
    """Follow the feed at URL, once it is fetched and read as a feed. For a page, the feeds it
    links (else those at the usual places, /feed, /rss.xml, …): one is added, several are listed."""
    url = feed_identity(_check_url(url))
    if not no_check:
        from flows.work import find_feed

        found = find_feed(url, obj.config().fetch)
        if found.error:
            raise Fail(f"{without_credentials(url)}: {found.error} (--no-check adds it as it is)")
        if len(found.feeds) > 1:
            for feed, title in found.feeds:
                say(f"{feed}  {title or ''}")
            raise Fail(f"{without_credentials(url)} names {len(found.feeds)} feeds: add one of them")
        [(url, title)] = found.feeds
        url = feed_identity(url)
        name = name or title
        if found.page:
            say(f"found {without_credentials(url)} on the page")
    added = store.add_feed(obj.db(), url, name)
    say(f"added {without_credentials(url)}" if added else f"already following {without_credentials(url)}")


@feeds.command("remove")
@click.argument("url")
@click.option("--purge", is_flag=True, help="Delete the feed's stored articles too (asks first).")
@click.option("--yes", is_flag=True, help="With --purge: do not ask.")
@click.pass_obj
def feeds_remove(obj: Ctx, url: str, purge: bool, yes: bool) -> None:
    """Stop following URL. Its stored articles stay, still linked to it, and adding it again
    follows it on where it stopped; --purge deletes them."""
    db = obj.db()
    url = _stored_url(url, {r["url"] for r in store.list_feeds(db)}, "paperboy feeds list shows them")
    if purge and not yes:
        count = next(r["articles"] for r in store.list_feeds(db) if r["url"] == url)
        click.confirm(f"delete {without_credentials(url)} and its {count} stored articles?", abort=True, err=True)
    store.remove_feed(db, url, purge=purge)
    say(f"{'purged' if purge else 'removed'} {without_credentials(url)}")


@feeds.command("edit")
@click.argument("url")
@click.option("--name", help="A display name.")
@click.option(
    "--min-interval",
    type=click.IntRange(min=0),
    help="This feed's shortest poll interval in seconds (0: the global one).",
)
@click.option("--pause/--resume", default=None, help="Stop polling the feed, or poll it again.")
@click.pass_obj
def feeds_edit(obj: Ctx, url: str, name: str | None, min_interval: int | None, pause: bool | None) -> None:
    """Change a followed feed: its name, its shortest poll interval, paused or not."""
    db = obj.db()
    url = _stored_url(url, {r["url"] for r in store.list_feeds(db)}, "paperboy feeds list shows them")
    changes: dict = {}
    if name is not None:
        changes["name"] = name
    if min_interval is not None:
        changes["min_interval"] = min_interval or None
    if pause is not None:
        changes.update(disabled=int(pause), next_poll_at=None)  # a resumed feed is due at once
    if not changes:
        raise Fail("say what to change: --name, --min-interval, --pause or --resume")
    store.edit_feed(db, url, **changes)
    say(f"changed {without_credentials(url)}: {', '.join(changes)}")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
@click.pass_obj
def feeds_list(obj: Ctx, as_json: bool) -> None:
    """The feeds with their health: last success, last error, errors in a row, articles, next poll."""
    rows = store.list_feeds(obj.db(read_only=True))
    for r in rows:
        r["url"] = without_credentials(r["url"])
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, default=str))
        return
    if not rows:
        click.echo("no feeds yet: paperboy feeds add URL")
        return
    for r in rows:
        state = {store.PAUSED: "paused", store.GONE: "gone (410): not polled; feeds edit --resume tries it again"}.get(
            r["disabled"], "failing" if r["consecutive_errors"] else "ok"
        )
        say(f"{r['url']}  [{state}] {r['articles']} articles")
        say(
            f"    name: {r['name'] or r['title'] or '-'}   last success: {r['last_success_at'] or 'never'}"
            f"   next poll: {r['next_poll_at'] or 'now'}"
        )
        if r["last_error"]:
            say(f"    last error ({r['consecutive_errors']} in a row, {r['last_error_at']}): {r['last_error']}")


@feeds.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_obj
def feeds_import(obj: Ctx, file: str) -> None:
    """Follow every feed in an OPML file (or a TOML file with [[feeds]])."""
    try:
        if file.endswith(".toml"):
            items = list(feeds_in(read_toml(file), file))
        else:
            items = read_opml(Path(file).read_bytes())
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise Fail(f"{file}: no such file") from exc
    except OPMLError as exc:
        raise Fail(f"{file}: {exc}") from exc
    except ConfigError as exc:  # it names the file
        raise Fail(str(exc)) from exc
    if not items:
        raise Fail(f"{file}: no feeds in it (no outline with an xmlUrl)")
    db = obj.db()
    added = refused = 0
    for url, name in items:
        problem = url_problem(url)
        if problem:
            say(f"paperboy: {file}: refused {printable(url)[:200]!r}: {problem}", err=True)
            refused += 1
        else:
            added += store.add_feed(db, feed_identity(url), name)
    say(f"{added} feeds added, {len(items) - added - refused} already followed, {refused} refused ({file})")
    _exit_for(len(items) - refused, refused)


@feeds.command("export")
@click.option("--with-credentials", is_flag=True, help="Keep user names and passwords in feed URLs (masked otherwise).")
@click.pass_obj
def feeds_export(obj: Ctx, with_credentials: bool) -> None:
    """The feeds as OPML 2.0 on stdout."""
    rows = store.list_feeds(obj.db(read_only=True))
    if not with_credentials:
        for r in rows:
            r["url"] = without_credentials(r["url"])
    click.echo(write_opml(rows), nl=False)


# --- run and serve ------------------------------------------------------------------------------


@cli.command()
@click.option("--feed", "feed_urls", multiple=True, help="Only this feed (repeatable).")
@click.option("--due", is_flag=True, help="Only the feeds whose next poll time has come.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
def run(obj: Ctx, feed_urls: tuple[str, ...], due: bool, as_json: bool) -> None:
    """One ingest pass (a Prefect flow run) over all feeds, the named ones, or the due ones."""
    obj.config()  # a bad config is one line here, not a failed flow run
    db = obj.db()
    known = {r["url"] for r in store.list_feeds(db)}
    feed_urls = tuple(_stored_url(url, known, "add it with: paperboy feeds add URL") for url in feed_urls)
    if not known:
        raise Fail("no feeds yet: add one with `paperboy feeds add URL`")
    try:
        with exclusive(obj.db_path, "pass"):  # said at once, not after Prefect's start-up
            pass
    except Busy as exc:
        raise Fail(f"{exc}; not started") from exc
    from flows.runner import run_ingest

    summary = run_ingest(obj.db_path, list(feed_urls), due, obj.config_path)
    if summary.get("busy"):
        raise Fail(f"{summary['busy']}; not started")
    from flows.progress import render

    say(json.dumps(summary) if as_json else render(summary))
    _exit_for(*_pass_outcome(summary))


def _pass_outcome(summary: dict) -> tuple[int, int]:
    """(done, failed) of a pass. A failed feed or page is recorded and tried again on its schedule,
    so a pass with some of them still did its job (0); one where every feed, or every page tried,
    failed did nothing (1): the network, the proxy or the config is the likelier cause."""
    f, a = summary["feeds"], summary["articles"]
    feeds_ok = f["fetched"] + f["not_modified"] + f["unchanged"]
    pages_ok = a["new"] + a["updated"] + a["duplicate"] + a["unchanged"] + a["from_feed_text"]
    if f["failed"] and not feeds_ok:
        return 0, f["failed"]
    if a["failed"] and not pages_ok:
        return 0, a["failed"]
    return feeds_ok + pages_ok, 0


@cli.command()
@click.option("--cron", help="A cron expression instead of the interval.")
@click.option(
    "--interval",
    type=click.IntRange(min=10),
    default=600,
    show_default=True,
    help="Seconds between ticks; each tick polls only the feeds that are due.",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=4200, show_default=True,
    help="Port of the Prefect server and UI on 127.0.0.1 (another free one when taken).",
)  # fmt: skip
@click.option("--quiet", is_flag=True, help="No line per tick or per failed feed.")
@click.pass_obj
def serve(obj: Ctx, cron: str | None, interval: int, port: int, quiet: bool) -> None:
    """Serve the ingest flow as a Prefect deployment from this process (Ctrl-C stops it)."""
    obj.config()
    obj.db()
    from flows.runner import serve_ingest

    # Stopping serve is graceful: Prefect's runner stops the flow runs it started, then the server.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    serve_ingest(obj.db_path, obj.config_path, cron=cron, interval=interval, port=port, quiet=quiet)


@cli.command()
@click.option("--feed", "feed_urls", multiple=True, help="A feed whose past to fetch (repeatable).")
@click.option("--all", "all_feeds", is_flag=True, help="Every feed (the default for --reprocess).")
@click.option("--since", help="Only items dated on or after this day, YYYY-MM-DD (inclusive).")
@click.option("--until", help="Only items dated on or before this day, YYYY-MM-DD (inclusive).")
@click.option(
    "--source",
    type=click.Choice(["archive", "sitemap", "urls"]),
    help="Where to look: archived and paged feeds, the site's sitemaps, or --urls. Default: archive, "
    "then sitemaps for a feed whose archive holds nothing older.",
)
@click.option("--urls", "urls_file", type=click.Path(dir_okay=False), help="A file of article URLs, one a line.")
@click.option(
    "--reprocess", is_flag=True, help="Re-extract the stored raw HTML with the current extractor; no network."
)
@click.option(
    "--dry-run", is_flag=True, help="List what would be fetched (or count what would change); fetch no article."
)
@click.option("--rate", type=float, help="Requests per second to one host (default 1, or backfill_rate in the config).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
def backfill(
    obj: Ctx, feed_urls, all_feeds, since, until, source, urls_file, reprocess, dry_run, rate, as_json
) -> None:
    """Fill the archive with the past of feeds (archives, sitemaps) or a file of URLs; or re-extract
    what is stored (--reprocess). Resumable: run the same command again after an interruption."""
    _check_days(since=since, until=until)
    if since and until and since[:10] > until[:10]:
        raise Fail(f"--since {since} is after --until {until}: the range holds no day")
    if rate is not None and rate <= 0:
        raise Fail(f"--rate wants a positive number of requests per second, not {rate}")
    if source == "urls" and not urls_file:
        raise Fail("--source urls needs --urls FILE")
    if not reprocess and not urls_file and not feed_urls and not all_feeds:
        raise Fail("say what to backfill: --feed URL, --all, --urls FILE, or --reprocess")
    if urls_file and not Path(urls_file).is_file():
        raise Fail(f"{urls_file}: no such file")
    obj.config()
    db = obj.db()
    known = {r["url"] for r in store.list_feeds(db)}
    feed_urls = tuple(_stored_url(url, known, "add it first: paperboy feeds add URL") for url in feed_urls)
    from flows.backfill import BackfillRequest
    from flows.runner import run_backfill

    request = BackfillRequest(
        feeds=feed_urls, all_feeds=all_feeds, source=source, since=since, until=until,
        urls_file=urls_file and os.path.abspath(urls_file), reprocess=reprocess, dry_run=dry_run, rate=rate,
    )  # fmt: skip
    summary = run_backfill(obj.db_path, request, obj.config_path)
    if as_json:
        click.echo(json.dumps(summary))  # one JSON document, the URLs of a dry run in it
    else:
        for url in summary.get("urls", []):
            say(url)
        if reprocess:
            counts = ", ".join(f"{k}: {v}" for k, v in summary.items() if k != "dry_run")
            say(counts + (" (dry run: nothing stored)" if summary["dry_run"] else ""))
        else:
            say(render_backfill({k: v for k, v in summary.items() if k != "urls"}))
    if reprocess:
        _exit_for(summary["reprocessed"] - summary["failed"], summary["failed"])
    else:  # a source that could not be read or a bad line of --urls counts as a failed item
        _exit_for(summary["in_range"] - summary["failed"], summary["failed"] + len(summary["errors"]))


def render_backfill(summary: dict) -> str:
    """found, in range, stored, skipped, failed: a line per source and the total."""
    lines = []
    rows = [*summary["sources"].items(), ("total", summary)]
    for name, s in rows:
        line = f"{name}: {s['found']} found, {s['in_range']} in range"
        if not summary["dry_run"]:
            line += f", {s['stored']} stored, {s['updated']} updated, {s['skipped']} skipped, {s['failed']} failed"
        if "pages" in s and name != "urls":
            line += f" ({s['pages']} {'feed pages' if name == 'archive' else 'sitemaps'} read)"
        lines.append(line)
        for reason, n in s.get("failed_by_reason", {}).items():
            lines.append(f"  failed: {n} × {reason}")
    lines += [f"  {e}" for e in summary["errors"]]
    return "\n".join(lines)


# --- extract, search, export --------------------------------------------------------------------


def _read_input(source: str, cfg) -> tuple[bytes, str | None]:
    """A page from a URL or a file (gzipped too), within the size cap of a pass."""
    limit = cfg.fetch.max_bytes
    if source.lower().startswith(("http://", "https://")):
        from flows.work import fetch_many, page_problem

        [page] = fetch_many([source], cfg.fetch)
        problem = page_problem(page)
        if problem:
            raise ValueError(problem)
        return page.content, page.final_url
    with open(source, "rb") as fh:
        data = fh.read(limit + 1)
    if data[:2] == b"\x1f\x8b":
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        data = inflate.decompress(data, limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes (max_bytes)")
    return data, None


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--url", help="The page's address, for files (used for relative links and the host).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text", show_default=True)
@click.option("--raw", is_flag=True, help="trafilatura alone, without paperboy's cleaning.")
@click.pass_obj
def extract(obj: Ctx, sources: tuple[str, ...], url: str | None, fmt: str, raw: bool) -> None:
    """Extract articles from HTML files (gzipped too) or URLs; no database. Each page within the
    limits of a pass (max_bytes, extract_time_limit)."""
    from dataclasses import replace

    import zstandard

    from flows.work import Extracted, Failed, PageJob, run_job_limited

    cfg = obj.config()
    options = replace(cfg.extract, clean=not raw)
    failed = 0
    for source in sources:
        try:
            html, fetched_url = _read_input(source, cfg)
        except (OSError, ValueError, EOFError, zlib.error) as exc:
            say(f"paperboy: {source}: {exc}", err=True)
            failed += 1
            continue
        page_url = url or fetched_url
        result = run_job_limited(PageJob(page_url or "", zstandard.compress(html), options), cfg.extract_time_limit)
        article = result.article if isinstance(result, Extracted) else None
        record = {
            "source": source,
            "url": (article.canonical_url or article.url) if article else page_url,
            "title": article.title if article else None,
            "authors": list(article.authors) if article else [],
            "published": article.published if article else None,
            "language": article.language if article else None,
            "text": article.text if article else "",
        }
        if article is None:
            why = result.reason if isinstance(result, Failed) else "no article text found"
            say(f"paperboy: {source}: {why}", err=True)
            failed += 1
        if fmt == "jsonl":
            click.echo(json.dumps(record, ensure_ascii=False))
        elif fmt == "json":
            click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        elif article is not None:
            if len(sources) > 1:
                say(f"==> {source} <==")
            say(f"{record['title'] or ''}\n\n{record['text']}\n")
    _exit_for(len(sources) - failed, failed)


@cli.command()
@click.argument("query")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--plain", is_flag=True, help="Search for the words as they are (no FTS5 operators).")
@click.option("--feed", "feed_url", help="Only articles of this feed (its URL).")
@click.option("--lang", help="Only articles in this language (ISO 639-1, e.g. en).")
@click.option("--since", help="Only articles published on or after this day, YYYY-MM-DD.")
@click.option("--until", help="Only articles published on or before this day, YYYY-MM-DD.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per article.")
@click.pass_obj
def search(obj: Ctx, query: str, limit: int, plain: bool, feed_url, lang, since, until, as_json: bool) -> None:
    """Full-text search over stored articles, best first. QUERY is FTS5's syntax: words (all must
    match), "a phrase", OR, NOT, prefix*, NEAR(a b, 5); or plain words with --plain."""
    if len(query) > MAX_QUERY_CHARS or len(query.split()) > MAX_QUERY_TERMS:
        raise Fail(
            f"query too long: at most {MAX_QUERY_TERMS} words and {MAX_QUERY_CHARS} characters "
            f"(this one has {len(query.split())} words, {len(query)} characters)"
        )
    _check_days(since=since, until=until)
    try:
        rows = store.search(obj.db(read_only=True), query, limit, plain=plain, feed=feed_url, language=lang,
                            since=since, until=until)  # fmt: skip
    except QueryError as exc:
        raise Fail(f"search: the query cannot be read ({exc}); --plain searches for the words as they are") from exc
    if not rows:
        say("no match", err=True)
        sys.exit(1)
    for r in rows:
        r["feed"] = without_credentials(r["feed"]) if r["feed"] else None
        if as_json:
            click.echo(json.dumps(_printable_row(r), ensure_ascii=False))
            continue
        say(f"[{r['id']}] {r['title'] or '(no title)'}\n  {r['url']}  {(r['published'] or '')[:10]}  {r['feed'] or ''}")
        say(f"  {r['snippet']}\n")


@cli.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="The article as one JSON object.")
@click.option("--raw", is_flag=True, help="Write the stored page, as fetched, to stdout.")
@click.pass_obj
def show(obj: Ctx, ref: str, as_json: bool, raw: bool) -> None:
    """One article, by its id (from search) or any address it was reached under: metadata and text."""

    db = obj.db(read_only=True)
    row = store.article(db, ref.strip())
    if row is None:
        raise Fail(f"no article {printable(ref)[:200]!r} in {obj.db_path}")
    if raw:
        page = store.raw_page(db, row["id"])
        if page is None:
            raise Fail(f"article {row['id']} has no stored page (its text came from the feed)")
        sys.stdout.buffer.write(page)
        return
    row = _printable_row(row)
    if as_json:
        click.echo(json.dumps(row, ensure_ascii=False))
        return
    say(f"[{row['id']}] {row['title'] or '(no title)'}")
    for label, value in (("url", row["url"]), ("feed", row["feed"]), ("published", row["published"]),
                         ("authors", ", ".join(row["authors"])), ("language", row["language"]),
                         ("text from", row["text_source"]), ("addresses", ", ".join(row["addresses"]))):  # fmt: skip
        say(f"{label + ':':<11}{value or '-'}")
    say("")
    say(row["text"])


def _check_days(**days: str | None) -> None:
    from datetime import date

    for name, value in days.items():
        if value:
            try:
                date.fromisoformat(value[:10])
            except ValueError as exc:
                raise Fail(f"--{name} wants a date like 2024-05-01, not {value!r}") from exc


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--since", help="Only articles published (or fetched) on or after this day, YYYY-MM-DD.")
@click.option("--until", help="Only articles published (or fetched) on or before this day, YYYY-MM-DD.")
@click.option("--feed", "feed_url", help="Only articles of this feed (its URL).")
@click.option("--lang", help="Only articles in this language (ISO 639-1, e.g. en).")
@click.pass_obj
def export(obj: Ctx, fmt: str, since: str | None, until: str | None, feed_url: str | None, lang: str | None) -> None:
    """Stored articles on stdout, oldest first."""
    _check_days(since=since, until=until)
    rows = (
        _printable_row(row)
        for row in store.export_articles(obj.db(read_only=True), since, until, feed=feed_url, language=lang)
    )
    if fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    writer = None
    for row in rows:
        row["authors"] = "; ".join(row["authors"])
        if writer is None:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(row))
            writer.writeheader()
        writer.writerow(row)


def _printable_row(row: dict) -> dict:
    """An exported article: no control characters, no credentials in its feed's URL."""
    if row.get("feed"):
        row["feed"] = without_credentials(row["feed"])
    return {k: printable(v) if isinstance(v, str) else v for k, v in row.items()}


def _stop(signum, frame) -> None:
    """Ctrl-C or SIGTERM: one line, and out at once. Nothing is lost: every batch is stored in a
    transaction of its own (an open one is discarded whole), and what paperboy started stops with it
    (the Prefect server by its parent-death signal, workers by watching this process). Unwinding
    instead would wait on each fetch still in flight, for as long as its deadline."""
    from flows.progress import STORED

    what = "terminated" if signum == signal.SIGTERM else "interrupted"
    stored = STORED["stored"]
    click.echo(f"paperboy: {what}: {stored} article{'s' * (stored != 1)} stored; run the same command to go on",
               err=True)  # fmt: skip
    sys.stdout.flush()
    os._exit(128 + signum)


def main() -> None:
    # The pool's queues are given back by the system when paperboy stops at once: not news.
    os.environ.setdefault("PYTHONWARNINGS", "ignore:resource_tracker:UserWarning")
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.UsageError as exc:  # with the usage line and the --help hint, as click says it
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # serve, stopped
            click.echo("paperboy: stopped", err=True)
            sys.exit(130)
        click.echo("paperboy: aborted", err=True)
        sys.exit(1)
    except Exception as exc:  # the last line of defence: one line, never a traceback
        click.echo(f"paperboy: error: {type(exc).__name__}: {printable(str(exc))}", err=True)
        sys.exit(1)
