"""Cleaning: what trafilatura leaves behind, removed paragraph by paragraph.

Rule families (each can be switched off by name through ExtractOptions.disabled_rules):

  byline      "By Anna Smith", "Von Anna Sleegers, Frankfurt"    edges; the names go to `authors`
  bio         "Lance has covered technology for 38 years…"       the end
  copyright   "© 2024 Example. All rights reserved."              the end; anywhere when it opens with ©
  contact     "Got a story? Email us at…"                         edges
  promo       newsletter, subscribe, follow-us, share prompts     edges; anywhere when unmistakable
  readmore    "Read more: …", "Lesen Sie auch: …"                 anywhere, as a labelled line
  credit      "Photo: AFP", "Bild: Keystone"                      anywhere, as a short labelled line
  embed       "pic.twitter.com/…", "— Name (@handle) May 5, 2025"  anywhere; an attribution goes only with its post
  agency      "(dpa)", "with reporting by …"                     the end
  meta        reading time, "Listen to this article", the title   the start; date lines in the first
              paragraphs; separators, "$$AD$$" slots, lone "Label:" lines anywhere
  declared    paragraphs absent from the page's JSON-LD articleBody (extractors/_extract.py)
  structure   link lists, breadcrumbs, "Label | <a>story</a>" lines, furniture containers, other stories'
              teasers (a linked title, its summary), small figures (extractors/_page.py)

A short unmatched line between two pieces of furniture at the end goes with them. Phrasing that story
text shares with furniture ("sign up", "has covered", "is based in", "Anzeige") removes a paragraph at
an edge only with more evidence: a short line, or a bio that names the author or a newsroom role.

Every pattern is about phrasing, never about a publisher: pages of unknown sites are cleaned the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from paperboy.core.text import fingerprint

from ._bylines import _known_name_in, _namelike, _words, byline_names
from ._phrases import (
    _DATE_TOKEN,
    _LONE_LABEL,
    _NO_WORDS,
    _PLACEHOLDER,
    _ROLE_NOTE,
    AGENCIES,
    AGENCY,
    BIO,
    BIO_NAMED,
    BIO_WEAK,
    CONSENT_NOTE,
    CONTACT,
    COPYRIGHT_EDGE,
    COPYRIGHT_OPEN,
    CREDIT,
    CREDIT_INLINE,
    CREDIT_TAIL,
    CREDIT_VIA,
    DEVELOPING,
    EMBED,
    EMBED_ATTRIBUTION,
    IMPERATIVE_PROMO,
    INITIALS_PLACE,
    LABEL_ONLY,
    MAX_BIO_LEN,
    MAX_EDGE_LEN,
    MAX_LINE_LEN,
    META,
    NEWSLETTER_PITCH,
    NEWSROOM_ROLE,
    PROMO,
    READING_TIME,
    READMORE_LABEL,
    SOURCE_PAIR,
    SOURCES,
    STAFF,
    TIP_CHANNEL,
    WEAK_PROMO,
    WEAK_PROMO_LEN,
    I,
    consent_box,
)

# Every rule family, by the name that ExtractOptions.disabled_rules switches it off with.
RULE_FAMILIES = frozenset(
    "byline bio copyright contact promo readmore credit embed agency meta learned site declared structure "
    "repeated".split()
)
# A paragraph this long said again word for word is a teaser or a layout's second copy, not the story
# twice; shorter ones (a refrain, "Read more") are left to the other rules.
REPEAT_MIN = 80  # characters


def _core(p: str) -> str:
    """The paragraph without a list bullet."""
    return re.sub(r"^\s*[-–•*·]\s+", "", p)


def is_date_line(p: str) -> bool:
    """ "30. Januar 2024", "17:41 JST, October 13, 2024", "10.11.2025 17:59", "Updated 3 May 2024"."""
    if len(p) > 60 or not re.search(r"\d", p):
        return False
    tokens = [t for t in re.split(r"[\s,.:/|•·()-]+", p) if t]
    return bool(tokens) and all(_DATE_TOKEN.match(t) for t in tokens)


DETAILS_MAX_CHARS = 100
_DETAILS_SEP = re.compile(r"\s+[·•|–—]\s+")


def _dated(s: str) -> bool:
    """A date of a day, month or year and more ("March 5, 2024"), not a lone number (a table's cell)."""
    return is_date_line(s) and len(re.findall(r"\w+", s)) >= 2


def _post_details(p: str) -> bool:
    """ "Jane Doe · March 5, 2024 · 4 min read": a post's details, a date or a reading time among names
    (no "By" that would make it a byline), parted by separators."""
    parts = [s.strip() for s in _DETAILS_SEP.split(p) if s.strip()]
    if len(parts) < 2:
        return False
    timed = [s for s in parts if _dated(s) or READING_TIME.match(s) or META.match(s)]
    return bool(timed) and all(s in timed or _namelike(s) for s in parts)


def _doubled(p: str) -> bool:
    """A teaser card's title printed twice: "Some title Some title"."""
    half = len(p) // 2
    return len(p) >= 20 and p[:half].strip() == p[half:].strip()


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _appeals(p: str) -> int:
    """How many of the paragraph's sentences ask the reader to subscribe, share, follow or give: an
    appeal at a post's end runs to a few sentences, longer than a line of furniture."""
    return sum(1 for sentence in _SENTENCE.split(p) if PROMO.search(sentence) or IMPERATIVE_PROMO.search(sentence))


def classify_edge(p: str, *, authors: Iterable[str], at_end: bool, off: frozenset[str]) -> str | None:
    """The rule family that makes `p` furniture when it stands at the start or end of the body."""
    p = _core(p)
    n = len(p)
    if "copyright" not in off and n <= MAX_EDGE_LEN and len(_words(p)) <= 45 and COPYRIGHT_EDGE.search(p):
        return "copyright"
    if "byline" not in off and byline_names(p, authors) is not None:
        return "byline"
    if "contact" not in off and n <= MAX_EDGE_LEN and CONTACT.search(p):
        return "contact"
    if "promo" not in off and (n <= MAX_EDGE_LEN and PROMO.search(p) or n <= WEAK_PROMO_LEN and WEAK_PROMO.search(p)):
        return "promo"
    if "credit" not in off and n <= MAX_LINE_LEN and (CREDIT.search(p) or CREDIT_TAIL.search(p) and n < 90):
        return "credit"
    if "credit" not in off and n <= 80 and CREDIT_VIA.match(p):
        return "credit"
    if "meta" not in off and (is_date_line(p) or n <= MAX_EDGE_LEN and DEVELOPING.search(p)):
        return "meta"
    if "credit" not in off and n <= 250 and STAFF.search(p):
        return "credit"
    if at_end:
        if "bio" not in off and n <= MAX_BIO_LEN and (BIO.search(p) or BIO_NAMED.search(p)):
            if _known_name_in(p, authors) or n <= 400 or BIO_NAMED.search(p):
                return "bio"
        if "bio" not in off and n <= MAX_BIO_LEN and BIO_WEAK.search(p):
            if _known_name_in(p, authors) or NEWSROOM_ROLE.search(p):
                return "bio"
        if "bio" not in off and n <= MAX_BIO_LEN and _ROLE_NOTE.match(p):
            return "bio"
        if "bio" not in off and n <= 2 * MAX_BIO_LEN and BIO_NAMED.search(p) and _contributor_notes(p) >= 2:
            return "bio"
        if "agency" not in off and (
            n <= 80 and AGENCY.search(p) or n <= 250 and SOURCES.search(p) or n <= 60 and SOURCE_PAIR.match(p)
        ):
            return "agency"
        if "credit" not in off and n <= 120 and CREDIT_INLINE.search(p):
            return "credit"
        if "promo" not in off and n <= 120 and NEWSLETTER_PITCH.match(p):
            return "promo"
        if "promo" not in off and n <= 2 * MAX_EDGE_LEN and _appeals(p) >= 2:
            return "promo"
        if "meta" not in off and (n <= 160 and CONSENT_NOTE.search(p) or n <= 120 and p.startswith("※")):
            return "meta"
    elif "meta" not in off and (n <= 80 and META.search(p) or n <= DETAILS_MAX_CHARS and _post_details(p)):
        return "meta"
    elif "byline" not in off and n <= 40 and INITIALS_PLACE.match(p):
        return "byline"
    return None


def classify_anywhere(p: str, off: frozenset[str]) -> str | None:
    """Lines that are furniture wherever they stand."""
    p = _core(p)
    n = len(p)
    if "promo" not in off and n <= 500 and consent_box(p):
        return "promo"
    if n > 250:
        return None
    stripped = p.strip()
    if "meta" not in off and (
        _NO_WORDS.match(p)
        or _PLACEHOLDER.match(stripped)
        or READING_TIME.match(stripped)
        or _LONE_LABEL.match(stripped)
    ):
        return "meta"
    credited = ":" in p and CREDIT_TAIL.search(p)  # (the colon it needs first: a cheap test)
    if "credit" not in off and credited and not p.rstrip().endswith("."):
        return "credit"
    if n > MAX_LINE_LEN:
        return None
    if "copyright" not in off and COPYRIGHT_OPEN.search(p) and n <= 160:
        return "copyright"
    table_row = stripped.startswith("|") and stripped.endswith("|")  # "| Plus | $69/mo |": a cell, not a label
    if "readmore" not in off and not table_row and (READMORE_LABEL.search(p) or LABEL_ONLY.match(p) or _doubled(p)):
        return "readmore"
    if "credit" not in off and CREDIT.search(p) and len(_words(p)) <= 12:
        return "credit"
    if "embed" not in off and (EMBED.search(p) or EMBED_ATTRIBUTION.search(p)):
        return "embed"
    if "contact" not in off and TIP_CHANNEL.search(p):
        return "contact"
    if "agency" not in off and SOURCES.search(p) and AGENCIES.search(p):
        return "agency"
    if "promo" not in off and n <= 200 and IMPERATIVE_PROMO.search(p):
        return "promo"
    if (
        "promo" not in off
        and n <= 160
        and re.search(r"newsletter|nieuwsbrief|nyhetsbrev|nyhedsbrev", p, I)
        and (
            re.search(
                r"sign up|subscribe|abonn|anmelden|registr|inscri|suscr|iscriv|meld je|inscreva|prenumer|zapisz|abone",
                p,
                I,
            )
        )
    ):
        return "promo"
    return None


LEARNED_MAX_SHARE = 2  # learned boilerplate may take at most half of an article's paragraphs
EDGE_WINDOW = 8  # paragraphs at each end where furniture is looked for
EDGE_SKIP_LEN = 120  # a short unmatched paragraph may sit among furniture (a caption, a stray label)
EDGE_SKIPS = 2  # how many such paragraphs the search steps over
BYLINE_ZONE = 4  # a byline may follow the lead: searched in the first paragraphs, not only the first


def clean_paragraphs(
    paragraphs: list[str],
    *,
    authors: Iterable[str] = (),
    title: str | Iterable[str | None] | None = None,
    disabled: frozenset[str] = frozenset(),
    boilerplate: frozenset[str] = frozenset(),
    drop_patterns: Iterable[re.Pattern[str]] = (),
) -> tuple[list[str], list[tuple[str, str]], tuple[str, ...]]:
    """Return (kept paragraphs, removed (rule, paragraph) pairs, author names found in bylines)."""
    authors = tuple(authors)
    heads = _heads(title)
    removed: list[tuple[str, str]] = []
    found: list[str] = []
    kept: list[str] = []
    drop_patterns = tuple(drop_patterns)
    kept_set: set[str] = set()
    known = [False] * len(paragraphs)  # each paragraph: learned boilerplate of its site?
    if boilerplate and "learned" not in disabled:
        known = [fingerprint(p) in boilerplate for p in paragraphs]
        # An article that is mostly "known" text is a templated series (weather, markets), not
        # furniture: learned removal is for the odd recurring paragraph, never for the story.
        if sum(known) * LEARNED_MAX_SHARE > len(paragraphs):
            known = [False] * len(paragraphs)
    rule: str | None
    for i, (p, is_known) in enumerate(zip(paragraphs, known, strict=True)):
        if is_known:
            rule = "learned"
        elif any(rx.search(p) for rx in drop_patterns):
            rule = "site"
        else:
            rule = classify_anywhere(p, disabled)
        if rule is None and "repeated" not in disabled and len(p) >= REPEAT_MIN and p in kept_set:
            rule = "repeated"
        if rule == "embed" and _attributes_kept_post(p, i, paragraphs, kept):
            rule = None
        if rule:
            removed.append((rule, p))
        else:
            kept.append(p)
            kept_set.add(p)

    def rule_at(i: int, at_end: bool) -> str | None:
        p = kept[i]
        rule = classify_edge(p, authors=authors + tuple(found), at_end=at_end, off=disabled)
        if rule == "byline":
            found.extend(n for n in byline_names(_core(p), authors) or () if n not in found)
        return rule

    def drop(indices: list[int], rules: dict[int, str]) -> None:
        for i in sorted(indices, reverse=True):
            removed.append((rules[i], kept.pop(i)))

    # A byline may follow the lead paragraph: look for it in the first few short paragraphs.
    if "byline" not in disabled:
        for i in range(min(BYLINE_ZONE, len(kept)) - 1, -1, -1):
            names = byline_names(_core(kept[i]), authors) if len(kept[i]) <= EDGE_SKIP_LEN else None
            if names is not None and len(kept) > 1:
                found[:0] = [n for n in names if n not in found]
                removed.append(("byline", kept.pop(i)))
            elif "meta" not in disabled and len(kept) > 1 and is_date_line(kept[i]):
                removed.append(("meta", kept.pop(i)))

    # The start: title repeated, kicker, date lines, reading time.
    rules: dict[int, str] = {}
    skipped: list[int] = []
    for i in range(min(EDGE_WINDOW, len(kept))):
        p = kept[i]
        rule = rule_at(i, at_end=False)
        if rule is None and "meta" not in disabled and heads and _is_headline(p, heads, partial=not skipped):
            rule = "meta"
        if rule is None and len(rules) == i and "meta" not in disabled and _kicker(i, kept, heads):
            rule = "meta"
        if rule:
            rules[i] = rule
        elif len(p) <= EDGE_SKIP_LEN and len(skipped) < EDGE_SKIPS and i < BYLINE_ZONE:
            skipped.append(i)
        else:
            break
    drop(list(rules), rules)

    # The end: bios, copyright, prompts, credits, agency tags, with short strays stepped over.
    rules = {}
    skipped = []
    for i in range(len(kept) - 1, max(-1, len(kept) - 1 - EDGE_WINDOW), -1):
        rule = rule_at(i, at_end=True)
        if rule:
            rules[i] = rule
        elif len(kept[i]) <= EDGE_SKIP_LEN and len(skipped) < EDGE_SKIPS:
            skipped.append(i)
        else:
            break
    _take_sandwiched(rules, skipped)
    if len(rules) < len(kept):  # never empty a body through its edges
        drop(list(rules), rules)
    return kept, removed, tuple(found)


def _attributes_kept_post(p: str, i: int, paragraphs: list[str], kept: list[str]) -> bool:
    """An embedded post's attribution line ("— Name (@handle) May 5, 2024") whose post the article
    keeps: it says who said the quoted words, so it stays with them."""
    return (
        i > 0
        and bool(kept)
        and kept[-1] is paragraphs[i - 1]
        and EMBED_ATTRIBUTION.search(p) is not None
        and not EMBED.search(p)
    )


def _take_sandwiched(rules: dict[int, str], skipped: list[int]) -> None:
    """At the end: a short stray line with furniture on both sides (a lone item of a promo box) is
    furniture too; one between the story and the furniture, or after the last furniture, stays. (Not
    at the start, where a standfirst often sits between the title and a byline.)"""
    if rules:
        innermost, outermost = min(rules), max(rules)
        for i in skipped:
            if innermost < i < outermost:
                rules[i] = rules[innermost]


def _contributor_notes(p: str) -> int:
    """How many sentences of `p` are "Name Surname is a <role> ..." notes (several authors' bios)."""
    return sum(1 for sentence in re.split(r"(?<=[.!?])\s+", p) if BIO_NAMED.match(sentence))


def _kicker(i: int, kept: list[str], heads: tuple[str, ...] = ()) -> bool:
    """kept[i], the first line left at the start, is a section label above the story: a few words, no
    sentence, first and before a real paragraph, or above the headline repeated. (After the headline,
    such a line is a subheading.)"""
    p = kept[i]
    return (
        len(kept) > i + 2
        and len(p) <= 40
        and len(_words(p)) <= 4
        and not re.search(r"[.!?:;,\d]$", p.strip())
        and (i == 0 and len(kept[i + 1]) > 80 or _norm(kept[i + 1]) in heads)
    )


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().lower()


def _heads(title: str | Iterable[str | None] | None) -> tuple[str, ...]:
    """The page's headlines (meta title, the same without the site's name, h1), normalised."""
    titles = (title,) if isinstance(title, str) else tuple(title or ())
    return tuple(dict.fromkeys(n for t in titles if t and (n := _norm(t))))


HEADLINE_EXTRA_WORDS = 5  # a kicker before the headline, or the site's name after it
HEADLINE_MIN_CHARS = 15


def _is_headline(p: str, heads: tuple[str, ...], *, partial: bool) -> bool:
    """The headline repeated as the body's first lines: the same text, or, before any other line,
    the same with a kicker run into it ("Premier League Liverpool loses at Everton") or without the
    site's name. (A subheading further down may repeat half of a two-part headline.)"""
    n = _norm(p)
    if not n:
        return False
    if n in heads:
        return True
    if not partial:
        return False
    for h in heads:
        short, long = (n, h) if len(n) < len(h) else (h, n)
        if len(short) < HEADLINE_MIN_CHARS or not (long.startswith(short) or long.endswith(short)):
            continue
        rest = long.replace(short, " ", 1)
        if len(rest.split()) <= HEADLINE_EXTRA_WORDS and len(rest) <= max(40, len(short) // 2):
            return True
    return False
