"""Starting the flow from the CLI: one run by hand, or a served deployment on a schedule."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from paperboy.db import store
from paperboy.flows.backfill import BackfillRequest, backfill
from paperboy.flows.engines.pool import start_forkserver
from paperboy.flows.ingest import IngestRequest, ingest
from paperboy.flows.opened import Opened, handing
from paperboy.flows.processes import SERVE_PID, alive, children_by_parent, die_with_parent


def deployment_name(db_path: str) -> str:
    """`serve`'s deployment of this archive: its own name, so that two archives served with one
    Prefect home each run only their own passes (`paperboy-<file stem>-<hash of its path>`)."""
    path = os.path.realpath(db_path)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(path).stem)[:40] or "archive"
    return f"paperboy-{stem}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"


def _quiet_engine() -> None:
    """A flow run that fails or is stopped is told in one line by the CLI: Prefect's engine would
    log it with a traceback first."""
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _quiet_shutdown() -> None:
    """The ephemeral server logs errors while it shuts down; they are not the user's business."""
    for name in ("prefect", "prefect.server", "uvicorn", "uvicorn.error", "httpx", "prefect._internal"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def run_backfill(opened: Opened, request: BackfillRequest) -> dict:
    """The backfill flow over what `paperboy backfill` opened."""
    start_forkserver()  # the extractors load while Prefect's server starts
    return _run(backfill, opened, request=request)


def run_ingest(opened: Opened, request: IngestRequest) -> dict:
    """The ingest flow over what `paperboy run` opened (its pass lock held)."""
    if store.any_to_poll(opened.db, request.feeds, due_only=request.due):  # else nothing will be extracted
        start_forkserver()  # the extractors load while Prefect's server starts
    return _run(ingest, opened, request=request)


def _run(flow, opened: Opened, **parameters) -> dict:
    _quiet_engine()
    try:
        with prefect_api(), handing(opened):
            return off_main_thread(flow, db_path=opened.db_path, config_path=opened.config.path, **parameters)
    finally:
        _quiet_shutdown()


def off_main_thread(fn, **kwargs):
    """fn(**kwargs) run in a thread of its own while this (main) thread waits for it, so that Ctrl-C
    and SIGTERM reach paperboy's own handlers at once (flows/commands/main.py): in the main thread, Prefect's
    engine takes them, and stops only once every fetch in flight has ended."""
    import contextvars
    import threading

    out: dict = {}
    context = contextvars.copy_context()  # Prefect's settings (the API's address) live in context variables

    def call() -> None:
        try:
            out["result"] = context.run(fn, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - raised again in the main thread
            out["error"] = exc

    thread = threading.Thread(target=call, name="paperboy-flow", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.5)  # a signal is handled between two waits
    if "error" in out:
        raise out["error"]
    return out["result"]


SERVER_START_TIMEOUT = 90  # seconds: the server migrates its database on first start


@contextmanager
def prefect_api(*, scheduler: bool = False, port: int = 0) -> Iterator[None]:
    """A Prefect API for the flow runs: the user's (PREFECT_API_URL), else a server started here.

    Started through Prefect's public CLI, `prefect server start`, in a child process on a free
    local port: the server's modules stay out of this process, which only talks to it. `run` and
    `backfill` need the API only (no UI, no services); a served deployment needs the scheduler.
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOGGING_TO_API_ENABLED,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        get_current_settings,
        temporary_settings,
    )

    if PREFECT_API_URL.value():
        yield
        return
    env = {
        **os.environ,
        **get_current_settings().to_environment_variables(exclude_unset=True),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # Our own server answers its own UI only: a web page elsewhere cannot start a run with any
        # db_path (CORS), nor post a form to it (CSRF; Prefect's client fetches its token).
        "PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED": "true",
    }
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    if scheduler:
        timeout = SERVER_START_TIMEOUT
    else:
        timeout = max(SERVER_START_TIMEOUT, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
        cmd += ["--no-ui", "--no-services", "--log-level", "ERROR"]
    cmd.append("--port")
    port = _free_port(port)
    env["PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS"] = f"http://127.0.0.1:{port}"
    # What a short-lived server says is kept, to tell why it did not start; `serve` runs for weeks,
    # and its server's talk would fill a file for nothing.
    errors = None if scheduler else tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [*cmd, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors or subprocess.DEVNULL,
        preexec_fn=die_with_parent(os.getpid()),  # a killed paperboy leaves no server behind  # noqa: PLW1509
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                said = "" if errors is None else _last_line(errors)
                raise RuntimeError(
                    f"the Prefect server exited at start (code {proc.returncode}){': ' if said else ''}{said}"
                )
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not answer within {timeout:g} s")
            time.sleep(0.1)
        if scheduler:
            print(f"paperboy: Prefect server and UI at http://127.0.0.1:{port}", file=sys.stderr)
        # Logs of flow runs go to the server only when it outlives them: this one stops with the pass.
        with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_LOGGING_TO_API_ENABLED: scheduler}):
            yield
    finally:
        if scheduler:  # flow runs the runner started, and left behind when it stopped
            _stop_children(keep=proc.pid)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if errors is not None:
            errors.close()


def _free_port(wanted: int) -> int:
    """`wanted` when it is free on 127.0.0.1 (0: any), else a free one, said in a line."""
    with socket.socket() as s:
        # As uvicorn binds: connections of a server just stopped, in TIME_WAIT, do not take the port.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", wanted))
        except OSError:
            s.bind(("127.0.0.1", 0))
            print(f"paperboy: port {wanted} is taken; using {s.getsockname()[1]}", file=sys.stderr)
        return s.getsockname()[1]


def _last_line(fh) -> str:
    fh.seek(0)
    lines = fh.read().decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


def _stop_children(keep: int, grace: float = 10.0) -> None:
    """Flow runs the runner left behind when it stopped (one being started as Ctrl-C came) stop
    before the API server does: they would wait on it, and hold the terminal, long after serve."""
    import signal

    kids = [pid for pid in children_by_parent().get(os.getpid(), []) if pid != keep]
    for pid in kids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while kids and time.monotonic() < deadline:
        time.sleep(0.2)
        kids = [pid for pid in kids if alive(pid)]
    for pid in kids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def serve_ingest(
    db_path: str,
    config_path: str | None,
    *,
    cron: str | None,
    interval: int,
    port: int,
    quiet: bool,
    dask: str | None = None,
) -> None:
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    schedule = {"cron": cron} if cron else {"interval": timedelta(seconds=interval)}
    with prefect_api(scheduler=True, port=port):
        print(
            "paperboy: one pass at a time: a deployment run started by hand while a tick runs is cancelled; "
            "`paperboy run --due` says when one is running",
            file=sys.stderr,
        )
        _serve(db_path, config_path, schedule, ConcurrencyLimitConfig, ConcurrencyLimitStrategy, quiet, dask)


def _serve(db_path, config_path, schedule, ConcurrencyLimitConfig, ConcurrencyLimitStrategy, quiet, dask) -> None:  # noqa: N803
    # Prefect's runner leaves a coroutine unawaited when stopped by a signal: noise, not news.
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
    os.environ[SERVE_PID] = str(os.getpid())  # its flow runs leave with it (flows/processes.py)
    try:
        ingest.serve(
            name=deployment_name(db_path),
            parameters={
                "db_path": os.path.abspath(db_path),
                "request": {"due": True, "dask": dask},  # (a deployment's parameters are JSON)
                "config_path": config_path,
                "progress": False,
                "report": not quiet,  # a line a tick, and one a failed feed
            },
            # A run still going when the next is due is not doubled: the new one is cancelled.
            global_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
            # Stopping the process leaves the schedule active for the next `paperboy serve`.
            pause_on_shutdown=False,
            **schedule,
        )
    finally:
        _quiet_shutdown()
