"""Trust in the text on any site (#36): a floor under every page, and a confidence on every text."""

from __future__ import annotations

from collections import Counter

import trafilatura

from paperboy.core import DOUBTFUL
from paperboy.extractors import extract
from paperboy.extractors._confidence import Evidence, confidence
from tests.conftest import article_page, story

URL = "https://guides.example.org/energy"


def step(i: int, word: str) -> str:
    return f"<p>{word.capitalize()} {i}: " + " ".join(
        f"The {word} for room {i} explains how a household weighs option {j} against cost, time and effort."
        for j in range(4)
    ) + "</p>"  # fmt: skip


def guide_page() -> str:
    """A guide whose introduction is the page's <article> and whose parts follow it in sections."""
    parts = "".join(f"<section><h2>Part {i}</h2>{step(i, 'guide')}{step(i, 'plan')}</section>" for i in range(8))
    return (
        "<html><head><title>A guide to saving energy</title></head><body><nav><a href='/'>Home</a></nav>"
        "<article><h1>A guide to saving energy at home</h1><p>This guide walks through every room of a house "
        "and what each change saves over a year, with the sums done for a family of four.</p><p>Read each "
        "part in turn; the costs are this winter's prices, and every saving is given per year.</p></article>"
        f"<div class='more'>{parts}</div><footer>Terms | Privacy</footer></body></html>"
    )


def test_a_guide_in_parts_is_kept_whole_where_fast_mode_keeps_its_introduction():
    page = guide_page()
    fast = trafilatura.bare_extraction(page, fast=True)
    assert "Part 7" not in fast.text  # the class of page: fast mode alone keeps the introduction
    article = extract(page, URL)
    assert article is not None
    assert all(f"Guide {i}:" in article.text and f"Plan {i}:" in article.text for i in range(8))
    # trafilatura's default mode, which the floor takes here, leaves the introduction out: the text
    # lacks what the other reading found, and says so
    assert "walks through every room" not in article.text
    assert article.confidence is not None and article.confidence < DOUBTFUL


def test_a_whole_article_is_trusted_and_a_stub_is_doubtful():
    whole = extract(article_page("The council", story(1)), "https://news.example/a")
    stub = extract(
        article_page("In brief", ["The council met on Tuesday to discuss the budget."]), "https://news.example/b"
    )
    assert whole is not None and whole.confidence is not None and whole.confidence >= DOUBTFUL
    assert stub is not None and stub.confidence is not None and stub.confidence < DOUBTFUL


def test_a_pages_code_is_not_weighed_as_its_prose():
    code = "<span><script>" + "window.dataLayer.push({event: 'view', section: 'news'}); " * 120 + "</script></span>"
    page = article_page("The council", story(3), tail=f"<div>{code}</div>")
    article = extract(page, "https://news.example/c")
    assert article is not None and "dataLayer" not in article.text
    assert article.confidence is not None and article.confidence >= DOUBTFUL


TEXT = "\n\n".join(story(2))
LONG = "\n\n".join([TEXT] * (60_000 // len(TEXT)))  # a page's every post and comment


def test_each_sign_of_a_bad_text_makes_it_doubtful():
    fine = Evidence(TEXT, raw_chars=len(TEXT), prose=len(TEXT), other=story(2)[0], densest=TEXT)
    assert confidence(fine) >= DOUBTFUL
    doubts = {
        "another reading found what the text lacks": Evidence(
            TEXT, raw_chars=len(TEXT), prose=len(TEXT), other=" ".join(story(3) + story(4))
        ),
        "the page declares a body the text does not hold": Evidence(
            TEXT, raw_chars=len(TEXT), prose=len(TEXT), declared=Counter(" ".join(story(5) * 3).lower().split())
        ),
        "the page's densest prose is elsewhere": Evidence(
            TEXT, raw_chars=len(TEXT), prose=len(TEXT), densest=guide_page()
        ),
        "the text is a small part of the page's prose": Evidence(TEXT, raw_chars=len(TEXT), prose=4 * len(TEXT)),
        "a text longer than nearly any article": Evidence(LONG, raw_chars=len(LONG), prose=len(LONG)),
        "a text of menu lines": Evidence(
            "\n".join(["Home", "World", "Sport", "Weather"] * 20 + story(2)[:1]), raw_chars=400, prose=400
        ),
    }
    flagged = {why: confidence(ev) for why, ev in doubts.items()}
    assert all(c < DOUBTFUL for c in flagged.values()), flagged
    cleaned = Evidence(TEXT, raw_chars=3 * len(TEXT), prose=len(TEXT))  # milder signs: alone, no doubt
    assert confidence(cleaned) >= DOUBTFUL
    long_read = "\n\n".join([TEXT] * (35_000 // len(TEXT)))
    assert confidence(Evidence(long_read, raw_chars=len(long_read), prose=len(long_read))) >= DOUBTFUL
    assert confidence(Evidence(TEXT, raw_chars=3 * len(TEXT), prose=len(TEXT), other=guide_page())) < DOUBTFUL
    assert confidence(Evidence("", raw_chars=0, prose=100)) == 0.0
