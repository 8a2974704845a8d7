"""HTML in, Article out: trafilatura for the body and metadata, then the cleaning."""

from __future__ import annotations

import copy
import re
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from paperboy.core import Article, hostname_of, plain_text

from ._clean import clean_paragraphs
from ._confidence import Evidence, confidence, words
from ._declared import declared_words, outside_declared, truncated_against
from ._metadata import (
    article_html_in_scripts,
    clean_title,
    detect_language,
    headline_of,
    jsonld_article,
    page_meta,
    page_metadata,
    people,
    published_at,
    scripts_with_html,
    site_names,
    split_authors,
    without_site,
)
from ._models import ExtractOptions
from ._page import (
    CODE_TAGS,
    LEAD_MIN_CHARS,
    _link_texts,
    _text,
    domain_of,
    drop_furniture,
    drop_inert,
    load_html,
    place_streamed,
    prose_runs,
    subheadings,
    visible_lead,
)

DEFAULT_OPTIONS = ExtractOptions()


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n+", _without_code(plain_text(text) or "")) if p.strip()]


# A script's code that reached the text (an embed's script in markup some extraction paths keep as
# text): `!function(){…}();` or `(function(a){…})(…);`, cut with its braces balanced.
_CODE_START = re.compile(r"[!(]?function\s*\w*\s*\([\w\s,$]*\)\s*\{")
_CODE_CALL = re.compile(r"\)?\s*\([^()]{0,200}\)\s*;?")


def _without_code(text: str) -> str:
    if "function" not in text:
        return text
    out, pos = [], 0
    while m := _CODE_START.search(text, pos):
        i, depth = m.end(), 1
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth:  # never closed: words, not code
            break
        call = _CODE_CALL.match(text, i)
        out.append(text[pos : m.start()])
        pos = call.end() if call else i
    out.append(text[pos:])
    return " ".join(part.strip(" ") for part in out if part.strip(" ")) if len(out) > 1 else text


def extract(
    html: str | bytes,
    url: str | None = None,
    options: ExtractOptions = DEFAULT_OPTIONS,
    *,
    hint_authors: tuple[str, ...] = (),
) -> Article | None:
    """The article in a page, or None when there is none. Never raises on a bad page."""
    try:
        tree = load_html(html)  # a gzipped page is inflated there, capped
    except (ValueError, etree.LxmlError, OSError, EOFError):
        return None
    if tree is None:
        return None
    canonical, declared_lang = page_meta(tree)
    headline = headline_of(tree)
    ld = jsonld_article(tree)
    sites = site_names(tree, ld)
    meta = page_metadata(tree, url, ld, sites)
    scripts = scripts_with_html(tree)
    # The date search and the page's prose read its markup, not its code (docs/performance.md).
    drop_inert(tree, CODE_TAGS)
    place_streamed(tree)
    heads = subheadings(tree)
    structure = options.clean and "structure" not in options.disabled_rules
    host = hostname_of(url)
    lead = visible_lead(tree) if structure else None
    runs = prose_runs(tree)
    page_prose = kept_prose = sum(runs.values())
    if structure:
        removals = drop_furniture(
            tree, domain_of(host or hostname_of(meta.url)), runs
        )  # (a file: the address it states)
        kept_prose = removals.prose_left(runs)
    # Its date: once other stories' teasers are gone (with their dates), before drop_inert takes the meta tags.
    published = published_at(tree, ld, meta.url)
    drop_inert(tree)  # all the page's head and scripts were wanted for is read by now
    site = options.site_rules.get(host) or options.site_rules.get(host.removeprefix("www."))
    prune = list(site.drop_xpath) if site else []
    declared = ld.get("body") if options.clean and "declared" not in options.disabled_rules else None
    pool = declared_words(declared) if declared else None
    other = None  # the other reading of the page, where one was made
    densest_el, densest = _densest_prose(tree)
    try:
        fast = text = _whole_container(
            tree, densest_el, _reading(tree, url, options, prune, fast=True), url, options, prune
        )
        whole = truncated_against(_paragraphs(fast), declared, pool) if declared and pool else None
        if whole:  # the page's declared body, when the extraction was only its first part
            text = "\n".join(whole)
        elif _doubtful(fast, ld.get("body"), kept_prose):  # trafilatura's default mode weighs it against its backups
            full = _body(tree, url, options, prune, fast=False)
            text = _better(fast, full, densest)
            other = fast if text is full else full
        if not whole and (kept_prose < FURNITURE_TOOK * page_prose or _modes_split(text, other, kept_prose)):
            plain = _plain_body(html, url, options, prune)
            chosen = _floor(text, plain, page_prose)
            other, text = (text if chosen is plain else plain), chosen
    except Exception:  # trafilatura raises assorted errors on pathological markup
        return None
    if not text.strip() and scripts:  # rendered in the browser: the article is JSON in a script
        fragment = article_html_in_scripts(scripts)
        text = _fragment_text(fragment) if fragment else ""
    if not text.strip():
        return None
    authors = split_authors(meta.author)
    paragraphs = _paragraphs(text)
    raw_chars = len(text)
    removed: list[tuple[str, str]] = []
    if declared and pool and not whole and text != fast:  # default mode's or a script's text may stop early too
        paragraphs = truncated_against(paragraphs, declared, pool) or paragraphs
    if options.clean:
        patterns = [re.compile(p, re.I) for p in site.drop_patterns] if site else []
        paragraphs, removed, found = clean_paragraphs(
            paragraphs,
            authors=authors + hint_authors,
            title=(meta.title, clean_title(meta.title), headline),
            disabled=options.disabled_rules,
            boilerplate=options.boilerplate,
            drop_patterns=patterns,
        )
        if found and not people(authors, sites):  # a byline's names beat the outlet's own
            authors = found
    if pool:
        for i in reversed(outside_declared(paragraphs, pool, heads)):
            removed.append(("declared", paragraphs.pop(i)))
    if not authors and hint_authors:
        authors = hint_authors
    if not people(authors, sites):
        authors = ld.get("outlet") or authors
    authors = without_site(authors, sites)
    if lead and paragraphs and not _restated(lead, paragraphs):
        paragraphs.insert(0, lead)  # the standfirst the page shows above its body
    text = "\n\n".join(paragraphs)
    if not text:
        return None
    evidence = Evidence(text, raw_chars, kept_prose, other, pool, densest)
    return Article(
        url=url or meta.url or "",
        text=text,
        title=plain_text(clean_title(meta.title) or headline),
        authors=authors,
        published=published,
        language=detect_language(text, declared_lang),
        canonical_url=urljoin(url, canonical) if canonical and url else canonical,
        removed=tuple(removed),
        confidence=round(confidence(evidence), 2),
    )


