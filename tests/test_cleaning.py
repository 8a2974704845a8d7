"""The cleaning, table-driven: fixtures/cleaning/*.json (paragraph cases) and
fixtures/articles/<case>.html + <case>.json (whole pages through trafilatura and the cleaning)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from paperboy.extractors import ExtractOptions, clean_paragraphs, extract
from paperboy.extractors._phrases import boundary_first

FIXTURES = Path(__file__).parent / "fixtures"
STORY = [
    "The council met on Tuesday to discuss the new budget for the coming year, and members argued at length "
    "about the cost of repairing roads, schools and the old harbour bridge.",
    "Several residents spoke during the public session, asking why the repairs had been delayed for so long "
    "and whether the work would close the bridge during the summer months.",
    "The mayor said the first contracts would be signed in March, and that the work would be finished before "
    "the winter, if the weather allowed it and the suppliers kept their promises.",
]


def paragraph_cases():
    for path in sorted((FIXTURES / "cleaning").glob("*.json")):
        for name, case in json.loads(path.read_text(encoding="utf-8")).items():
            yield pytest.param(case, id=f"{path.stem}: {name}")


# A case's second "@story" is the story's next part: a story said twice word for word is a layout's
# copy, removed as "repeated".
STORY_ON = [
    "Work on the bridge will start with the northern ramp, which engineers say is in the worst state, and "
    "traffic will be limited to one lane in each direction while it lasts.",
    "Shop owners near the harbour asked the council to keep the footpath open, since most of their customers "
    "arrive on foot from the car park on the other side of the water.",
]


def expand(paragraphs: list[str]) -> list[str]:
    out: list[str] = []
    stories = iter([STORY, STORY_ON, STORY_ON])
    for p in paragraphs:
        out.extend(next(stories) if p == "@story" else [p])
    return out


@pytest.mark.parametrize("case", list(paragraph_cases()))
def test_cleaning_case(case):
    kept, removed, found = clean_paragraphs(
        expand(case["paragraphs"]), authors=case.get("known_authors", ()), title=case.get("title")
    )
    removed_text = [p for _, p in removed]
    for p in case.get("removed", []):
        assert p in removed_text, f"kept: {p!r}"
    for p in case.get("kept", []):
        assert p in kept, f"removed: {p!r} by {[r for r, q in removed if q == p]}"
    story = [p for p in STORY + STORY_ON if p in expand(case["paragraphs"])]
    assert all(s in kept for s in story), f"story text removed: {removed}"
    if "authors" in case:
        assert list(found) == case["authors"]


def article_cases():
    for path in sorted((FIXTURES / "articles").glob("*.html")):
        yield pytest.param(path, id=path.stem)


@pytest.mark.parametrize("path", list(article_cases()))
def test_article_fixture(path):
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    article = extract(path.read_bytes(), expected.get("url", "https://news.example.org/story"))
    assert article is not None
    for snippet in expected.get("with", []):
        assert snippet in article.text, f"missing: {snippet!r}"
    for snippet in expected.get("without", []):
        assert snippet not in article.text, f"leaked: {snippet!r}"
    if "paragraphs" in expected:
        assert len(article.text.split("\n\n")) == expected["paragraphs"]
    for field in ("title", "language", "published", "canonical_url"):
        if field in expected:
            assert getattr(article, field) == expected[field], field
    if "authors" in expected:
        assert list(article.authors) == expected["authors"]


def test_a_list_articles_items_that_link_to_other_sites_stay_whether_the_address_is_given_or_stated():
    page = (FIXTURES / "articles" / "en_items_linking_to_their_subjects.html").read_bytes()
    for url in ("https://news.example.org/city/five-trails", None):  # (a file: the page's canonical address)
        article = extract(page, url)
        assert article is not None
        assert "White Oak Trail" in article.text and "Quieter than the others" in article.text, url
        assert "New bike lanes" not in article.text, url


def test_a_rule_family_can_be_switched_off():
    paragraphs = expand(["@story", "© 2024 Example Media. All rights reserved."])
    kept, _, _ = clean_paragraphs(paragraphs, disabled=frozenset({"copyright"}))
    assert kept[-1] == "© 2024 Example Media. All rights reserved."


def test_learned_boilerplate_is_removed_anywhere():
    from paperboy.core import fingerprint

    promo = "Our journalism is funded by readers like you, every single day of the year."
    paragraphs = expand(["@story", promo, "@story"])
    kept, removed, _ = clean_paragraphs(paragraphs, boilerplate=frozenset({fingerprint(promo)}))
    assert promo not in kept and ("learned", promo) in removed


def test_an_article_that_is_mostly_learned_text_is_kept_whole():
    from paperboy.core import fingerprint

    # A templated series (a daily weather or markets report) repeats most of its text each day:
    # that is the story, not furniture.
    report = [f"Daily markets report, paragraph {word} of the usual template, as every day." for word in "abc"]
    fresh = "Today the index closed higher after a quiet session."
    paragraphs = [*report, fresh]
    learned = frozenset(fingerprint(p) for p in report)
    kept, removed, _ = clean_paragraphs(paragraphs, boilerplate=learned)
    assert kept == paragraphs and not removed
    kept, removed, _ = clean_paragraphs([*report, fresh, fresh + " More.", fresh + " Again."], boilerplate=learned)
    assert not any(p in kept for p in report) and [rule for rule, _ in removed] == ["learned"] * 3


def test_text_after_an_inline_script_or_icon_stays_in_the_article():
    story = "".join(f"<p>Paragraph {i} of the story goes on long enough to count as its body.</p>" for i in range(6))
    page = (
        "<html><head><title>Vote</title><script>var a = 1;</script><style>p {}</style></head><body><article>"
        f"<h1>The council sets a date for the vote</h1>{story}"
        "<p>The mayor said <script>track('vote')</script>the vote would be held "
        "<svg><path d='M0 0'/></svg>on Friday.</p></article></body></html>"
    )
    article = extract(page, "https://news.example.org/vote")
    assert article is not None and "The mayor said the vote would be held on Friday." in article.text
    assert "track" not in article.text


def _page_with_json_ld(ld: str) -> str:
    story = "".join(f"<p>{p}</p>" for p in STORY)
    head = f'<head><script type="application/ld+json">{ld}</script></head>'
    return f"<html>{head}<body><article>{story}</article></body></html>"


@pytest.mark.parametrize(
    "author",
    [
        None,
        12345,
        {"@type": "Person"},
        {"name": ["Ada", "Lovelace"]},
        {"givenName": 7, "familyName": None},
        json.loads("[" * 900 + '"Ada Lovelace"' + "]" * 900),
    ],
    ids=["null", "number", "no name", "name not a string", "odd given names", "nested 900 deep"],
)
def test_an_odd_json_ld_author_costs_the_author_not_the_article(author):
    ld = json.dumps({"@type": "NewsArticle", "headline": "Vote", "author": author})
    article = extract(_page_with_json_ld(ld), "https://news.example.org/vote")
    assert article is not None and article.text.split("\n\n") == STORY
    assert all(isinstance(a, str) and a for a in article.authors)


def test_json_ld_nested_past_the_parsers_depth_costs_the_metadata_not_the_article():
    ld = "[" * 100_000 + "]" * 100_000
    article = extract(_page_with_json_ld(ld), "https://news.example.org/vote")
    assert article is not None and article.text.split("\n\n") == STORY


def test_cleaning_off_gives_trafilatura_text():
    page = (FIXTURES / "articles" / "en_footer_and_bio.html").read_bytes()
    raw = extract(page, "https://news.example.org/story", ExtractOptions(clean=False))
    assert raw is not None and "All rights reserved" in raw.text


def test_the_declared_body_rule_does_the_work_and_can_be_switched_off():
    """Related stories kept by trafilatura go because the page's JSON-LD articleBody lacks them."""
    page = (FIXTURES / "articles" / "en_declared_body.html").read_bytes()
    url = "https://news.example.org/story"
    on = extract(page, url)
    off = extract(page, url, ExtractOptions(disabled_rules=frozenset({"declared"})))
    assert on is not None and off is not None
    assert "Sleep: Often only this one method" not in on.text
    assert "Sleep: Often only this one method" in off.text
    assert ("declared", "Sleep: Often only this one method still works") in on.removed


