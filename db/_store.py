"""The store: every read and write of paperboy's data. The only code that speaks SQL."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

import sqlite_utils
import zstandard

from core import (
    Article,
    Entry,
    FeedPoll,
    FeedState,
    Outcome,
    StoredPage,
    fingerprint,
    host_of,
    one_line,
    plain_text,
    printable,
    url_key,
    web_url,
)

from . import _cjk
from ._schema import LEARNED_MIN_ARTICLES

MAX_TITLE, MAX_NAME = 1000, 200  # characters kept of an article's title and of an author's name
MAX_ATTEMPTS = 5  # page fetches tried for an entry before it is given up (its feed text stays)
# A list of any length as one parameter (a JSON array): an IN list of one variable per value fails
# past SQLite's limit (32,766 on default builds), which one large feed reaches.
IN_LIST = "(select value from json_each(?))"


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


# --- feeds --------------------------------------------------------------------------------------


def add_feed(db: sqlite_utils.Database, url: str, name: str | None = None) -> bool:
    """Follow a feed; a removed one is followed again, with its articles and memory. False when
    it is followed already."""
    with write(db):
        row = db.execute("select id, removed_at from feeds where url = ?", [url]).fetchone()
        if row and row[1] is None:
            return False
        if row:
            db.execute("update feeds set removed_at = null, name = coalesce(?, name) where id = ?", [name, row[0]])
            return True
        db["feeds"].insert({"url": url, "name": name, "added_at": now_iso(), "consecutive_errors": 0, "disabled": 0})
    return True


def remove_feed(db: sqlite_utils.Database, url: str, purge: bool = False) -> bool:
    """Stop following a feed. Its row stays, marked removed, so that its articles keep their feed
    and its memory of items stays (adding it again restores both); `purge` deletes the feed with
    its articles, their pages and addresses, and its items."""
    with write(db):
        row = db.execute("select id from feeds where url = ?", [url]).fetchone()
        if not row:
            return False
        if not purge:
            db.execute("update feeds set removed_at = ? where id = ?", [now_iso(), row[0]])
            return True
        gone = "(select id from articles where feed_id = ?)"
        for sql in (
            f"delete from {_cjk.TABLE} where rowid in {gone}",
            f"delete from raw_pages where article_id in {gone}",
            f"delete from article_urls where article_id in {gone}",
            "delete from entries where feed_id = ?",
            "delete from articles where feed_id = ?",
            "delete from feeds where id = ?",
        ):
            db.execute(sql, [row[0]])
    return True


PAUSED, GONE = 1, 2  # feeds.disabled: by the user, or by the publisher (HTTP 410); 0 polls it


def edit_feed(db: sqlite_utils.Database, url: str, **changes) -> bool:
    """Change a followed feed: name, min_interval (seconds, None for the global one), disabled
    (paused). False when no such feed is followed."""
    with write(db):
        row = db.execute("select id from feeds where url = ? and removed_at is null", [url]).fetchone()
        if row and changes:
            db["feeds"].update(row[0], changes)
    return row is not None


def list_feeds(db: sqlite_utils.Database) -> list[dict]:
    """The feeds followed (not the removed ones), with their article counts."""
    removed = "removed_at" in db["feeds"].columns_dict  # a read-only db of an older paperboy has none
    return list(
        db.query(
            "select f.*, (select count(*) from articles a where a.feed_id = f.id) as articles "
            f"from feeds f {'where f.removed_at is null ' if removed else ''}order by f.id"
        )
    )


def feeds_to_poll(db: sqlite_utils.Database, urls: Iterable[str] = (), due_only: bool = False) -> list[dict]:
    urls = list(urls)
    sql = "select * from feeds where disabled = 0 and removed_at is null"
    params: list = []
    if urls:
        sql += f" and url in {IN_LIST}"
        params.append(json.dumps(urls))
    if due_only:
        sql += " and (next_poll_at is null or next_poll_at <= ?)"
        params.append(now_iso())
    return list(db.query(sql + " order by id", params))


def feed_state(row: dict) -> FeedState:
    return FeedState(row["url"], row["etag"], row["last_modified"], row["content_hash"])


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
            db["feeds"].update(feed_id, update)
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
        db["feeds"].update(feed_id, update)


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
    entries = list({e.key: e for e in reversed(list(entries))}.values())[::-1]
    counts: Counter = Counter()
    if not entries:
        return counts
    with write(db):
        known = dict(_in(db, "select key, status from entries where feed_id = ? and key in ({})", [feed_id],
                         [e.key for e in entries]))  # fmt: skip
        retry = [k for k, status in known.items() if status == "failed"]  # an earlier fetch failed: try again
        db.conn.executemany(
            "update entries set status = ? where feed_id = ? and key = ?",
            [(f"backlog:{source}", feed_id, k) for k in retry],
        )
        for status in known.values():
            counts["queued" if status == "failed" or (status or "").startswith("backlog:") else "known"] += 1
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


def backlog_size(db, feed_ids: Iterable[int], source: str, since: str | None = None, until: str | None = None) -> int:
    sql, params = _backlog_where(feed_ids, source, since, until)
    return db.execute(f"select count(*) from entries where {sql}", params).fetchone()[0]


def backlog(
    db, feed_urls: dict[int, str], source: str, since: str | None = None, until: str | None = None
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


def _insert_entries(db, feed_id: int, entries: list[Entry], now: str, status: str) -> list[int | None]:
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


# --- articles -----------------------------------------------------------------------------------


def text_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).lower().encode()).hexdigest()


def _article_row(feed_id: int | None, entry: Entry | None, a: Article, now: str, digest: str | None = None) -> dict:
    return {
        "url": a.canonical_url or a.url, "feed_id": feed_id or None, "guid": entry.guid if entry else None,
        "title": a.title or plain_text(entry.title if entry else None), "authors": json.dumps(list(a.authors)),
        "published": a.published or (entry.published if entry else None), "language": a.language,
        "text": a.text, "text_source": a.source, "fetched_at": now, "updated_at": now,
        "content_hash": digest or text_hash(a.text), "extractor_version": a.extractor_version,
    }  # fmt: skip


def safe_article(a: Article) -> Article:
    """The article as the archive keeps it: no control characters in its text or metadata (they
    would reach a terminal or a page), metadata capped, and a canonical URL only when it is http(s)."""
    authors = (one_line(n, MAX_NAME) for n in a.authors)
    return replace(
        a,
        text=printable(a.text),
        title=one_line(a.title, MAX_TITLE),
        authors=tuple(dict.fromkeys(n for n in authors if n)),
        canonical_url=web_url(a.canonical_url),
    )


def save_outcomes(db: sqlite_utils.Database, feed_id: int | None, outcomes: Iterable[Outcome]) -> Counter:
    """Store one batch in one transaction. Counts: new, updated, duplicate, failed:<reason>."""
    counts: Counter = Counter()
    now = now_iso()
    outcomes = [replace(o, article=safe_article(o.article)) if o.article else o for o in outcomes]
    with write(db):
        known = _Known(db, feed_id, outcomes)
        for o in outcomes:
            counts.update(_save_one(db, feed_id, o, now, known))
        known.flush(db)
    return counts


LOOKUP_CHUNK = 500  # parameters in one IN (...) list


class _Known:
    """What a batch needs to know of the db (its entries, and the articles its addresses, texts and
    URLs already are), read in a few queries for the whole batch instead of several per article, and
    kept up to date as the batch stores: an article stored early in a batch is known to the rest.
    The batch's writes other than articles (entry statuses, addresses, raw pages, learned paragraph
    counts) are gathered and written at its end, one statement each, in the same transaction."""

    def __init__(self, db, feed_id: int | None, outcomes: list[Outcome]) -> None:
        self.entries = {
            r[0]: (r[1], r[2])
            for r in _in(db, "select key, attempts, article_id from entries where feed_id = ? and key in ({})",
                         [feed_id], [o.entry.key for o in outcomes])
        }  # fmt: skip
        addresses = {k for o in outcomes for k in o.keys if k}
        self.by_key = dict(_in(db, "select key, article_id from article_urls where key in ({})", [], addresses))
        articles = [o.article for o in outcomes if o.article is not None]
        self.digests = {id(a): text_hash(a.text) for a in articles}
        hashes = set(self.digests.values())
        self.by_hash: dict[str, int] = {}
        sql = "select content_hash, id from articles where content_hash in ({}) order by id desc"
        for h, article_id in _in(db, sql, [], hashes):
            self.by_hash[h] = article_id  # the oldest article with that text wins
        self.by_url = dict(
            _in(db, "select url, id from articles where url in ({})", [], {a.canonical_url or a.url for a in articles})
        )
        self.entry_updates: list[list] = []
        self.address_rows: list[tuple[str, int]] = []
        self.raw_rows: list[tuple] = []
        self.learn_rows: list[tuple[str, str]] = []
        self.written: list[int] = []  # articles whose text was stored or replaced

    def article_for(self, keys: Iterable[str]) -> int | None:
        return next((self.by_key[k] for k in keys if k in self.by_key), None)

    def add_keys(self, article_id: int, keys: Iterable[str]) -> None:
        for k in keys:
            if k:
                self.address_rows.append((k, article_id))
                self.by_key.setdefault(k, article_id)

    def flush(self, db) -> None:
        conn = db.conn
        _cjk.index(db, self.written)
        conn.executemany(
            "update entries set status = ?, article_id = coalesce(?, article_id), attempts = ?, "
            "last_error = ?, updated_at = ? where feed_id = ? and key = ?",
            self.entry_updates,
        )
        conn.executemany("insert or ignore into article_urls (key, article_id) values (?, ?)", self.address_rows)
        conn.executemany(
            "insert or replace into raw_pages (article_id, url, fetched_at, html_zstd) values (?, ?, ?, ?)",
            self.raw_rows,
        )
        conn.executemany(
            "insert into boilerplate (host, fingerprint, articles) values (?, ?, 1) "
            "on conflict(host, fingerprint) do update set articles = articles + 1",
            self.learn_rows,
        )


def _in(db, sql: str, params: list, values: Iterable) -> Iterator[tuple]:
    """Rows of `sql` whose IN list ({}) takes `values`, a chunk at a time."""
    values = list(values)
    for k in range(0, len(values), LOOKUP_CHUNK):
        chunk = values[k : k + LOOKUP_CHUNK]
        yield from db.execute(sql.format(",".join("?" * len(chunk))), [*params, *chunk]).fetchall()


def _save_one(db, feed_id, o: Outcome, now: str, known: _Known) -> list[str]:
    e = o.entry
    entry_row = known.entries.get(e.key)
    attempts = (entry_row[0] if entry_row else 0) + (1 if e.link else 0)
    prior_article = entry_row[1] if entry_row else None

    def mark(status: str, article_id=None, error=None) -> None:
        known.entry_updates.append([status, article_id, attempts, error, now, feed_id, e.key])
        if entry_row is not None:
            known.entries[e.key] = (attempts, article_id if article_id is not None else prior_article)

    a = o.article
    if a is None:
        final = "failed" if attempts < MAX_ATTEMPTS else "gave_up"
        mark(final, error=o.error)
        return [f"failed:{_reason(o.error)}"]

    keys = tuple(dict.fromkeys(o.keys))
    digest = known.digests[id(a)]
    existing = known.article_for(keys) or prior_article
    if existing is None:
        dup = known.by_hash.get(digest)
        if dup:
            existing = dup
            known.add_keys(existing, keys)
            mark("duplicate", existing)
            return ["duplicate"]
    status = "stored" if a.source == "page" else ("fallback" if attempts < MAX_ATTEMPTS and e.link else "stored")
    if existing is not None:
        row = db.execute("select text_source, content_hash from articles where id = ?", [existing]).fetchone()
        if row and row[0] == "feed" and a.source == "page":
            _update_article(db, existing, feed_id, e, a, now)
            known.written.append(existing)
            if o.raw_zstd is not None:
                known.raw_rows.append((existing, a.url, now, o.raw_zstd))
            known.add_keys(existing, keys)
            known.by_hash.setdefault(digest, existing)
            mark("stored", existing, o.error)
            return ["updated"]
        known.add_keys(existing, keys)
        if prior_article == existing:  # a retry that found nothing better: keep what is stored
            mark("stored" if row and row[0] == "page" else status, existing, o.error)
            return ["unchanged"]
        mark("duplicate", existing)
        return ["duplicate"]
    row = _article_row(feed_id, e, a, now, digest)
    # A different article that happens to share a canonical URL string would collide: keep the first.
    clash = known.by_url.get(row["url"])
    if clash:
        known.add_keys(clash, keys)
        mark("duplicate", clash)
        return ["duplicate"]
    article_id = _insert(db, "articles", row)
    known.written.append(article_id)
    known.by_url[row["url"]] = article_id
    known.by_hash.setdefault(digest, article_id)
    known.add_keys(article_id, keys)
    if o.raw_zstd is not None:
        known.raw_rows.append((article_id, a.url, now, o.raw_zstd))
    known.learn_rows.extend(_learned(host_of(a.url), a.text))
    mark(status, article_id, o.error)
    return ["new"]


def _update_article(db, article_id: int, feed_id, e: Entry, a: Article, now: str) -> None:
    row = _article_row(feed_id, e, a, now)
    row.pop("fetched_at")
    if db.execute("select 1 from articles where url = ? and id != ?", [row["url"], article_id]).fetchone():
        row.pop("url")
    db["articles"].update(article_id, row)


def _insert(db, table: str, row: dict) -> int:
    """A plain INSERT: sqlite-utils' insert() re-reads the table's schema on every call."""
    columns = ", ".join(row)
    cursor = db.execute(f"insert into {table} ({columns}) values ({', '.join('?' * len(row))})", list(row.values()))
    return cursor.lastrowid


def _reason(error: str | None) -> str:
    if not error:
        return "no text"
    head = error.split(":")[0].strip()
    return head if len(head) <= 40 else head[:40]


def _learned(host: str, text: str) -> list[tuple[str, str]]:
    """(host, fingerprint) of each distinct paragraph of a new article: counted towards boilerplate."""
    if not host:
        return []
    return [(host, fp) for fp in {fingerprint(p) for p in text.split("\n\n") if p.strip()}]


def learned_boilerplate(db: sqlite_utils.Database, hosts: Iterable[str]) -> dict[str, frozenset[str]]:
    hosts = sorted(set(hosts))
    if not hosts:
        return {}
    out: dict[str, set[str]] = {}
    for row in db.query(
        # The literal bound matches that of the partial index boilerplate_learned, which serves this read.
        f"select host, fingerprint from boilerplate where articles >= {LEARNED_MIN_ARTICLES} and host in {IN_LIST}",
        [json.dumps(hosts)],
    ):
        out.setdefault(row["host"], set()).add(row["fingerprint"])
    return {h: frozenset(v) for h, v in out.items()}


# --- reading ------------------------------------------------------------------------------------


class QueryError(ValueError):
    """A search query FTS5 cannot read."""


_OPERATORS = re.compile(r'["()*^:]|\b(?:AND|OR|NOT|NEAR)\b')  # what makes a query more than plain words
MARK = "**"  # around a match in a snippet: brackets clash with text that has its own ("[U.S.]")


def search(
    db: sqlite_utils.Database,
    query: str,
    limit: int = 10,
    *,
    plain: bool = False,
    feed: str | None = None,
    language: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[dict]:
    """Full-text search, best first. The query is FTS5's syntax (phrases in quotes, OR, NOT, prefix*,
    NEAR); a query of plain words (`plain`, or one without any operator) has each word quoted, so
    its punctuation is never syntax. QueryError for a query FTS5 cannot read."""
    if plain or not _OPERATORS.search(query):
        terms = [t for t in query.replace('"', " ").split() if t]
        if not terms:
            return []
        query = " ".join(f'"{t}"' for t in terms)
    fts = "articles_fts"
    if _cjk.has_cjk(query) and _cjk.TABLE in db.table_names():  # (a read-only db of an older paperboy has none)
        fts, query = _cjk.TABLE, _cjk.query(query)
    sql = (
        "select a.id, a.title, a.url, a.published, a.language, f.url as feed, "
        f"snippet({fts}, 1, '{MARK}', '{MARK}', '…', 16) as snippet "
        f"from {fts} join articles a on a.rowid = {fts}.rowid left join feeds f on f.id = a.feed_id "
        f"where {fts} match ?"
    )
    where, params = _article_filters(feed, language)
    days, day_params = _day_range("a.published", since, until)
    try:
        rows = list(
            db.query(sql + where + days + f" order by bm25({fts}) limit ?", [query, *params, *day_params, limit])
        )
    except sqlite3.OperationalError as exc:
        # FTS5 says a query is bad in several ways ("fts5: syntax error near", "unterminated string",
        # "unknown special query", "no such column"); what is not about the query is the store's.
        if any(word in str(exc) for word in ("locked", "disk", "malformed", "no such table", "readonly")):
            raise
        raise QueryError(str(exc)) from exc
    for row in rows:
        row["snippet"] = " ".join(_cjk.unspaced(row["snippet"] or "").split())  # one line
    return rows


def _article_filters(feed: str | None, language: str | None) -> tuple[str, list]:
    """` and …` conditions on an article's feed URL (as `f`) and language (as `a`), where given."""
    sql, params = "", []
    if feed:
        sql += " and f.url = ?"
        params.append(feed)
    if language:
        sql += " and a.language = ?"
        params.append(language)
    return sql, params