_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s")
RESTATED_MIN_CHARS = 20  # a first sentence shorter than this ("Yes.") says nothing


def _restated(lead: str, paragraphs: list[str]) -> bool:
    """The standfirst is in the body already, or the body opens with its first sentence (a summary
    that restates the opening, not a lead the body lacks)."""
    body = " ".join(" ".join(paragraphs).split())
    lead = " ".join(lead.split())
    first = _SENTENCE_END.split(lead, maxsplit=1)[0]
    if lead[:LEAD_MIN_CHARS] in body:
        return True
    return len(first) >= RESTATED_MIN_CHARS and first in body[: 2 * len(lead)]


# trafilatura's fast mode skips its backup extractors (readability, jusText), which cost a sixth of
# extraction time and change nothing on most pages. A page is extracted again with them only on
# signs that fast mode took too little or the wrong part: little text, a declared body much longer,
# or a result made of short lines (menus).
FAST_ENOUGH_CHARS = 1000
DECLARED_LONGER = 2.0  # the page's declared body is this many times longer than what was found
MENU_MIN_LINES = 15
MENU_SHORT_CHARS = 40  # a line this short is a label, a menu entry, a heading
MENU_SHORT_SHARE = 0.8  # a result with this share of short lines is a menu, not an article
PROSE_CHARS = 80  # a paragraph this long is prose


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def _menu_like(text: str) -> bool:
    lines = _lines(text)
    short = sum(1 for line in lines if len(line.strip()) < MENU_SHORT_CHARS)
    return len(lines) >= MENU_MIN_LINES and short >= MENU_SHORT_SHARE * len(lines)


def _doubtful(text: str, declared: str | None, prose: int) -> bool:
    """Signs that fast mode's result needs trafilatura's comparison with its backup extractors."""
    if len(text) < FAST_ENOUGH_CHARS or _menu_like(text) or len(text) < SHORT_OF_PROSE * prose:
        return True
    return declared is not None and len(declared) >= DECLARED_LONGER * len(text)


def _better(fast: str, full: str, densest: str) -> str:
    """Fast mode's text or default mode's, whichever is the article; for a result that is all menu
    in both modes, the page's densest run of prose paragraphs."""
    if not full:
        return fast
    if _menu_like(fast):
        if not _menu_like(full):
            return full
        prose = densest
        few = sum(1 for line in _lines(fast) if len(line) >= PROSE_CHARS) < 2
        return prose if prose and few else fast
    return full if len(full) > len(fast) or len(fast) < FAST_ENOUGH_CHARS else fast


