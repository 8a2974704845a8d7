"""`paperboy browse`: the archive in Datasette, read-only, with paperboy's views and charts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from paperboy.db import needs_immutable, unread_wal
from paperboy.flows.browse import HERE, marker
from paperboy.flows.commands.base import Ctx, Fail, cli, say
from paperboy.flows.processes import die_with_parent

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@cli.command()
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--open", "open_browser", is_flag=True, help="Open it in the web browser.")
@click.option("--sql", "allow_sql", is_flag=True, help="Let visitors run SQL queries of their own (off by default).")
@click.pass_obj
def browse(obj: Ctx, port: int, host: str, open_browser: bool, allow_sql: bool) -> None:
    """Browse, search and watch the archive in Datasette (read-only; safe beside serve)."""
    from paperboy.db.browse import metadata

    obj.db(read_only=True).conn.close()  # a missing or broken db is one line here
    name = Path(obj.db_path).stem
    url = f"http://{host}:{port}/"
    if host not in LOOPBACK and not host.startswith("127."):
        warning = f"{host} lets anyone who can reach this machine read the archive, with no password"
        say(f"browse: warning: {warning}", err=True)
    with tempfile.TemporaryDirectory() as tmp:
        meta = Path(tmp) / "metadata.json"
        meta.write_text(json.dumps(metadata(name, sql=allow_sql)))
        path = os.path.abspath(obj.db_path)
        # On read-only media with no -shm beside the db, SQLite cannot make the WAL's index: the db is
        # served as immutable, as `search` reads it (nobody can be writing it), and its -wal unread.
        immutable = needs_immutable(path)
        if immutable and unread_wal(path):
            say(f"browse: warning: {path}-wal cannot be read here (no -shm file beside it on read-only media): "
                "what was stored since its last checkpoint is not shown", err=True)  # fmt: skip
        cmd = [
            sys.executable, "-m", "datasette", "serve", *(["-i", path] if immutable else [path]),
            "--metadata", str(meta),
            "--plugins-dir", str(HERE / "plugins"), "--template-dir", str(HERE / "templates"),
            "--static", f"assets:{HERE / 'static'}", "--host", host, "--port", str(port),
            "--setting", "sql_time_limit_ms", "3000", "--setting", "default_page_size", "50",
            "--setting", "allow_download", "off",  # the db file holds raw pages and every internal table
        ]  # fmt: skip
        if open_browser:
            cmd.append("--open")
        say(f"browse: {url} (views: {url}{name}/latest, charts: {url}-/charts; Ctrl-C stops it)")
        wrote_marker = _write_marker(obj.db_path, {"url": url, "db": name, "pid": os.getpid()})
        child = subprocess.Popen(
            cmd, env={**os.environ, "PAPERBOY_BROWSE_DB": name}, preexec_fn=die_with_parent(os.getpid())
        )
        stop = {"signal": 0}

        def stopped(signum, frame) -> None:  # TERM or INT to this process alone: Datasette stops with it
            stop["signal"] = signum
            child.terminate()

        old = {sig: signal.signal(sig, stopped) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            code = _wait(child)
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)
            if child.poll() is None:
                child.kill()
                child.wait()
            if wrote_marker:
                marker(obj.db_path).unlink(missing_ok=True)
    if stop["signal"]:
        say("browse: stopped")
        sys.exit(128 + stop["signal"])
    if code:
        raise Fail(f"the browse server stopped (exit {code})")


def _wait(child: subprocess.Popen) -> int:
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:  # Ctrl-C reached Datasette too: wait for it to stop
            continue


def _write_marker(db_path: str, info: dict) -> bool:
    """Say where browse serves, for the passes' summaries; not on read-only media, and never
    through a link in the marker's place."""
    try:
        fd = os.open(marker(db_path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    except OSError:
        return False
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(info))
    return True
