"""Extraction on every core: the local executor, a pool of worker processes forked from a forkserver
that loaded the extractors once."""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util
import os
import signal
import threading
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, wait

from paperboy.core import internal_error
from paperboy.flows.engines.base import Result
from paperboy.flows.engines.jobs import Failed, PageJob, batch_time_limit, run_job_limited
from paperboy.flows.processes import exit_with


def start_worker(parent: int) -> None:
    """Run once in each worker at its start. (Nothing to load: the forkserver it was forked from
    loaded the extractors and their language model, see flows/engines/forkserver.py.) Ctrl-C reaches the
    whole process group: the worker leaves it to paperboy, which stops it, instead of printing a
    traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with(parent)


def _forkserver_context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["paperboy.flows.engines.forkserver"])
    return ctx


def start_forkserver() -> None:
    """Start the process the extraction workers are forked from, and return at once: it loads the
    extractors (a second of CPU, flows/engines/forkserver.py) while this process does other things, such as
    waiting for Prefect's server to start on the other core. Starting the pool later takes the
    forkserver already running (and waits for it to be ready)."""
    from multiprocessing import forkserver

    _forkserver_context()
    forkserver.ensure_running()


class ExtractPool:
    """Extraction on every core, in worker processes shared by every flow run of this process.

    Workers start once, forked from a forkserver that loaded the extractors (flows/engines/forkserver.py),
    and serve every batch after. A page is given up after `time_limit` seconds by an alarm in its
    worker; should a worker hang where no alarm reaches (inside C code), the pool is killed and
    started again, and the pages it held are failed with a reason. No pass waits on one page for
    longer than that.
    """

    _shared: dict[int, Executor] = {}
    _lock = threading.Lock()

    def __init__(self, workers: int = 0, time_limit: float = 30.0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.time_limit = time_limit

    def _pool(self) -> Executor:
        with self._lock:
            pool = self._shared.get(self.workers)
            if pool is None:
                pool = ProcessPoolExecutor(
                    self.workers, mp_context=_forkserver_context(), initializer=start_worker, initargs=(os.getpid(),)
                )
                self._shared[self.workers] = pool
            return pool

    def warm(self) -> None:
        """Start the workers now (their start-up then overlaps with polling the feeds)."""
        self._pool().submit(os.getpid)

    def map(self, jobs: list[PageJob]) -> list[Result]:
        """The jobs' results, in order. `jobs` is emptied once the pool has taken them all: a job (its
        page, compressed) is then held only until its worker is done with it."""
        if not jobs:
            return []
        rounds = -(-len(jobs) // self.workers)
        per_job = batch_time_limit(jobs, self.time_limit)
        pool = self._pool()
        try:
            futures = [pool.submit(run_job_limited, job, self.time_limit) for job in jobs]
        except BrokenExecutor:
            self._restart(pool)
            pool = self._pool()
            futures = [pool.submit(run_job_limited, job, self.time_limit) for job in jobs]
        jobs.clear()
        done, pending = wait(futures, timeout=per_job * (rounds + 1) + 10)
        if pending:  # a worker is stuck beyond the reach of its alarm
            self._restart(pool)
        out: list[Result] = []
        for f in futures:
            if f in pending:
                out.append(Failed(f"extraction did not finish within {self.time_limit:g} s (worker restarted)"))
                continue
            try:
                out.append(f.result())
            except BrokenExecutor:
                out.append(Failed("extraction worker died"))
            except Exception as exc:  # noqa: BLE001 - one page must not fail its batch
                out.append(Failed(internal_error(exc, "extraction failed")))
        return out

    def _restart(self, pool: Executor) -> None:
        with self._lock:
            if self._shared.get(self.workers) is pool:
                del self._shared[self.workers]
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    @classmethod
    def shutdown_all(cls) -> None:
        with cls._lock:
            pools = list(cls._shared.values())
            cls._shared.clear()
        for pool in pools:
            pool.shutdown(cancel_futures=True)


# Stop the workers when the process ends. In a multiprocessing child (Prefect's runner starts flow
# runs that way) exit joins every child process first: a finaliser with a high priority runs before
# that, and before the pool's own queues are closed (their finalisers have priority 10).
atexit.register(ExtractPool.shutdown_all)


multiprocessing.util.Finalize(None, ExtractPool.shutdown_all, exitpriority=100)
