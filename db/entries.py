"""Entries: the items feeds listed and what became of each; the backlog a backfill has still to fetch."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator

import sqlite_utils

from paperboy.core import Entry, url_key

from ._base import IN_LIST, MAX_ATTEMPTS, _day_range, _in, now_iso, write

# --- entries ------------------------------------------------------------------------------------


def _entry_row(feed_id: int, e: Entry, now: str) -> dict:
    return {
        "feed_id": feed_id, "key": e.key, "guid": e.guid, "link": e.link, "title": e.title,
        "authors": json.dumps(list(e.authors)), "published": e.published, "content": e.content,
        "status": "pending", "attempts": 0, "first_seen_at": now, "updated_at": now,
    }  # fmt: skip


def _row_entry(feed_url: str, row: dict) -> Entry:
    return Entry(
        feed_url=feed_url, key=row["key"], guid=row["guid"], link=row["link"], title=row["title"],
        authors=tuple(json.loads(row["authors"] or "[]")), published=row["published"], content=row["content"],
    )  # fmt: skip


def article_for_keys(db: sqlite_utils.Database, keys: Iterable[str]) -> int | None:
    return next((row[1] for row in _in(db, "select key, article_id from article_urls where key in ({})", [],
                                       [k for k in keys if k])), None)  # fmt: skip


def new_entries(
    db: sqlite_utils.Database, feed_id: int, feed_url: str, entries: Iterable[Entry], limit: int
) -> tuple[list[Entry], int]:
    """Record unseen entries; return (entries whose page should be fetched, count of duplicates).

    Storage says what is new: an entry already seen is not returned, unless an earlier fetch of its
    page failed and it has tries left. An entry whose link is an article already stored (reached
    through another feed or another address) is recorded as a duplicate and not fetched. At most
    `limit` entries are returned, the newly seen first: the rest stay pending for later passes.
    """
    now = now_iso()
    entries = list({e.key: e for e in reversed(list(entries))}.values())[::-1]  # one per key, the first kept
    with write(db):
        known = {r[0] for r in _in(db, "select key from entries where feed_id = ? and key in ({})", [feed_id],
                                   [e.key for e in entries])}  # fmt: skip
        fresh = [e for e in entries if e.key not in known]
        stored = _insert_entries(db, feed_id, fresh, now, "pending")
        todo = [e for e, article in zip(fresh, stored, strict=True) if article is None][:limit]
        duplicates = sum(1 for article in stored if article is not None)
        # Entries left pending (by a killed pass, or beyond an earlier pass's portion) come next, oldest
        # first; then earlier failures and feed-text fallbacks get another try.
        taken = {e.key for e in todo}
        if len(todo) < limit:
            for row in db.query(
                "select * from entries where feed_id = ? and status in ('failed', 'fallback', 'pending') "
                "and attempts < ? order by status != 'pending', rowid limit ?",
                [feed_id, MAX_ATTEMPTS, limit + len(taken)],
            ):
                if row["key"] not in taken and len(todo) < limit:
                    todo.append(_row_entry(feed_url, row))
    return todo, duplicates


# --- the backlog: what a backfill found and has still to fetch ---------------------------------
# Backlog entries carry status "backlog:<source>": the scheduled passes leave them alone (a backfill
# keeps its own, slower pace), and the summary of a backfill can be given by source.


def record_backlog(db: sqlite_utils.Database, feed_id: int, source: str, entries: Iterable[Entry]) -> Counter:
    """Record found entries to fetch later.

    Counts: queued (in the backlog, to fetch), known (seen before and dealt with: stored, failed...),
    already_stored (its address is an article already).
    """
    now = now_iso()
    given = list(entries)
    entries = list({e.key: e for e in reversed(given)}.values())[::-1]
    # Every entry found is counted once: queued (to fetch), known (found before: in the backlog
    # already, stored, failed for good), or already stored; so the summary adds up.
    counts: Counter = Counter(known=len(given) - len(entries))  # the same item twice in one round
    if not entries:
        return +counts
    with write(db):
        known = dict(_in(db, "select key, status from entries where feed_id = ? and key in ({})", [feed_id],
                         [e.key for e in entries]))  # fmt: skip
        retry = [k for k, status in known.items() if status == "failed"]  # an earlier fetch failed: try again
        db.conn.executemany(
            "update entries set status = ? where feed_id = ? and key = ?",
            [(f"backlog:{source}", feed_id, k) for k in retry],
        )
        for status in known.values():
            counts["queued" if status == "failed" else "known"] += 1
        fresh = [e for e in entries if e.key not in known]
        stored = _insert_entries(db, feed_id, fresh, now, f"backlog:{source}")
        counts["queued"] += sum(1 for article in stored if article is None)
        counts["already_stored"] += sum(1 for article in stored if article is not None)
    return +counts


def _backlog_where(feed_ids: Iterable[int], source: str, since: str | None, until: str | None) -> tuple[str, list]:
    feed_ids = list(feed_ids)
    sql = f"status = ? and feed_id in {IN_LIST}"
    days, day_params = _day_range("published", since, until)
    return sql + days, [f"backlog:{source}", json.dumps(feed_ids), *day_params]


def backlog_size(
    db: sqlite_utils.Database, feed_ids: Iterable[int], source: str, since: str | None = None, until: str | None = None
) -> int:
    sql, params = _backlog_where(feed_ids, source, since, until)
    return db.execute(f"select count(*) from entries where {sql}", params).fetchone()[0]


def backlog(
    db: sqlite_utils.Database,
    feed_urls: dict[int, str],
    source: str,
    since: str | None = None,
    until: str | None = None,
) -> Iterator[tuple[int, Entry]]:
    """(feed id, entry) of the backlog of these feeds from one source, oldest found first; read a
    page of rows at a time, so that the statuses can change while it is walked."""
    sql, params = _backlog_where(feed_urls, source, since, until)
    last = 0
    while True:
        rows = list(db.query(f"select rowid, * from entries where {sql} and rowid > ? order by rowid limit 256",
                             [*params, last]))  # fmt: skip
        if not rows:
            return
        yield from ((r["feed_id"], _row_entry(feed_urls[r["feed_id"]], r)) for r in rows)
        last = rows[-1]["rowid"]


def _insert_entries(
    db: sqlite_utils.Database, feed_id: int, entries: list[Entry], now: str, status: str
) -> list[int | None]:
    """Record unseen entries with `status`, in one statement; for each, the stored article its link
    already is (the entry is then recorded as a "duplicate" of it), else None."""
    links = {e.link: url_key(e.link) for e in entries if e.link}
    stored = dict(_in(db, "select key, article_id from article_urls where key in ({})", [], set(links.values())))
    rows, out = [], []
    for e in entries:
        article = stored.get(links[e.link]) if e.link else None
        row = _entry_row(feed_id, e, now)
        if article is None:
            row.update(status=status, article_id=None)
        else:
            row.update(status="duplicate", article_id=article)
        rows.append(row)
        out.append(article)
    if rows:
        columns = list(rows[0])
        db.conn.executemany(
            f"insert or ignore into entries ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
            [[r[c] for c in columns] for r in rows],
        )
    return out
