"""Starting the flow from the CLI: one run by hand, or a served deployment on a schedule."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from flows.ingest import ingest

DEPLOYMENT = "paperboy-ingest"


def _quiet_shutdown() -> None:
    """The ephemeral server logs errors while it shuts down; they are not the user's business."""
    for name in ("prefect", "prefect.server", "uvicorn", "uvicorn.error", "httpx", "prefect._internal"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def run_ingest(db_path: str, feeds: list[str], due: bool, config_path: str | None) -> dict:
    try:
        return ingest(db_path=os.path.abspath(db_path), feeds=feeds or None, due=due, config_path=config_path)
    finally:
        _quiet_shutdown()


def serve_ingest(db_path: str, config_path: str | None, *, cron: str | None, interval: int) -> None:
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    schedule = {"cron": cron} if cron else {"interval": timedelta(seconds=interval)}
    try:
        ingest.serve(
            name=DEPLOYMENT,
            parameters={"db_path": os.path.abspath(db_path), "due": True, "config_path": config_path,
                        "progress": False},
            # A run still going when the next is due is not doubled: the new one is cancelled.
            global_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
            # Stopping the process leaves the schedule active for the next `paperboy serve`.
            pause_on_shutdown=False,
            **schedule,
        )
    finally:
        _quiet_shutdown()
