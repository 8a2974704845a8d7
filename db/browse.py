"""The archive as Datasette shows it (`paperboy browse`): titles and descriptions of the tables and
their columns, the internals hidden, full-text search on articles, and the canned views an operator
and a reader need, with their SQL (this package is the only one that speaks SQL). The charts of the
browse page read the `*_per_day` and `failures_by_day` views as JSON."""

from __future__ import annotations

import sqlite3

from paperboy.core import DOUBTFUL

from .feeds import FEED_ARTICLE_COUNT, FEED_ARTICLES
from .reading import fts_query

# A failure's reason: what its error says before the first colon ("HTTP 404", "no article text in the page").
_REASON = (
    "case when instr(coalesce(e.last_error, ''), ':') > 0 then substr(e.last_error, 1, instr(e.last_error, ':') - 1) "
    "else coalesce(e.last_error, 'no text') end"
)
# An article's site: the host of its address, lower-cased.
_REST = "substr(a.url, instr(a.url, '://') + 3)"
_SITE = f"lower(substr({_REST}, 1, instr({_REST} || '/', '/') - 1))"
_AGO = "strftime('%Y-%m-%dT%H:%M:%S', 'now', '-{}')"  # stored times are ISO 8601, UTC

QUERIES = {
    "latest": {
        "title": "Latest articles",
        "description": "The newest articles stored: open one by its id; the address is the source.",
        "sql": "select a.id, a.title, coalesce(f.name, f.title, f.url) as feed, substr(coalesce(a.published, "
        "a.fetched_at), 1, 10) as day, a.language, a.url from articles a left join feeds f on f.id = a.feed_id "
        "where a.pruned_at is null order by a.id desc limit 100",
    },
    "search": {
        "title": "Search",
        "description": 'Full-text search as `paperboy search` does it: words, "a phrase", OR, NOT, prefix*; plain '
        "words are searched as they are (U.S., C++); Chinese, Japanese and Korean inside words.",
        # paperboy_fts (prepare) turns the query into the full-text table to search and its FTS5 query.
        "sql": "select a.id, a.title, substr(coalesce(a.published, a.fetched_at), 1, 10) as day, m.snippet from ("
        "select rowid as id, snippet(articles_fts, 1, char(2), char(3), ' … ', 24) as snippet, rank from articles_fts "
        "where paperboy_fts(:q, 0) = 'articles_fts' and articles_fts match paperboy_fts(:q, 1) union all "
        "select rowid, snippet(articles_cjk, 1, char(2), char(3), ' … ', 24), rank from articles_cjk "
        "where paperboy_fts(:q, 0) = 'articles_cjk' and articles_cjk match paperboy_fts(:q, 1)"
        ") m join articles a on a.id = m.id order by m.rank limit 50",
    },
    "article": {
        "title": "Article",
        "description": "One article as it is stored: its clean text, authors, date, canonical address, the "
        "addresses it was reached under and its feed.",
        "sql": "select a.id, a.title, a.authors, a.published, a.language, a.url as canonical_url, "
        "(select group_concat(key, ' ') from article_urls where article_id = a.id) as reached_under, "
        "coalesce(f.name, f.title, f.url) as feed, a.text_source, a.story_id as story, (select count(*) from articles "
        "s where s.story_id = a.story_id and s.pruned_at is null) as versions, a.text from articles a "
        "left join feeds f on f.id = a.feed_id where a.id = cast(:id as integer)",
    },
    "stories": {
        "title": "Stories",
        "description": "The same report republished by several outlets (their own headline, a dateline, cut, "
        "a correction appended): the stories with more than one version, the latest first. Open one by its id "
        "to see its versions side by side.",
        "sql": f"select a.story_id as story, (select title from articles where id = a.story_id) as title, "
        f"count(*) as versions, count(distinct {_SITE}) as outlets, min(a.fetched_at) as first_seen, "
        "max(a.fetched_at) as last_seen from articles a where a.story_id is not null and a.pruned_at is null "
        "group by a.story_id having versions > 1 order by last_seen desc limit 200",
    },
    "story": {
        "title": "A story's versions",
        "description": "Every version of one story (:id, the story's id: its first article's), the first first.",
        "sql": f"select a.id, a.title, {_SITE} as outlet, a.url, a.published, a.fetched_at, a.text from articles a "
        "where a.story_id = cast(:id as integer) and a.pruned_at is null order by a.id limit 50",
    },
    "doubtful_sites": {
        "title": "Doubtful texts by feed and site",
        "description": f"Where extraction doubts its text (confidence under {DOUBTFUL}: a part of the article, "
        "or more than the article): by feed and site, the most doubtful first. A site that is often doubtful "
        "wants a site rule ([sites] in the configuration).",
        "sql": f"select coalesce(f.name, f.title, f.url) as feed, {_SITE} as site, count(*) as articles, "
        f"sum(a.confidence < {DOUBTFUL}) as doubtful, round(100.0 * sum(a.confidence < {DOUBTFUL}) / count(*), 1) "
        "as doubtful_percent, min(a.confidence) as lowest from articles a left join feeds f on f.id = a.feed_id "
        "where a.pruned_at is null and a.confidence is not null group by a.feed_id, site having doubtful > 0 "
        "order by doubtful desc, doubtful_percent desc limit 500",
    },
    "doubtful": {
        "title": "Doubtful articles",
        "description": f"The articles whose text extraction doubts (confidence under {DOUBTFUL}), newest first; "
        "of one site (:site, its host) or all (empty). Open one by its id beside its page to see what was missed.",
        "sql": f"select a.id, a.title, {_SITE} as site, a.confidence, length(a.text) as characters, "
        "substr(coalesce(a.published, a.fetched_at), 1, 10) as day, a.url from articles a "
        f"where a.pruned_at is null and a.confidence < {DOUBTFUL} and (:site = '' or {_SITE} = lower(:site)) "
        "order by a.id desc limit 200",
    },
    "feed_out": {
        "title": "Full-text feed",
        "description": "The newest articles with their whole text, of one feed (:feed, its id), of one watch "
        "(:watch, its name) or of all (both empty): "
        "what /-/feeds/… serves as Atom and JSON Feed.",
        "sql": "select a.id, a.url, a.title, a.authors, a.published, a.language, a.fetched_at, a.updated_at, "
        "coalesce(a.story_id, a.id) as story, a.text "
        f"from articles a where a.pruned_at is null and (:feed = '' or a.id in "
        f"{FEED_ARTICLES.replace('?', 'cast(:feed as integer)')}) "
        "and (:watch = '' or a.id in (select article_id from watch_matches where watch_id = "
        "(select id from watches where name = :watch))) order by a.id desc limit 50",
    },
    "watch_matches": {
        "title": "Watches and their matches",
        "description": "What each watch matched, newest first (:watch, a watch's name, or empty for all); "
        "its full-text feed is /-/feeds/… as for a feed, by `paperboy export --watch`.",
        "sql": "select w.name as watch, w.query, a.id, a.title, substr(coalesce(a.published, a.fetched_at), 1, 10) "
        "as day, a.url, m.matched_at from watch_matches m join watches w on w.id = m.watch_id "
        "join articles a on a.id = m.article_id where :watch = '' or w.name = :watch order by m.matched_at desc, "
        "a.id desc limit 200",
    },
    "feeds_health": {
        "title": "Feeds and their health",
        "description": "Every feed followed: failing when its last polls failed, with the error; when it is "
        "polled next; how many articles it gave.",
        "sql": "select f.id, coalesce(f.name, f.title) as name, f.url, case when f.removed_at is not null "
        "then 'removed' when f.disabled = 2 then 'gone (410)' when f.disabled = 1 then 'paused' "
        "when f.consecutive_errors > 0 then 'failing' when f.last_success_at is null then 'not polled yet' "
        "else 'ok' end as health, f.consecutive_errors as errors_in_a_row, f.last_error, f.last_success_at, "
        f"f.next_poll_at, {FEED_ARTICLE_COUNT.replace('?', 'f.id')} as articles from feeds f "
        "order by f.consecutive_errors desc, f.id",
    },
    "failures": {
        "title": "Failures by reason",
        "description": "Pages that gave no article, by reason, over the last day and the last week.",
        "sql": f"select {_REASON} as reason, sum(e.updated_at >= {_AGO.format('1 day')}) as last_day, "
        f"count(*) as last_week from entries e where e.status in ('failed', 'gave_up', 'fallback') "
        f"and e.updated_at >= {_AGO.format('7 days')} group by reason order by last_week desc",
    },
    "backfill_jobs": {
        "title": "Backfill jobs",
        "description": "Each backfill job (its parameters are its key) and how far it got.",
        "sql": "select key as job, params, state as progress, started_at, updated_at, finished_at, "
        "case when finished_at is null then 'running or interrupted' else 'finished' end as status "
        "from backfill_jobs order by started_at desc",
    },
    "articles_per_day": {
        "title": "Articles per day, by language",
        "description": "Articles stored per day over the last 60 days (the day they were fetched).",
        "sql": f"select substr(fetched_at, 1, 10) as day, coalesce(language, '?') as language, count(*) as articles "
        f"from articles where fetched_at >= {_AGO.format('60 days')} group by day, language order by day",
    },
    "polls_per_day": {
        "title": "Feed health over time",
        "description": "Items per day by what became of them: stored, failed, given up (the last 60 days).",
        "sql": f"select substr(updated_at, 1, 10) as day, status, count(*) as items from entries "
        f"where updated_at >= {_AGO.format('60 days')} group by day, status order by day",
    },
    "failures_by_day": {
        "title": "Failures per day, by reason",
        "description": "Pages that gave no article, per day and reason (the last 60 days).",
        "sql": f"select substr(e.updated_at, 1, 10) as day, {_REASON} as reason, count(*) as failures from entries e "
        f"where e.status in ('failed', 'gave_up', 'fallback') and e.updated_at >= {_AGO.format('60 days')} "
        f"group by day, reason order by day",
    },
}

