"""Search in Chinese, Japanese and Korean text, which does not put spaces between its words.

FTS5's unicode61 tokenizer takes a run of CJK characters for one token, so `東京` never matches
"東京都". Articles with CJK text are also indexed in `articles_cjk`, each CJK character a token
of its own (a separator around it); a CJK query becomes a phrase of its characters, which matches
them side by side anywhere in a word. FTS5's trigram tokenizer would need three characters a query,
and most Chinese and Japanese words have two.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import sqlite_utils

from ._base import IN_LIST

TABLE = "articles_cjk"
SEP = "\x1f"  # a separator to unicode61, and never in stored text (control characters are stripped)
_CHARS = (
    "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"  # Hangul jamo, kana, Han
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f"  # Hangul syllables, Han compatibility and extensions
)
CJK = re.compile(f"[{_CHARS}]")
_RUN = re.compile(f"[{_CHARS}]+")
_QUOTED = re.compile(r'("[^"]*"?)')  # FTS5 strings, the last one perhaps unterminated


def has_cjk(text: str | None) -> bool:
    return bool(text and CJK.search(text))


def spaced(text: str | None) -> str:
    """The text as indexed: each CJK character apart from its neighbours."""
    return CJK.sub(lambda m: SEP + m.group() + SEP, text or "")


def unspaced(text: str) -> str:
    return text.replace(SEP, "")


def query(q: str) -> str:
    """An FTS5 query for the spaced index: a run of CJK characters outside quotes becomes a quoted
    phrase of its characters; inside quotes its characters are spaced (the phrase already holds them)."""
    out = []
    for part in _QUOTED.split(q):
        if part.startswith('"'):
            out.append(CJK.sub(lambda m: f" {m.group()} ", part))
        else:
            out.append(_RUN.sub(lambda m: '"' + " ".join(m.group()) + '"', part))
    return "".join(out)


def create(db: sqlite_utils.Database) -> None:
    """The index, filled from the stored articles when it is new (an archive of an older paperboy),
    in the caller's transaction (the schema's)."""
    if db.execute("select 1 from sqlite_master where name = ?", [TABLE]).fetchone():
        return
    db.execute(f"create virtual table {TABLE} using fts5(title, text, tokenize='unicode61 remove_diacritics 2')")
    db.conn.create_function("paperboy_has_cjk", 1, has_cjk, deterministic=True)
    sql = "select id, title, text from articles where paperboy_has_cjk(coalesce(title, '') || ' ' || text)"
    index(db, db.execute(sql).fetchall())


def index(db: sqlite_utils.Database, articles: Iterable[tuple[int, str | None, str]]) -> None:
    """Index these articles (id, title, text as stored) anew, in the caller's transaction: those
    with CJK text."""
    articles = list(articles)
    db.execute(f"delete from {TABLE} where rowid in {IN_LIST}", [json.dumps([i for i, _, _ in articles])])
    db.conn.executemany(
        f"insert into {TABLE} (rowid, title, text) values (?, ?, ?)",
        [(i, spaced(t), spaced(x)) for i, t, x in articles if has_cjk(t) or has_cjk(x)],
    )
