"""Values read from the network, parsed defensively: every number and string a stranger sends
comes through here before paperboy computes with it, stores it or prints it.

Nothing here raises on a bad value: a number that is not one is None, a string is cleaned.
"""

from __future__ import annotations

import re
from typing import TypeVar

MAX_DIGITS = 12  # longer "numbers" are refused (Python's int() refuses 4,300 digits and more anyway)
# Control characters (C0 but tab and newline, DEL, C1): a title carrying ESC or OSC sequences must
# not reach a terminal through `feeds list` or `search`.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")


def ascii_int(text: object, *, max_digits: int = MAX_DIGITS) -> int | None:
    """A non-negative integer written in ASCII digits only ('²' and '٣' are digits to str.isdigit,
    not to int), at most `max_digits` long; None otherwise."""
    if not isinstance(text, str):
        text = str(text) if isinstance(text, int) and not isinstance(text, bool) else ""
    text = text.strip()
    if not text or len(text) > max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


N = TypeVar("N", int, float)


def clamp(value: N, lo: N, hi: N) -> N:
    """`value`, or the bound it lies beyond."""
    return min(hi, max(lo, value))


def printable(text: str) -> str:
    """`text` without control characters (tab and newline kept)."""
    return _CONTROLS.sub("", text)


def one_line(value: object, limit: int) -> str | None:
    """A short metadata string (a title, a name): control characters out, white space folded,
    cut to `limit` characters; None when nothing is left."""
    if value is None:
        return None
    text = _SPACE.sub(" ", printable(str(value)[: limit * 8])).strip()[:limit].strip()
    return text or None
