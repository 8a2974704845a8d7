"""The store on its own: what one batch of outcomes becomes in a real SQLite file, no flow run."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import pytest

from paperboy.core import Article, Entry, Outcome, url_key
from paperboy.db import MAX_ATTEMPTS, connect, store

FEED = "https://news.example/feed.xml"
TEXT = "The council met on Tuesday to discuss the harbour.\n\nMembers argued at length about the ferry."
OTHER = "A funicular under the ridge opened to cyclists.\n\nThe mayor cut the ribbon at noon."


def entry(key: str, link: str | None = None) -> Entry:
    return Entry(FEED, key, key, link if link is not None else f"https://news.example/{key}", f"Title {key}")


def page(e: Entry, text: str = TEXT, *, url: str | None = None, canonical: str | None = None) -> Outcome:
    """The entry's page gave an article: `url` after redirects, `canonical` as the page declares."""
    url = url or e.link or ""
    a = Article(url, text, e.title, canonical_url=canonical)
    keys = tuple(dict.fromkeys(url_key(u) for u in (e.link, url, canonical) if u))
    return Outcome(e, a, b"raw", keys)


def from_feed(e: Entry, text: str = OTHER, error: str = "HTTP 500") -> Outcome:
    """The page failed; the feed item's own text stands in."""
    return Outcome(e, Article(e.link or "", text, e.title, source="feed"), None, (url_key(e.link or ""),), error)


def failed(e: Entry, error: str = "HTTP 500") -> Outcome:
    return Outcome(e, None, None, (url_key(e.link or ""),), error)


@dataclass
class Case:
    batches: list[list[Outcome]]  # each stored in one call, as a pass stores a batch
    counts: list[dict[str, int]]  # what each call says it did
    articles: int  # articles in the archive at the end
    entries: dict[str, str]  # entry key -> status at the end


