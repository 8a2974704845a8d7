"""What every command of `paperboy` shares: the group and its options, errors as one line, exit codes."""

from __future__ import annotations

import dataclasses
import os
import re
import sys

import click

# Prefect reads these at import: no telemetry calls to a network we do not have, and quiet logs.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
# The first start on a new machine creates Prefect's database: more than the default 20 s when busy.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

from paperboy.core import PaperboyError, feed_identity, printable, split_credentials, without_credentials
from paperboy.db import check_folder, connect, store
from paperboy.flows.config import ConfigError, load_config  # noqa: E402

STOPPED_BY: list[int] = []  # the signal that stopped a long-running command (serve), for its exit code

# Exit codes, the same for every command (README, "Exit codes"): a wrapper can tell them apart.
OK, FAILED, USAGE, PARTIAL = 0, 1, 2, 3


def exit_for(done: int, failed: int) -> None:
    """Some items failed: 3 when others were done, 1 when none was (nothing could be done)."""
    if failed:
        sys.exit(PARTIAL if done else FAILED)


class Fail(PaperboyError, click.ClickException):
    """A command that cannot do what it was asked: one line on stderr, `paperboy: ` and why."""

    def show(self, file=None) -> None:
        click.echo(f"paperboy: {printable(self.format_message())}", err=True)


class Usage(Fail):
    """A bad value for an option, or options that do not go together: one line, and exit 2."""

    exit_code = USAGE


def say(text: str = "", err: bool = False) -> None:
    """Print what came from the network or the archive: no control characters reach the terminal."""
    click.echo(printable(text), err=err)


class Ctx:
    def __init__(self, db_path: str, config: str | None) -> None:
        self.db_path = db_path
        self.config_path = config

    def db(self, read_only: bool = False, existing: bool = False):
        """The archive; `read_only` for commands that only read it (never changed, never upgraded);
        `existing` for those that have nothing to do in a new one (a mistyped --db makes none)."""
        if existing and not os.path.exists(self.db_path):
            raise Fail(f"no archive at {self.db_path}: `paperboy feeds add URL` starts one (or --db names another)")
        try:
            return connect(self.db_path, read_only=read_only)
        except Exception as exc:  # the store's errors, a path that is a folder, a file that is not a db
            raise Fail(f"cannot open database {self.db_path}: {exc}") from exc

    def config(self, stores_pages: bool = False, dask: str | None = None):
        """The config (`dask`: --dask, over its dask_address); for a command that stores pages, also
        whether its WARC folder can be written and its Dask scheduler answers."""
        try:
            cfg = load_config(self.config_path)
        except ConfigError as exc:
            raise Fail(str(exc)) from exc
        if dask:
            cfg = dataclasses.replace(cfg, dask_address=dask)
        warc = stores_pages and cfg.raw_pages.where == "warc"
        problem = check_folder(self.db_path, cfg.raw_pages) if warc else None
        if problem:
            raise Fail(f"{cfg.path or 'raw_pages'}: {problem}")
        if stores_pages and cfg.dask_address:
            from paperboy.flows.engines.cluster import check_scheduler

            problem = check_scheduler(cfg.dask_address, cfg.dask_certs)
            if problem:
                raise Fail(f"{problem}; not started")
        return cfg


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
    if config_path and not os.path.isfile(config_path):  # every command, also those that do not read it
        raise Fail(f"{config_path}: no such file (--config, or PAPERBOY_CONFIG)")
    ctx.obj = Ctx(db_path, config_path)


def stored_url(url: str, known: dict[str, int], hint: str) -> str:
    """The followed feed's URL as stored (`known`: each followed feed's id by its URL), `url` given
    as its id (`feeds list` shows them), as stored, or in any form of the same identity (a user name
    and password in it are the feed's secrets, never part of its stored URL)."""
    if url.strip().isdigit():
        by_id = {feed_id: k for k, feed_id in known.items()}
        if int(url) in by_id:
            return by_id[int(url)]
        raise Fail(f"no feed with id {url.strip()} ({hint})")
    url = split_credentials(url)[0]
    if url in known:
        return url
    by_identity = {feed_identity(k): k for k in known}
    if feed_identity(url) in by_identity:
        return by_identity[feed_identity(url)]
    raise Fail(f"no such feed: {without_credentials(url)} ({hint})")


FEEDS_HINT = "paperboy feeds list shows them"


def followed(db, ref: str, hint: str = FEEDS_HINT):
    """The followed feed (a Feed, its article count in it) that `ref` names: its id, its URL, or
    another form of that URL. The feeds are read once."""
    feeds = {f.url: f for f in store.each_feed(db)}
    return feeds[stored_url(ref, {url: f.id for url, f in feeds.items()}, hint)]


LANGUAGE = re.compile(r"^[a-z]{2,3}$")  # ISO 639-1 (639-3 for the languages it lacks)


def language(lang: str | None) -> str | None:
    """--lang, in lower case: a language code, or a usage error."""
    if lang is None:
        return None
    lang = lang.strip().lower()
    if not LANGUAGE.match(lang):
        raise Usage(f"--lang wants a language code like en or de (ISO 639-1), not {lang!r}")
    return lang


def check_days(**days: str | None) -> None:
    from datetime import date

    for name, value in days.items():
        if value:
            try:
                date.fromisoformat(value[:10])
            except ValueError as exc:
                raise Usage(f"--{name} wants a date like 2024-05-01, not {value!r}") from exc
