"""Extraction on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on 127.0.0.1
(the distributed CLI), preloaded with paperboy's extractors, beside the local pool."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperboy.db import connect, store
from paperboy.flows.commands.main import cli
from tests.conftest import article_page, rss, story

pytest.importorskip("distributed")
pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("prefect_harness")]
DASK = str(Path(sys.executable).with_name("dask"))


def _wait(condition, what: str, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


class Cluster:
    """A scheduler and two single-threaded workers, each a process group of its own. `certs`: with
    TLS, as the README starts them (`paperboy cluster certs`); `nanny`: each worker as the README
    starts it (with its nanny, --nworkers), else bare processes."""

    def __init__(self, tmp: Path, certs: Path | None = None, nanny: bool = False) -> None:
        self.file = tmp / "scheduler.json"
        self.certs = certs
        env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
        common = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
        tls = []
        if certs is not None:
            tls = ["--tls-ca-file", str(certs / "ca.pem"), "--tls-cert", str(certs / "cluster.pem"),
                   "--tls-key", str(certs / "cluster-key.pem")]  # fmt: skip
        self.scheduler = subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(self.file), *(["--protocol", "tls"] if certs else []), *tls], **common,
        )  # fmt: skip
        _wait(lambda: self.file.exists() and self.file.stat().st_size > 0, "the scheduler's file")
        self.address = json.loads(self.file.read_text())["address"]
        kind = ["--nworkers", "1"] if nanny else ["--no-nanny"]
        self.workers = [
            subprocess.Popen(
                [
                    DASK,
                    "worker",
                    "--scheduler-file",
                    str(self.file),
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                    *kind,
                    "--preload",
                    "paperboy.flows.engines.dask_preload",
                    "--name",
                    f"w{i}",
                    *tls,
                ],
                **common,
            )  # fmt: skip
            for i in range(2)
        ]
        _wait(lambda: self.count_workers() == 2, "two workers")

    def count_workers(self) -> int:
        from distributed import Client

        from paperboy.flows.engines.cluster import security

        with Client(
            self.address, timeout=10, security=security(self.address, self.certs and str(self.certs))
        ) as client:
            return len(client.scheduler_info(n_workers=-1)["workers"])

    def kill(self, proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                self.kill(proc)


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    yield c
    c.stop()


def serve_articles(server, n: int) -> None:
    items = [
        {
            "title": f"Story {i}",
            "link": server.add(f"/c{i}.html", article_page(f"Story {i}", story(i))),
            "guid": f"c{i}",
        }
        for i in range(n)
    ]
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")


def texts(db_path: str) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("select url, content_hash from articles order by url").fetchall()
    finally:
        conn.close()


def pass_cut_short(server, tmp_path: Path, n: int, address: str, settings: str, cut) -> tuple:
    """A pass of `n` articles through the cluster at `address` with these [settings] lines, and
    `cut()` once its first articles are stored: (its CLI result, the db)."""
    serve_articles(server, n)
    db = str(tmp_path / "cut.db")
    store.add_feed(connect(db), server.url("/feed.xml"))
    config = tmp_path / "paperboy.toml"
    config.write_text(f'[settings]\n{settings}\nallowed_hosts = ["127.0.0.1:{server.port}"]\n')
    result: dict = {}
    args = ["--db", db, "--config", str(config), "run", "--dask", address]
    thread = threading.Thread(target=lambda: result.update(out=CliRunner().invoke(cli, args)))
    thread.start()
    _wait(lambda: len(texts(db)) >= 1, "the first articles stored")
    cut()
    thread.join()
    return result["out"], db


def run(db_path: str, *args: str):
    return CliRunner().invoke(cli, ["--db", db_path, "run", *args])


def test_a_pass_through_the_cluster_stores_what_the_local_pool_stores(server, tmp_path, cluster):
    serve_articles(server, 12)
    local, remote = str(tmp_path / "local.db"), str(tmp_path / "remote.db")
    for db in (local, remote):
        store.add_feed(connect(db), server.url("/feed.xml"))
    assert run(local).exit_code == 0
    done = run(remote, "--dask", cluster.address)
    assert done.exit_code == 0, done.output
    assert len(texts(remote)) == 12 and texts(remote) == texts(local)


def test_a_worker_killed_during_a_pass_loses_nothing_and_stores_nothing_twice(server, tmp_path, cluster):
    serve_articles(server, 60)
    db = str(tmp_path / "kill.db")
    store.add_feed(connect(db), server.url("/feed.xml"))
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(out=run(db, "--dask", cluster.address)))
    thread.start()
    _wait(lambda: len([h for h in server.hits if h.path.startswith("/c")]) >= 10, "the pass to fetch its first pages")
    cluster.kill(cluster.workers[0])
    thread.join()
    assert result["out"].exit_code == 0, result["out"].output
    stored = texts(db)
    assert len(stored) == 60 and len({url for url, _ in stored}) == 60


def test_an_unreachable_scheduler_is_one_line_and_nothing_is_fetched(server, db_path):
    serve_articles(server, 1)
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    out = run(db_path, "--dask", "tcp://127.0.0.1:9")
    lines = out.output.strip().splitlines()
    assert out.exit_code == 1 and len(lines) == 1, out.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in lines[0] and server.hits == []


def test_a_scheduler_lost_mid_pass_stops_it_and_the_next_pass_takes_up_the_rest(server, tmp_path, cluster):
    # Pages a host gives at most every 20 ms: the pass still has work when the scheduler goes.
    out, db = pass_cut_short(server, tmp_path, 200, cluster.address, "min_interval = 0.02",
                             lambda: cluster.kill(cluster.scheduler))  # fmt: skip
    assert out.exit_code == 1 and "lost the Dask scheduler" in out.output, out.output
    kept = texts(db)
    assert 0 < len(kept) < 200
    again = run(db)  # the next pass, on the local pool
    assert again.exit_code == 0, again.output
    after = texts(db)
    assert len(after) == 200 and set(kept) <= set(after)


@pytest.fixture
def tls_cluster(tmp_path):
    certs = tmp_path / "certs"
    made = CliRunner().invoke(cli, ["cluster", "certs", str(certs)])
    assert made.exit_code == 0 and "dask scheduler --protocol tls" in made.output, made.output
    c = Cluster(tmp_path, certs=certs, nanny=True)
    yield c
    c.stop()


def test_a_tls_cluster_admits_only_who_holds_its_certificates(server, tmp_path, tls_cluster):
    from distributed import Client
    from distributed.security import Security

    from paperboy.flows.engines.cluster import make_certs

    assert tls_cluster.address.startswith("tls://")
    other = tmp_path / "other"
    make_certs(str(other))  # a certificate of another authority
    wrong = Security(tls_ca_file=str(other / "ca.pem"), tls_client_cert=str(other / "cluster.pem"),
                     tls_client_key=str(other / "cluster-key.pem"), require_encryption=True)  # fmt: skip
    with pytest.raises((OSError, TimeoutError)):
        Client(tls_cluster.address, timeout=3, security=wrong).close()
    import socket
    import ssl

    host, port = tls_cluster.address.removeprefix("tls://").rsplit(":", 1)
    bare = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # no certificate of its own
    bare.check_hostname, bare.verify_mode = False, ssl.CERT_NONE
    with pytest.raises((ssl.SSLError, OSError)):
        with socket.create_connection((host, int(port)), timeout=5) as raw, bare.wrap_socket(raw) as conn:
            conn.sendall(b"\0" * 8)
            assert conn.recv(1) == b""  # a server that admitted it would answer or wait; this one hangs up
    plain = tls_cluster.address.replace("tls://", "tcp://")
    with pytest.raises((OSError, TimeoutError)):
        Client(plain, timeout=3).close()

    serve_articles(server, 6)
    store.add_feed(connect(db_path := str(tmp_path / "tls.db")), server.url("/feed.xml"))
    without = run(db_path, "--dask", tls_cluster.address)
    assert without.exit_code == 1 and "needs certificates" in without.output and server.hits == []
    config = tmp_path / "paperboy.toml"
    config.write_text(f'[settings]\ndask_certs = "certs"\nallowed_hosts = ["127.0.0.1:{server.port}"]\n')
    done = CliRunner().invoke(cli, ["--db", db_path, "--config", str(config), "run", "--dask", tls_cluster.address])
    assert done.exit_code == 0, done.output
    assert len(texts(db_path)) == 6


def test_plain_tcp_to_another_machine_is_refused(server, db_path):
    serve_articles(server, 1)
    store.add_feed(connect(db_path), server.url("/feed.xml"))
    out = run(db_path, "--dask", "tcp://192.0.2.1:8786")  # refused before any connection is tried
    assert out.exit_code == 1 and "without TLS lets anyone run code" in out.output and server.hits == []


def test_a_worker_killed_with_its_nanny_mid_pass_costs_only_time(server, tmp_path, tls_cluster):
    kill = lambda: tls_cluster.kill(tls_cluster.workers[0])  # noqa: E731 - the nanny and its worker process, -9
    out, db = pass_cut_short(server, tmp_path, 120, tls_cluster.address, 'dask_certs = "certs"', kill)
    assert out.exit_code == 0, out.output
    stored = texts(db)
    assert len(stored) == 120 and len({url for url, _ in stored}) == 120
