"""`paperboy run`, `serve` and `backfill`: the commands that start flows."""

from __future__ import annotations

import json
import os
import signal
import sys
from contextlib import ExitStack
from pathlib import Path

import click

from paperboy.db import ArchiveDamaged, Busy, exclusive, store
from paperboy.flows.commands.base import STOPPED_BY, Ctx, Fail, Usage, check_days, cli, exit_for, say, stored_url

# --- run and serve ------------------------------------------------------------------------------


def _dask_address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from paperboy.flows.config import DASK_ADDRESS

    if value is not None and not DASK_ADDRESS.match(value):
        raise click.BadParameter(f"{value!r} is not a scheduler's address like tcp://127.0.0.1:8786")
    return value


dask_option = click.option(
    "--dask",
    metavar="tls://HOST:8786",
    callback=_dask_address,
    help="Extract on this Dask cluster (env PAPERBOY_DASK, or dask_address in the config).",
)


@cli.command()
@click.option("--feed", "feed_urls", multiple=True, help="Only this feed (repeatable).")
@click.option("--due", is_flag=True, help="Only the feeds whose next poll time has come.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@dask_option
@click.pass_obj
def run(obj: Ctx, feed_urls: tuple[str, ...], due: bool, as_json: bool, dask: str | None) -> None:
    """One ingest pass (a Prefect flow run) over all feeds, the named ones, or the due ones."""
    cfg = obj.config(stores_pages=True, dask=dask)  # a bad config is one line here, not a failed flow run
    db = obj.db(existing=True)
    feeds = {r.url: r for r in store.list_feeds(db)}
    feed_urls = tuple(
        stored_url(url, {u: f.id for u, f in feeds.items()}, "add it with: paperboy feeds add URL") for url in feed_urls
    )
    if not feeds:
        raise Fail("no feeds yet: add one with `paperboy feeds add URL`")
    stopped = [url for url in feed_urls if feeds[url].disabled]
    for url in stopped:
        why = "paused" if feeds[url].disabled == store.PAUSED else "gone (HTTP 410)"
        say(f"paperboy: {url} is {why}: not polled; `paperboy feeds edit {url} --resume` polls it again", err=True)
    if stopped and len(stopped) == len(feed_urls):
        sys.exit(1)
    feed_urls = tuple(url for url in feed_urls if url not in stopped)
    if due and not store.any_to_poll(db, feed_urls, due_only=True):  # said before Prefect starts
        upcoming = store.next_due(db)
        say(f"nothing due; the next feed is due at {upcoming}" if upcoming else "nothing due: every feed is paused")
        return
    from paperboy.flows.engines.cluster import ClusterLost
    from paperboy.flows.ingest import IngestRequest
    from paperboy.flows.opened import Opened
    from paperboy.flows.runner import run_ingest

    with ExitStack() as held:
        try:  # taken here and held for the flow: another pass is said at once, not after Prefect's start-up
            held.enter_context(exclusive(obj.db_path, "pass"))
        except Busy as exc:
            raise Fail(f"{exc}; not started") from exc
        try:
            summary = run_ingest(
                Opened(os.path.abspath(obj.db_path), db, cfg, locked=True), IngestRequest(feed_urls, due, dask)
            )
        except ClusterLost as exc:
            raise Fail(str(exc)) from exc
        except ArchiveDamaged as exc:
            raise Fail(_damaged(obj.db_path, exc)) from exc
    from paperboy.flows.progress import render

    say(json.dumps(summary) if as_json else render(summary))
    exit_for(*_pass_outcome(summary))


def _damaged(db_path: str, exc: ArchiveDamaged) -> str:
    return (
        f"the archive {db_path} is damaged ({exc}): the pass stopped there, and no item was charged an "
        "attempt for it; restore the archive (a backup, or the SQLite shell's .recover) and run again"
    )


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


def stopping(signum, frame) -> None:
    """SIGINT or SIGTERM to serve: stop, said in one line. Callbacks of connections the interrupt cuts
    (Prefect's runner's control channel) would log their CancelledError: noise once stopping."""
    import logging

    STOPPED_BY.append(signum)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    raise KeyboardInterrupt


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
@dask_option
@click.pass_obj
def serve(obj: Ctx, cron: str | None, interval: int, port: int, quiet: bool, dask: str | None) -> None:
    """Serve the ingest flow as a Prefect deployment from this process (Ctrl-C stops it)."""
    if cron is not None:
        from prefect.client.schemas.schedules import CronSchedule

        try:
            CronSchedule(cron=cron)
        except ValueError:  # pydantic's ValidationError is one
            raise Usage(f'--cron {cron!r} is not a cron expression (five fields, as in "*/10 * * * *")') from None
    obj.config(stores_pages=True, dask=dask)
    obj.db(existing=True)
    from paperboy.flows.runner import serve_ingest

    # Stopping serve is graceful: Prefect's runner stops the flow runs it started, then the server;
    # the exit code says which signal stopped it (130 or 143).
    signal.signal(signal.SIGINT, stopping)
    signal.signal(signal.SIGTERM, stopping)

    try:
        serve_ingest(obj.db_path, obj.config_path, cron=cron, interval=interval, port=port, quiet=quiet, dask=dask)
    except SystemExit as exc:  # Prefect's runner takes SIGTERM itself, stops, and exits 0
        if exc.code not in (0, None):
            raise
        STOPPED_BY.append(signal.SIGTERM)
    if STOPPED_BY:  # Prefect's runner took the interrupt and returned
        click.echo("paperboy: stopped", err=True)
        sys.exit(128 + STOPPED_BY[-1])


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
@dask_option
@click.pass_obj
def backfill(
    obj: Ctx, feed_urls, all_feeds, since, until, source, urls_file, reprocess, dry_run, rate, as_json, dask
) -> None:
    """Fill the archive with the past of feeds (archives, sitemaps) or a file of URLs; or re-extract
    what is stored (--reprocess). Resumable: run the same command again after an interruption."""
    check_days(since=since, until=until)
    if since and until and since[:10] > until[:10]:
        raise Usage(f"--since {since} is after --until {until}: the range holds no day")
    if rate is not None and rate <= 0:
        raise Usage(f"--rate wants a positive number of requests per second, not {rate}")
    if source == "urls" and not urls_file:
        raise Usage("--source urls needs --urls FILE")
    if not reprocess and not urls_file and not feed_urls and not all_feeds:
        raise Usage("say what to backfill: --feed URL, --all, --urls FILE, or --reprocess")
    if urls_file and not Path(urls_file).is_file():
        raise Fail(f"{urls_file}: no such file")
    if reprocess and urls_file:
        raise Usage(
            "--reprocess re-extracts what is stored (--feed, --since, --until); --urls fetches: one or the other"
        )
    cfg = obj.config(stores_pages=True, dask=dask)
    db = obj.db(existing=not urls_file)  # a list of URLs may start an archive; the rest work on one
    known = {r.url: r.id for r in store.list_feeds(db)}
    feed_urls = tuple(stored_url(url, known, "add it first: paperboy feeds add URL") for url in feed_urls)
    from paperboy.flows.backfill import BackfillRequest
    from paperboy.flows.opened import Opened
    from paperboy.flows.runner import run_backfill

    request = BackfillRequest(
        feeds=feed_urls, all_feeds=all_feeds, source=source, since=since, until=until,
        urls_file=urls_file and os.path.abspath(urls_file), reprocess=reprocess, dry_run=dry_run, rate=rate,
        dask=dask,
    )  # fmt: skip
    from paperboy.flows.engines.cluster import ClusterLost

    try:
        summary = run_backfill(Opened(os.path.abspath(obj.db_path), db, cfg), request)
    except ClusterLost as exc:
        raise Fail(str(exc)) from exc
    except ArchiveDamaged as exc:
        raise Fail(_damaged(obj.db_path, exc)) from exc
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
        exit_for(summary["reprocessed"] - summary["failed"], summary["failed"])
    else:  # a source that could not be read or a bad line of --urls counts as a failed item
        exit_for(summary["in_range"] - summary["failed"], summary["failed"] + len(summary["errors"]))


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
