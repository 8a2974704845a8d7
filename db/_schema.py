"""The schema, created idempotently on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from paperboy.core import FeedAccess, PaperboyError, origin_of, split_credentials

from . import _cjk, credentials

# PRAGMA application_id: this file is a paperboy archive ("pape"). A file that is neither one, nor
# empty, nor an archive of a paperboy from before the mark (all its TABLES) is refused unchanged.
APPLICATION_ID = 0x70617065
# PRAGMA user_version. 2: feeds' user names and passwords moved out of their URLs (db/credentials.py);
# 3: a feed's folder; 4: an article's pruned_at; 5: watches, their matches and the outbox; 6: an article's
# confidence; 7: stories (an article's story_id, the story_bands index); 8: stories' signatures; 9: the
# full-text index updated on a change of title or text only.
SCHEMA_VERSION = 9
LEARNED_MIN_ARTICLES = 3  # a paragraph in this many articles of one host is boilerplate


class NotAnArchive(PaperboyError):
    """The file is another application's database: paperboy writes nothing to it."""


def connect(path: str, *, read_only: bool = False) -> sqlite_utils.Database:
    """A connection in autocommit mode: every write goes through `store.write()` (BEGIN IMMEDIATE).
    Read-only, the file must exist and is neither changed nor upgraded (a db on read-only media, or
    one the user may only read, can still be searched and exported)."""
    if read_only:
        return sqlite_utils.Database(_read_only(path))
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        _check_ours(conn, path)  # before anything is written, WAL mode included
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        db = sqlite_utils.Database(conn)
        ensure_schema(db)
    except BaseException:
        conn.close()
        raise
    return db


def _check_ours(conn: sqlite3.Connection, path: str) -> None:
    if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
        return
    names = [r[0] for r in conn.execute("select name from sqlite_master where name not like 'sqlite_%'")]
    if names and not set(TABLES) <= set(names):
        some = ", ".join(sorted(names)[:4]) + (", …" if len(names) > 4 else "")
        raise NotAnArchive(f"{path} is not a paperboy archive (it holds {some}); left unchanged")


def _read_only(path: str) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise sqlite3.OperationalError("no such file")
    conn = _as_it_is(path)
    if conn is None:
        uri = Path(path).absolute().as_uri() + "?mode=ro&immutable=1"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("select 1 from sqlite_master limit 1")  # not a database: fail here, in one line
    return conn


def _as_it_is(path: str) -> sqlite3.Connection | None:
    """The archive opened read-only as it is, its -wal included; None for a WAL database whose -shm
    file cannot be made (a read-only folder, no -shm copied beside it): nobody can be writing to it
    either, and it can only be read as immutable."""
    uri = Path(path).absolute().as_uri() + "?mode=ro"
    conn = None
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("select 1 from sqlite_master limit 1")
    except sqlite3.OperationalError:
        if conn is not None:
            conn.close()
        return None
    return conn


def needs_immutable(path: str) -> bool:
    """Whether the archive can only be read as immutable (`_as_it_is`)."""
    conn = _as_it_is(path)
    if conn is None:
        return True
    conn.close()
    return False


def unread_wal(path: str) -> bool:
    """Whether an archive read as immutable leaves a -wal file unread beside it (what was stored since
    its last checkpoint)."""
    wal = Path(path + "-wal")
    return wal.is_file() and wal.stat().st_size > 0


TABLES = ("feeds", "articles", "article_urls", "entries", "raw_pages", "boilerplate", "host_holds", "backfill_jobs")

# The full-text index follows an article's title and text, and only those: setting its story, its
# confidence or its feed re-indexed its whole text (until schema 9).
FTS_UPDATE = """create trigger if not exists articles_au after update of title, text on articles begin
    insert into articles_fts (articles_fts, rowid, title, text) values ('delete', old.rowid, old.title, old.text);
    insert into articles_fts (rowid, title, text) values (new.rowid, new.title, new.text); end"""

