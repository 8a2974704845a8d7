"""What a page says of itself: its JSON-LD article (body, headline, authors), its title without
the site's name, its date, its language."""

from __future__ import annotations

import html
import itertools
import json
import re
from datetime import datetime
from functools import lru_cache

import htmldate.core
import htmldate.extractors
from htmldate import find_date
from trafilatura.metadata import (
    examine_meta,
    extract_title,
    extract_url,
    set_date_params,
)
from trafilatura.settings import Document

from paperboy.core import plain_text

from ._author_marks import marked_author

LANGID_CHARS = 1000  # enough for a stable guess: 179 of 179 dev pages right from 400 to 2,000 characters


_ARTICLE_TYPES = (
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "blogposting",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "liveblogposting",
    "report",
)


# A script's JSON wrapped for old XHTML parsers: "//<![CDATA[ … //]]>", "<!-- … -->".
_CDATA = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")


def _jsonld_objects(tree):
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(_CDATA.sub("", script.text))
        except (ValueError, RecursionError):  # a hostile page nests its JSON-LD past the parser's depth
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                stack.extend(v for k, v in item.items() if k == "@graph" and isinstance(v, list))


def jsonld_article(tree) -> dict:
    """headline, author names and datePublished of the page's JSON-LD article, if it has one."""
    for obj in _jsonld_objects(tree):
        kinds = obj.get("@type")
        kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
        if not any(str(k).lower() in _ARTICLE_TYPES for k in kinds):
            continue
        names = [name for name in map(_author_name, _flat(obj.get("author"))) if name]
        publisher = _author_name(next(iter(_flat(obj.get("publisher"))), None))
        outlet = [n for n in names if publisher and n.casefold() == publisher.casefold()]
        names = [n for n in names if n not in outlet]
        headline = obj.get("headline")
        body = obj.get("articleBody")
        return {
            "body": _declared_text(body) if isinstance(body, str) else None,
            "publisher": publisher,
            "outlet": tuple(outlet),  # the publisher as its own author: it counts only when no one is named
            "title": " ".join(headline.split()) if isinstance(headline, str) else None,
            "author": "; ".join(dict.fromkeys(names)) or None,
            "date": obj.get("datePublished") if isinstance(obj.get("datePublished"), str) else None,
        }
    return {}


def _flat(value: object) -> list:
    """A JSON-LD value as a list, nested lists flattened (some pages nest the co-authors); without
    recursion, since a hostile page can nest them a thousand deep."""
    flat, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif item:
            flat.append(item)
    return flat


def _author_name(author: object) -> str | None:
    """A JSON-LD author's name: its `name`, else its given and family names; an agency's or the
    outlet's one-word name ("dpa", "AP") too, since JSON-LD says it is the author."""
    if isinstance(author, dict):
        name = author.get("name")
        if not isinstance(name, str) or not name.strip():
            parts = (author.get("givenName"), author.get("familyName"))
            name = " ".join(p for p in parts if isinstance(p, str))
    else:
        name = author
    if not isinstance(name, str):
        return None
    name = " ".join(name.split())
    return name if name and len(name) < 80 and not name.isdigit() else None


# Where a paragraph of an articleBody given as HTML ends: a line of its own in the plain text.
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote|div|section|figcaption|pre|tr)\s*>|<br\s*/?>", re.I)


# Elements whose content is not text: an embed's script inside a declared body is code, not words.
_INERT = re.compile(r"<(script|style|noscript|template)\b[^>]*>.*?(?:</\1\s*>|$)", re.I | re.S)


def _declared_text(body: str) -> str:
    """An articleBody as plain text, a paragraph a line: some sites declare it as HTML."""
    markup = _INERT.sub(" ", html.unescape(body))
    return (plain_text(_BLOCK_END.sub("\n", markup)) or "").replace("\xa0", " ")


_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.){200,})"')


def _has_paragraphs(text: str) -> bool:
    """`<p` markup, as it is or escaped in JSON."""
    return "<p" in text or "\\u003cp" in text or "\\u003Cp" in text


def scripts_with_html(tree) -> list[str]:
    """Script texts that carry HTML paragraphs (a page rendered in the browser keeps its article as
    JSON in a script). Read before trafilatura, which drops scripts from the tree."""
    return [s.text for s in tree.iter("script") if s.text and _has_paragraphs(s.text)]