A, B = entry("a"), entry("b")
CASES = {
    "one new article": Case([[page(A)]], [{"new": 1}], 1, {"a": "stored"}),
    "two entries, one canonical URL": Case(
        [[page(A, canonical="https://news.example/story"), page(B, OTHER, canonical="https://news.example/story")]],
        [{"new": 1, "duplicate": 1}], 1, {"a": "stored", "b": "duplicate"},
    ),
    "the same text under another address": Case(
        [[page(A)], [page(entry("c", "https://mirror.example/c"))]],
        [{"new": 1}, {"duplicate": 1}], 1, {"a": "stored", "c": "duplicate"},
    ),
    "a redirect to an address already stored": Case(
        [[page(A)], [page(B, OTHER, url="https://news.example/a")]],
        [{"new": 1}, {"duplicate": 1}], 1, {"a": "stored", "b": "duplicate"},
    ),
    "feed text first, then the page replaces it": Case(
        [[from_feed(A)], [page(A)]], [{"new": 1}, {"updated": 1}], 1, {"a": "stored"},
    ),
    "a failed page is kept for another try": Case([[failed(A)]], [{"failed:HTTP 500": 1}], 0, {"a": "failed"}),
    "given up after the last attempt": Case(
        [[failed(A)] for _ in range(MAX_ATTEMPTS)], [{"failed:HTTP 500": 1}] * MAX_ATTEMPTS, 0, {"a": "gave_up"},
    ),
    "given up, its feed text stays": Case(
        [[from_feed(A)] for _ in range(MAX_ATTEMPTS)], [{"new": 1}] + [{"unchanged": 1}] * (MAX_ATTEMPTS - 1), 1,
        {"a": "stored"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_a_batch_becomes_these_rows(tmp_path, name):
    case = CASES[name]
    db = connect(str(tmp_path / "store.db"))
    store.add_feed(db, FEED)
    feed_id = store.list_feeds(db)[0].id
    for batch, expected in zip(case.batches, case.counts, strict=True):
        store.new_entries(db, feed_id, FEED, [o.entry for o in batch], limit=100)
        counts = store.save_outcomes(db, feed_id, batch)
        assert {
            k: v for k, v in counts.items() if k not in ("new_story", "new_version")
        } == expected  # (stories: test_stories)
    conn = sqlite3.connect(tmp_path / "store.db")
    assert conn.execute("select count(*) from articles").fetchone()[0] == case.articles
    assert dict(conn.execute("select key, status from entries")) == case.entries


def test_an_article_is_found_under_every_address_it_was_reached_by(tmp_path):
    db = connect(str(tmp_path / "store.db"))
    store.add_feed(db, FEED)
    feed_id = store.list_feeds(db)[0].id
    e = entry("a", "https://news.example/a?utm_source=rss")
    store.save_outcomes(db, feed_id, [page(e, url="https://www.news.example/a", canonical="https://news.example/s")])
    found = {store.article_for_keys(db, [url_key(u)]) for u in
             ("http://news.example/a", "https://www.news.example/a", "https://news.example/s#top")}  # fmt: skip
    assert len(found) == 1 and None not in found
    todo, duplicates = store.new_entries(db, feed_id, FEED, [entry("z", "https://news.example/s")], limit=10)
    assert todo == [] and duplicates == 1  # another item linking to it is not fetched


def test_a_search_with_more_matches_than_can_be_ranked_in_time_gives_the_newest(tmp_path, monkeypatch):
    from paperboy.db import reading

    db = connect(str(tmp_path / "s.db"))
    store.add_feed(db, FEED)
    feed_id = db.execute("select id from feeds").fetchone()[0]
    entries = [entry(f"k{i}") for i in range(30)]
    store.new_entries(db, feed_id, FEED, entries, limit=30)
    store.save_outcomes(
        db, feed_id, [page(e, f"Harbour news, part {'x' * (i + 1)}.\n\n{TEXT}") for i, e in enumerate(entries)]
    )
    best = store.search(db, "harbour", limit=5)
    assert len(best) == 5 and all(r["ranked"] for r in best)
    monkeypatch.setattr(reading, "RANK_BUDGET", -1.0)  # no time at all to rank
    monkeypatch.setattr(reading, "RANK_CHECK_EVERY", 1)
    newest = store.search(db, "harbour", limit=5)
    assert [r["id"] for r in newest] == sorted((r["id"] for r in newest), reverse=True)
    assert newest[0]["id"] == max(row[0] for row in db.execute("select id from articles"))
    assert not any(r["ranked"] for r in newest) and all("**harbour**" in r["snippet"].lower() for r in newest)
    # a query whose newest matches foretell too many to rank is not even tried
    monkeypatch.setattr(reading, "RANK_BUDGET", 60.0)
    monkeypatch.setattr(reading, "RANK_AT_MOST", 10)
    assert [(r["id"], r["ranked"]) for r in store.search(db, "harbour", limit=5)] == [(r["id"], False) for r in newest]
    # the newest are found in a window of the newest articles, widened until it holds enough of them
    monkeypatch.setattr(reading, "NEWEST_WINDOW", 2)
    assert [r["id"] for r in store.search(db, "harbour", limit=5)] == [r["id"] for r in newest]
    oldest = min(row[0] for row in db.execute("select id from articles"))
    db.execute("update articles set title = 'Quayside' where id = ?", [oldest])  # now the only match
    assert [r["id"] for r in store.search(db, "quayside", limit=5)] == [oldest]


def test_a_phrase_of_common_words_is_not_ranked_however_few_its_matches(tmp_path, monkeypatch):
    """FTS5 reads every match of each of a phrase's words to find the phrase's: when every word has
    too many to rank, so has the phrase, and it is not tried."""
    from paperboy.db import reading

    db = connect(str(tmp_path / "s.db"))
    store.add_feed(db, FEED)
    feed_id = db.execute("select id from feeds").fetchone()[0]
    entries = [entry(f"k{i}") for i in range(30)]
    store.new_entries(db, feed_id, FEED, entries, limit=30)
    lead = {3: "News harbour works.", 7: "Quayside harbour works."}  # each phrase in one article

    def text(i: int) -> str:
        # "alpha" in 15 articles and "beta" in 20, both in 10 of them
        return f"Harbour news {i}. {lead.get(i, '')} {'alpha' * (i % 2 == 0)} {'beta' * (i % 3 != 0)}\n\n{TEXT}"

    store.save_outcomes(db, feed_id, [page(e, text(i)) for i, e in enumerate(entries)])
    monkeypatch.setattr(reading, "RANK_AT_MOST", 10)  # "harbour" and "news" are in all 30
    assert [r["ranked"] for r in store.search(db, '"news harbour"')] == [False]
    assert {r["ranked"] for r in store.search(db, "alpha beta")} == {False}
    assert [r["ranked"] for r in store.search(db, '"quayside harbour"')] == [True]  # "quayside" is rare
    assert [r["ranked"] for r in store.search(db, "quayside harbour")] == [True]