# The schema as first released, in plain SQL: sqlite-utils' create() and enable_fts() commit on their
# own, and creating an archive is one transaction that leaves nothing behind when it fails.
CREATE = (
    """create table if not exists feeds (id integer primary key, url text not null, name text, title text,
    site_url text, etag text, last_modified text, content_hash text, added_at text, last_polled_at text,
    last_success_at text, last_error text, last_error_at text, consecutive_errors integer default 0,
    next_poll_at text, interval_seconds integer, ttl_hint integer, moved_to text, disabled integer default 0)""",
    "create unique index if not exists idx_feeds_url on feeds (url)",
    """create table if not exists articles (id integer primary key, url text not null,
    feed_id integer references feeds(id), guid text, title text, authors text, published text, language text,
    text text not null, text_source text, fetched_at text, updated_at text, content_hash text,
    extractor_version text)""",
    "create unique index if not exists idx_articles_url on articles (url)",
    "create index if not exists idx_articles_content_hash on articles (content_hash)",
    "create index if not exists idx_articles_published on articles (published)",
    "create index if not exists idx_articles_feed_id on articles (feed_id)",
    # Every address an article was reached under (link, final URL, canonical), normalised.
    "create table if not exists article_urls (key text primary key, article_id integer)",
    "create index if not exists idx_article_urls_article_id on article_urls (article_id)",
    # Every feed item seen, with what became of it: the memory that makes a re-run add nothing.
    """create table if not exists entries (feed_id integer, key text, guid text, link text, title text,
    authors text, published text, content text, status text, article_id integer, attempts integer default 0,
    last_error text, first_seen_at text, updated_at text, primary key (feed_id, key))""",
    "create index if not exists idx_entries_status on entries (status)",
    # The page as fetched, compressed (zstd), so that it can be re-extracted without a request.
    # html_zlib: the page as paperboy stored it before zstd (zlib); NULL in rows written since.
    """create table if not exists raw_pages (article_id integer primary key, url text, fetched_at text,
    html_zlib blob, html_zstd blob)""",
    # Learned boilerplate: how many articles of a host carry the same paragraph.
    """create table if not exists boilerplate (host text, fingerprint text, articles integer,
    primary key (host, fingerprint))""",
    # Retry-After holds outlive a pass: a host that asked for a day gets a day.
    "create table if not exists host_holds (host text primary key, until real)",
    # One row per backfill job (its parameters are its key): the checkpoint a resumed job starts from.
    """create table if not exists backfill_jobs (key text primary key, params text, state text, started_at text,
    updated_at text, finished_at text)""",
    # Watches: a saved search that each pass matches its new articles against, delivering each match.
    """create table if not exists watches (id integer primary key, name text not null unique, query text not null,
    feed_id integer, language text, webhook text, notify text, secret text not null, created_at text)""",
    # (webhook, notify and secret stay empty: a watch's secrets live in <db>.credentials)
    """create table if not exists watch_matches (watch_id integer, article_id integer, matched_at text,
    primary key (watch_id, article_id))""",
    # One row a delivery of a match to a receiver: sent until acknowledged (2xx), with backoff.
    """create table if not exists outbox (id text primary key, watch_id integer, article_id integer, channel text,
    target text, attempts integer default 0, next_at text, delivered_at text, last_error text)""",
    "create index if not exists outbox_due on outbox (next_at) where delivered_at is null",
    # Stories (db/_stories.py): the MinHash bands of each article's text, looked up by band.
    "create table if not exists story_bands (band integer, article_id integer, primary key (band, article_id)) "
    "without rowid",
    "create index if not exists story_bands_article on story_bands (article_id)",
    # Each article's MinHash signature and its number of shingles: what a candidate is weighed by.
    "create table if not exists story_sigs (article_id integer primary key, shingles integer, sig blob)",
    """create virtual table if not exists articles_fts using fts5 (title, text,
    tokenize='unicode61 remove_diacritics 2', content='articles')""",
    """create trigger if not exists articles_ai after insert on articles begin
    insert into articles_fts (rowid, title, text) values (new.rowid, new.title, new.text); end""",
    """create trigger if not exists articles_ad after delete on articles begin
    insert into articles_fts (articles_fts, rowid, title, text) values ('delete', old.rowid, old.title, old.text);
    end""",
    FTS_UPDATE,
)


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create what is missing, in one transaction (a db made by an older paperboy gains its new
    tables and columns, and is marked as an archive)."""
    conn = db.conn
    if _current(conn):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not _current(conn):  # another process may have done it while this one waited
            for sql in CREATE:
                conn.execute(sql)
            _upgrade(db)
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _current(conn: sqlite3.Connection) -> bool:
    marks = conn.execute("select * from pragma_application_id, pragma_user_version").fetchone()
    return marks == (APPLICATION_ID, SCHEMA_VERSION)


# Columns added after a table was first released: (table, column, type).
ADDED_COLUMNS = (
    ("raw_pages", "html_zstd", bytes),
    ("feeds", "removed_at", str),  # a removed feed keeps its row (and its articles' link to it) until purged
    ("feeds", "min_interval", int),  # seconds: this feed's own shortest poll interval (feeds edit)
    # A page kept in a WARC file (raw_pages = "warc"): the file, relative to the db's folder, and its record.
    ("raw_pages", "warc_file", str),
    ("raw_pages", "warc_offset", int),
    ("raw_pages", "warc_length", int),
    ("feeds", "folder", str),  # the user's folder (OPML), kept through an import and an export
    ("articles", "pruned_at", str),  # retention: its text and page are gone, its keys stay (no fetch again)
    ("articles", "confidence", float),  # 0 to 1, how far extraction trusts its text; null: stored before it was
    ("articles", "story_id", int),  # the story it belongs to: the id of the story's first article
)


# Indexes added after their table was first released, created where missing.
ADDED_INDEXES = (
    # The learned boilerplate of a host is read after every batch of pages: without this index that
    # read walks every paragraph ever counted for the host. Only rows that count as learned are in it.
    f"create index if not exists boilerplate_learned on boilerplate (host, fingerprint) "
    f"where articles >= {LEARNED_MIN_ARTICLES}",
    # Where a WARC file's last record ends is read before each batch is appended to it.
    "create index if not exists raw_pages_warc on raw_pages (warc_file, warc_offset) where warc_file is not null",
    # An article belongs to every feed that links it: a feed's articles are read from its entries
    # (filters, counts), and a purge asks which other feeds link an article.
    "create index if not exists entries_feed_article on entries (feed_id, article_id) where article_id is not null",
    "create index if not exists entries_article on entries (article_id, feed_id) where article_id is not null",
    "create index if not exists articles_story on articles (story_id)",
)


def _upgrade(db: sqlite_utils.Database) -> None:
    """What a db made by an older paperboy lacks, in the caller's transaction: columns, indexes,
    the CJK index, and feeds' credentials moved out of their URLs."""
    for table, column, kind in ADDED_COLUMNS:
        if column not in {r[1] for r in db.execute(f"pragma table_info({table})")}:
            db.execute(f"alter table {table} add column {column} {_SQL_TYPES[kind]}")
    for sql in ADDED_INDEXES:
        db.conn.execute(sql)
    trigger = db.execute("select sql from sqlite_master where type = 'trigger' and name = 'articles_au'").fetchone()
    if trigger and "update of" not in trigger[0]:
        db.conn.execute("drop trigger articles_au")
        db.conn.execute(FTS_UPDATE)
    _cjk.create(db)
    _move_credentials(db)


_SQL_TYPES = {str: "text", int: "integer", float: "real", bytes: "blob"}


def _move_credentials(db: sqlite_utils.Database) -> None:
    """An older archive kept a feed's user name and password in its URL: they go to the credentials
    file (written first: a failure after it leaves them in both, and the next open moves them again)."""
    rows = db.execute("select id, url from feeds where url like '%@%'").fetchall()
    moved = {}
    for feed_id, url in rows:
        clean, user, password = split_credentials(url)
        taken = db.execute("select 1 from feeds where url = ? and id != ?", [clean, feed_id]).fetchone()
        if (user is not None or password is not None) and not taken:
            moved[feed_id] = (clean, FeedAccess(origin_of(clean), user, password))
    if not moved:
        return
    path = credentials.path_of(db)
    secrets = credentials.read(path)
    for feed_id, (_, access) in moved.items():
        secrets[feed_id] = secrets[feed_id].updated(access) if feed_id in secrets else access
    credentials.write(path, secrets)
    db.conn.executemany("update feeds set url = ? where id = ?", [(clean, i) for i, (clean, _) in moved.items()])
