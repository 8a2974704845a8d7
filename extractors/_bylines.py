"""Bylines: whether a paragraph is one, and the names it gives."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ._phrases import _PARTICLES, _SPLIT, BYLINE_PREFIX


def _words(text: str) -> list[str]:
    return re.findall(r"[\w’'.-]+", text)


def _namelike(segment: str, max_words: int = 4) -> bool:
    words = _words(segment)
    if not 1 <= len(words) <= max_words:
        return False
    caps = 0
    for w in words:
        if w[0].isupper():
            caps += 1
        elif w.lower() not in _PARTICLES:
            return False
    return caps >= 1


def _harmless_segment(segment: str) -> bool:
    """A segment that may follow names in a byline: a place, a role, a date or a time."""
    words = _words(segment)
    if len(words) > 6:
        return False
    lower = [w for w in words if w[0].islower() and w.lower() not in _PARTICLES and len(w) > 3]
    return len(lower) <= 1


def byline_names(paragraph: str, known: Iterable[str] = ()) -> tuple[str, ...] | None:
    """The author names if the paragraph is a byline, else None."""
    text = paragraph.strip()
    if len(text) > 200 or text.endswith(("?", "!")):
        return None
    m = BYLINE_PREFIX.match(text)
    if m:
        rest = text[m.end() :]
    else:
        low = text.lower()
        hits = [k for k in known if k and low.startswith(k.lower())]
        if not hits:
            return None
        rest = text
    segments = [s.strip(" .:") for s in _SPLIT.split(rest) if s.strip(" .:")]
    if not segments or not _namelike(segments[0]):
        return None
    names = [segments[0]]
    for seg in segments[1:]:
        if _namelike(seg, 3) and len(_words(seg)) >= 2 and not any(ch.isdigit() for ch in seg):  # not a place
            names.append(seg)
        elif not _harmless_segment(seg):
            return None
    if len(_words(text)) > 14 and text.endswith("."):
        return None
    return tuple(names)


def _known_name_in(paragraph: str, authors: Iterable[str]) -> bool:
    low = paragraph.lower()
    for name in authors:
        parts = [p for p in name.lower().split() if len(p) > 2]
        if parts and (name.lower() in low or (len(parts) > 1 and parts[-1] in low and low.index(parts[-1]) < 40)):
            return True
    return False