def export_articles(
    db: sqlite_utils.Database,
    since: str | None = None,
    until: str | None = None,
    feed: str | None = None,
    language: str | None = None,
) -> Iterator[dict]:
    """Stored articles, oldest first, a row at a time (memory stays flat whatever the archive's
    size); filtered by the day published (or fetched), inclusive, by feed URL and by language."""
    sql = (
        "select a.id, a.url, f.url as feed, a.guid, a.title, a.authors, a.published, a.language, "
        "a.text_source, a.fetched_at, a.updated_at, a.content_hash, a.extractor_version, a.text "
        "from articles a left join feeds f on f.id = a.feed_id where 1"
    )
    days, day_params = _day_range("coalesce(a.published, a.fetched_at)", since, until)
    where, params = _article_filters(feed, language)
    for row in db.query(sql + days + where + " order by a.id", day_params + params):
        row["authors"] = json.loads(row["authors"] or "[]")
        yield row


def article(db: sqlite_utils.Database, ref: str) -> dict | None:
    """One article by its id, its URL, or any address it was reached under; with its feed's URL
    and those addresses."""
    if ref.isascii() and ref.isdigit():
        found = db.execute("select id from articles where id = ?", [int(ref)]).fetchone()
    else:
        found = db.execute("select id from articles where url = ?", [ref]).fetchone()
        found = found or db.execute("select article_id from article_urls where key = ?", [url_key(ref)]).fetchone()
    if not found:
        return None
    row = next(db.query("select a.*, f.url as feed from articles a left join feeds f on f.id = a.feed_id "
                        "where a.id = ?", [found[0]]))  # fmt: skip
    row["authors"] = json.loads(row["authors"] or "[]")
    row["addresses"] = [k for (k,) in db.execute("select key from article_urls where article_id = ? order by key",
                                                 [found[0]])]  # fmt: skip
    return row


