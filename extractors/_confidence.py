"""How far to trust an extraction: evidence from the page, not from the expected text.

Each sign below is something a bad extraction shows on pages of any site: two ways of reading the
page that disagree, a text that holds much less or much more than the prose the page shows, a text of
short lines (menus, captions, link labels), a body the page declares that the text does not match,
cleaning that had to take away much of what extraction kept."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ._declared import _CJK
from ._declared import words as _cjk_words


@dataclass(frozen=True)
class Evidence:
    text: str  # what paperboy keeps
    raw_chars: int  # what extraction gave before the cleaning
    prose: int  # the page's prose (`prose_runs`, summed), furniture removed; 0 for a feed's own content
    other: str | None = None  # another reading of the page, where one was made
    declared: Counter | None = None  # the words of the page's declared body
    densest: str = ""  # the paragraphs of the element of the page that holds the most prose


_WORD = re.compile(r"\w+")


def words(text: str) -> Counter:
    """The text's words, counted (CJK text by its characters): `_declared.words` less its Unicode
    normalisation, which cost more than all the rest of the weighing."""
    tokens = _WORD.findall(text.casefold())
    if not text.isascii() and _CJK.search(text):
        tokens = [w for tok in tokens for w in (_cjk_words(tok) if _CJK.search(tok) else (tok,))]
    return Counter(tokens)


SHORT_LINE_CHARS = 40
DENSEST_MIN_CHARS = 200  # a page's densest prose shorter than this says little


def signs(ev: Evidence) -> dict[str, float]:
    lines = [line for line in ev.text.split("\n") if line.strip()]
    short = sum(len(line) for line in lines if len(line) < SHORT_LINE_CHARS)
    got = words(ev.text)
    out = {
        "chars": float(len(ev.text)),
        "short": short / max(1, len(ev.text)),
        "kept": len(ev.text) / max(1, ev.raw_chars),
    }
    if ev.prose:
        out["coverage"] = len(ev.text) / ev.prose
    if len(ev.densest) >= DENSEST_MIN_CHARS:
        dense = words(ev.densest)
        out["densest_in"] = sum((got & dense).values()) / max(1, sum(dense.values()))
    if ev.other:  # how much of what the other reading found this text holds (finding more is no doubt)
        other = words(ev.other)
        out["agree"] = sum((got & other).values()) / max(1, sum(other.values()))
    if ev.declared:
        inside = sum((got & ev.declared).values())
        out["declared_in"] = inside / max(1, sum(got.values()))
        out["declared_got"] = inside / max(1, sum(ev.declared.values()))
    return out


# Each sign multiplies the confidence by its factor; a factor of 0.5 or less alone makes a text doubtful
# (under 0.5), two milder signs together do. The bounds are what texts that match their page rarely
# show: together they flag 3 % of the dev sets' pages over 0.9 F1 (`make eval` prints the rates).
TOP = 0.95
SHORT_TEXT = ((500, 0.45), (1000, 0.75))  # (under so many characters, factor): a teaser, a stub, a wall
# (over so many characters, factor): an article this long is rare, one of 50,000 (some 8,000 words)
# rarer still (no expected body of the dev sets' 888 pages); a page's every post, comment or chapter is not
LONG_TEXT = ((50_000, 0.45), (30_000, 0.6))
LOW_COVERAGE = (0.5, 0.5)  # under half of the page's prose kept: perhaps a part of the article
SHORT_LINES = (0.15, 0.6)  # over 15 % of the text in lines of a few words: menus, labels, captions
DISAGREE = (0.5, 0.45)  # the text holds less than half of what another reading of the page found
DECLARED_MISSED = (0.5, 0.4)  # less than half of the body the page declares is in the text
DENSEST_MISSED = (0.5, 0.45)  # less than half of the page's densest prose is in the text
CLEANED_AWAY = (0.9, 0.7)  # the cleaning had to take more than a tenth of what extraction kept


def confidence(ev: Evidence) -> float:
    """0 to 1: how far the text can be trusted to be the page's article, whole and alone. Under 0.5
    is doubtful."""
    if not ev.text.strip():
        return 0.0
    s = signs(ev)
    score = TOP
    score *= next((factor for chars, factor in SHORT_TEXT if s["chars"] < chars), 1)
    score *= next((factor for chars, factor in LONG_TEXT if s["chars"] > chars), 1)
    for key, (bound, factor) in (
        ("coverage", LOW_COVERAGE),
        ("agree", DISAGREE),
        ("declared_got", DECLARED_MISSED),
        ("densest_in", DENSEST_MISSED),
        ("kept", CLEANED_AWAY),
    ):
        if key in s and s[key] < bound:
            score *= factor
    score *= SHORT_LINES[1] if s["short"] > SHORT_LINES[0] else 1
    return score
