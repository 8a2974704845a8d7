"""`paperboy feeds …`: add, edit, list, remove, import and export the feeds followed."""

from __future__ import annotations

import collections
import functools
import itertools
import json
from collections.abc import Iterator
from dataclasses import replace

import click

from paperboy.core import (
    FEED_FIELDS,
    MASK,
    Feed,
    FeedAccess,
    feed_identity,
    header_problem,
    origin_of,
    printable,
    same_origin_or_upgrade,
    split_credentials,
    url_problem,
    without_credentials,
)
from paperboy.db import store
from paperboy.flows.commands.base import Ctx, Fail, Usage, cli, exit_for, followed, say
from paperboy.flows.commands.opml import OPMLError, read_opml, write_opml
from paperboy.flows.config import ConfigError, feeds_in, read_toml

# --- feeds --------------------------------------------------------------------------------------


@cli.group()
def feeds() -> None:
    """Add, list, remove, import and export the feeds followed."""


def _check_url(url: str) -> str:
    problem = url_problem(url)
    if problem:
        raise Fail(f"{problem}: {printable(without_credentials(url))!r}")
    return url.strip()


def _secrets(url: str, headers=(), cookies=()) -> tuple[str, FeedAccess | None]:
    """The URL without user name and password, and the secrets given with it: those, the headers
    ("Name: value") and the cookies ("name=value"). A masked URL (from `feeds export`) is refused."""
    clean, user, password = split_credentials(url)
    if MASK in (user, password):
        raise Fail(
            f"{without_credentials(url)}: its user name and password are masked ({MASK}), as `feeds export` writes "
            "them: give them in the URL, or export with --with-credentials"
        )
    pairs = []
    for kind, given, sep in (("header", headers, ":"), ("cookie", cookies, "=")):
        parsed = []
        for item in given:
            name, found, value = item.partition(sep)
            problem = header_problem(name.strip(), value.strip()) if found else f"{item!r} is not {kind} {sep} value"
            if problem:
                raise click.BadParameter(problem, param_hint=f"--{kind}")
            parsed.append((name.strip(), value.strip()))
        pairs.append(tuple(parsed))
    access = FeedAccess(origin_of(clean), user, password, pairs[0], pairs[1])
    return clean, access or None


_SECRET_OPTIONS = (
    click.option("--header", "headers", multiple=True, help='A request header for the feed, "Name: value" (repeat).'),
    click.option("--cookie", "cookies", multiple=True, help='A cookie for the feed, "name=value" (repeat).'),
)


def secret_options(command):
    for option in reversed(_SECRET_OPTIONS):
        command = option(command)
    return command


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="A display name for the feed.")
@click.option("--no-check", is_flag=True, help="Add the URL as it is, without fetching it.")
@secret_options
@click.pass_obj
def feeds_add(obj: Ctx, url: str, name: str | None, no_check: bool, headers, cookies) -> None:
    """Follow the feed at URL, once it is fetched and read as a feed. For a page, the feeds it
    links (else those at the usual places, /feed, /rss.xml, …): one is added, several are listed.
    A user name and password in URL are sent as HTTP Basic auth, with --header and --cookie, to
    the feed's own server only; they are kept beside the archive (<db>.credentials), not in it."""
    url, access = _secrets(feed_identity(_check_url(url)), headers, cookies)
    if not no_check:
        from paperboy.flows.fetching import find_feed

        found = find_feed(url, obj.config().fetch, access)
        if found.error and found.error.startswith("refused") and "address" in found.error:
            raise Fail(f"{url}: {found.error} (allowed_hosts or allow_private_networks in the config let it in)")
        if found.error:
            raise Fail(f"{url}: {found.error} (--no-check adds it as it is)")
        if len(found.feeds) > 1:
            for feed, title in found.feeds:
                say(f"{without_credentials(feed)}  {title or ''}")
            raise Fail(f"{url} names {len(found.feeds)} feeds: add one of them")
        [(url, title)] = found.feeds
        url = feed_identity(split_credentials(url)[0])
        name = name or title
        if found.page:
            say(
                f"the page names no feed; found one at a usual place: {url}"
                if found.guessed
                else f"found {url} on the page"
            )
        if access and not same_origin_or_upgrade(access.origin, url):
            say(f"the feed is on another server than the page: its secrets are not kept for {url}")
            access = None
    if access:
        access = replace(access, origin=origin_of(url))
    added = store.add_feed(obj.db(), url, name, access)
    if added:
        say(f"added {url}")
    else:
        changed = [f"named {name!r}"] * bool(name) + ["its secrets changed"] * bool(access)
        say(f"already following {url}" + (f": {', '.join(changed)}" if changed else ""))