def _densest_prose(tree) -> tuple[etree._Element | None, str]:
    """The element that holds the most paragraphs of prose, and those paragraphs, in order."""
    best: list[str] = []
    best_chars = 0
    best_el = None
    for el in tree.iter("div", "section", "article", "main", "td"):
        prose = [t for t in (_text(p) for p in el if p.tag == "p") if len(t) >= PROSE_CHARS]
        if sum(map(len, prose)) > best_chars:
            best, best_chars, best_el = prose, sum(map(len, prose)), el
    return best_el, "\n".join(best)


# Where trafilatura finds no element it knows as a body, it gathers the page's paragraphs alone, without
# their headings, lists and tables. Two elements are then read as the article, the first that fits:
# - the element holding the page's densest prose, when the text lacks its headings and list items;
# - where trafilatura's result holds no heading and no list, the element holding nine tenths of the
#   text's paragraphs, when the text lacks its headings and lists too, or holds paragraphs from outside
#   it (gathered from all over the page) - unless a fifth of its text is links (the site's menus with it).
# Its reading is taken when it holds what was found: it adds the structure, it does not swap the story.
STRUCTURE_MISSED = (2, 0.8)  # at least so many headings and list items, and this share of them, not in the text
ITEM_MIN_CHARS = 20  # a list item shorter than this is a label, a tag, a menu entry
CONTAINER_AGREES = 0.85  # the share of the text's words the element's reading holds
HOLDS_TEXT = 0.9  # the share of the text's paragraphs of prose the holding element holds
GATHERED = 0.05  # the share of them outside it that says the text was gathered from all over the page
HOLDER_LINKS = 0.2  # the share of link text that says an element holds the site's menus
HOLDER_SEARCHES = 500  # paragraphs looked for inside the text's lines (each search reads the text): a bound


def _structure_missed(el, text: str) -> bool:
    """The text lacks STRUCTURE_MISSED of the element's headings and list items (as lines of their own)."""
    parts = [
        t for h in el.iter("h2", "h3", "h4", "li") if (t := _text(h)) and (h.tag != "li" or len(t) >= ITEM_MIN_CHARS)
    ]
    least, share = STRUCTURE_MISSED
    if len(parts) < least:
        return False
    lines = {line.removeprefix("- ") for line in text.split("\n")}  # (its lines have their spaces collapsed)
    missed = sum(1 for t in parts if t not in lines)
    return missed >= least and missed >= share * len(parts)


def _holder(tree, text: str) -> tuple[etree._Element | None, float]:
    """The deepest element holding HOLDS_TEXT of the text's paragraphs of prose, and the share outside it."""
    held: dict = {}
    total = 0
    starts = {line[:PROSE_CHARS] for line in text.split("\n")}
    searches = HOLDER_SEARCHES
    for p in tree.iter("p"):
        t = _text(p)
        if len(t) < PROSE_CHARS:
            continue
        if t[:PROSE_CHARS] not in starts:  # a paragraph that does not open a line may sit inside a longer one
            searches -= 1
            if searches < 0 or t[:PROSE_CHARS] not in text:
                continue
        total += len(t)
        for el in p.iterancestors():
            held[el] = held.get(el, 0) + len(t)
    best, depth, inside = None, -1, 0
    for el, n in held.items():
        if n >= HOLDS_TEXT * total and (d := sum(1 for _ in el.iterancestors())) > depth:
            best, depth, inside = el, d, n
    return best, (1 - inside / total) if total else 0.0


def _link_share(el) -> float:
    return sum(map(len, _link_texts(el))) / max(1, len(_text(el)))


def _whole_container(tree, densest, doc, url: str | None, options: ExtractOptions, prune: list[str]) -> str:
    """trafilatura's text of the page (`doc`), or that of the element it missed, read as the article."""
    text = _text_of(doc)
    if not text:
        return text
    if densest is not None and _structure_missed(densest, text):
        whole = _read_as_article(densest, text, url, options, prune)
        if whole is not text:
            return whole
    if _flat(doc):
        el, outside = _holder(tree, text)
        if (
            el is not None
            and el.tag not in ("html", "body")
            and (outside > GATHERED or _structure_missed(el, text))
            and _link_share(el) < HOLDER_LINKS
        ):
            return _read_as_article(el, text, url, options, prune)
    return text


def _read_as_article(el, text: str, url: str | None, options: ExtractOptions, prune: list[str]) -> str:
    """`el` alone read as the page's <article>, when its text holds CONTAINER_AGREES of `text`; else `text`."""
    part = copy.deepcopy(el)
    part.tag, part.tail = "article", None
    page = lxml.html.fromstring("<html><body></body></html>")
    page[0].append(part)
    whole = _body(page, url, options, prune, fast=True)
    got, found = words(whole), words(text)
    return whole if sum((got & found).values()) >= CONTAINER_AGREES * sum(found.values()) else text


