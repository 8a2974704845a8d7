"""HTML in, article out: trafilatura and the cleaning. Pure functions, no I/O.

trafilatura is imported on the first use of `extract` or `extract_fragment`. The flow's process
uses only the models and the cleaning rules, and extraction runs in the pool's worker processes: a
first extraction would grow the flow's process by 113 MB (trafilatura's modules 6 MB, the language
model and what trafilatura loads lazily the rest).
"""

from ._clean import RULE_FAMILIES, clean_paragraphs
from ._models import ExtractOptions, SiteRules

__all__ = [
    "RULE_FAMILIES",
    "ExtractOptions",
    "SiteRules",
    "clean_paragraphs",
    "extract",
    "extract_fragment",
]


def __getattr__(name: str):
    if name in ("extract", "extract_fragment"):
        from . import _extract

        return getattr(_extract, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
