"""What outlives a pass: Retry-After holds of hosts, and backfill jobs' checkpoints."""

from __future__ import annotations

import json
import time

import sqlite_utils

from ._base import now_iso, write

# --- Retry-After holds and backfill checkpoints -------------------------------------------------


def host_holds(db: sqlite_utils.Database) -> tuple[tuple[str, float], ...]:
    """(host, epoch) of every Retry-After hold still running."""
    return tuple(db.execute("select host, until from host_holds where until > ?", [time.time()]).fetchall())


def save_holds(db: sqlite_utils.Database, holds: dict[str, float]) -> None:
    if not holds:
        return
    with write(db):
        db.conn.executemany(
            "insert into host_holds (host, until) values (?, ?) "
            "on conflict(host) do update set until = max(until, excluded.until)",
            list(holds.items()),
        )
        db.execute("delete from host_holds where until <= ?", [time.time()])


def job_state(db: sqlite_utils.Database, key: str, params: dict) -> dict | None:
    """The checkpoint of an unfinished backfill job with this key, or None (and the job is started)."""
    row = db.execute("select state, finished_at from backfill_jobs where key = ?", [key]).fetchone()
    now = now_iso()
    with write(db):
        if row is None or row[1] is not None:
            db.execute(
                "insert or replace into backfill_jobs (key, params, state, started_at, updated_at, finished_at) "
                "values (?, ?, '{}', ?, ?, null)",
                [key, json.dumps(params, sort_keys=True), now, now],
            )
            return None
    return json.loads(row[0] or "{}")


def save_job_state(db: sqlite_utils.Database, key: str, state: dict, finished: bool = False) -> None:
    now = now_iso()
    with write(db):
        db.execute(
            "update backfill_jobs set state = ?, updated_at = ?, finished_at = ? where key = ?",
            [json.dumps(state, sort_keys=True), now, now if finished else None, key],
        )