# The floor under every page: what was found is weighed against the prose the page shows (`prose_runs`).
# Fast mode's text that holds under half of it is weighed against default mode's (`_doubtful`). Where
# the furniture removal took half of the page's prose, or the two modes split over the cleaned page
# (`_modes_split`), the page as it came is read in default mode too, and taken when it is much longer
# and about as long as the page's prose (not a part of it, nor the page's menus with it).
SHORT_OF_PROSE = 0.5
FURNITURE_TOOK = 0.5  # the share of the page's prose the furniture removal may take before the floor looks
FLOOR_LONGER = 1.25
MODES_SPLIT = 0.5  # fast mode's text under half of default mode's: the modes chose different parts
FLOOR_COVER = 0.65
FLOOR_PROSE = (0.4, 1.5)


def _plain_body(html: str | bytes, url: str | None, options: ExtractOptions, prune: list[str]) -> str:
    """trafilatura's default mode on the page as it came (no furniture removed)."""
    tree = load_html(html)
    if tree is None:
        return ""
    drop_inert(tree)
    return _body(tree, url, options, prune, fast=False)


def _modes_split(text: str, other: str | None, prose: int) -> bool:
    """trafilatura's two modes found parts of different sizes of the cleaned page (fast mode's under half of
    default mode's), and the longer still holds under FLOOR_COVER of its prose: the furniture removal may have
    moved their choice, however little it took."""
    return other is not None and len(other) < MODES_SPLIT * len(text) and len(text) < FLOOR_COVER * prose


def _floor(text: str, plain: str, page_prose: int) -> str:
    low, high = FLOOR_PROSE
    if len(plain) > FLOOR_LONGER * len(text) and low * page_prose <= len(plain) <= high * page_prose:
        return plain
    return text


def _body(tree, url: str | None, options: ExtractOptions, prune: list[str], *, fast: bool) -> str:
    """trafilatura's main text of the page (it works on a copy of the tree)."""
    return _text_of(_reading(tree, url, options, prune, fast=fast))


def _reading(tree, url: str | None, options: ExtractOptions, prune: list[str], *, fast: bool) -> Document | None:
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        favor_precision=options.favor_precision,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        prune_xpath=prune or None,
        fast=fast,
    )
    return doc if isinstance(doc, Document) else None


def _text_of(doc: Document | None) -> str:
    return doc.text if doc is not None and doc.text else ""


def _flat(doc: Document | None) -> bool:
    """trafilatura's result holds no heading and no list: the page's paragraphs, gathered one by one."""
    return doc is not None and doc.body is not None and not any(el.tag in ("head", "list") for el in doc.body)


def extract_fragment(
    html: str,
    url: str,
    *,
    title: str | None,
    authors: tuple[str, ...],
    published: str | None,
    options: ExtractOptions = DEFAULT_OPTIONS,
) -> Article | None:
    """An article from a feed's own content (content:encoded, Atom content, summary)."""
    if not html or not html.strip():
        return None
    raw = _fragment_text(html) or _strip_tags(html)
    paragraphs = _paragraphs(raw)
    if options.clean:
        paragraphs, _, _ = clean_paragraphs(
            paragraphs,
            authors=authors,
            title=title,
            disabled=options.disabled_rules,
            boilerplate=options.boilerplate,
        )
    text = "\n\n".join(paragraphs)
    if not text:
        return None
    return Article(
        url=url,
        text=text,
        title=plain_text(title),
        authors=authors,
        published=published,
        language=detect_language(text, None),
        source="feed",
        confidence=round(confidence(Evidence(text, raw_chars=len(raw), prose=0)), 2),  # no page to weigh it against
    )


def _fragment_text(html: str) -> str:
    """trafilatura's text of a piece of HTML (a feed's content, a script's article)."""
    try:
        tree = load_html(f"<html><body><article>{html}</article></body></html>")
        doc = trafilatura.bare_extraction(tree, favor_precision=False, include_comments=False, deduplicate=False)
    except Exception:  # trafilatura raises assorted errors on pathological markup
        return ""
    return doc.text if isinstance(doc, Document) and doc.text else ""


def _strip_tags(html: str) -> str:
    try:
        root = load_html(f"<html><body><div>{html}</div></body></html>")
    except Exception:
        return ""
    if root is None:
        return ""
    return "\n".join(t.strip() for t in root.itertext() if t.strip())
