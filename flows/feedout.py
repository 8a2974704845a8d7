"""Full-text feeds out: the newest articles as Atom 1.0 or JSON Feed 1.1, each with its whole clean
text as HTML paragraphs, its authors, dates and original link, for any reader app to subscribe to."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

FORMATS = ("atom", "jsonfeed")
GENERATOR = "paperboy"


def paragraphs_html(text: str) -> str:
    """The stored text (paragraphs apart by a blank line) as HTML paragraphs."""
    return "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p.strip())


def rfc3339(value: str | None) -> str:
    """A stored time as RFC 3339 (UTC when it says no offset; the day alone at midnight)."""
    try:
        when = datetime.fromisoformat(value) if value else datetime.now(UTC)
    except ValueError:
        when = datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def _entry_id(row: dict) -> str:
    return f"tag:paperboy,2026:article/{row['id']}"


def atom(rows: Iterable[dict], title: str, self_url: str) -> str:
    """An Atom 1.0 document of these articles (dicts of store.export_articles); `self_url` is its id
    (a tag URI when it has no address of its own), and its self link when it is an http address."""
    entries, updated = [], None
    for row in rows:
        when = rfc3339(row["published"] or row["fetched_at"])
        changed = rfc3339(row["updated_at"] or row["fetched_at"] or row["published"])
        updated = max(updated or changed, changed)
        authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in row["authors"])
        entries.append(
            f"<entry><id>{_entry_id(row)}</id><title>{escape(row['title'] or '(no title)')}</title>"
            f'<link rel="alternate" href={quoteattr(row["url"])}/><published>{when}</published>'
            f"<updated>{changed}</updated>{authors}{_story_category(row)}"
            f'<content type="html">{escape(paragraphs_html(row["text"]))}</content></entry>'
        )
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>{escape(self_url)}</id><title>{escape(title)}</title><updated>{updated or rfc3339(None)}</updated>"
        + (f'<link rel="self" href={quoteattr(self_url)}/>' if self_url.startswith("http") else "")
        + f"<author><name>{GENERATOR}</name></author>"
        f"<generator>{GENERATOR}</generator>"
    )
    return head + "".join(entries) + "</feed>\n"


STORY_SCHEME = "tag:paperboy,2026:story"


def _story_category(row: dict) -> str:
    """The article's story as an Atom category: versions of one report share its term."""
    story = row.get("story")
    return f'<category scheme="{STORY_SCHEME}" term="{story}"/>' if story is not None else ""


def json_feed(rows: Iterable[dict], title: str, self_url: str) -> str:
    """A JSON Feed 1.1 document of these articles (dicts of store.export_articles)."""
    items = []
    for row in rows:
        item = {
            "id": _entry_id(row),
            "url": row["url"],
            "title": row["title"] or "(no title)",
            "content_html": paragraphs_html(row["text"]),
            "date_published": rfc3339(row["published"] or row["fetched_at"]),
            "date_modified": rfc3339(row["updated_at"] or row["fetched_at"] or row["published"]),
            "authors": [{"name": a} for a in row["authors"]],
        }
        if row.get("language"):
            item["language"] = row["language"]
        if row.get("story") is not None:  # JSON Feed's extensions are keys that start with "_"
            item["_paperboy"] = {"story": row["story"]}
        items.append(item)
    feed: dict = {"version": "https://jsonfeed.org/version/1.1", "title": title}
    if self_url.startswith("http"):
        feed["feed_url"] = self_url
    feed["items"] = items
    return json.dumps(feed, ensure_ascii=False, indent=1) + "\n"


def render(fmt: str, rows: Iterable[dict], title: str, self_url: str) -> str:
    return atom(rows, title, self_url) if fmt == "atom" else json_feed(rows, title, self_url)