HIDDEN = ("boilerplate", "host_holds", "backfill_jobs", "raw_pages", "entries", "article_urls", "watches",
          "watch_matches", "outbox", "story_bands", "story_sigs")  # fmt: skip


UNREADABLE = ("raw_pages",)  # the fetched pages, whole: no query of browse reads them, --sql's neither
# A watch's signing secret and its receivers' addresses (tokens in webhook and Apprise URLs), and where
# deliveries go: no query reads them either.
SECRET_COLUMNS = {"watches": ("secret", "webhook", "notify"), "outbox": ("target",)}


def prepare(conn: sqlite3.Connection) -> None:
    """Each of Datasette's connections: the SQL functions the views use, and no read of UNREADABLE."""
    conn.create_function("paperboy_fts", 2, _fts, deterministic=True)
    conn.set_authorizer(_authorize)


def _authorize(action: int, table: str | None, column: str | None, *_: object) -> int:
    if action == sqlite3.SQLITE_READ and (table in UNREADABLE or column in SECRET_COLUMNS.get(table or "", ())):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _fts(query: str | None, part: int) -> str | None:
    """paperboy_fts(q, 0): the full-text table `paperboy search` would search for q; (q, 1): its query."""
    found = fts_query(query or "")
    return None if found is None else found[part]


