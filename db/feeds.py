"""Feeds: following, editing and removing them; their health and their next poll."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import MISSING, fields

import sqlite_utils

from paperboy.core import Feed, FeedAccess, FeedPoll, origin_of, split_credentials

from . import _cjk, credentials
from ._base import IN_LIST, _insert, now_iso, write

# --- feeds --------------------------------------------------------------------------------------


def add_feed(
    db: sqlite_utils.Database,
    url: str,
    name: str | None = None,
    access: FeedAccess | None = None,
    folder: str | None = None,
    site_url: str | None = None,
) -> bool:
    """Follow a feed; a removed one is followed again, with its articles and memory. False when
    it is followed already. A user name and password in `url`, and `access`, go to the feed's
    secrets (db/credentials.py), never into the archive; given for a feed followed already, they
    replace its own."""
    url, user, password = split_credentials(url)
    if user is not None or password is not None:
        given = FeedAccess(origin_of(url), user, password)
        access = access.updated(given) if access else given
    with write(db):
        row = db.execute("select id, removed_at from feeds where url = ?", [url]).fetchone()
        if row:
            db.execute(
                "update feeds set removed_at = null, name = coalesce(?, name), folder = coalesce(?, folder), "
                "site_url = coalesce(site_url, ?) where id = ?",
                [name, folder, site_url, row[0]],
            )
            feed_id, added = row[0], row[1] is not None
        else:
            fields = {"url": url, "name": name, "added_at": now_iso(), "consecutive_errors": 0, "disabled": 0,
                      "folder": folder, "site_url": site_url}  # fmt: skip
            feed_id, added = _insert(db, "feeds", fields), True
        if access:
            set_access(db, feed_id, access)
    return added


def set_access(db: sqlite_utils.Database, feed_id: int, access: FeedAccess | None) -> None:
    """Give a feed these secrets over those it has (None: forget them all)."""
    path = credentials.path_of(db)
    secrets = credentials.read(path)
    if access is None:
        secrets.pop(feed_id, None)
    else:
        secrets[feed_id] = secrets[feed_id].updated(access) if feed_id in secrets else access
    credentials.write(path, secrets)


def feed_access(db: sqlite_utils.Database) -> dict[int, FeedAccess]:
    """Every feed's secrets, by feed id."""
    return credentials.read(credentials.path_of(db))


def remove_feed(db: sqlite_utils.Database, url: str, purge: bool = False) -> tuple[int, int] | None:
    """Stop following a feed. Its row stays, marked removed, so that its articles keep their feed
    and its memory of items stays (adding it again restores both); `purge` deletes the feed with
    its items and the articles no other feed links (their pages and addresses too): an article
    another feed links stays, now that feed's. (articles deleted, articles kept); None when no
    such feed."""
    with write(db):
        row = db.execute("select id from feeds where url = ?", [url]).fetchone()
        if not row:
            return None
        feed_id = row[0]
        if not purge:
            db.execute("update feeds set removed_at = ? where id = ?", [now_iso(), feed_id])
            return 0, 0
        linked = [r[0] for r in db.execute(f"select id from {FEED_ARTICLES}", [feed_id, feed_id])]
        others = dict(
            db.execute(
                f"select article_id, min(feed_id) from entries where article_id in {IN_LIST} and feed_id != ? "
                "group by article_id",
                [json.dumps(linked), feed_id],
            ).fetchall()
        )
        gone = json.dumps([i for i in linked if i not in others])
        for sql in (
            f"delete from {_cjk.TABLE} where rowid in {IN_LIST}",
            f"delete from raw_pages where article_id in {IN_LIST}",
            f"delete from article_urls where article_id in {IN_LIST}",
            f"delete from story_bands where article_id in {IN_LIST}",
            f"delete from story_sigs where article_id in {IN_LIST}",
            f"delete from articles where id in {IN_LIST}",
        ):
            db.execute(sql, [gone])
        db.conn.executemany(
            "update articles set feed_id = ? where id = ? and feed_id = ?",
            [(other, article, feed_id) for article, other in others.items()],
        )
        db.execute("delete from entries where feed_id = ?", [feed_id])
        db.execute("delete from feeds where id = ?", [feed_id])
        set_access(db, feed_id, None)
    return len(linked) - len(others), len(others)


