"""Imported by the extraction pool's forkserver, once, before it forks any worker.

It loads what every worker needs (trafilatura, the parsers and py3langid's language model, 74 MB)
and then freezes the garbage collector's view of those objects (gc.freeze: a collection in a worker
would otherwise write to every one of them, and copy their pages). The workers, forked from here,
share these pages instead of each loading a copy of its own.
"""

import gc

import extractors
import flows.work  # noqa: F401 - what the workers unpickle their jobs with

WARM_PAGE = (
    "<html lang='en'><head><title>Warm</title></head><body><article><h1>Warm</h1>"
    + "<p>The workers load their language models and parsers on a first page, before the clock runs.</p>" * 3
    + "</article></body></html>"
)

try:
    extractors.extract(WARM_PAGE, "http://localhost/warm")
except Exception:  # noqa: BLE001 - the forkserver must start: the workers' first page then loads it all
    pass
gc.freeze()