def metadata(name: str, sql: bool = False) -> dict:
    """Datasette's metadata for an archive served under `name`: its own views, the internal tables
    out of reach (no page, no JSON, no blob), and SQL of the user's own only when `sql`."""
    return {
        "title": "paperboy archive",
        "allow_sql": sql,
        "description": "Articles followed from news feeds, their clean text and metadata. Search uses FTS5's "
        'syntax, as `paperboy search` does: "a phrase", OR, NOT, prefix*, NEAR(a b, 5).',
        "databases": {
            name: {
                "tables": {
                    "articles": {
                        "title": "Articles",
                        "description": "Every article stored once, its clean text and metadata.",
                        "fts_table": "articles_fts",
                        "fts_pk": "id",
                        "searchmode": "raw",
                        "sort_desc": "id",
                        "columns": {
                            "url": "The canonical address (else the final one)",
                            "text": "The clean text, paragraphs separated by a blank line",
                            "authors": "JSON list of the people who signed it (or the agency, the outlet)",
                            "published": "When it was published, with its UTC offset when the page says",
                            "text_source": "page, or feed when the feed's own text stands in",
                            "content_hash": "Hash of the text, the second key of deduplication",
                            "confidence": "0 to 1, how far extraction trusts its text; under 0.5 is doubtful",
                        },
                    },
                    "feeds": {
                        "title": "Feeds",
                        "description": "The feeds followed, their conditional-GET state and health.",
                        "columns": {
                            "disabled": "0 polled, 1 paused by you, 2 gone (HTTP 410)",
                            "consecutive_errors": "Polls in a row that failed",
                            "next_poll_at": "When it is due again (UTC)",
                        },
                    },
                    **{t: {"hidden": True, "allow": False} for t in HIDDEN},
                },
                "queries": QUERIES,
            }
        },
    }
