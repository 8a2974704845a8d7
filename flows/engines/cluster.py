"""Extraction on a Dask cluster: the `Extraction` the flows use (flows/engines/pool.py), its jobs run by
`dask worker`s that loaded the extractors once (`--preload paperboy.flows.engines.dask_preload`) instead of by the
local pool.

What travels: each job with its page zstd-compressed, as the local pool gets it, and the article
back. What stays on the flow's machine: fetching (per-host limits, robots.txt and Retry-After holds
are one process's knowledge, so they hold for the whole cluster), and the archive (the flow is its
only writer; workers never open it). `distributed.Client` is used directly rather than Prefect's
DaskTaskRunner: a batch of 64 pages is then 64 Dask tasks and no Prefect task run each
(docs/performance.md has the measurement).

Faults: a worker that dies mid-batch (killed, out of memory, with or without its nanny) has its
jobs run again on another worker by the scheduler, and a result that died with its worker is asked
for again; a job whose workers keep dying is failed with a reason (tried again on a later pass).
Only a scheduler that cannot be reached, or is lost mid-pass, raises ClusterLost: the pass stops,
what it stored stays, and the next pass takes up the rest.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from paperboy.core import PaperboyError, internal_error
from paperboy.flows.engines.base import Result
from paperboy.flows.engines.jobs import Failed, PageJob, batch_time_limit, run_jobs_limited

CONNECT_TIMEOUT = 10  # seconds to reach the scheduler
TASKS_PER_THREAD = 4  # tasks a batch is cut into per worker thread: fewer, and a slow page holds its neighbours
LOST_RUNS = 3  # times a task whose results died with their worker is run again before its pages fail


class ClusterLost(PaperboyError):
    """The Dask scheduler cannot be reached, or was lost mid-pass."""


CERT_FILES = ("ca.pem", "cluster.pem", "cluster-key.pem")  # in the folder `paperboy cluster certs` makes
LOOPBACK = re.compile(r"^tcp://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$")


def check_scheduler(address: str, certs: str | None = None) -> str | None:
    """Why the scheduler at `address` cannot be used, or None when it answers."""
    try:
        DaskExtraction(address, 1.0, certs).close()
    except ClusterLost as exc:
        return str(exc)
    return None


def security(address: str, certs: str | None):
    """The TLS a client of `address` presents and asks for: mutual, with the certificates in the
    folder `certs`. Plain tcp:// only to this machine's own scheduler: anyone who can reach a
    scheduler without TLS can run code on its workers, and through a worker in paperboy itself."""
    from distributed.security import Security

    if address.startswith("tls://"):
        if not certs:
            raise ClusterLost(f"{address} needs certificates: dask_certs in the config (paperboy cluster certs DIR)")
        files = [os.path.join(certs, name) for name in CERT_FILES]
        missing = [f for f in files if not os.path.isfile(f)]
        if missing:
            raise ClusterLost(f"no {missing[0]}: dask_certs names a folder that `paperboy cluster certs` made")
        ca, cert, key = files
        return Security(tls_ca_file=ca, tls_client_cert=cert, tls_client_key=key, require_encryption=True)
    if not LOOPBACK.match(address):
        raise ClusterLost(
            f"{address}: a scheduler on another machine without TLS lets anyone run code on its workers; "
            "use tls:// with certificates (paperboy cluster certs DIR, dask_certs in the config)"
        )
    return Security()


def make_certs(folder: str, days: int = 825) -> list[str]:
    """A certificate authority of the cluster's own and one certificate it signed, shared by the
    scheduler, the workers and paperboy: Dask's TLS then admits only who holds them. The authority's
    key is not kept, so no one can sign another. The files written."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def signed(subject: str, public, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name("paperboy cluster CA"))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        return builder.sign(ca_key, hashes.SHA256())

    os.makedirs(folder, mode=0o700, exist_ok=True)
    pem = serialization.Encoding.PEM
    contents = {
        "ca.pem": signed("paperboy cluster CA", ca_key.public_key(), True).public_bytes(pem),
        "cluster.pem": signed("paperboy cluster", key.public_key(), False).public_bytes(pem),
        "cluster-key.pem": key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    }
    written = []
    for file, data in contents.items():
        path = os.path.join(folder, file)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        written.append(path)
    return written


