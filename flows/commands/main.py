"""The `paperboy` command: opens the database, calls the library, turns errors into one line.
Its commands live in feeds (feeds), passes (run, serve, backfill), reading (extract, search, show,
export, stories), archive (prune), browsing (browse), certs (cluster certs) and watch; what they
share in base."""

from __future__ import annotations

import os
import signal
import sys

import click

from paperboy.core import PaperboyError, printable
from paperboy.flows.commands import archive, browsing, certs, feeds, passes, reading, watch  # noqa: F401 - their commands
from paperboy.flows.commands.base import STOPPED_BY, cli

__all__ = ["cli", "main"]


def _stop(signum, frame) -> None:
    """Ctrl-C or SIGTERM: one line, and out at once. Nothing is lost: every batch is stored in a
    transaction of its own (an open one is discarded whole), and what paperboy started stops with it
    (the Prefect server by its parent-death signal, workers by watching this process). Unwinding
    instead would wait on each fetch still in flight, for as long as its deadline."""
    from paperboy.flows.progress import STORED

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
            sys.exit(128 + (STOPPED_BY[-1] if STOPPED_BY else signal.SIGINT))
        click.echo("paperboy: aborted", err=True)
        sys.exit(1)
    except PaperboyError as exc:  # one of ours that no command turned into a Fail: said as one
        click.echo(f"paperboy: {printable(str(exc))}", err=True)
        sys.exit(1)
    except Exception as exc:  # the last line of defence: one line, never a traceback
        click.echo(f"paperboy: error: {type(exc).__name__}: {printable(str(exc))}", err=True)
        sys.exit(1)