@feeds.command("remove")
@click.argument("url")
@click.option("--purge", is_flag=True, help="Delete the feed's stored articles too (asks first).")
@click.option("--yes", is_flag=True, help="With --purge: do not ask.")
@click.pass_obj
def feeds_remove(obj: Ctx, url: str, purge: bool, yes: bool) -> None:
    """Stop following URL. Its stored articles stay, still linked to it, and adding it again
    follows it on where it stopped; --purge deletes them."""
    db = obj.db()
    feed = followed(db, url)
    url = feed.url
    if purge and not yes:
        click.confirm(
            f"delete {url} and those of its {feed.articles} stored articles no other feed links?", abort=True, err=True
        )
    deleted, kept = store.remove_feed(db, url, purge=purge) or (0, 0)
    if not purge:
        say(f"removed {url}")
    else:
        say(f"purged {url}: {deleted} articles deleted, {kept} kept (other feeds link them)")


@feeds.command("edit")
@click.argument("url")
@click.option("--name", help="A display name.")
@click.option(
    "--min-interval",
    type=click.IntRange(min=0),
    help="This feed's shortest poll interval in seconds (0: the global one).",
)
@click.option("--pause", is_flag=True, help="Stop polling the feed.")
@click.option("--resume", is_flag=True, help="Poll the feed again (a paused one, or one gone with HTTP 410).")
@secret_options
@click.option("--forget-secrets", is_flag=True, help="Forget the feed's user name, password, headers and cookies.")
@click.pass_obj
def feeds_edit(
    obj: Ctx, url: str, name: str | None, min_interval: int | None, pause: bool, resume: bool, headers, cookies,
    forget_secrets: bool,
) -> None:  # fmt: skip
    """Change a followed feed: its name, its shortest poll interval, paused or not, its secrets (a
    user name and password in URL, --header, --cookie) or none (--forget-secrets). URL may be the
    feed's id, as `feeds list` shows it."""
    if pause and resume:
        raise Usage("--pause and --resume: one or the other")
    if min_interval:
        lowest = obj.config().min_poll_interval
        if min_interval < lowest:
            raise Usage(f"--min-interval {min_interval} is below min_poll_interval ({lowest} s), which no feed goes "
                        "under: give more, or 0 for the global one")  # fmt: skip
    db = obj.db()
    url, access = _secrets(url, headers, cookies)
    feed = followed(db, url)
    url = feed.url
    if access or forget_secrets:
        given = replace(access, origin=origin_of(url)) if access and not forget_secrets else None
        store.set_access(db, feed.id, given)
        say(f"{'forgot the secrets of' if forget_secrets else 'changed the secrets of'} {url}")
    changes: dict = {}
    said = []
    if name is not None:
        changes["name"] = name
        said.append(f"named {name!r}")
    if min_interval is not None:
        changes["min_interval"] = min_interval or None
        said.append(f"polled at most every {min_interval} s" if min_interval else "polled as often as any feed")
    if pause or resume:
        changes.update(disabled=int(pause), next_poll_at=None)  # a resumed feed is due at once
        said.append("paused" if pause else "resumed: due now")
    if not changes:
        if access or forget_secrets:
            return
        raise Usage("say what to change: --name, --min-interval, --pause or --resume, --header, --cookie")
    store.edit_feed(db, url, **changes)
    say(f"{url}: {', '.join(said)}")


def health(disabled: int, errors: int, last_polled_at: str | None) -> str:
    """A feed's health in a word: paused, gone, new (never polled), failing or ok."""
    if disabled == store.PAUSED:
        return "paused"
    if disabled == store.GONE:
        return "gone"
    if not last_polled_at:
        return "new"
    return "failing" if errors else "ok"


NEXT = {"paused": "not while paused (feeds edit --resume)", "gone": "never: it answered 410 Gone (feeds edit --resume)"}


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
@click.pass_obj
def feeds_list(obj: Ctx, as_json: bool) -> None:
    """The feeds with their id and health: last success, last error, errors in a row, articles, next poll;
    a line of totals at the end."""
    db = obj.db(read_only=True)
    counts: collections.Counter = collections.Counter()
    is_followed = functools.partial(store.is_followed, db)
    if as_json:
        lines: Iterator[str] = (_feed_json(feed, counts) for feed in store.each_feed(db))
    else:
        lines = (_health_lines(row, counts, is_followed) for row in store.each_feed_health(db))
    for batch in iter(lambda: list(itertools.islice(lines, 1000)), []):  # a thousand at a time, never all held
        say("\n".join(batch))
    if as_json:
        return
    if not counts:
        click.echo("no feeds yet: paperboy feeds add URL")
        return
    total = sum(counts.values())
    parts = ", ".join(f"{counts[h]} {h}" for h in ("ok", "failing", "new", "paused", "gone") if counts[h])
    say(f"{total} feed{'s' * (total != 1)}: {parts}")


