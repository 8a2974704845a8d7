"""Reading the archive: search, export, one article and its page."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass

import sqlite_utils
import zstandard

from paperboy.core import PaperboyError, url_key

from . import _cjk
from ._base import _day_range
from .articles import PAGE_COLUMNS, page_zstd
from .feeds import FEED_ARTICLES_BY_URL

# --- reading ------------------------------------------------------------------------------------


class QueryError(PaperboyError, ValueError):
    """A search query FTS5 cannot read."""


_OPERATORS = re.compile(r'["()*^:]|\b(?:AND|OR|NOT|NEAR)\b')  # what makes a query more than plain words
MARK = "**"  # around a match in a snippet: brackets clash with text that has its own ("[U.S.]")


@dataclass(frozen=True)
class Among:
    """Which articles a search or an export looks at: of a feed (its URL), in a language (ISO 639-1),
    published between two days (inclusive, YYYY-MM-DD)."""

    feed: str | None = None
    language: str | None = None
    since: str | None = None
    until: str | None = None
    watch: str | None = None  # the articles a watch (its name) matched
    min_confidence: float | None = None  # articles whose text was weighed at least this (0 to 1)


def search(
    db: sqlite_utils.Database, query: str, limit: int = 10, *, plain: bool = False, among: Among = Among()
) -> list[dict]:
    """Full-text search, best first (newest first when there are too many matches to rank in
    RANK_BUDGET: each row says which in `ranked`). The query is FTS5's syntax (phrases in quotes, OR, NOT, prefix*,
    NEAR); a query of plain words (`plain`, or one without any operator) has each word quoted, so
    its punctuation is never syntax. QueryError for a query FTS5 cannot read."""
    # (a read-only db of an older paperboy has no CJK index)
    found = fts_query(query, plain, cjk=_cjk.TABLE in db.table_names())
    if found is None:
        return []
    fts, query = found
    where, params = _article_filters(among)
    days, day_params = _day_range("a.published", among.since, among.until)
    joins = f" join articles a on a.rowid = {fts}.rowid left join feeds f on f.id = a.feed_id"
    try:
        ids, ranked = _best(db, fts, joins if where or days else "", where + days, [query, *params, *day_params], limit)
        if not ids:
            return []
        sql = (
            "select a.id, a.title, a.url, a.published, a.language, f.url as feed, "
            f"snippet({fts}, 1, '{MARK}', '{MARK}', '…', 16) as snippet from {fts}{joins} "
            f"where {fts} match ? and {fts}.rowid in (select value from json_each(?))"
        )
        rows = {row["id"]: row for row in db.query(sql, [query, json.dumps(ids)])}
    except sqlite3.OperationalError as exc:
        # FTS5 says a query is bad in several ways ("fts5: syntax error near", "unterminated string",
        # "unknown special query", "no such column"); what is not about the query is the store's.
        if any(word in str(exc) for word in ("locked", "disk", "malformed", "no such table", "readonly")):
            raise
        raise QueryError(str(exc)) from exc
    out = [rows[i] for i in ids if i in rows]
    for row in out:
        row["snippet"] = " ".join(_cjk.unspaced(row["snippet"] or "").split())  # one line
        row["ranked"] = ranked
    return out


def fts_query(query: str, plain: bool = False, cjk: bool = True) -> tuple[str, str] | None:
    """The full-text table to search and the FTS5 query for `query` in paperboy's syntax (None for a
    query with no words): a query of plain words (`plain`, or one without any operator) has each
    word quoted, so its punctuation is never syntax; one with CJK text searches the CJK index."""
    if plain or not _OPERATORS.search(query):
        terms = [t for t in query.replace('"', " ").split() if t]
        if not terms:
            return None
        query = " ".join(f'"{t}"' for t in terms)
    if cjk and _cjk.has_cjk(query):
        return _cjk.TABLE, _cjk.query(query)
    return "articles_fts", query


# Ranking scores every match: a word in half of 1 M articles took 1 to 5 s (docs/performance.md).
# Past this budget a search gives the newest matches instead. FTS5 does a phrase's matching in C,
# where the budget cannot interrupt it (a common phrase ran 312 ms over a 100 ms budget), so a query
# whose matches among the newest articles foretell more than RANK_AT_MOST in all is not ranked; nor
# is a phrase or a query of several words whose every word does (FTS5 reads each word's matches to
# find theirs: "said on" has few matches, and took 538 ms).
RANK_BUDGET = 0.1  # seconds
RANK_CHECK_EVERY = 20_000  # SQLite instructions between two looks at the clock
RANK_AT_MOST = 40_000  # matches (foretold); about what ranking got through in RANK_BUDGET at 5 M articles
NEWEST_WINDOW = 10_000  # articles: the newest, searched first


def _best(
    db: sqlite_utils.Database, fts: str, joins: str, where: str, params: list, limit: int
) -> tuple[list[int], bool]:
    """The ids of the best `limit` matches, best first, and True; or, when there are too many to rank
    within RANK_BUDGET, the newest matches, newest first, and False."""
    base = f"select {fts}.rowid from {fts}{joins} where {fts} match ?{where}"
    # The newest matches are read in a window of the newest articles, widened eightfold until it holds
    # `limit` of them. FTS5 reads a doclist backwards only by loading all of it: `order by rowid desc`
    # read every match of a common phrase (0.4 to 1.2 s at 5 M articles); forwards from a rowid it seeks.
    top = db.execute("select max(rowid) from articles").fetchone()[0] or 0

    def newest_in(span: int) -> list[int]:
        return [r[0] for r in db.execute(base + f" and {fts}.rowid > ?", [*params, max(0, top - span)])]

    span = NEWEST_WINDOW
    newest = newest_in(span)
    scale = max(1.0, top / span)

    def few(word: str) -> bool:
        sql = f"select count(*) from {fts} where {fts} match ? and rowid > ?"
        return db.execute(sql, [f'"{word}"', top - span]).fetchone()[0] * scale <= RANK_AT_MOST

    words = _words(params[0]) if fts == "articles_fts" else []
    if len(newest) * scale <= RANK_AT_MOST and (len(words) < 2 or any(few(w) for w in words)):
        deadline = time.monotonic() + RANK_BUDGET
        db.conn.set_progress_handler(lambda: time.monotonic() > deadline, RANK_CHECK_EVERY)
        try:
            return [r[0] for r in db.execute(base + " order by rank limit ?", [*params, limit])], True
        except sqlite3.OperationalError as exc:
            if "interrupted" not in str(exc):
                raise
        finally:
            db.conn.set_progress_handler(None, 0)
    while len(newest) < limit and top - span > 0:
        span *= 8
        newest = newest_in(span)
    return sorted(newest, reverse=True)[:limit], False


_QUOTED_ONLY = re.compile(r'\s*(?:"[^"]*"\s*)+')


def _words(query: str) -> list[str]:
    """The words of a query made only of quoted words and phrases (what a plain query becomes);
    none for a query with other syntax."""
    if not _QUOTED_ONLY.fullmatch(query):
        return []
    return [word for quoted in re.findall(r'"([^"]*)"', query) for word in quoted.split()]


def _article_filters(among: Among) -> tuple[str, list]:
    """` and …` conditions on an article (as `a`): a feed (its URL) that links it, its language, a watch
    that matched it, its text's confidence."""
    feed, language = among.feed, among.language
    sql, params = "", list[str | float]()
    if feed:  # every article the feed links, also those first stored through another feed
        sql += f" and a.id in {FEED_ARTICLES_BY_URL}"
        params += [feed, feed]
    if language:
        sql += " and a.language = ?"
        params.append(language)
    if among.min_confidence is not None:
        sql += " and a.confidence >= ?"
        params.append(among.min_confidence)
    if among.watch:
        sql += " and a.id in (select article_id from watch_matches where watch_id = "
        sql += "(select id from watches where name = ?))"
        params.append(among.watch)
    return sql, params


