"""`paperboy watch …`: saved searches that each pass matches, and deliveries of what they match."""

from __future__ import annotations

import json

import click

from paperboy.core import url_problem, without_credentials
from paperboy.db import store
from paperboy.flows.commands.base import Ctx, Fail, Usage, cli, followed, language, say
from paperboy.flows.watching import DELIVERY, SIGNATURE


@cli.group()
def watch() -> None:
    """Watches: a search each pass runs over its new articles, each match sent by webhook or Apprise."""


@watch.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--feed", "feed_url", help="Only articles of this feed (its URL or id).")
@click.option("--lang", help="Only articles in this language (ISO 639-1, e.g. en).")
@click.option("--webhook", help=f"POST each match here as JSON, signed ({SIGNATURE}).")
@click.option("--notify", help="Send each match through Apprise (json://…, ntfy://…, mailto://…, slack://…).")
@click.pass_obj
def watch_add(obj: Ctx, name: str, query: str, feed_url, lang, webhook, notify) -> None:
    """Watch for new articles QUERY matches (`paperboy search`'s syntax)."""
    if not name.strip() or not name.isprintable():
        raise Usage("a watch needs a name of printable characters")
    if store.fts_query(query) is None:
        raise Usage("an empty query: give the words to watch for")
    lang = language(lang)
    if webhook is not None and url_problem(webhook):
        raise Usage(f"--webhook: {url_problem(webhook)}")
    if notify is not None:
        import apprise

        if not apprise.Apprise().add(notify):
            raise Usage(f"--notify: not an Apprise URL: {without_credentials(notify)!r}")
    db = obj.db()
    feed_id = followed(db, feed_url).id if feed_url is not None else None
    if store.watch(db, name):
        raise Fail(f"a watch named {name!r} exists: `paperboy watch remove {name}` first")
    w = store.add_watch(db, name, query, feed_id, lang, webhook, notify)
    say(f"watching {name!r}: {query}")
    if webhook:
        say(f"webhook deliveries are signed: {SIGNATURE} = sha256=HMAC-SHA256(body, secret {w.secret})")


@watch.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per watch.")
@click.pass_obj
def watch_list(obj: Ctx, as_json: bool) -> None:
    """The watches, with their query, filters, receivers and how many articles each matched."""
    rows = store.list_watches(obj.db())
    for w, matched in rows:
        receivers = [r for r in (w.webhook and f"webhook {without_credentials(w.webhook)}",
                                 w.notify and "apprise") if r]  # fmt: skip
        if as_json:
            row = {"name": w.name, "query": w.query, "feed_id": w.feed_id, "language": w.language,
                   "webhook": bool(w.webhook), "notify": bool(w.notify), "matches": matched}  # fmt: skip
            click.echo(json.dumps(row))
        else:
            say(f"{w.name}: {w.query}  [{matched} matches; {', '.join(receivers) or 'no receiver'}]")
    if not rows and not as_json:
        say("no watches yet: paperboy watch add NAME QUERY")


@watch.command("remove")
@click.argument("name")
@click.pass_obj
def watch_remove(obj: Ctx, name: str) -> None:
    """Stop watching: the watch, its matches and its deliveries not yet made go."""
    if not store.remove_watch(obj.db(), name):
        raise Fail(f"no watch named {name!r} (paperboy watch list shows them)")
    say(f"removed the watch {name!r}")


@watch.command("test")
@click.argument("name")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.pass_obj
def watch_test(obj: Ctx, name: str, limit: int) -> None:
    """What the watch matches in the archive now (newest first); nothing is delivered."""
    db = obj.db()
    w = store.watch(db, name)
    if w is None:
        raise Fail(f"no watch named {name!r} (paperboy watch list shows them)")
    ids = store.matching(db, w, limit=limit)
    for article_id in ids:
        row = store.article(db, str(article_id))
        if row:
            say(f"[{row['id']}] {row['title'] or '(no title)'}  {row['url']}")
    say(f"{len(ids)} match{'es' * (len(ids) != 1)}{' (the newest)' if len(ids) == limit else ''}; {DELIVERY} "
        "carries each delivery's id")  # fmt: skip
