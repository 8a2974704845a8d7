"""What every layer shares and nothing of paperboy is imported by: the values that cross layers
(models), the rules for URLs (urls), for values read from strangers (values) and for stored text
(text). Standard library only."""

from .errors import PaperboyError, internal_error
from .models import (
    DOUBTFUL,
    EXTRACTOR_VERSION,
    FEED_FIELDS,
    Article,
    Entry,
    Feed,
    FeedAccess,
    FeedPoll,
    FeedState,
    Outcome,
    StoredPage,
    header_problem,
)
from .text import MAX_TEXT, capped, fingerprint, plain_text
from .urls import (
    MASK,
    feed_identity,
    host_of,
    hostname_of,
    origin_of,
    same_origin_or_upgrade,
    site_of,
    split_credentials,
    url_key,
    url_problem,
    web_url,
    without_credentials,
)
from .values import ascii_int, clamp, one_line, printable

__all__ = [
    "PaperboyError",
    "internal_error",
    "DOUBTFUL",
    "FEED_FIELDS",
    "MAX_TEXT",
    "EXTRACTOR_VERSION",
    "Article",
    "Entry",
    "Feed",
    "FeedAccess",
    "MASK",
    "FeedPoll",
    "FeedState",
    "Outcome",
    "StoredPage",
    "ascii_int",
    "capped",
    "clamp",
    "feed_identity",
    "fingerprint",
    "header_problem",
    "host_of",
    "hostname_of",
    "origin_of",
    "same_origin_or_upgrade",
    "one_line",
    "plain_text",
    "printable",
    "site_of",
    "split_credentials",
    "url_key",
    "url_problem",
    "web_url",
    "without_credentials",
]
