"""A pass's archive and config, opened and read once a run.

`paperboy run` and `backfill` open the archive, read the config and (a pass) take its lock before
Prefect starts, so that a mistake is said at once rather than after the server's start-up; they
hand all three to the flow in the flow's context. A flow that was handed nothing (a deployment's
run, a test) opens its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from paperboy.db import connect
from paperboy.flows.config import Config, load_config


@dataclass(frozen=True)
class Opened:
    db_path: str  # absolute: the flow is told the archive by its path
    db: Any  # the store's handle (paperboy.db.connect)
    config: Config
    locked: bool = False  # the pass lock is held for the flow by whoever opened it


_HANDED: ContextVar[Opened | None] = ContextVar("paperboy_opened", default=None)


@contextmanager
def handing(opened: Opened) -> Iterator[None]:
    """The flows started in this context (and the threads given a copy of it) take `opened`."""
    token = _HANDED.set(opened)
    try:
        yield
    finally:
        _HANDED.reset(token)


def handed(db_path: str) -> Opened | None:
    """What the command that started this flow opened for the archive at `db_path`, if anything."""
    opened = _HANDED.get()
    return opened if opened is not None and opened.db_path == os.path.abspath(db_path) else None


def open_archive(db_path: str, config_path: str | None, dask: str | None = None) -> Opened:
    """The archive opened and the config read, `dask` (a request's --dask) over its dask_address."""
    cfg = load_config(config_path)
    if dask:
        cfg = replace(cfg, dask_address=dask)
    return Opened(os.path.abspath(db_path), connect(db_path), cfg)
