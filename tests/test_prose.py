"""The prose a page keeps once its furniture is gone, counted from the prose before the removal (what it
took, and the runs of text it changed) is the prose a walk of the page left finds, page for page."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from paperboy.extractors._page import CODE_TAGS, drop_furniture, drop_inert, load_html, prose_runs
from tests.conftest import corpus_pages, needs_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
SENTENCE = "The council met on Tuesday and voted on the budget for the coming year, after a long debate. "
STORY = f"<p>{SENTENCE * 3}</p>"
CARD = f"<div><a href='https://example.com/other'>Another story of the week, told</a><p>{SENTENCE}</p></div>"

PAGES = {
    "a caption in a paragraph's run": f"<p>{SENTENCE}<figure><img src='a.jpg'><figcaption>A photo</figcaption></figure>"
    f"and the run goes on after the picture, long enough to count as prose here.</p>",
    "a figure inside a link inside a paragraph": f"<p>{SENTENCE}<a href='/x'>see<figure><figcaption>Credit</figcaption>"
    f"</figure> this</a> and more words after the link than before it, to be a run.</p>",
    "a furniture box among the paragraphs": f"<div class='author-bio'>Jane writes about budgets.</div>{STORY}",
    "a list of links": "<ul><li><a href='/a'>One story</a></li><li><a href='/b'>Another story</a></li></ul>" + STORY,
    "teaser cards of other stories": STORY + CARD * 3 + STORY,
    "a body split in two parts": f"<div class='body'>{STORY}{STORY}</div><aside>Ad</aside>"
    f"<div class='body'>{STORY}{STORY}</div>",
}


def _same_as_a_walk(tree) -> bool:
    """Whether the removal changed the page (so that the count had something to follow)."""
    drop_inert(tree, CODE_TAGS)
    runs = prose_runs(tree)
    before = etree.tostring(tree)
    removals = drop_furniture(tree, "example.com")
    assert removals.prose_left(runs) == sum(prose_runs(tree).values())  # (a walk of the page left)
    return etree.tostring(tree) != before


@pytest.mark.parametrize("body", list(PAGES.values()), ids=list(PAGES))
def test_the_prose_left_is_counted_as_a_walk_counts_it(body):
    assert _same_as_a_walk(load_html(f"<html><body><article><h1>Budget</h1>{body}</article></body></html>"))


def test_the_prose_left_is_counted_as_a_walk_counts_it_on_the_fixture_pages():
    for path in sorted(FIXTURES.glob("*.html")):
        _same_as_a_walk(load_html(path.read_bytes()))


@needs_corpus
def test_the_prose_left_is_counted_as_a_walk_counts_it_on_the_corpus_pages():
    checked = 0
    for _, page in corpus_pages({"dev": 2, "wcxb-dev": 4}):
        _same_as_a_walk(load_html(page))
        checked += 1
    assert checked > 200