def raw_page(db: sqlite_utils.Database, article_id: int) -> bytes | None:
    """The page an article was extracted from, as fetched; None when none is stored."""
    row = db.execute("select html_zstd, html_zlib from raw_pages where article_id = ?", [article_id]).fetchone()
    return zstandard.decompress(_page_zstd(*row)) if row else None


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


# --- re-extraction (backfill --reprocess) -------------------------------------------------------


def _stored_where(feed_urls: Iterable[str], since: str | None, until: str | None) -> tuple[str, list]:
    """The stored pages of these feeds (all, for none) published in the range: a FROM … WHERE clause."""
    sql = "from articles a join raw_pages r on r.article_id = a.id left join feeds f on f.id = a.feed_id where 1"
    params: list = []
    feed_urls = list(feed_urls)
    if feed_urls:
        sql += f" and f.url in {IN_LIST}"
        params.append(json.dumps(feed_urls))
    days, day_params = _day_range("coalesce(a.published, a.fetched_at)", since, until)
    return sql + days, params + day_params


def stored_page_count(db, feed_urls: Iterable[str] = (), since: str | None = None, until: str | None = None) -> int:
    sql, params = _stored_where(feed_urls, since, until)
    return db.execute(f"select count(*) {sql}", params).fetchone()[0]


