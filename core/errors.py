"""The errors paperboy says in one line, and the text of a failure that is ours."""

from __future__ import annotations


class PaperboyError(Exception):
    """What paperboy cannot do, said in one line (what, and where): every error of its own is one.
    The command line prints it as `paperboy: <message>` and exits 1 (a usage error: 2)."""


MAX_ERROR_CHARS = 300  # a failure's text as it is stored and shown: one line's worth


def internal_error(exc: BaseException, what: str = "internal error") -> str:
    """The one line a defect leaves where it struck (a feed, a page, a batch): its kind and message."""
    return f"{what}: {type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
