"""Articles: storing a batch (deduplicated by address and by text), learned boilerplate, re-extraction."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace

import sqlite_utils
import zstandard

from paperboy.core import (
    Article,
    Entry,
    Outcome,
    StoredPage,
    fingerprint,
    host_of,
    one_line,
    plain_text,
    printable,
    web_url,
)

from . import _cjk, _stories, _warc
from ._base import IN_LIST, MAX_ATTEMPTS, _day_range, _in, _insert, now_iso, write
from ._schema import LEARNED_MIN_ARTICLES
from ._warc import RawPages
from .feeds import FEED_ARTICLES_BY_URL

IN_DB = RawPages()

# --- articles -----------------------------------------------------------------------------------


MAX_TITLE, MAX_NAME = 1000, 200  # characters kept of an article's title and of an author's name


def text_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).lower().encode()).hexdigest()


def _article_row(feed_id: int | None, entry: Entry | None, a: Article, now: str, digest: str | None = None) -> dict:
    return {
        "url": a.canonical_url or a.url, "feed_id": feed_id or None, "guid": entry.guid if entry else None,
        "title": a.title or plain_text(entry.title if entry else None), "authors": json.dumps(list(a.authors)),
        "published": a.published or (entry.published if entry else None), "language": a.language,
        "text": a.text, "text_source": a.source, "fetched_at": now, "updated_at": now,
        "content_hash": digest or text_hash(a.text), "extractor_version": a.extractor_version,
        "confidence": a.confidence,
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


def save_outcomes(
    db: sqlite_utils.Database, feed_id: int | None, outcomes: Iterable[Outcome], raw: RawPages = IN_DB
) -> Counter:
    """Store one batch in one transaction, its pages where `raw` says. Counts: new, updated,
    duplicate, failed:<reason>."""
    counts: Counter = Counter()
    now = now_iso()
    outcomes = [replace(o, article=safe_article(o.article)) if o.article else o for o in outcomes]
    with write(db):
        known = _Known(db, feed_id, outcomes)
        for o in outcomes:
            counts.update(_save_one(db, feed_id, o, now, known))
        known.flush(db, raw)
    return counts


class _Known:
    """What a batch needs to know of the db (its entries, and the articles its addresses, texts and
    URLs already are), read in a few queries for the whole batch instead of several per article, and
    kept up to date as the batch stores: an article stored early in a batch is known to the rest.
    The batch's writes other than articles (entry statuses, addresses, raw pages, learned paragraph
    counts) are gathered and written at its end, one statement each, in the same transaction."""

    def __init__(self, db: sqlite_utils.Database, feed_id: int | None, outcomes: list[Outcome]) -> None:
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
        self.written: list[tuple[int, str | None, str]] = []  # (id, title, text) of articles stored or replaced

    def _keep_pages(self, db: sqlite_utils.Database, raw: RawPages) -> None:
        """The batch's pages: in the db, in the archive's WARC files (the db keeping where), or nowhere."""
        if raw.where == "none" or not self.raw_rows:
            return
        sql = "insert or replace into raw_pages (article_id, url, fetched_at, html_zstd, warc_file, warc_offset, "
        sql += "warc_length) values (?, ?, ?, ?, ?, ?, ?)"
        if raw.where == "db":
            db.conn.executemany(sql, [(*row, None, None, None) for row in self.raw_rows])
            return
        pages = [(url, at, zstandard.decompress(page)) for _, url, at, page in self.raw_rows]
        places = _warc.append(db, raw, pages)
        rows = [(i, url, at, None, *place) for (i, url, at, _), place in zip(self.raw_rows, places, strict=True)]
        db.conn.executemany(sql, rows)

    def article_for(self, keys: Iterable[str]) -> int | None:
        return next((self.by_key[k] for k in keys if k in self.by_key), None)

    def add_keys(self, article_id: int, keys: Iterable[str]) -> None:
        for k in keys:
            if k:
                self.address_rows.append((k, article_id))
                self.by_key.setdefault(k, article_id)

    def flush(self, db: sqlite_utils.Database, raw: RawPages) -> None:
        conn = db.conn
        _cjk.index(db, self.written)
        self._keep_pages(db, raw)
        conn.executemany(
            "update entries set status = ?, article_id = coalesce(?, article_id), attempts = ?, "
            "last_error = ?, updated_at = ? where feed_id = ? and key = ?",
            self.entry_updates,
        )
        conn.executemany("insert or ignore into article_urls (key, article_id) values (?, ?)", self.address_rows)
        conn.executemany(
            "insert into boilerplate (host, fingerprint, articles) values (?, ?, 1) "
            "on conflict(host, fingerprint) do update set articles = articles + 1",
            self.learn_rows,
        )


def _save_one(db: sqlite_utils.Database, feed_id: int | None, o: Outcome, now: str, known: _Known) -> list[str]:
    e = o.entry
    entry_row = known.entries.get(e.key)
    attempts = (entry_row[0] if entry_row else 0) + (1 if e.link else 0)
    prior_article = entry_row[1] if entry_row else None

    def mark(status: str, article_id: int | None = None, error: str | None = None) -> None:
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
            updated = _update_article(db, existing, feed_id, e, a, now)
            _stories.forget(db, [existing])  # weighed again by its page's text
            _stories.assign(db, existing, updated["text"])
            known.written.append((existing, updated["title"], updated["text"]))
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
    new_story = _stories.assign(db, article_id, row["text"])
    known.written.append((article_id, row["title"], row["text"]))
    known.by_url[row["url"]] = article_id
    known.by_hash.setdefault(digest, article_id)
    known.add_keys(article_id, keys)
    if o.raw_zstd is not None:
        known.raw_rows.append((article_id, a.url, now, o.raw_zstd))
    known.learn_rows.extend(_learned(host_of(a.url), a.text))
    mark(status, article_id, o.error)
    return ["new", "new_story" if new_story else "new_version"]


def _update_article(
    db: sqlite_utils.Database, article_id: int, feed_id: int | None, e: Entry, a: Article, now: str
) -> dict:
    """The stored article replaced by this one (its page's, where the feed's text stood); the row written."""
    row = _article_row(feed_id, e, a, now)
    row.pop("fetched_at")
    if db.execute("select 1 from articles where url = ? and id != ?", [row["url"], article_id]).fetchone():
        row.pop("url")
    db.table("articles").update(article_id, row)
    return row


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


def stored_page_count(
    db: sqlite_utils.Database, feed_urls: Iterable[str] = (), since: str | None = None, until: str | None = None
) -> int:
    sql, params = _stored_where(feed_urls, since, until)
    return db.execute(f"select count(*) {sql}", params).fetchone()[0]


def stored_pages(
    db: sqlite_utils.Database, feed_urls: Iterable[str] = (), since: str | None = None, until: str | None = None
) -> Iterator[list[StoredPage]]:
    """Stored raw pages, in batches of 64, oldest first; filtered by feed and by published date."""
    where, params = _stored_where(feed_urls, since, until)
    sql = f"select a.id, r.url, a.content_hash, {PAGE_COLUMNS} {where}"
    last = 0
    while True:
        rows = db.execute(sql + " and a.id > ? order by a.id limit 64", [*params, last]).fetchall()
        if not rows:
            return
        yield [StoredPage(r[0], r[1], _readable(db, r[3:]), r[2]) for r in rows]
        last = rows[-1][0]


def _readable(db: sqlite_utils.Database, columns: tuple) -> bytes:
    """A stored page; an empty one (which extracts to nothing, a failed page) when its WARC file is
    gone or damaged: one missing file must not stop a re-extraction of the whole archive."""
    try:
        return page_zstd(db, *columns)
    except (OSError, ValueError, StopIteration, EOFError, zlib.error):
        return zstandard.compress(b"")


PAGE_COLUMNS = "r.html_zstd, r.html_zlib, r.warc_file, r.warc_offset"


def page_zstd(
    db: sqlite_utils.Database, zstd: bytes | None, zlib_: bytes | None, warc: str | None, at: int | None
) -> bytes:
    """A stored page, zstd-compressed: as stored, read from its WARC record, or from zlib in rows
    stored before the archive moved to zstd."""
    if zstd is not None:
        return zstd
    if warc is not None and at is not None:
        return zstandard.compress(_warc.read(db, warc, at))
    return zstandard.compress(zlib.decompress(zlib_ or b""))


def replace_texts(db: sqlite_utils.Database, updates: Iterable[tuple[int, Article]]) -> int:
    """Store re-extracted articles whose text changed; returns how many changed."""
    now = now_iso()
    changed = 0
    with write(db):
        for article_id, a in updates:
            a = safe_article(a)
            new_hash = text_hash(a.text)
            sql = "select content_hash, confidence, story_id from articles where id = ?"
            row = db.execute(sql, [article_id]).fetchone()
            if row is None:
                continue
            if row[0] == new_hash:  # the same text, newly weighed (an article stored before confidence was)
                if row[1] != a.confidence:
                    db.execute("update articles set confidence = ? where id = ?", [a.confidence, article_id])
                if row[2] is None:  # nor stories
                    _stories.assign(db, article_id, a.text)
                continue
            _stories.forget(db, [article_id])
            _stories.assign(db, article_id, a.text)
            db.table("articles").update(
                article_id,
                {
                    "text": a.text, "title": a.title, "authors": json.dumps(list(a.authors)),
                    "language": a.language, "content_hash": new_hash, "extractor_version": a.extractor_version,
                    "confidence": a.confidence, "updated_at": now,
                },
            )  # fmt: skip
            _cjk.index(db, [(article_id, a.title, a.text)])
            changed += 1
    return changed


def prune(db: sqlite_utils.Database, before: str, feed_url: str | None = None) -> tuple[int, int]:
    """Retention: the articles published (else fetched) before the day `before`, of every feed or of
    one (its URL), lose their text, title, authors, page and index entries; their row, addresses and
    text hash stay, so that no feed's item brings them back. (articles pruned, bytes of text and
    pages removed from the db; VACUUM gives them back to the disk.)"""
    where = "a.pruned_at is null and substr(coalesce(a.published, a.fetched_at), 1, 10) < ?"
    params: list = [before[:10]]
    if feed_url:
        where += f" and a.id in {FEED_ARTICLES_BY_URL}"
        params += [feed_url, feed_url]
    with write(db):
        ids = json.dumps([r[0] for r in db.execute(f"select a.id from articles a where {where}", params)])
        count, text = db.execute(
            "select count(*), coalesce(sum(length(cast(text as blob)) + coalesce(length(cast(title as blob)), 0)), 0) "
            f"from articles where id in {IN_LIST}",
            [ids],
        ).fetchone()
        pages = db.execute(
            "select coalesce(sum(coalesce(length(html_zstd), 0) + coalesce(length(html_zlib), 0)), 0) "
            f"from raw_pages where article_id in {IN_LIST}",
            [ids],
        ).fetchone()[0]
        db.execute(f"delete from {_cjk.TABLE} where rowid in {IN_LIST}", [ids])
        db.execute(f"delete from raw_pages where article_id in {IN_LIST}", [ids])
        db.execute(f"delete from story_bands where article_id in {IN_LIST}", [ids])  # no text to join by
        db.execute(f"delete from story_sigs where article_id in {IN_LIST}", [ids])
        db.execute(
            "update articles set text = '', title = null, authors = null, text_source = 'pruned', pruned_at = ? "
            f"where id in {IN_LIST}",
            [now_iso(), ids],
        )
    return count, text + pages


def vacuum(db: sqlite_utils.Database) -> tuple[int, int]:
    """Give the space of deleted rows back to the disk, the WAL emptied into the file after; the
    archive's size in bytes before and after (its pages, wherever they are)."""
    before = _size(db)
    db.execute("vacuum")
    db.execute("pragma wal_checkpoint(truncate)")
    return before, _size(db)


def _size(db: sqlite_utils.Database) -> int:
    return db.execute("select page_count * page_size from pragma_page_count, pragma_page_size").fetchone()[0]