def stored_pages(
    db: sqlite_utils.Database, feed_urls: Iterable[str] = (), since: str | None = None, until: str | None = None
) -> Iterator[list[StoredPage]]:
    """Stored raw pages, in batches of 64, oldest first; filtered by feed and by published date."""
    where, params = _stored_where(feed_urls, since, until)
    sql = f"select a.id, r.url, r.html_zstd, r.html_zlib, a.content_hash {where}"
    last = 0
    while True:
        rows = db.execute(sql + " and a.id > ? order by a.id limit 64", [*params, last]).fetchall()
        if not rows:
            return
        yield [StoredPage(r[0], r[1], _page_zstd(r[2], r[3]), r[4]) for r in rows]
        last = rows[-1][0]


def _page_zstd(zstd: bytes | None, zlib_: bytes | None) -> bytes:
    """A stored page, zstd-compressed: as stored, or from zlib in rows stored before the archive moved to zstd."""
    return zstd if zstd is not None else zstandard.compress(zlib.decompress(zlib_))


def replace_texts(db: sqlite_utils.Database, updates: Iterable[tuple[int, Article]]) -> int:
    """Store re-extracted articles whose text changed; returns how many changed."""
    now = now_iso()
    changed = 0
    with write(db):
        for article_id, a in updates:
            a = safe_article(a)
            new_hash = text_hash(a.text)
            row = db.execute("select content_hash from articles where id = ?", [article_id]).fetchone()
            if row is None or row[0] == new_hash:
                continue
            db["articles"].update(
                article_id,
                {
                    "text": a.text, "title": a.title, "authors": json.dumps(list(a.authors)),
                    "language": a.language, "content_hash": new_hash, "extractor_version": a.extractor_version,
                    "updated_at": now,
                },
            )  # fmt: skip
            _cjk.index(db, [article_id])
            changed += 1
    return changed
