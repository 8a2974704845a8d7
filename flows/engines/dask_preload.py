"""`dask worker tcp://SCHEDULER:8786 --nthreads 1 --preload paperboy.flows.engines.dask_preload`: a worker that loads
the extractors, their parsers and language model once, at its start, as the local pool's forkserver
does (flows/engines/forkserver.py), instead of on its first page."""

import paperboy.flows.engines.forkserver  # noqa: F401 - imported for what it loads
