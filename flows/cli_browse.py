"""`paperboy browse`: the archive in Datasette, read-only, with paperboy's views and charts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from flows._cli import Ctx, Fail, cli, say
from flows.browse import HERE, marker


@cli.command()
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--open", "open_browser", is_flag=True, help="Open it in the web browser.")
@click.pass_obj
def browse(obj: Ctx, port: int, host: str, open_browser: bool) -> None:
    """Browse, search and watch the archive in Datasette (read-only; safe beside serve)."""
    try:
        import datasette  # noqa: F401
    except ImportError as exc:
        raise Fail("browse needs Datasette: pip install 'paperboy[browse]'") from exc
    from db.browse import metadata

    obj.db(read_only=True).conn.close()  # a missing or broken db is one line here
    name = Path(obj.db_path).stem
    url = f"http://{host}:{port}/"
    with tempfile.TemporaryDirectory() as tmp:
        meta = Path(tmp) / "metadata.json"
        meta.write_text(json.dumps(metadata(name)))
        cmd = [
            sys.executable, "-m", "datasette", "serve", os.path.abspath(obj.db_path), "--metadata", str(meta),
            "--plugins-dir", str(HERE / "plugins"), "--template-dir", str(HERE / "templates"),
            "--static", f"assets:{HERE / 'static'}", "--host", host, "--port", str(port),
            "--setting", "sql_time_limit_ms", "3000", "--setting", "default_page_size", "50",
        ]  # fmt: skip
        if open_browser:
            cmd.append("--open")
        say(f"browse: {url} (views: {url}{name}/latest, charts: {url}-/charts; Ctrl-C stops it)")
        marker(obj.db_path).write_text(json.dumps({"url": url, "db": name, "pid": os.getpid()}))
        try:
            code = subprocess.call(cmd, env={**os.environ, "PAPERBOY_BROWSE_DB": name})
        finally:
            marker(obj.db_path).unlink(missing_ok=True)
    if code:
        raise Fail(f"the browse server stopped (exit {code})")
