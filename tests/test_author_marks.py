"""The author a page marks up: paperboy's one-walk reading of trafilatura's author search finds what
trafilatura's own finds, page for page."""

from __future__ import annotations

from pathlib import Path

import pytest
from trafilatura.metadata import extract_author

from paperboy.extractors._author_marks import marked_author
from paperboy.extractors._page import load_html
from tests.conftest import corpus_pages, needs_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
STORY = "<p>" + "The council met on Tuesday and voted on the budget for the coming year. " * 4 + "</p>"

PAGES = {
    "a marked byline": "<div class='byline'>By Jane Doe</div>",
    "the first rule before the later ones": (
        "<div class='post-author'>Jane Doe</div><span class='author-name'>Ann Lee</span>"
    ),
    "a byline in the comments": (
        "<div id='comments'><span class='author'>A Commenter</span></div><p class='byline'>Ann Lee</p>"
    ),
    "a date inside the byline goes, its tail stays": "<span class='author'>Jane <time>5 May</time>Doe</span>",
    "a date class inside the byline": "<p class='author'>Jane<span class='date'>today</span> Doe, Rome</p>",
    "too long to be a name": "<div class='author'>" + "Jane Doe wrote this and much more " * 5 + "</div>",
    "an itemprop": "<a itemprop='author' href='/jane'>Jane Doe</a>",
    "an element of its own name": "<author>Jane Doe</author>",
    "a figure credit": "<figure><span class='author'>Photo Agency</span></figure><div class='writer'>Jane Doe</div>",
    "nothing marked": "<p>Jane Doe</p>",
}


def _same_as_trafilatura(tree) -> None:
    assert marked_author(tree) == extract_author(tree)


@pytest.mark.parametrize("body", list(PAGES.values()), ids=list(PAGES))
def test_the_marked_author_is_trafilaturas(body):
    tree = load_html(f"<html><head><title>Budget</title></head><body><article>{body}{STORY}</article></body></html>")
    _same_as_trafilatura(tree)


def test_the_marked_author_is_trafilaturas_on_the_fixture_pages():
    for path in sorted(FIXTURES.glob("*.html")):
        _same_as_trafilatura(load_html(path.read_bytes()))


def test_a_name_marked_up_is_found():
    tree = load_html(
        f"<html><body><article><span class='author'>Jane <time>5 May</time>Doe</span>{STORY}</article></body></html>"
    )
    assert marked_author(tree) == "Jane Doe"


@needs_corpus
def test_the_marked_author_is_trafilaturas_on_the_corpus_pages():
    checked = 0
    for page_id, page in corpus_pages({"dev": 2, "wcxb-dev": 5}):
        tree = load_html(page)  # (it inflates a gzipped page)
        assert marked_author(tree) == extract_author(tree), page_id
        checked += 1
    assert checked > 200
