"""Stories as a user counts them: an article's siblings, one search hit per story, the stories of a
period with their outlets, and the stories an older archive's articles never had."""

from __future__ import annotations

import json
from collections.abc import Iterator

import sqlite_utils

from paperboy.core import host_of

from . import _stories
from ._base import IN_LIST, write

SIBLINGS_SHOWN = 50


def _outlets(urls: list[str]) -> list[str]:
    return sorted({host_of(u) for u in urls if u})


def siblings(db: sqlite_utils.Database, article_id: int) -> list[dict]:
    """The other versions of an article's story, the first first: id, title, outlet, when stored."""
    rows = db.query(
        "select b.id, b.title, b.url, b.fetched_at from articles a join articles b on b.story_id = a.story_id "
        f"where a.id = ? and b.id != a.id and b.pruned_at is null order by b.id limit {SIBLINGS_SHOWN}",
        [article_id],
    )
    return [{**r, "outlet": host_of(r["url"])} for r in rows]


def collapse(db: sqlite_utils.Database, hits: list[dict]) -> list[dict]:
    """Search hits, one per story (the best-ranked hit stands for it), each as its story's earliest
    article, with how many outlets and versions carried it."""
    ids = json.dumps([h["id"] for h in hits])
    story = dict(db.execute(f"select id, coalesce(story_id, id) from articles where id in {IN_LIST}", [ids]).fetchall())
    out, seen = [], set()
    for hit in hits:
        s = story.get(hit["id"], hit["id"])
        if s in seen:
            continue
        seen.add(s)
        versions = list(
            db.query(
                "select id, title, url, published from articles where story_id = ? and pruned_at is null order by id",
                [s],
            )
        ) or [hit]  # (by the index; none: no story yet)
        first = versions[0]
        out.append({**hit, **{k: first[k] for k in ("id", "title", "url", "published")}, "story": s,
                    "versions": len(versions), "outlets": len(_outlets([v["url"] for v in versions]))})  # fmt: skip
    return out


def stories(db: sqlite_utils.Database, since: str | None = None, min_outlets: int = 1, limit: int = 100) -> list[dict]:
    """Stories whose articles were stored on or after `since` (a day), the most outlets first: each
    with its first article's title, its outlets, how many versions, and when first and last seen."""
    where, params = "a.story_id is not null and a.pruned_at is null", []
    if since:
        where += " and a.fetched_at >= ?"
        params.append(since)
    groups = db.execute(
        f"select a.story_id, count(*) as n from articles a where {where} group by a.story_id having n >= ? "
        "order by n desc, a.story_id desc",
        [*params, min_outlets],
    ).fetchall()
    out = []
    for story_id, _ in groups:
        versions = list(db.query("select id, title, url, fetched_at from articles where story_id = ? "
                                 "and pruned_at is null order by id", [story_id]))  # fmt: skip
        outlets = _outlets([v["url"] for v in versions])
        if len(outlets) < min_outlets:
            continue
        out.append({
            "story": story_id, "title": versions[0]["title"], "outlets": outlets, "versions": len(versions),
            "first_seen": versions[0]["fetched_at"], "last_seen": max(v["fetched_at"] or "" for v in versions),
            "articles": [v["id"] for v in versions],
        })  # fmt: skip
        if len(out) >= limit:
            break
    out.sort(key=lambda s: (-len(s["outlets"]), -s["versions"], s["first_seen"] or ""))
    return out


def story_versions(db: sqlite_utils.Database, story_id: int) -> list[dict]:
    """A story's versions, the first first, with their text: what browse sets side by side."""
    rows = db.query("select id, title, url, published, fetched_at, text from articles where story_id = ? "
                    "and pruned_at is null order by id", [story_id])  # fmt: skip
    return [{**r, "outlet": host_of(r["url"])} for r in rows]


MIGRATE_BATCH = 500


def missing(db: sqlite_utils.Database) -> int:
    """How many stored articles have no story yet (an archive of a paperboy from before stories)."""
    return db.execute("select count(*) from articles where story_id is null and pruned_at is null").fetchone()[0]


def give_stories(db: sqlite_utils.Database) -> Iterator[int]:
    """Give every article without a story its story, oldest first, a batch a transaction (an older
    archive's one-time migration; interrupted, it goes on where it stopped). Yields articles done."""
    done = 0
    while True:
        with write(db):
            rows = db.execute(
                "select id, text from articles where story_id is null and pruned_at is null order by id limit ?",
                [MIGRATE_BATCH],
            ).fetchall()
            for article_id, text in rows:
                _stories.assign(db, article_id, text)
        if not rows:
            return
        done += len(rows)
        yield done
