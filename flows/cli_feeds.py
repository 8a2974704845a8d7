"""`paperboy feeds …`: add, edit, list, remove, import and export the feeds followed."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import click

from core import FEED_FIELDS, Feed, feed_identity, printable, url_problem, without_credentials
from db import store
from flows._cli import Ctx, Fail, _exit_for, _stored_url, cli, say
from flows.config import ConfigError, feeds_in, read_toml
from flows.opml import OPMLError, read_opml, write_opml

# --- feeds --------------------------------------------------------------------------------------


@cli.group()
def feeds() -> None:
    """Add, list, remove, import and export the feeds followed."""


def _check_url(url: str) -> str:
    problem = url_problem(url)
    if problem:
        raise Fail(f"{problem}: {printable(url)!r}")
    return url.strip()


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
        from flows.fetching import find_feed

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
    url = _stored_url(url, {r.url for r in store.list_feeds(db)}, "paperboy feeds list shows them")
    if purge and not yes:
        count = next(r.articles for r in store.list_feeds(db) if r.url == url)
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
    url = _stored_url(url, {r.url for r in store.list_feeds(db)}, "paperboy feeds list shows them")
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


STATES = {store.PAUSED: "paused", store.GONE: "gone (410): not polled; feeds edit --resume tries it again"}


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
@click.pass_obj
def feeds_list(obj: Ctx, as_json: bool) -> None:
    """The feeds with their health: last success, last error, errors in a row, articles, next poll."""
    db = obj.db(read_only=True)
    lines = map(_feed_json, store.each_feed(db)) if as_json else map(_health_lines, store.each_feed_health(db))
    empty = True
    for batch in iter(lambda: list(itertools.islice(lines, 1000)), []):  # a thousand at a time, never all held
        empty = False
        say("\n".join(batch))
    if empty and not as_json:
        click.echo("no feeds yet: paperboy feeds add URL")


def _feed_json(feed: Feed) -> str:
    row = {name: getattr(feed, name) for name in FEED_FIELDS}
    return json.dumps({**row, "url": without_credentials(feed.url)}, default=str)


def _health_lines(row: tuple) -> str:
    """A feed's lines in `feeds list`, from its store.HEALTH_FIELDS."""
    url, name, title, disabled, errors, articles, last_success, next_poll, last_error, last_error_at = row
    state = STATES.get(disabled, "failing" if errors else "ok")
    text = (
        f"{without_credentials(url)}  [{state}] {articles} articles\n"
        f"    name: {name or title or '-'}   last success: {last_success or 'never'}   next poll: {next_poll or 'now'}"
    )
    if last_error:
        text += f"\n    last error ({errors} in a row, {last_error_at}): {last_error}"
    return text


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
        rows = [replace(r, url=without_credentials(r.url)) for r in rows]
    click.echo(write_opml(rows), nl=False)
