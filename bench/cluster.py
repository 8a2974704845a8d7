"""A pass with its extraction on a Dask cluster, against the local pool, in the same run.

    python bench/cluster.py --shared ../shared      (also row 7 of `make bench`)

A local cluster of a `dask scheduler` and two single-threaded `dask worker`s (preloaded with the
extractors) on this machine's cores, and the local pool of as many processes: `paperboy run` from
an empty db over the same feeds of corpus pages, alternately on each (two runs each), pages/s of
each and their ratio. And the cost of the engine alone: a batch of 64 jobs with nothing to extract,
through each executor, ms per batch.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import CorpusServer, corpus, paperboy  # noqa: E402

DASK = str(Path(sys.executable).with_name("dask"))


class LocalCluster:
    """`dask scheduler` and `workers` single-threaded `dask worker`s, each a process group."""

    def __init__(self, tmp: Path, workers: int) -> None:
        file = tmp / "scheduler.json"
        common: dict = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
        self.procs = [
            subprocess.Popen(
                [
                    DASK,
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(file),
                ],
                **common,
            )  # fmt: skip
        ]
        while not (file.exists() and file.stat().st_size):
            time.sleep(0.2)
        self.address = json.loads(file.read_text())["address"]
        for _ in range(workers):
            self.procs.append(
                subprocess.Popen(
                    [
                        DASK,
                        "worker",
                        self.address,
                        "--nthreads",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--preload",
                        "paperboy.flows.engines.dask_preload",
                    ],
                    **common,
                )  # fmt: skip
            )
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=120)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            proc.wait(30)


def one_pass(server: CorpusServer, feeds: int, home: str, tmp: str, tag: str, *extra: str) -> float:
    """New articles per second of a pass from an empty db (the pass's own clock, after Prefect's start-up)."""
    db = str(Path(tmp) / f"{tag}.db")
    opml = Path(tmp) / f"{tag}.opml"
    opml.write_text("<opml version='2.0'><body>"
                    + "".join(f"<outline text='f{i}' xmlUrl='{server.base}/f/{i}.xml'/>" for i in range(feeds))
                    + "</body></opml>")  # fmt: skip
    paperboy(db, "feeds", "import", str(opml), home=home)
    _, _, out = paperboy(db, "run", "--json", *extra, home=home)
    summary = json.loads(out)
    return summary["articles"]["new"] / summary["seconds"]


def batch_overhead(address: str, workers: int) -> tuple[float, float]:
    """ms per batch of 64 jobs with nothing to extract: (the Dask cluster, the local pool)."""
    from paperboy.extractors import ExtractOptions
    from paperboy.flows.engines.cluster import DaskExtraction
    from paperboy.flows.engines.jobs import PageJob
    from paperboy.flows.engines.pool import ExtractPool

    def per_batch(executor) -> float:
        executor.map([PageJob("https://x.example/", None, ExtractOptions())] * 64)  # warm
        times = []
        for _ in range(20):
            jobs = [PageJob(f"https://x.example/{i}", None, ExtractOptions()) for i in range(64)]
            t0 = time.perf_counter()
            executor.map(jobs)
            times.append(time.perf_counter() - t0)
        return 1000 * statistics.median(times)

    dask = DaskExtraction(address, 30.0)
    try:
        remote = per_batch(dask)
    finally:
        dask.close()
    return remote, per_batch(ExtractPool(workers, 30.0))


def cluster_row(server: CorpusServer, feeds: int, home: str, tmp: str, runs: int = 2) -> str:
    workers = os.cpu_count() or 1
    cluster = LocalCluster(Path(tmp), workers)
    try:
        local, remote = [], []
        for i in range(runs):
            local.append(one_pass(server, feeds, home, tmp, f"local{i}"))
            remote.append(one_pass(server, feeds, home, tmp, f"dask{i}", "--dask", cluster.address))
        dask_ms, pool_ms = batch_overhead(cluster.address, workers)
    finally:
        cluster.stop()
    lo, re_ = statistics.median(local), statistics.median(remote)
    return (
        f"7. extraction on a local Dask cluster ({workers} single-threaded workers on the same {workers} cores), "
        f"median of {runs} passes each, alternated: {re_:.1f} new articles/s against {lo:.1f} with the local pool, "
        f"ratio {re_ / lo:.2f} (runs: Dask {', '.join(f'{r:.1f}' for r in remote)}; "
        f"local {', '.join(f'{r:.1f}' for r in local)}); a batch of 64 jobs with nothing to extract: "
        f"{dask_ms:.1f} ms through Dask, {pool_ms:.1f} ms through the local pool"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--feeds", type=int, default=40)
    ap.add_argument("--per-feed", type=int, default=20)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    found = corpus(Path(args.shared))
    if found is None:
        return 2
    _, pages, leads = found
    server = CorpusServer(pages, leads, args.feeds * 2 * args.runs, args.per_feed)
    with tempfile.TemporaryDirectory() as tmp:
        print(cluster_row(server, args.feeds, str(Path(tmp) / "prefect"), tmp, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