def _feed_json(feed: Feed, counts) -> str:
    row = {name: getattr(feed, name) for name in FEED_FIELDS}
    row["health"] = health(feed.disabled, feed.consecutive_errors, feed.last_polled_at)
    counts[row["health"]] += 1
    return json.dumps({**row, "url": without_credentials(feed.url)}, default=str)


def _health_lines(row: tuple, counts, is_followed) -> str:
    """A feed's lines in `feeds list`, from its store.HEALTH_FIELDS."""
    (feed_id, url, name, title, disabled, errors, articles, last_polled, last_success, next_poll, last_error,
     last_error_at, moved_to) = row  # fmt: skip
    state = health(disabled, errors, last_polled)
    counts[state] += 1
    text = (
        f"[{feed_id}] {without_credentials(url)}  [{state}] {articles} article{'s' * (articles != 1)}\n"
        f"    name: {name or title or '-'}   last success: {last_success or 'never'}   "
        f"next poll: {NEXT.get(state) or next_poll or 'now'}"
    )
    if last_error:
        text += f"\n    last error ({errors} in a row, {last_error_at}): {last_error}"
    if moved_to:
        text += f"\n    moved for good to {without_credentials(moved_to)}"
        text += ", followed too: `paperboy feeds remove` this one" if is_followed(moved_to) else ""
    return text


@feeds.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_obj
def feeds_import(obj: Ctx, file: str) -> None:
    """Follow every feed in an OPML file (or a TOML file with [[feeds]])."""
    try:
        if file.endswith(".toml"):
            items: Iterator = iter(feeds_in(read_toml(file), file))
        else:
            items = ((url, name, (), (), site, folder) for url, name, site, folder in read_opml(file))
        first = next(items, None)  # a file that is no OPML says so here, before the db is opened
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise Fail(f"{file}: no such file") from exc
    except OPMLError as exc:
        raise Fail(f"{file}: {exc}") from exc
    except ConfigError as exc:  # it names the file
        raise Fail(str(exc)) from exc
    if first is None:
        raise Fail(f"{file}: no feeds in it (no outline with an xmlUrl)")
    db = obj.db()
    added = refused = read = 0
    try:
        for url, name, headers, cookies, *place in itertools.chain([first], items):
            read += 1
            added_now, problem = _import_one(db, url, name, headers, cookies, *place)
            added += added_now
            if problem:
                say(f"paperboy: {file}: refused {printable(without_credentials(url))[:200]!r}: {problem}", err=True)
                refused += 1
    except OPMLError as exc:  # a fault further on: what was read before it is followed
        say(f"paperboy: {file}: {exc}", err=True)
        refused += 1
    say(f"{added} feeds added, {read - added - refused} already followed, {refused} refused ({file})")
    exit_for(read - refused, refused)


def _import_one(db, url: str, name, headers, cookies, site_url=None, folder=None) -> tuple[int, str | None]:
    """Follow one feed of an imported list: (1 when it was added, why it was refused)."""
    problem = url_problem(url)
    if not problem and MASK in split_credentials(url)[1:]:
        problem = f"its user name and password are masked ({MASK}): export with --with-credentials"
    if problem:
        return 0, problem
    clean = feed_identity(split_credentials(url)[0])
    access = FeedAccess(origin_of(clean), headers=headers, cookies=cookies)
    return int(store.add_feed(db, feed_identity(url), name, access or None, folder=folder, site_url=site_url)), None


@feeds.command("export")
@click.option("--with-credentials", is_flag=True, help="Keep user names and passwords in feed URLs (masked otherwise).")
@click.pass_obj
def feeds_export(obj: Ctx, with_credentials: bool) -> None:
    """The feeds as OPML 2.0 on stdout."""
    db = obj.db(read_only=True)
    rows = store.list_feeds(db)
    secrets = store.feed_access(db)
    rows = [replace(r, url=_with_credentials(r.url, secrets.get(r.id), with_credentials)) for r in rows]
    click.echo(write_opml(rows), nl=False)


def _with_credentials(url: str, access: FeedAccess | None, reveal: bool) -> str:
    """The feed's URL with its user name and password (masked unless `reveal`), where it has them
    for its own origin: an import of the masked one is refused, never stored with a user `***`."""
    if not access or (access.user is None and access.password is None) or access.origin != origin_of(url):
        return url
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(url)
    userinfo = quote(access.user or "", safe="") + (":" + quote(access.password, safe="") if access.password else "")
    return urlunsplit(parts._replace(netloc=f"{userinfo if reveal else MASK}@{parts.netloc}"))
