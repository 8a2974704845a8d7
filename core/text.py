"""Text rules shared by the layers: what may be stored as plain text, and a paragraph's identity."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,500}>")
_SCRIPT_URL = re.compile(r"\b(?:java|vb)script\s*:", re.I)


def plain_text(text: str | None) -> str | None:
    """Extracted text is plain text: markup that survived extraction (a tag inside a <title>, an
    escaped snippet in a feed) is removed, so nothing stored can be rendered as HTML by a reader."""
    if text is None:
        return None
    return _SCRIPT_URL.sub("", _TAG.sub("", text)).replace("\x00", "")


_DIGITS = re.compile(r"\d+")


def fingerprint(paragraph: str) -> str:
    """A paragraph's identity for learned boilerplate: case, spacing and digits folded."""
    if not paragraph.isascii():  # NFKC leaves ASCII as it is: skip its cost for most paragraphs
        paragraph = unicodedata.normalize("NFKC", paragraph)
    norm = _DIGITS.sub("0", " ".join(paragraph.lower().split()))
    return hashlib.sha1(norm.encode()).hexdigest()[:16]


MAX_TEXT = 1_000_000  # characters of an article's stored text: ten times a long feature; a page past it is a dump


def capped(text: str, limit: int = MAX_TEXT) -> str | None:
    """The text cut to at most `limit` characters at its last paragraph break before the limit (at
    the limit when there is none); None when it is within it."""
    if len(text) <= limit:
        return None
    head = text[:limit]
    cut = head.rfind("\n\n")
    return head[:cut] if cut > 0 else head