# How many articles a feed links (parameter: its id): its items' articles, each once, read from the
# (feed_id, article_id) index alone: at 100,000 feeds FEED_ARTICLES' union took the count 0.45 s, this
# 0.14 s (docs/performance.md). An article stored through a feed has an entry of it.
FEED_ARTICLE_COUNT = "(select count(distinct article_id) from entries where feed_id = ? and article_id is not null)"

# A feed's articles (parameters: its id, twice): those its items link, and those first stored through it.
FEED_ARTICLES = (
    "(select article_id as id from entries where feed_id = ? and article_id is not null "
    "union select id from articles where feed_id = ?)"
)


PAUSED, GONE = 1, 2  # feeds.disabled: by the user, or by the publisher (HTTP 410); 0 polls it

FEED_ARTICLES_BY_URL = (  # the same of a feed named by its URL (twice)
    "(select e.article_id from entries e join feeds ff on ff.id = e.feed_id "
    "where ff.url = ? and e.article_id is not null "
    "union select a2.id from articles a2 join feeds ff on ff.id = a2.feed_id where ff.url = ?)"
)


def edit_feed(db: sqlite_utils.Database, url: str, **changes: object) -> bool:
    """Change a followed feed: name, min_interval (seconds, None for the global one), disabled
    (paused). False when no such feed is followed."""
    with write(db):
        row = db.execute("select id from feeds where url = ? and removed_at is null", [url]).fetchone()
        if row and changes:
            db.table("feeds").update(row[0], changes)
    return row is not None


def list_feeds(db: sqlite_utils.Database) -> list[Feed]:
    """The feeds followed (not the removed ones), with their article counts."""
    return list(each_feed(db))


def each_feed(db: sqlite_utils.Database) -> Iterator[Feed]:
    """list_feeds one at a time, as the db gives them: 100,000 feeds are never all held."""
    return (Feed(*row) for row in _followed(db))


# What `feeds list` shows of a feed, in this order.
HEALTH_FIELDS = (
    "id", "url", "name", "title", "disabled", "consecutive_errors", "articles", "last_polled_at",
    "last_success_at", "next_poll_at", "last_error", "last_error_at", "moved_to",
)  # fmt: skip


def each_feed_health(db: sqlite_utils.Database) -> Iterator[tuple]:
    """For each feed followed, HEALTH_FIELDS as a plain tuple: at 100,000 feeds, reading only these
    and making no Feed of them halves `feeds list`'s time."""
    return iter(_followed(db, HEALTH_FIELDS))


def _followed(db: sqlite_utils.Database, only: tuple[str, ...] = ()) -> sqlite3.Cursor:
    """The feeds followed, by id, with their article counts: a Feed's columns, or `only` these."""
    have = db.table("feeds").columns_dict  # a read-only db of an older paperboy lacks some columns
    where = "where f.removed_at is null " if "removed_at" in have else ""
    return db.execute(f"select {_feed_columns(have, count_articles=True, only=only)} from feeds f {where}order by f.id")


def ids_to_poll(
    db: sqlite_utils.Database, urls: Iterable[str] = (), due_only: bool = False
) -> list[tuple[int, str, int]]:
    """(id, url, failing: 1 when its last poll failed) of each feed a pass polls (all, these `urls`,
    or the due ones): at 100,000 feeds 18 MB, where their Feeds take 46 MB; `feeds_by_id` reads a
    batch's Feeds as its turn comes."""
    where, params = _to_poll(urls, due_only)
    return db.execute(f"select f.id, f.url, coalesce(f.consecutive_errors, 0) > 0 {where}", params).fetchall()


def is_followed(db: sqlite_utils.Database, url: str) -> bool:
    return db.execute("select 1 from feeds where url = ? and removed_at is null", [url]).fetchone() is not None


def next_due(db: sqlite_utils.Database) -> str | None:
    """When the next feed a pass would poll is due (ISO 8601, UTC); None when none is polled."""
    row = db.execute("select min(next_poll_at) from feeds where disabled = 0 and removed_at is null").fetchone()
    return row[0] if row else None


