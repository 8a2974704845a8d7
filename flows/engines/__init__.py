"""The extraction engines: the `Extraction` interface (base), the local pool of worker processes
(pool, forkserver, memory), a Dask cluster (cluster, dask_preload), and the jobs they run (jobs).
The flows take one from `extraction_for`; nothing here imports the flows or the command line."""

from __future__ import annotations

from paperboy.flows.engines.base import Extraction, Result
from paperboy.flows.engines.pool import ExtractPool

__all__ = ["Extraction", "ExtractPool", "Result", "extraction_for"]


def extraction_for(workers: int, time_limit: float, dask: str | None = None, certs: str | None = None) -> Extraction:
    """The executor of this process's passes: the Dask cluster at `dask` when one is given, else the
    local pool of worker processes. `certs`: the folder of the cluster's TLS certificates."""
    if dask:
        from paperboy.flows.engines.cluster import DaskExtraction

        return DaskExtraction(dask, time_limit, certs)
    return ExtractPool(workers, time_limit)