def export_articles(db: sqlite_utils.Database, among: Among = Among(), newest: int | None = None) -> Iterator[dict]:
    """Stored articles in the order they were stored, a row at a time (memory stays flat whatever the
    archive's size), or the `newest` so many, newest first; filtered by the day published (or
    fetched), inclusive, by feed URL and by language."""
    sql = (
        "select a.id, a.url, f.url as feed, a.guid, a.title, a.authors, a.published, a.language, "
        "a.text_source, a.fetched_at, a.updated_at, a.content_hash, a.extractor_version, a.text "
        "from articles a left join feeds f on f.id = a.feed_id where 1"
    )
    columns = db.table("articles").columns_dict  # (a read-only archive of an older paperboy lacks the newer ones)
    if "confidence" in columns:
        sql = sql.replace("a.extractor_version, a.text ", "a.extractor_version, a.confidence, a.text ")
    if "story_id" in columns:
        sql = sql.replace("a.guid, ", "coalesce(a.story_id, a.id) as story, a.guid, ")
    days, day_params = _day_range("coalesce(a.published, a.fetched_at)", among.since, among.until)
    where, params = _article_filters(among)
    if "pruned_at" in columns:
        where += " and a.pruned_at is null"
    order = " order by a.id" if newest is None else " order by a.id desc limit ?"
    for row in db.query(sql + days + where + order, [*day_params, *params, *([newest] if newest else [])]):
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
    row = db.execute(f"select {PAGE_COLUMNS} from raw_pages r where article_id = ?", [article_id]).fetchone()
    return zstandard.decompress(page_zstd(db, *row)) if row else None
