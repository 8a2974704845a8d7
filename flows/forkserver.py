"""Imported by the extraction pool's forkserver, once, before it forks any worker.

It loads what every worker needs (trafilatura, the parsers and py3langid's language model, 74 MB)
and then freezes the garbage collector's view of those objects (gc.freeze: a collection in a worker
would otherwise write to every one of them, and copy their pages). The workers, forked from here,
share these pages instead of each loading a copy of its own.
"""

import gc

import extractors
from flows.work import WARM_PAGE

try:
    extractors.extract(WARM_PAGE, "http://localhost/warm")
except Exception:  # noqa: BLE001 - the forkserver must start: each worker warms up on its own too
    pass
gc.freeze()
