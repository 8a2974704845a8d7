"""Stories: the same text republished by many outlets, one story.

Each new article's clean text is cut into shingles (runs of five words; Chinese, Japanese and Korean
by the character), summed up by a MinHash signature, and the signature cut into bands. Articles that
share a band are candidates; a candidate whose shingles hold at least half of the shorter text's is
the same report (a copy with its headline changed, a dateline added, its last paragraphs cut, an
advertisement inside, a correction appended), and the new article joins its story. Else it starts
a story of its own. The bands and signatures of each story's first versions live in the archive with
an index: a look-up reads a few rows whatever the archive's size (however many versions a story has),
weighs each candidate by its signature (no text is read again), and no pass re-reads the archive."""

from __future__ import annotations

import re
import zlib

import numpy as np
import sqlite_utils

SHINGLE_WORDS = 5
BANDS, ROWS = 20, 3  # 60 hashes: a pair that shares half its shingles meets in some band 93 % of the time
SAME_STORY = 0.5  # the share of the shorter text's shingles the other holds: one report
MIN_SHINGLES = 8  # a text shorter than this (a line or two) starts a story of its own
MAX_CANDIDATES = 16  # the candidates sharing the most bands are weighed
# A story's first versions are what later ones are found by: a story republished a thousand times
# would otherwise put a thousand rows under each of its bands, all read by every look-up.
INDEXED_VERSIONS = 4

_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_RNG = np.random.RandomState(20261207)  # fixed: the bands of every archive must be comparable forever
# The permutations: multiply-shift hashing, (a·h + b) mod 2^64, its high 32 bits (a odd): cheaper than
# datasketch's (a·h + b) mod (2^61 - 1), for estimates as good on texts this size (`make eval-stories`).
_A = _RNG.randint(0, 1 << 63, size=BANDS * ROWS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _RNG.randint(0, 1 << 63, size=BANDS * ROWS, dtype=np.uint64)
_MAX_HASH = np.uint64((1 << 32) - 1)


def tokens(text: str) -> list[str]:
    out = _WORD.findall(text.casefold())
    if not text.isascii() and _CJK.search(text):
        out = [c for tok in out for c in (tok if _CJK.search(tok) else (tok,))]
    return out


def shingles(text: str) -> set[int]:
    """The text's runs of SHINGLE_WORDS words, hashed: each word by crc32 (the same in every process),
    a run by mixing its words' hashes, all runs at once."""
    words = tokens(text)
    if not words:
        return set()
    crc = {w: zlib.crc32(w.encode()) for w in set(words)}
    hashed = np.array([crc[w] for w in words], dtype=np.uint64)
    n = min(SHINGLE_WORDS, len(words))
    runs = np.zeros(len(words) - n + 1, dtype=np.uint64)
    for k in range(n):  # (a polynomial of the run's word hashes, wrapping at 2^64, cut to 32 bits)
        runs = runs * np.uint64(1_000_003) + hashed[k : len(words) - n + 1 + k]
    return set((runs >> np.uint64(16) & _MAX_HASH).tolist())


def signature(hashed: set[int]) -> np.ndarray:
    """The MinHash signature: for each of BANDS × ROWS hash functions, the least hash of a shingle."""
    values = np.fromiter(hashed, dtype=np.uint64, count=len(hashed))
    return ((np.outer(values, _A) + _B) >> np.uint64(32)).min(axis=0)


def bands(sig: np.ndarray) -> list[int]:
    """The signature's bands, each a key of 63 bits (its band's number mixed in)."""
    keys = np.arange(BANDS, dtype=np.uint64) + np.uint64(1)
    for row in sig.reshape(BANDS, ROWS).T:  # (a polynomial again, wrapping at 2^64)
        keys = keys * np.uint64(0x100000001B3) + row
    return (keys >> np.uint64(1)).tolist()


def contained_estimate(sig_a: np.ndarray, n_a: int, sig_b: np.ndarray, n_b: int) -> float:
    """The share of the smaller set's shingles the other holds, from two signatures and the sizes of
    their sets: the share of equal hashes estimates their Jaccard index J, and |A ∩ B| = J (|A| + |B|) / (1 + J)."""
    j = float(np.mean(sig_a == sig_b))
    return j * (n_a + n_b) / (1 + j) / min(n_a, n_b) if n_a and n_b else 0.0


def assign(db: sqlite_utils.Database, article_id: int, text: str) -> bool:
    """Give a stored article its story (in the caller's transaction); True when it starts one."""
    own = shingles(text)
    story = None
    if len(own) >= MIN_SHINGLES:
        sig = signature(own)
        keys = bands(sig)
        marks = ",".join("?" * len(keys))
        candidates = db.execute(
            f"select article_id from story_bands where band in ({marks}) and article_id != ? "
            f"group by article_id order by count(*) desc, article_id limit {MAX_CANDIDATES}",
            [*keys, article_id],
        ).fetchall()
        best = 0.0
        weighed = (
            db.execute(  # each candidate by its signature: no candidate's text is read again
                "select s.shingles, s.sig, coalesce(a.story_id, a.id) from story_sigs s join articles a "
                f"on a.id = s.article_id where s.article_id in ({','.join('?' * len(candidates))})",
                [c[0] for c in candidates],
            ).fetchall()
            if candidates
            else []
        )
        for shingle_count, other_sig, other_story in weighed:
            share = contained_estimate(sig, len(own), np.frombuffer(other_sig, dtype=np.uint32), shingle_count)
            if share >= SAME_STORY and share > best:
                best, story = share, other_story
        if story is None or _indexed_versions(db, story) < INDEXED_VERSIONS:
            db.conn.executemany(
                "insert or ignore into story_bands (band, article_id) values (?, ?)", [(k, article_id) for k in keys]
            )
            db.execute(
                "insert or replace into story_sigs (article_id, shingles, sig) values (?, ?, ?)",
                [article_id, len(own), sig.astype(np.uint32).tobytes()],  # (each hash is 32 bits)
            )
    db.execute("update articles set story_id = ? where id = ?", [story or article_id, article_id])
    return story is None


def _indexed_versions(db: sqlite_utils.Database, story: int) -> int:
    return db.execute(
        "select count(*) from articles a join story_sigs s on s.article_id = a.id where a.story_id = ?", [story]
    ).fetchone()[0]


def forget(db: sqlite_utils.Database, article_ids: list[int]) -> None:
    """Bands of articles that are gone (purged, pruned): no later article joins their stories by them."""
    db.conn.executemany("delete from story_bands where article_id = ?", [(i,) for i in article_ids])
    db.conn.executemany("delete from story_sigs where article_id = ?", [(i,) for i in article_ids])
