"""The schema, created idempotently on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from . import _cjk

SCHEMA_VERSION = 1
LEARNED_MIN_ARTICLES = 3  # a paragraph in this many articles of one host is boilerplate


def connect(path: str, *, read_only: bool = False) -> sqlite_utils.Database:
    """A connection in autocommit mode: every write goes through `store.write()` (BEGIN IMMEDIATE).
    Read-only, the file must exist and is neither changed nor upgraded (a db on read-only media, or
    one the user may only read, can still be searched and exported)."""
    if read_only:
        return sqlite_utils.Database(_read_only(path))
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    db = sqlite_utils.Database(conn)
    ensure_schema(db)
    return db


def _read_only(path: str) -> sqlite3.Connection:
    uri = Path(path).absolute().as_uri() + "?mode=ro"
    if not Path(path).is_file():
        raise sqlite3.OperationalError("no such file")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("select 1 from sqlite_master limit 1")
    except sqlite3.OperationalError:
        # A WAL database whose -shm file cannot be created (a read-only folder): nobody can be
        # writing to it either, so it is read as immutable.
        conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("select 1 from sqlite_master limit 1")  # not a database: fail here, in one line
    return conn


TABLES = ("feeds", "articles", "article_urls", "entries", "raw_pages", "boilerplate", "host_holds", "backfill_jobs")


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create what is missing (a db made by an older paperboy gains its new tables and columns)."""
    if set(TABLES) <= set(db.table_names()):
        _upgrade(db)
        return
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        db.table("feeds").create(
            {
                "id": int, "url": str, "name": str, "title": str, "site_url": str,
                "etag": str, "last_modified": str, "content_hash": str,
                "added_at": str, "last_polled_at": str, "last_success_at": str,
                "last_error": str, "last_error_at": str, "consecutive_errors": int,
                "next_poll_at": str, "interval_seconds": int, "ttl_hint": int,
                "moved_to": str, "disabled": int,
            },
            pk="id", not_null={"url"}, defaults={"consecutive_errors": 0, "disabled": 0}, if_not_exists=True,
        )  # fmt: skip
        db.table("feeds").create_index(["url"], unique=True, if_not_exists=True)
        db.table("articles").create(
            {
                "id": int, "url": str, "feed_id": int, "guid": str, "title": str, "authors": str,
                "published": str, "language": str, "text": str, "text_source": str,
                "fetched_at": str, "updated_at": str, "content_hash": str, "extractor_version": str,
            },
            pk="id", not_null={"url", "text"}, foreign_keys=[("feed_id", "feeds", "id")], if_not_exists=True,
        )  # fmt: skip
        db.table("articles").create_index(["url"], unique=True, if_not_exists=True)
        db.table("articles").create_index(["content_hash"], if_not_exists=True)
        db.table("articles").create_index(["published"], if_not_exists=True)
        db.table("articles").create_index(["feed_id"], if_not_exists=True)
        # Every address an article was reached under (link, final URL, canonical), normalised.
        db.table("article_urls").create({"key": str, "article_id": int}, pk="key", if_not_exists=True)
        db.table("article_urls").create_index(["article_id"], if_not_exists=True)
        # Every feed item seen, with what became of it: the memory that makes a re-run add nothing.
        db.table("entries").create(
            {
                "feed_id": int, "key": str, "guid": str, "link": str, "title": str, "authors": str,
                "published": str, "content": str, "status": str, "article_id": int, "attempts": int,
                "last_error": str, "first_seen_at": str, "updated_at": str,
            },
            pk=("feed_id", "key"), defaults={"attempts": 0}, if_not_exists=True,
        )  # fmt: skip
        db.table("entries").create_index(["status"], if_not_exists=True)
        # The page as fetched, compressed (zstd), so that it can be re-extracted without a request.
        # html_zlib: the page as paperboy stored it before zstd (zlib); NULL in rows written since.
        db.table("raw_pages").create(
            {"article_id": int, "url": str, "fetched_at": str, "html_zlib": bytes, "html_zstd": bytes},
            pk="article_id",
            if_not_exists=True,
        )
        # Learned boilerplate: how many articles of a host carry the same paragraph.
        db.table("boilerplate").create(
            {"host": str, "fingerprint": str, "articles": int}, pk=("host", "fingerprint"), if_not_exists=True
        )
        # Retry-After holds outlive a pass: a host that asked for a day gets a day.
        db.table("host_holds").create({"host": str, "until": float}, pk="host", if_not_exists=True)
        # One row per backfill job (its parameters are its key): the checkpoint a resumed job starts from.
        db.table("backfill_jobs").create(
            {"key": str, "params": str, "state": str, "started_at": str, "updated_at": str, "finished_at": str},
            pk="key",
            if_not_exists=True,
        )
        if "articles_fts" not in db.table_names():
            words = "unicode61 remove_diacritics 2"
            db.table("articles").enable_fts(["title", "text"], create_triggers=True, tokenize=words)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    _upgrade(db)


# Columns added after a table was first released: (table, column, type).
ADDED_COLUMNS = (
    ("raw_pages", "html_zstd", bytes),
    ("feeds", "removed_at", str),  # a removed feed keeps its row (and its articles' link to it) until purged
    ("feeds", "min_interval", int),  # seconds: this feed's own shortest poll interval (feeds edit)
    # A page kept in a WARC file (raw_pages = "warc"): the file, relative to the db's folder, and its record.
    ("raw_pages", "warc_file", str),
    ("raw_pages", "warc_offset", int),
    ("raw_pages", "warc_length", int),
)


# Indexes added after their table was first released, created where missing.
ADDED_INDEXES = (
    # The learned boilerplate of a host is read after every batch of pages: without this index that
    # read walks every paragraph ever counted for the host. Only rows that count as learned are in it.
    f"create index if not exists boilerplate_learned on boilerplate (host, fingerprint) "
    f"where articles >= {LEARNED_MIN_ARTICLES}",
    # Where a WARC file's last record ends is read before each batch is appended to it.
    "create index if not exists raw_pages_warc on raw_pages (warc_file, warc_offset) where warc_file is not null",
)


def _upgrade(db: sqlite_utils.Database) -> None:
    """What a db made by an older paperboy lacks: columns, then indexes."""
    _add_columns(db)
    for sql in ADDED_INDEXES:
        db.conn.execute(sql)
    _cjk.create(db)


def _add_columns(db: sqlite_utils.Database) -> None:
    for table, column, kind in ADDED_COLUMNS:
        if column not in db.table(table).columns_dict:
            try:
                db.table(table).add_column(column, kind)
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise
