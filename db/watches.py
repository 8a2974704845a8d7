"""Watches: saved searches matched against each pass's new articles, their matches, and the outbox
that delivers each match to a receiver until it says it has it. A watch's signing secret and its
receivers' URLs (tokens in them) are kept with the feeds' secrets, outside the archive
(db/credentials.py)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from . import credentials
from ._base import IN_LIST, now_iso, write
from .feeds import FEED_ARTICLES
from .reading import fts_query

BACKOFF_FIRST, BACKOFF_MAX = 60, 24 * 3600  # seconds before a failed delivery is tried again, doubling


@dataclass(frozen=True)
class Watch:
    id: int
    name: str
    query: str
    feed_id: int | None
    language: str | None
    webhook: str | None
    notify: str | None
    secret: str


def add_watch(
    db: sqlite_utils.Database, name: str, query: str, feed_id: int | None = None, language: str | None = None,
    webhook: str | None = None, notify: str | None = None,
) -> Watch:  # fmt: skip
    """A new watch, with a secret of its own to sign its webhook deliveries with."""
    with write(db):
        cursor = db.execute(
            "insert into watches (name, query, feed_id, language, secret, created_at) values (?, ?, ?, ?, '', ?)",
            [name, query, feed_id, language, now_iso()],
        )
        kept = {"secret": secrets.token_hex(32), "webhook": webhook, "notify": notify}
        credentials.set_watch_secrets(credentials.path_of(db), cursor.lastrowid or 0, kept)
    found = watch(db, name)
    assert found is not None
    return found


def watch(db: sqlite_utils.Database, name: str) -> Watch | None:
    row = db.execute(f"select {_COLUMNS} from watches where name = ?", [name]).fetchone()
    return _watch(row, credentials.watch_secrets(credentials.path_of(db))) if row else None


def list_watches(db: sqlite_utils.Database) -> list[tuple[Watch, int]]:
    """Every watch, by name, with how many articles it matched."""
    rows = db.execute(
        f"select {_COLUMNS}, (select count(*) from watch_matches m where m.watch_id = watches.id) "
        "from watches order by name"
    ).fetchall()
    kept = credentials.watch_secrets(credentials.path_of(db)) if rows else {}
    return [(_watch(row[:-1], kept), row[-1]) for row in rows]


def _watch(row: tuple, kept: dict[int, dict]) -> Watch:
    mine = kept.get(row[0], {})
    watch_id, name, query, feed_id, language = row
    return Watch(
        watch_id, name, query, feed_id, language, mine.get("webhook"), mine.get("notify"), mine.get("secret") or ""
    )


def remove_watch(db: sqlite_utils.Database, name: str) -> bool:
    with write(db):
        found = watch(db, name)
        if found:
            for table in ("outbox", "watch_matches"):
                db.execute(f"delete from {table} where watch_id = ?", [found.id])
            db.execute("delete from watches where id = ?", [found.id])
            credentials.set_watch_secrets(credentials.path_of(db), found.id, None)
    return found is not None


_COLUMNS = "id, name, query, feed_id, language"


def newest_id(db: sqlite_utils.Database) -> int:
    """The id of the newest article: the articles a pass stores come after it."""
    return db.execute("select coalesce(max(id), 0) from articles").fetchone()[0]


def matching(db: sqlite_utils.Database, w: Watch, after: int | None = None, limit: int | None = None) -> list[int]:
    """The ids of the articles `w` matches, newest first: those stored after the article `after`
    (a pass's new ones), or all. One query, its full-text match in the index."""
    found = fts_query(w.query)
    if found is None:
        return []
    fts, query = found
    sql = f"select a.id from {fts} join articles a on a.id = {fts}.rowid where {fts} match ? and a.pruned_at is null"
    params: list = [query]
    if after is not None:
        sql += f" and {fts}.rowid > ?"
        params.append(after)
    if w.feed_id is not None:
        sql += f" and a.id in {FEED_ARTICLES}"
        params += [w.feed_id, w.feed_id]
    if w.language:
        sql += " and a.language = ?"
        params.append(w.language)
    sql += " order by a.id desc" + (" limit ?" if limit else "")
    return [r[0] for r in db.execute(sql, [*params, *([limit] if limit else [])])]


def record_matches(db: sqlite_utils.Database, w: Watch, article_ids: list[int]) -> list[int]:
    """Record these matches, and a delivery for each receiver of the watch (its id stays the same
    through every retry, so a receiver can drop repeats); the ids of the matches that were new."""
    now = now_iso()
    with write(db):
        known = {r[0] for r in db.execute(
            f"select article_id from watch_matches where watch_id = ? and article_id in {IN_LIST}",
            [w.id, json.dumps(article_ids)])}  # fmt: skip
        fresh = [i for i in article_ids if i not in known]
        db.conn.executemany("insert into watch_matches values (?, ?, ?)", [(w.id, i, now) for i in fresh])
        channels = [(c, t) for c, t in (("webhook", w.webhook), ("apprise", w.notify)) if t]
        db.conn.executemany(  # the receiver's URL is read from the watch when it is sent: no secret here
            "insert or ignore into outbox (id, watch_id, article_id, channel, next_at) values (?, ?, ?, ?, ?)",
            [(f"{w.id}-{i}-{c}-{secrets.token_hex(4)}", w.id, i, c, now) for i in fresh for c, _ in channels],
        )
    return fresh


@dataclass(frozen=True)
class Delivery:
    id: str
    watch: str
    secret: str
    channel: str
    target: str
    attempts: int
    article: dict


# What a delivery carries of its article: the link its feed gave, and the canonical address.
ARTICLE = (
    "select a.id, a.title, coalesce((select link from entries e where e.article_id = a.id and e.link is not null "
    "limit 1), a.url) as url, a.url as canonical_url, a.authors, a.published, a.language, f.url as feed, a.text "
    "from articles a left join feeds f on f.id = a.feed_id where a.id = ?"
)


def due_deliveries(db: sqlite_utils.Database, limit: int = 500) -> list[Delivery]:
    """Deliveries not acknowledged yet whose time has come, oldest first, each with its article."""
    rows = db.execute(
        "select o.id, w.id, w.name, o.channel, o.attempts, o.article_id from outbox o "
        "join watches w on w.id = o.watch_id where o.delivered_at is null and o.next_at <= ? order by o.rowid limit ?",
        [now_iso(), limit],
    ).fetchall()
    kept = credentials.watch_secrets(credentials.path_of(db)) if rows else {}
    out = []
    for delivery_id, watch_id, name, channel, attempts, article_id in rows:
        mine = kept.get(watch_id, {})
        secret, target = mine.get("secret") or "", mine.get("webhook" if channel == "webhook" else "notify")
        row = next(db.query(ARTICLE, [article_id]), None)
        if row is not None and target:
            row["authors"] = json.loads(row["authors"] or "[]")
            out.append(Delivery(delivery_id, name, secret, channel, target, attempts, row))
    return out


def record_delivery(db: sqlite_utils.Database, delivery_id: str, error: str | None) -> None:
    """A delivery acknowledged (error None): never sent again; else tried again after a backoff."""
    with write(db):
        if error is None:
            db.execute("update outbox set delivered_at = ?, last_error = null where id = ?", [now_iso(), delivery_id])
            return
        (attempts,) = db.execute("select attempts from outbox where id = ?", [delivery_id]).fetchone()
        wait = min(BACKOFF_FIRST * 2**attempts, BACKOFF_MAX)
        later = (datetime.now(UTC) + timedelta(seconds=wait)).isoformat(timespec="seconds")
        db.execute(
            "update outbox set attempts = attempts + 1, next_at = ?, last_error = ? where id = ?",
            [later, error[:300], delivery_id],
        )
