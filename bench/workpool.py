"""The deployments of prefect.yaml run once end to end on 127.0.0.1, as the README tells a user to:
a Prefect server, the `paperboy` process work pool, `prefect deploy --all`, a Prefect worker, a Dask
scheduler and two Dask workers; then a run of ingest/pool-ingest over a local feed, its pages
extracted on the Dask workers.

    python bench/workpool.py          (make bench-workpool)

Prints each step and what the run stored; exits non-zero when a step fails. Everything it starts is
stopped at the end, and its files are in a temporary folder.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
ARTICLES = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(condition, what: str, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise SystemExit(f"workpool: gave up waiting for {what}")
        time.sleep(0.5)


def feed_server() -> tuple[ThreadingHTTPServer, str]:
    from tests.conftest import article_page, rss, story

    pages: dict[str, tuple[bytes, str]] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):  # noqa: N802
            body, ctype = pages.get(self.path, (b"not found", "text/plain"))
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    items = []
    for i in range(ARTICLES):
        pages[f"/a{i}.html"] = (article_page(f"Story {i}", story(i)).encode(), "text/html")
        items.append({"title": f"Story {i}", "link": f"{base}/a{i}.html", "guid": f"a{i}"})
    pages["/feed.xml"] = (rss(items).encode(), "application/rss+xml")
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, base


def main() -> int:
    started: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        port = free_port()
        env = {
            **os.environ,
            "PREFECT_HOME": str(tmp / "prefect"),
            "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PAPERBOY_ALLOW_PRIVATE_NETWORKS": "1",
        }
        logs = tmp / "logs"
        logs.mkdir()

        def start(name: str, *cmd: str, **extra: str) -> subprocess.Popen:
            out = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
            proc = subprocess.Popen(list(cmd), cwd=ROOT, env={**env, **extra}, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)  # fmt: skip
            started.append(proc)
            return proc

        def step(what: str, *cmd: str) -> str:
            print(f"$ {' '.join(cmd)}", flush=True)
            done = subprocess.run(list(cmd), cwd=ROOT, env=env, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"workpool: {what} failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
            return done.stdout

        def healthy() -> bool:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2).status == 200
            except OSError:
                return False

        try:
            print(f"$ prefect server start --port {port}", flush=True)
            start("server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port))
            wait(healthy, "the Prefect server")
            scheduler_file = tmp / "scheduler.json"
            print("$ dask scheduler; dask worker --preload paperboy.flows.engines.dask_preload (two)", flush=True)
            start("dask-scheduler", str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                  "--no-dashboard", "--scheduler-file", str(scheduler_file))  # fmt: skip
            wait(lambda: scheduler_file.exists() and scheduler_file.stat().st_size > 0, "the Dask scheduler")
            dask = json.loads(scheduler_file.read_text())["address"]
            for i in range(2):
                start(f"dask-worker-{i}", str(BIN / "dask"), "worker", dask, "--nthreads", "1", "--host", "127.0.0.1",
                      "--no-dashboard", "--preload", "paperboy.flows.engines.dask_preload")  # fmt: skip
            step("creating the work pool", str(BIN / "prefect"), "work-pool", "create", "paperboy", "--type", "process")
            step("deploying", str(BIN / "prefect"), "--no-prompt", "deploy", "--all")
            names = step("listing deployments", str(BIN / "prefect"), "deployment", "ls")
            print(f"$ prefect worker start --pool paperboy   (PAPERBOY_DASK={dask})", flush=True)
            start("prefect-worker", str(BIN / "prefect"), "worker", "start", "--pool", "paperboy", PAPERBOY_DASK=dask)
            httpd, base = feed_server()
            db = str(tmp / "archive.db")
            step("adding the feed", str(BIN / "paperboy"), "--db", db, "feeds", "add", f"{base}/feed.xml")
            t0 = time.perf_counter()
            step("the deployment run", str(BIN / "prefect"), "deployment", "run", "ingest/pool-ingest",
                 "--param", f"db_path={db}", "--param", 'request={"due": false}',
                 "--watch", "--watch-timeout", "600")  # fmt: skip
            seconds = time.perf_counter() - t0
            stored = sqlite3.connect(db).execute("select count(*) from articles").fetchone()[0]
            httpd.shutdown()
            from distributed import Client

            with Client(dask, timeout=10) as client:  # what each Dask worker ran: the run's extraction jobs
                ran = client.run(lambda dask_worker: dask_worker.state.executed_count)
            print(f"deployments: {', '.join(n for n in ('ingest/pool-ingest', 'backfill/pool-backfill') if n in names)}"
                  f" (paperboy serve's is ingest/paperboy-<archive>)")  # fmt: skip
            print(f"ingest/pool-ingest on the work pool: {stored} of {ARTICLES} articles stored in {seconds:.1f} s; "
                  f"pages extracted by the Dask workers: {sorted(ran.values())}")  # fmt: skip
            return 0 if stored == ARTICLES and sum(ran.values()) >= ARTICLES else 1
        finally:
            for proc in reversed(started):
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in started:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