@pytest.mark.parametrize(
    "pattern",
    [
        r"newsletter|\bsign up\b|\bshare (?:this|on)\b|lettre d.information",
        r"\bfollow\b.{0,40}\bon (?:x|threads)\b|[|]\s*\bmore\b|\bread[|]on\b|✉",
        r"\b(?:found|spotted) an? (?:error|typo)\b|\\|x[^]|]y|\bcheck\?",
    ],
)
def test_gathering_word_boundaries_changes_no_match(pattern):
    """The prompts' patterns are compiled with their \\b alternatives gathered (a speed-up): every
    line must match exactly as it does against the pattern as written."""
    lines = [
        "Sign up for our newsletter", "Follow us on X", "Follow the money on threads", "Share this story",
        "Spotted a typo? Tell us.", "| more", "read|on", "x]y", "Should we check?", "Unsigned up front",
        "La lettre d'information", "✉ Contact", "signup", "the newsletters", "refound an error", "",
    ]  # fmt: skip
    written, gathered = re.compile(pattern, re.I), re.compile(boundary_first(pattern), re.I)
    assert gathered.pattern != pattern
    assert [bool(written.search(s)) for s in lines] == [bool(gathered.search(s)) for s in lines]
    assert any(written.search(s) for s in lines) and not all(written.search(s) for s in lines)


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (
            '<p>a</p><template id="B:0"></template>tail<div hidden id="S:0">open<h2>H</h2>x<p>P</p>y</div>after',
            "<p>a</p>open<h2>H</h2>x<p>P</p>ytailafter",
        ),
        (  # a part before its placeholder
            '<div hidden id="S:0">open<h2>H</h2></div>between<p>a</p><template id="B:0"></template>tail',
            "between<p>a</p>open<h2>H</h2>tail",
        ),
        ('<template id="B:0"></template>tail<div hidden id="S:0">only text</div>', "only texttail"),
        (  # left as it is
            '<template id="B:1"></template><div hidden id="S:0"><p>P</p></div>',
            '<template id="B:1"/><div hidden="" id="S:0"><p>P</p></div>',
        ),
        (  # a part that holds its own placeholder (no page streams so): left as it is
            '<div hidden id="S:0"><p>x</p><template id="B:0"></template></div>',
            '<div hidden="" id="S:0"><p>x</p><template id="B:0"/></div>',
        ),
        (  # one part inside another, each placeholder elsewhere
            '<div hidden id="S:0"><div hidden id="S:1"><template id="B:0"></template></div></div>'
            '<template id="B:1"></template>',
            '<div hidden="" id="S:0"/><template id="B:0"/>',
        ),
    ],
    ids=["after its placeholder", "before it", "text alone", "no placeholder of its own", "its own", "nested"],
)
def test_a_streamed_part_is_put_in_its_placeholder_with_the_text_around_both(body, shown):
    from lxml import etree

    from paperboy.extractors._page import load_html, place_streamed

    tree = load_html(f"<html><body>{body}</body></html>")
    place_streamed(tree)
    assert etree.tostring(tree.find("body"), encoding="unicode") == f"<body>{shown}</body>"


def test_every_consent_phrase_holds_a_word_its_cheap_test_looks_for():
    from paperboy.extractors._phrases import CONSENT_PHRASES, CONSENT_WORDS, _alternatives

    phrases = _alternatives(CONSENT_PHRASES)
    assert len(phrases) >= 8
    for phrase in phrases:  # a phrase without one would never be searched for
        assert any(word in phrase.lower() for word in CONSENT_WORDS), phrase