class DaskExtraction:
    """Extraction jobs run on the Dask cluster at `address`, each given up after `time_limit` s;
    `certs`: the folder of its TLS certificates (tls:// addresses)."""

    def __init__(self, address: str, time_limit: float, certs: str | None = None) -> None:
        self.address, self.time_limit, self.certs = address, time_limit, certs
        self._client: Any = None
        self._nthreads, self._threads_at = 1, float("-inf")
        self._connect()

    def _connect(self):
        """The process's client of this scheduler (every pass of `serve` shares it), made when needed."""
        from distributed import Client

        client = _CLIENTS.get(self.address)
        if client is not None and client.status == "running":
            self._client = client
            return client
        tls = security(self.address, self.certs)
        try:
            client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False, security=tls)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterLost(
                f"cannot reach the Dask scheduler at {self.address}: {exc or type(exc).__name__}"
            ) from exc
        self._client = _CLIENTS[self.address] = client
        return client

    def warm(self) -> None:
        """Nothing to start: the workers loaded the extractors when they started."""

    def map(self, jobs: list[PageJob]) -> list[Result]:
        """The jobs' results, in order: a few Dask tasks a worker thread, each a run of jobs (a task
        costs the scheduler about a millisecond; one a page cost a batch 200 ms), waited for at once."""

        if not jobs:
            return []
        client = self._client
        if client is None or client.status != "running":
            raise self._lost()
        per_job = batch_time_limit(jobs, self.time_limit)
        threads = self._threads(client)
        size = max(1, -(-len(jobs) // (threads * TASKS_PER_THREAD)))
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        jobs.clear()
        futures = client.map(run_jobs_limited, chunks, limit=self.time_limit, pure=False)
        timeout = per_job * size * (-(-len(chunks) // threads) + 1) + 30
        results: list[list[Result] | None] = [None] * len(chunks)
        for attempt in range(LOST_RUNS + 1):
            todo = [i for i, r in enumerate(results) if r is None]
            self._wait(client, [futures[i] for i in todo], timeout)
            lost = []
            for i in todo:
                results[i] = self._value(client, futures[i], len(chunks[i]))
                if results[i] is None:
                    lost.append(i)
            for i in lost:  # its worker died holding it: the scheduler is there, so it runs again
                if attempt < LOST_RUNS:
                    futures[i] = client.submit(run_jobs_limited, chunks[i], limit=self.time_limit, pure=False)
                else:
                    results[i] = [Failed("extraction lost with its worker on every run")] * len(chunks[i])
        return [r for chunk in results for r in chunk or ()]

    def _wait(self, client, futures: list, timeout: float) -> None:
        from distributed import wait

        try:
            with client.as_current():  # `wait` takes the current client; ours is not the process's default
                wait(futures, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - a timeout, or the scheduler went away while waiting
            if client.status != "running":
                raise self._lost() from exc

    def _value(self, client, future, count: int) -> list[Result] | None:
        """A task's results; None when they were lost with a worker (run it again)."""
        from distributed.scheduler import KilledWorker

        if client.status != "running":
            raise self._lost()
        if future.status == "finished":
            try:
                return future.result(timeout=CONNECT_TIMEOUT * 3)
            except Exception as exc:  # noqa: BLE001 - the worker holding it died before it reached us
                if client.status != "running":
                    raise self._lost() from exc
                return None
        if future.status == "error":
            error = future.exception()
            if isinstance(error, KilledWorker):
                return [Failed("extraction worker died (on every worker that tried this page)")] * count
            return [Failed(internal_error(error, "extraction failed"))] * count
        if future.status in ("cancelled", "lost"):
            return None
        return [Failed(f"extraction did not finish on the cluster within {self.time_limit:g} s a page")] * count

    def _lost(self) -> ClusterLost:
        return ClusterLost(f"lost the Dask scheduler at {self.address}; stored articles stay, the next pass resumes")

    def _threads(self, client) -> int:
        """The cluster's worker threads, asked again at most every 30 s (workers come and go)."""
        now = time.monotonic()
        if now - self._threads_at > 30:
            workers = client.scheduler_info(n_workers=-1).get("workers", {}).values()
            self._nthreads = max(1, sum(w.get("nthreads", 1) for w in workers))
            self._threads_at = now
        return self._nthreads

    def close(self) -> None:
        client = _CLIENTS.pop(self.address, None)
        if client is not None:
            client.close()
        self._client = None


_CLIENTS: dict = {}  # scheduler address -> distributed.Client