def any_to_poll(db: sqlite_utils.Database, urls: Iterable[str] = (), due_only: bool = False) -> bool:
    where, params = _to_poll(urls, due_only)
    return db.execute(f"select 1 {where} limit 1", params).fetchone() is not None


def feeds_by_id(db: sqlite_utils.Database, ids: Iterable[int]) -> list[Feed]:
    """The feeds of these ids still followed, in the order given."""
    ids = list(ids)
    columns = _feed_columns(db.table("feeds").columns_dict)
    rows = db.execute(f"select {columns} from feeds f where removed_at is null and id in {IN_LIST}", [json.dumps(ids)])
    by_id = {feed.id: feed for feed in (Feed(*row) for row in rows)}
    return [by_id[i] for i in ids if i in by_id]


def _to_poll(urls: Iterable[str], due_only: bool) -> tuple[str, list]:
    """FROM and WHERE of the feeds a pass polls (all, these `urls`, or the due ones), ORDER BY id."""
    urls = list(urls)
    sql = "from feeds f where disabled = 0 and removed_at is null"
    params: list = []
    if urls:
        sql += f" and url in {IN_LIST}"
        params.append(json.dumps(urls))
    if due_only:
        sql += " and (next_poll_at is null or next_poll_at <= ?)"
        params.append(now_iso())
    return sql + " order by id", params


def _feed_columns(have: dict, *, count_articles: bool = False, only: tuple[str, ...] = ()) -> str:
    """The columns of a Feed, in its own order (or `only` these, in theirs), so that a row is its
    arguments (dicts made into keyword arguments were most of `feeds list`'s time at 100,000 feeds):
    a NULL, or a column an older archive lacks, read as the Feed's default."""
    columns = []
    by_name = {f.name: f for f in fields(Feed)}
    for f in (by_name[name] for name in only) if only else by_name.values():
        default = None if f.default is MISSING else f.default
        if f.name == "articles" and count_articles:
            columns.append(FEED_ARTICLE_COUNT.replace("?", "f.id"))
        elif f.name not in have:
            columns.append("null" if default is None else repr(default))
        else:
            columns.append(f"f.{f.name}" if default is None else f"coalesce(f.{f.name}, {default!r})")
    return ", ".join(columns)


def record_poll(
    db: sqlite_utils.Database,
    feed_id: int,
    poll: FeedPoll,
    *,
    next_poll_at: str,
    interval: int,
    moved_to_confirmed: bool = False,
) -> None:
    """Store a poll's outcome: state when it succeeded, health either way."""
    now = now_iso()
    update: dict = {"last_polled_at": now, "next_poll_at": next_poll_at, "interval_seconds": interval}
    if poll.status == "failed":
        update.update(last_error=poll.error, last_error_at=now)
        if poll.gone:
            update["disabled"] = GONE
        with write(db):
            db.execute("update feeds set consecutive_errors = consecutive_errors + 1 where id = ?", [feed_id])
            _update(db, feed_id, update)
        return
    update.update(last_success_at=now, consecutive_errors=0, ttl_hint=poll.ttl_hint, moved_to=poll.moved_to)
    if poll.status == "fetched":
        update.update(
            etag=poll.state.etag, last_modified=poll.state.last_modified, content_hash=poll.state.content_hash
        )
        if poll.title:
            update["title"] = poll.title
        if poll.site_url:
            update["site_url"] = poll.site_url
    if moved_to_confirmed and poll.moved_to:
        exists = db.execute("select 1 from feeds where url = ?", [poll.moved_to]).fetchone()
        if not exists:
            update["url"] = poll.moved_to
            update["moved_to"] = None
    with write(db):
        _update(db, feed_id, update)


def _update(db: sqlite_utils.Database, feed_id: int, changes: dict) -> None:
    """One UPDATE of the feed's row (sqlite-utils' Table.update reads the row and the table's
    columns first: most of a 304 poll's 0.33 ms of recording)."""
    assigns = ", ".join(f"{column} = ?" for column in changes)  # (the names are this module's own)
    db.execute(f"update feeds set {assigns} where id = ?", [*changes.values(), feed_id])