def article_html_in_scripts(scripts: list[str]) -> str | None:
    """The longest JSON string in the page's scripts that holds HTML paragraphs."""
    best = ""
    for text in scripts:
        for m in _JSON_STRING.finditer(text):
            raw = m.group(0)
            if len(raw) <= len(best) or not _has_paragraphs(raw):
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            if len(value) > len(best):
                best = value
    return best or None


def page_metadata(tree, url: str | None, ld: dict, sites: frozenset[str]) -> Document:
    """Title, author and URL: trafilatura's own metadata steps, less the ones paperboy does not store
    (site name, categories, tags, licence), which cost a third of extraction time. `ld` is the page's
    JSON-LD article (trafilatura's own JSON-LD reader spends seconds on some pages). The date is
    `published_at`'s."""
    md = examine_meta(tree)
    if md.author and " " not in md.author:
        md.author = None
    md.title = md.title or ld.get("title")
    md.author = ld.get("author") or md.author
    if not md.title:
        md.title = extract_title(tree)
    if not md.author:
        md.author = _signed(marked_author(tree), sites)
    if not md.url:
        md.url = extract_url(tree, url)
    md.clean_and_trim()
    return md


def _no_external_date(string: str) -> None:
    return None


# htmldate's last resort hands date-like strings to dateparser, which tries each of its ~200 locales
# and compiles their rules on first use. On the dev sets' pages that state no date, it found one date
# of 224 and cost two-thirds of the date search (docs/performance.md); paperboy searches without it.
if hasattr(htmldate.extractors, "_external_date"):
    htmldate.extractors._external_date = _no_external_date


def _no_page_search(htmlstring: str, options: object) -> None:
    return None


# Its very last resort, when the page's elements and text gave no date, reads the year-like numbers of
# the page's whole source (links, attributes, copyright lines) and guesses a day from them. On the dev
# sets it answered 12 pages that have an expected date: 2 right, 10 wrong (a "2026-01-01" from a
# copyright year), for a third of the date search's time. paperboy says it found no date instead.
if hasattr(htmldate.core, "search_page"):
    htmldate.core.search_page = _no_page_search


def _day(tree, url: str | None) -> str | None:
    """htmldate's day of publication, its extensive search included (less dateparser, above); asked on
    pages that state no time of their own."""
    config = set_date_params(True)
    config["url"] = url
    return find_date(tree, **config)


# Where a page states when it was published: its own markup for it (trusted over htmldate's day, as
# those are what the page means by "published"), then times that only agree with htmldate's day.
_DECLARED_TIMES = (
    "//meta[@property='article:published_time' or @property='article:published:time']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//*[@itemprop='datePublished']/@datetime",
)
_SEEN_TIMES = (
    "//meta[@name='pubdate' or @name='publishdate' or @name='parsely-pub-date' or @name='sailthru.date']/@content",
    "//article//time/@datetime",
)
EPOCH_PLACEHOLDER = 1990  # a CMS's empty date ("1970-01-01T00:00:00Z") is no date of publication
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not _TIMESTAMP.match(value.strip()):
        return None
    try:
        return datetime.fromisoformat(value.strip()[:40])
    except ValueError:
        return None


def published_at(tree, ld: dict, url: str | None) -> str | None:
    """The time of publication as the page states it (ISO 8601, with its UTC offset when it gives
    one): from its JSON-LD or its published-time markup; else a time elsewhere on the page that falls
    on the day htmldate finds; else that day alone. htmldate is asked only when the page states no
    time of its own (most news pages do)."""
    declared = itertools.chain([ld.get("date")], (v for xpath in _DECLARED_TIMES for v in tree.xpath(xpath)[:1]))
    for value in declared:  # (lazily: most pages state it in their JSON-LD)
        when = _timestamp(value)
        if when is not None and when.year > EPOCH_PLACEHOLDER:  # (htmldate finds no day before 1995)
            return when.isoformat(timespec="seconds")
    day = _day(tree, url)
    for value in (v for xpath in _SEEN_TIMES for v in tree.xpath(xpath)[:3]):
        when = _timestamp(value)
        if when is not None and (day is None or when.date().isoformat() == day[:10]):
            return when.isoformat(timespec="seconds")
    return day


_TITLE_SEP = re.compile(r"\s+[|–—-]\s+|\s*\|\s*")


def _site_suffix(segment: str) -> bool:
    """ " Site Name", " example.com", " 13.06.2023": what sites append to their <title>."""
    words = segment.split()
    if not 1 <= len(words) <= 3:
        return False
    return all(w[0].isupper() or w[0].isdigit() for w in words) or "." in segment


