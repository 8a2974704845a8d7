"""What every part of the store shares: one write transaction, chunked IN lists, the time."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlite_utils

from paperboy.core import PaperboyError

MAX_ATTEMPTS = 5  # page fetches tried for an entry before it is given up (its feed text stays)
# A list of any length as one parameter (a JSON array): an IN list of one variable per value fails
# past SQLite's limit (32,766 on default builds), which one large feed reaches.
IN_LIST = "(select value from json_each(?))"


class ArchiveDamaged(PaperboyError):
    """The archive itself is at fault (a table, a column or an index gone, a damaged file), not the
    item being stored: the pass stops, and no item is charged an attempt for it."""


# What SQLite says of an archive whose schema or file is damaged; an item's own faults say otherwise.
_DAMAGE = ("no such table", "no such column", "has no column named", "malformed", "not a database",
           "no such index", "disk i/o error", "no such function", "no such module")  # fmt: skip


def damage(exc: BaseException) -> str | None:
    """What is damaged, when `exc` says the archive is (see ArchiveDamaged); else None."""
    text = str(exc)
    return text if isinstance(exc, sqlite3.DatabaseError) and any(d in text.lower() for d in _DAMAGE) else None


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def write(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, taken with BEGIN IMMEDIATE so a concurrent writer waits, never fails."""
    conn = db.conn
    if conn.in_transaction:  # nested: sqlite-utils' savepoints
        with db.atomic():
            yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


LOOKUP_CHUNK = 500  # parameters in one IN (...) list


def _in(db: sqlite_utils.Database, sql: str, params: list, values: Iterable) -> Iterator[tuple]:
    """Rows of `sql` whose IN list ({}) takes `values`, a chunk at a time."""
    values = list(values)
    for k in range(0, len(values), LOOKUP_CHUNK):
        chunk = values[k : k + LOOKUP_CHUNK]
        yield from db.execute(sql.format(",".join("?" * len(chunk))), [*params, *chunk]).fetchall()


def _insert(db: sqlite_utils.Database, table: str, row: dict) -> int:
    """A plain INSERT: sqlite-utils' insert() re-reads the table's schema on every call."""
    columns = ", ".join(row)
    cursor = db.execute(f"insert into {table} ({columns}) values ({', '.join('?' * len(row))})", list(row.values()))
    assert cursor.lastrowid is not None  # an INSERT into a rowid table always sets it
    return cursor.lastrowid


def _day_range(column: str, since: str | None, until: str | None) -> tuple[str, list]:
    """` and …` conditions keeping rows whose day (the first 10 characters of `column`) is in the
    inclusive range; an empty condition when no bound is given."""
    sql, params = "", []
    if since:
        sql += f" and substr({column}, 1, 10) >= ?"
        params.append(since[:10])
    if until:
        sql += f" and substr({column}, 1, 10) <= ?"
        params.append(until[:10])
    return sql, params
