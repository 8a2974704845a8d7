"""Extraction on a Dask cluster: the `Extraction` the flows use (flows/pool.py), its jobs run by
`dask worker`s that loaded the extractors once (`--preload flows.dask_preload`) instead of by the
local pool.

What travels: each job with its page zstd-compressed, as the local pool gets it, and the article
back. What stays on the flow's machine: fetching (per-host limits, robots.txt and Retry-After holds
are one process's knowledge, so they hold for the whole cluster), and the archive (the flow is its
only writer; workers never open it). `distributed.Client` is used directly rather than Prefect's
DaskTaskRunner: a batch of 64 pages is then 64 Dask tasks and no Prefect task run each
(docs/performance.md has the measurement).

Faults: a worker that dies mid-batch has its jobs run again on another worker by the scheduler;
a job whose workers keep dying is failed with a reason (tried again on a later pass). A scheduler
that cannot be reached, or is lost mid-pass, raises ClusterLost: the pass stops, what it stored
stays, and the next pass takes up the rest.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flows.jobs import Failed, PageJob, run_jobs_limited
from flows.pool import Result

CONNECT_TIMEOUT = 10  # seconds to reach the scheduler
TASKS_PER_THREAD = 4  # tasks a batch is cut into per worker thread: fewer, and a slow page holds its neighbours


class ClusterLost(Exception):
    """The Dask scheduler cannot be reached, or was lost mid-pass."""


def dask_address(given: str | None = None) -> str | None:
    """The scheduler's address: --dask, else $PAPERBOY_DASK, else the config's dask_address."""
    return given or os.environ.get("PAPERBOY_DASK") or None


def check_scheduler(address: str) -> str | None:
    """Why the scheduler at `address` cannot be used, or None when it answers."""
    try:
        DaskExtraction(address, 1.0).close()
    except ClusterLost as exc:
        return str(exc)
    return None


class DaskExtraction:
    """Extraction jobs run on the Dask cluster at `address`, each given up after `time_limit` s."""

    def __init__(self, address: str, time_limit: float) -> None:
        self.address, self.time_limit = address, time_limit
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
        try:
            client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
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
        from distributed import wait

        if not jobs:
            return []
        client = self._client
        if client is None or client.status != "running":
            raise self._lost()
        per_job = self.time_limit * (2 if any(j.feed_text is not None for j in jobs) else 1)  # page, feed text
        threads = self._threads(client)
        size = max(1, -(-len(jobs) // (threads * TASKS_PER_THREAD)))
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        jobs.clear()
        futures = client.map(run_jobs_limited, chunks, limit=self.time_limit, pure=False)
        timeout = per_job * size * (-(-len(chunks) // threads) + 1) + 30
        try:
            with client.as_current():  # `wait` takes the current client; ours is not the process's default
                wait(futures, timeout=timeout)
        except (TimeoutError, OSError) as exc:
            if client.status != "running":
                raise self._lost() from exc
        except Exception as exc:  # noqa: BLE001 - the scheduler went away while waiting
            raise self._lost() from exc
        done = [f for f in futures if f.status == "finished"]
        values = dict(zip(done, client.gather(done), strict=True)) if done else {}
        out: list[Result] = []
        for future, chunk in zip(futures, chunks, strict=True):
            if future in values:
                out.extend(values[future])
            else:
                out.extend([self._failure(future)] * len(chunk))
        return out

    def _failure(self, future) -> Failed:
        from distributed.scheduler import KilledWorker

        if self._client is None or self._client.status != "running":
            raise self._lost()
        if future.status == "error":
            exc = future.exception()
            if isinstance(exc, KilledWorker):
                return Failed("extraction worker died (on every worker that tried this page)")
            return Failed(f"extraction failed: {type(exc).__name__}: {exc}"[:300])
        if future.status in ("cancelled", "lost"):
            raise self._lost()
        return Failed(f"extraction did not finish on the cluster within {self.time_limit:g} s a page")

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
