# `make run` and `make test` set everything up on a fresh machine (Python 3.11+ and make).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: run test test-fast browser lint eval eval-stories bench bench-hostile bench-pages bench-scale bench-streams bench-workpool install

# What running needs (`make run`); what testing, linting and the benchmarks need besides (`make test`).
# (setuptools warns of a folder named as the package beside an editable install: here it is the package)
QUIET_EDITABLE := PYTHONWARNINGS="ignore:Editable installation"

$(BIN)/paperboy: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(QUIET_EDITABLE) $(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev: $(BIN)/paperboy
	$(QUIET_EDITABLE) $(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/paperboy

# The demo finishes whenever the pass ran: with no network every feed fails, `paperboy run` exits 1
# (nothing could be done) and its summary says why; a usage error or a crash still stops make.
run: $(BIN)/paperboy
	$(BIN)/paperboy feeds import feeds.toml
	$(BIN)/paperboy run || { code=$$?; [ $$code -eq 1 ] || [ $$code -eq 3 ] || exit $$code; }

# Three test processes on two cores: a third of the suite's time is spent waiting on real processes.
TEST_JOBS ?= 3

test: $(VENV)/.dev browser
	$(BIN)/python -m pytest -q -n $(TEST_JOBS)

# The suite less the tests that start a browser, a Dask cluster or a Prefect server of their own, or
# kill passes in processes of their own.
test-fast: $(VENV)/.dev
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) -m "not browser and not cluster and not server and not kill"

# The browse tests drive Debian's Chromium (Playwright cannot download a browser here). Installed when
# missing and possible; where not, those tests say so and are skipped.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1; } || \
	  echo "no Chromium here: the browser tests will be skipped"

lint: $(VENV)/.dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

eval: $(VENV)/.dev
	$(BIN)/python bench/eval.py --shared $(SHARED)

eval-stories: $(VENV)/.dev
	$(BIN)/python bench/stories.py --shared $(SHARED)

bench: $(VENV)/.dev
	$(BIN)/python bench/bench.py --shared $(SHARED)

bench-hostile: $(VENV)/.dev
	$(BIN)/python bench/hostile.py

# extraction of pages of 1,000 to 16,000 paragraphs beside trafilatura.extract (about 15 s)
bench-pages: $(VENV)/.dev
	$(BIN)/python bench/pages.py

# feeds import of 1 M outlines and backfill --urls of 1.6 M lines: peak memory (about two minutes)
bench-streams: $(VENV)/.dev
	$(BIN)/python bench/streams.py

# 100,000 feeds and an archive of 5 M articles: about an hour and 40 GB of disk (SCALE_ARGS to change).
bench-scale: $(VENV)/.dev
	$(BIN)/python bench/scale.py --shared $(SHARED) $(SCALE_ARGS)

# prefect.yaml's deployments on a process work pool, extraction on a Dask cluster, once end to end.
bench-workpool: $(VENV)/.dev
	$(BIN)/python bench/workpool.py
