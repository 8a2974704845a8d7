"""`paperboy prune`: an archive that keeps to its size."""

from __future__ import annotations

import click

from paperboy.db import Busy, exclusive, store
from paperboy.flows.commands.base import Ctx, Fail, check_days, cli, followed, say


@cli.command()
@click.option("--before", required=True, help="Prune articles published (else fetched) before this day, YYYY-MM-DD.")
@click.option("--feed", "feed_url", help="Only the articles of this feed (its URL or id).")
@click.option("--vacuum", "give_back", is_flag=True, help="Then give the space back to the disk (VACUUM).")
@click.option("--yes", is_flag=True, help="Do not ask first.")
@click.pass_obj
def prune(obj: Ctx, before: str, feed_url: str | None, give_back: bool, yes: bool) -> None:
    """Retention: older articles lose their text, page and index entries; their addresses and text
    hash stay, so that no feed fetches them again. retention_days in the config does it after
    every pass."""
    check_days(before=before)
    db = obj.db(existing=True)
    if feed_url is not None:
        feed_url = followed(db, feed_url).url
    if not yes:
        click.confirm(f"prune the text of every article from before {before[:10]}?", abort=True, err=True)
    try:
        with exclusive(obj.db_path, "pass"):  # not while a pass stores
            pruned, freed = store.prune(db, before, feed_url)
            sizes = store.vacuum(db) if give_back else None
    except Busy as exc:
        raise Fail(f"{exc}; not pruned") from exc
    said = f"{pruned} articles from before {before[:10]} pruned: {amount(freed)} of text and pages"
    if sizes:
        said += f"; the archive went from {amount(sizes[0])} to {amount(sizes[1])}"
    elif pruned:
        said += " (--vacuum gives the space back to the disk)"
    say(said)


def amount(size: int) -> str:
    """Bytes as people read them: MB past ten of them, kB below."""
    return f"{size / 1e6:,.0f} MB" if size >= 10e6 else f"{size / 1e3:,.1f} kB"
