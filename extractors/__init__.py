"""HTML in, article out: trafilatura and the cleaning. Pure functions, no I/O."""

from ._clean import RULE_FAMILIES, clean_paragraphs, fingerprint, plain_text
from ._extract import extract, extract_fragment
from ._models import EXTRACTOR_VERSION, Article, ExtractOptions, SiteRules

__all__ = [
    "EXTRACTOR_VERSION",
    "RULE_FAMILIES",
    "Article",
    "ExtractOptions",
    "SiteRules",
    "clean_paragraphs",
    "extract",
    "extract_fragment",
    "fingerprint",
    "plain_text",
]