def clean_title(title: str | None) -> str | None:
    """The headline without the site's name (and date) appended after a separator."""
    if not title:
        return title
    title = title.replace("\xad", "").strip()
    for _ in range(2):
        parts = _TITLE_SEP.split(title)
        if len(parts) < 2 or not _site_suffix(parts[-1]) or len(" ".join(parts[:-1]).split()) < 3:
            break
        title = title[: title.rfind(parts[-1])].rstrip(" |–—-")
    return title


def headline_of(tree) -> str | None:
    """The page's first h1, when it reads like a headline."""
    for h1 in tree.iter("h1"):
        text = re.sub(r"\s+", " ", " ".join(h1.itertext())).strip()
        if 3 <= len(text.split()) <= 40:
            return text
        break
    return None


def page_meta(tree) -> tuple[str | None, str | None]:
    """(canonical URL, declared language) read from the head before trafilatura changes the tree."""
    canonical = None
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower().strip() == "canonical" and link.get("href"):
            canonical = link.get("href").strip()
            break
    if canonical is None:
        for meta in tree.iter("meta"):
            if (meta.get("property") or "").lower() == "og:url" and meta.get("content"):
                canonical = meta.get("content").strip()
                break
    lang = tree.get("lang") or tree.get("xml:lang")
    return canonical, (lang.split("-")[0].split("_")[0].lower().strip() or None) if lang else None


@lru_cache(maxsize=1)
def _langid():
    import py3langid

    return py3langid


def detect_language(text: str, declared: str | None) -> str | None:
    if len(text) >= 40:
        lang, _ = _langid().classify(text[:LANGID_CHARS])
        return lang
    return declared


# Between two names in a byline: punctuation, or "and" in the languages of the corpus.
_AUTHOR_SPLIT = re.compile(r"\s*[;|,]\s*|\s+(?:and|und|et|y|e|og|och|ve|en|&)\s+", re.I)
# What a byline puts around a name and a reader does not count as one: an author label before it
# ("Autor Monika Bolliger"), a desk's initials after it ("Elena Oberholzer (obe)"), a role ("기자").
_AUTHOR_LABEL = re.compile(r"^(?:by|autor(?:in)?|author|auteur|autore|yazar)\s*[:\-–]?\s+", re.I)
_AUTHOR_INITIALS = re.compile(r"\s*\([^\W\d_]{1,5}\.?\)$")
_AUTHOR_ROLE = re.compile(r"\s+(?:기자|記者|특파원)$")


def site_names(tree, ld: dict) -> frozenset[str]:
    """The names the page gives its site (og:site_name, application-name, its JSON-LD publisher),
    case-folded."""
    values = tree.xpath("//meta[@property='og:site_name' or @name='application-name']/@content")
    values.append(ld.get("publisher") or "")
    return frozenset(" ".join(v.split()).casefold() for v in values if v.strip())


def people(authors: tuple[str, ...], sites: frozenset[str]) -> tuple[str, ...]:
    """The authors that are not the site itself ("ORF at" is the site "orf.at")."""
    folded = {_folded(s) for s in sites}
    return tuple(a for a in authors if _folded(a) not in folded)


def _folded(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", name).casefold().split())


def without_site(authors: tuple[str, ...], sites: frozenset[str]) -> tuple[str, ...]:
    """The people, when the site's own name is listed beside them: the outlet counts only alone."""
    return people(authors, sites) or authors


_LATIN = re.compile(r"[A-Za-zÀ-ÿ]")


def _signed(names: str | None, sites: frozenset[str]) -> str | None:
    """The names of a byline found in the page's markup, when one of them is a person's: lone Latin
    words beside no one else are a desk's code or a credit ("Amw", "Red, ORF.at/Agenturen"); names
    in scripts written without spaces count as people."""
    found = tuple(n for n in (names or "").split("; ") if n.strip())
    named = [n for n in people(found, sites) if " " in n.strip() or not _LATIN.search(n)]
    return "; ".join(found) if named else None


def split_authors(raw: str | None) -> tuple[str, ...]:
    """The people a page's author field names, one by one, without labels, initials or roles."""
    if not raw:
        return ()
    names = []
    for part in _AUTHOR_SPLIT.split(raw):
        name = _AUTHOR_ROLE.sub("", _AUTHOR_INITIALS.sub("", _AUTHOR_LABEL.sub("", part.strip()))).strip()
        if name and len(name) < 80:
            names.append(name)
    return tuple(dict.fromkeys(names))
