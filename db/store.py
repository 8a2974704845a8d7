"""The store: every read and write of paperboy's data, one module per aggregate, called as
`store.<function>` by the flows."""

from .articles import (
    learned_boilerplate,
    replace_texts,
    safe_article,
    save_outcomes,
    stored_page_count,
    stored_pages,
    text_hash,
)
from .checkpoints import host_holds, job_state, save_holds, save_job_state
from .entries import article_for_keys, backlog, backlog_size, new_entries, record_backlog
from .feeds import (
    GONE,
    PAUSED,
    add_feed,
    any_to_poll,
    each_feed,
    each_feed_health,
    edit_feed,
    feeds_by_id,
    ids_to_poll,
    list_feeds,
    record_poll,
    remove_feed,
)
from .reading import Among, QueryError, article, export_articles, raw_page, search

__all__ = [
    "Among",
    "GONE",
    "PAUSED",
    "QueryError",
    "add_feed",
    "article",
    "article_for_keys",
    "backlog",
    "backlog_size",
    "edit_feed",
    "export_articles",
    "feeds_by_id",
    "ids_to_poll",
    "host_holds",
    "job_state",
    "learned_boilerplate",
    "list_feeds",
    "any_to_poll",
    "each_feed",
    "each_feed_health",
    "new_entries",
    "raw_page",
    "record_backlog",
    "record_poll",
    "remove_feed",
    "replace_texts",
    "safe_article",
    "save_holds",
    "save_job_state",
    "save_outcomes",
    "search",
    "stored_page_count",
    "stored_pages",
    "text_hash",
]
