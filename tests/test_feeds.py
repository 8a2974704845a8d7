"""Feed parsing, table-driven: each tests/fixtures/feeds/<case>.xml states its expectations in <case>.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperboy.core import FeedState, url_key
from paperboy.fetchers import FetchResult, parse_entries, retry_after_seconds
from paperboy.flows import schedule

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
KINDS = {".xml": "application/xml", ".jsonfeed": "application/feed+json"}  # a case's feed, beside its <case>.json
CASES = sorted(p.stem for kind in KINDS for p in FEEDS.glob(f"*{kind}"))


def parse(case: str, url: str = "https://feeds.example.org/feed.xml"):
    [(path, content_type)] = [(FEEDS / f"{case}{k}", t) for k, t in KINDS.items() if (FEEDS / f"{case}{k}").exists()]
    result = FetchResult(url, url, 200, {"content-type": content_type}, path.read_bytes())
    return parse_entries(FeedState(url), result)


@pytest.mark.parametrize("case", CASES)
def test_feed_fixture(case):
    expected = json.loads((FEEDS / f"{case}.json").read_text())
    poll = parse(case, expected.get("url", "https://feeds.example.org/feed.xml"))
    assert poll.status == "fetched", poll.error
    if "title" in expected:
        assert poll.title == expected["title"]
    if "title_max_length" in expected:
        assert len(poll.title or "") <= expected["title_max_length"]
    if "ttl_hint" in expected:
        assert poll.ttl_hint == expected["ttl_hint"]
    assert len(poll.entries) == len(expected["entries"])
    for got, want in zip(poll.entries, expected["entries"], strict=True):
        for field in ("key", "link", "title", "published"):
            if field in want:
                assert getattr(got, field) == want[field], field
        if "authors" in want:
            assert list(got.authors) == want["authors"]
        if "content_contains" in want:
            assert want["content_contains"] in (got.content or "")
        if "title_not_contains" in want:
            assert want["title_not_contains"] not in (got.title or "")


@pytest.mark.parametrize(
    "a, b",
    [
        ("https://www.example.com/a/b?utm_source=x&id=3", "http://example.com/a/b?id=3"),
        ("https://example.com/a?b=2&a=1#frag", "https://example.com/a?a=1&b=2"),
        ("HTTPS://Example.COM:443/x?fbclid=123", "https://example.com/x"),
    ],
    ids=["www, scheme and tracking", "query order and fragment", "case and default port"],
)
def test_urls_that_name_the_same_article_share_a_key(a, b):
    assert url_key(a) == url_key(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("https://example.com/a?id=1", "https://example.com/a?id=2"),
        ("https://example.com/a", "https://example.org/a"),
    ],
    ids=["identity parameter", "other host"],
)
def test_urls_of_different_articles_keep_different_keys(a, b):
    assert url_key(a) != url_key(b)


def test_html_is_not_a_feed():
    url = "https://example.com/"
    result = FetchResult(url, url, 200, {"content-type": "text/html"}, b"<html><body><p>hello</p></body></html>")
    poll = parse_entries(FeedState(url), result)
    assert poll.status == "failed" and "not a feed" in poll.error


@pytest.mark.parametrize(
    "value, seconds", [("120", 120), ("Wed, 21 Oct 2099 07:28:00 GMT", None), ("soon", None), (None, None)]
)
def test_retry_after(value, seconds):
    got = retry_after_seconds(value)
    if value and value.startswith("Wed"):
        assert got > 86400
    else:
        assert got == seconds


SCHEDULE_CASES = {
    "nothing known yet": ({"previous": None, "new_items": 0, "hint": None}, 30 * 60),
    "new items shorten": ({"previous": 3600, "new_items": 3, "hint": None}, 1800),
    "nothing new lengthens": ({"previous": 3600, "new_items": 0, "hint": None}, 5400),
    "never below 10 minutes": ({"previous": 700, "new_items": 5, "hint": None}, 600),
    "never above a day": ({"previous": 80000, "new_items": 0, "hint": None}, 86400),
    "the publisher's ttl wins": ({"previous": 1200, "new_items": 4, "hint": 7200}, 7200),
}


@pytest.mark.parametrize("case", SCHEDULE_CASES)
def test_next_poll_interval(case):
    kwargs, expected = SCHEDULE_CASES[case]
    assert schedule.next_interval(kwargs["previous"], new_items=kwargs["new_items"], hint=kwargs["hint"]) == expected


def test_error_backoff_grows_and_is_capped():
    assert 480 <= schedule.error_backoff(0) <= 720
    assert schedule.error_backoff(3) > schedule.error_backoff(1)
    assert schedule.error_backoff(40) == 86400
    assert schedule.error_backoff(0, retry_after=5) == 60
