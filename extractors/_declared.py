"""The body a page declares (JSON-LD articleBody) against what extraction found: paragraphs the
declared body lacks, and an extraction that caught only its first part."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# --- the page's declared body (JSON-LD articleBody) --------------------------------------------
_WORD = re.compile(r"\w+", re.UNICODE)


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


DECLARED_CONTAINS = 0.8  # the declared body holds at least this share of the extracted words: it is the article


DECLARED_COVERAGE = 0.5  # a paragraph with fewer of its words in the declared body is not part of the article


DECLARED_MAX_DROP = 0.2  # never more than this share of the extracted words


TRUNCATED_RATIO = 2.0  # the declared body is at least this many times longer, and holds the whole extraction


_DIRECTIVE = re.compile(r"^[^\w\s]{2,}\S*$|^\{.*\}$")  # "+++dropcap", "{: class=...}": a CMS's markup in JSON-LD


def words(text: str) -> list[str]:
    """Lower-cased words; CJK text counts a character as a word."""
    out: list[str] = []
    for tok in _WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        if _CJK.search(tok):
            out.extend(tok)
        else:
            out.append(tok)
    return out


def heading_key(text: str) -> str:
    return " ".join(words(text))


def declared_words(declared: str) -> Counter:
    """The words of the page's declared body, counted: what the two checks below compare with."""
    return Counter(words(declared))


def _contained(paragraph_words: list[list[str]], pool: Counter) -> tuple[int, int]:
    got = Counter(w for ws in paragraph_words for w in ws)
    return sum((got & pool).values()), sum(got.values())


def truncated_against(paragraphs: list[str], declared: str, pool: Counter) -> list[str] | None:
    """The declared body's paragraphs, when the extraction is only its first part (the page split its
    story into containers and extraction kept one of them): None when the extraction stands."""
    lines = (p.strip() for p in declared.split("\n"))
    declared_paragraphs = [p for p in lines if p and not _DIRECTIVE.match(p)]
    if len(declared_paragraphs) < 3:  # one block of text would lose every paragraph break
        return None
    inside, total = _contained([words(p) for p in paragraphs], pool)
    if total and inside >= 0.95 * total and sum(pool.values()) >= TRUNCATED_RATIO * total:
        return declared_paragraphs
    return None


def outside_declared(paragraphs: list[str], pool: Counter, subheadings: frozenset[str] = frozenset()) -> list[int]:
    """Indices of paragraphs absent from the page's declared article body (JSON-LD articleBody):
    related-story lists, paywall dialogs and promos that extraction kept. Only when the declared body
    is the whole article (it holds nearly all of the extraction), never more than a fifth of the text.
    A subheading of the page (`subheadings`, as `heading_key` gives them) stays when the paragraph
    after it is declared: declared bodies often leave headings out."""
    paragraph_words = [words(p) for p in paragraphs]

    def declared(ws: list[str]) -> bool:
        return sum(1 for w in ws if w in pool) >= DECLARED_COVERAGE * len(ws)

    inside, total = _contained(paragraph_words, pool)
    if not total or inside < DECLARED_CONTAINS * total:
        return []
    doomed, dropped = [], 0
    for i, ws in enumerate(paragraph_words):
        if i + 1 < len(paragraphs) and heading_key(paragraphs[i]) in subheadings and declared(paragraph_words[i + 1]):
            continue
        if ws and not declared(ws):
            doomed.append(i)
            dropped += len(ws)
    return doomed if dropped <= DECLARED_MAX_DROP * total else []
