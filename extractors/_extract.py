"""HTML in, Article out: trafilatura for the body and metadata, then the cleaning."""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import trafilatura
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from lxml.html import fromstring as html_fromstring
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_title,
    extract_url,
    set_date_params,
)
from trafilatura.settings import Document
from trafilatura.utils import (
    DOCTYPE_TAG,
    FAULTY_HTML,
    INVALID_XML_CHARS,
    decode_file,
    handle_compressed_file,
    is_dubious_html,
)
from trafilatura.xml import delete_element

from core import Article, plain_text

from ._clean import clean_paragraphs, declared_words, outside_declared, truncated_against
from ._models import ExtractOptions

DEFAULT_OPTIONS = ExtractOptions()

LANGID_CHARS = 1000  # enough for a stable guess: 179 of 179 dev pages right from 400 to 2,000 characters


# lxml.html's parser asks a Python method which class to give an element each time Python touches
# one (about 4,000 times a page here, most of them inside trafilatura). A lookup in C that gives
# every element lxml.html's HtmlElement, which is all trafilatura and paperboy use, costs nothing.
_PARSER = etree.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
)
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)


# trafilatura's INVALID_XML_CHARS as UTF-8: control bytes (bytes.translate deletes them ten times
# faster than its regex runs over a 300 kB page) and the non-characters U+FFFE and U+FFFF.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")
_HEAD_CHARS = 4096  # trafilatura's repairs (a doctype, a self-closing <html/>) look at the head


def _repaired(text: str, beginning: str) -> str:
    """trafilatura's repair_faulty_html, its regex for invalid characters run on the head only, and
    the page copied only where something is repaired (a page can be megabytes)."""
    head = text[:_HEAD_CHARS]
    if INVALID_XML_CHARS.search(head):
        text = INVALID_XML_CHARS.sub("", head) + text[_HEAD_CHARS:]
    if "doctype" in beginning:  # libxml2 stumbles on some doctypes
        end = text.find("\n")
        doctype = DOCTYPE_TAG.match(text, 0, len(text) if end < 0 else end)  # in the first line
        if doctype:
            text = text[doctype.end() :]
        if end < 0:  # trafilatura rebuilds the page as first line, "\n", the rest
            text += "\n"
    for line in text[:_HEAD_CHARS].splitlines()[:4]:  # a self-closing <html/>
        if "<html" in line and line.endswith("/>"):
            return FAULTY_HTML.sub(r"\1>", text, count=1)
    return text


def _decoded(page: str | bytes) -> tuple[str, bytes | None]:
    """trafilatura's decode_file: the page as text; and its bytes when they are that text in UTF-8."""
    if isinstance(page, bytes):
        content = handle_compressed_file(page)
        try:
            return content.decode("utf-8"), content
        except UnicodeDecodeError:
            pass
    return decode_file(page), None


def load_html(page: str | bytes):
    """The page's tree, as trafilatura's load_html makes it (same decoding, repairs and checks,
    the same tree on every corpus page), but with the parser above and from UTF-8 bytes, which
    libxml2 reads faster than a str."""
    text, raw = _decoded(page)
    beginning = text[:50].lower()
    repaired = _repaired(text, beginning)
    # A UTF-8 page that needed no repair is parsed from its own bytes (not encoded again).
    data = raw if raw is not None and repaired is text else repaired.encode("utf-8", "surrogatepass")
    del text, repaired  # a copy of the page fewer while it is parsed
    data = data.translate(None, _CONTROL_BYTES)
    for char in _NONCHARACTERS:
        if char in data:
            data = data.replace(char, b"")
    try:
        tree = html_fromstring(data, parser=_PARSER)
    except etree.ParserError:  # "Document is empty"
        return None
    if is_dubious_html(beginning) and len(tree) < 2:  # not HTML at all
        return None
    return tree


# Containers that hold furniture, not story: removed when they are small (a container holding the
# whole article may carry such a class too, so the size bound keeps it). A wider list (byline,
# read-more, paywall, teaser) cost 1.3 points of recall on the dev corpus for no gain in precision.
FURNITURE_CLASS = re.compile(
    r"author-bio|author-box|authorbox|about-author|newsletter|social-share|share-bar|sharebar|share-buttons|"
    r"related-articles|related-posts|copyright"
)
FURNITURE_MAX_CHARS = 400
LINK_LIST_DENSITY = 0.8  # a list whose items are this much link text is navigation or "more stories"


def drop_furniture(tree) -> None:
    """One walk over the tree: small furniture containers, captions, and link lists go.

    Captions and their credits: on the dev corpus, dropping them raised precision 0.4 points with
    recall unchanged. (Done here rather than with trafilatura's prune_xpath, which cost 13% of
    extraction time for the same result.)"""
    doomed = list(tree.iter("figcaption"))
    for el in tree.iter(etree.Element):  # (an XPath for the marked elements took a third longer)
        marks = el.get("class"), el.get("id")
        if (marks[0] or marks[1]) and FURNITURE_CLASS.search(f"{marks[0] or ''} {marks[1] or ''}"):
            if len(" ".join("".join(el.itertext()).split())) < FURNITURE_MAX_CHARS:
                doomed.append(el)
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)
    drop_link_lists(tree)
    join_split_body(tree)


INERT_TAGS = ("script", "style", "svg", "meta", "link")
JSON_LD = "application/ld+json"  # the one script trafilatura reads (as its baseline and forum checks find it)


def drop_inert(tree) -> None:
    """Remove what trafilatura's cleaning removes anyway and nothing reads before: scripts (all
    but JSON-LD), styles, SVG drawings, meta and link tags; each one's tail text stays, as there.
    trafilatura copies the tree twice and runs XPaths over every element before its cleaning, so
    fewer elements cost it less, for the same text. (Not noscript: its text counts in the page
    length trafilatura weighs its result against.)"""
    for el in list(tree.iter(*INERT_TAGS)):
        if el.tag != "script" or el.get("type") != JSON_LD:
            delete_element(el)


# A story's body split into sibling containers of one class (the page put an ad or a teaser between
# them): trafilatura takes the first container only. Class words that name a body.
_BODY_WORD = re.compile(r"body|text|content|story|article|entry|post", re.I)
SPLIT_BODY_MIN_CHARS = 200  # a part holds at least this much paragraph text of its own


def _paragraph_chars(el) -> int:
    return sum(len(_text(p)) for p in el if p.tag == "p")


def _story_of(el):
    return next(el.iterancestors("article"), None)


def join_split_body(tree) -> None:
    """Move the paragraphs of later parts of a split body into its first part."""
    parts: dict[tuple[str, ...], list] = {}
    headlines: list[int] = []  # document positions of h1s
    at: dict = {}
    keys: dict[str, tuple[str, ...]] = {}  # class attribute -> its body words (a page repeats its classes)
    for i, el in enumerate(tree.iter("div", "section", "h1")):
        if el.tag == "h1":
            headlines.append(i)
            continue
        classes = el.get("class") or ""
        key = keys.get(classes)
        if key is None:
            key = keys[classes] = tuple(sorted(w for w in classes.split() if _BODY_WORD.search(w)))
        if key and _paragraph_chars(el) >= SPLIT_BODY_MIN_CHARS:
            parts.setdefault(key, []).append(el)
            at[el] = i
    for group in parts.values():
        first = group[0]
        if len(group) < 2 or any(first in el.iterancestors() or el in first.iterancestors() for el in group[1:]):
            continue
        if len({_story_of(el) for el in group}) > 1:  # each in an <article> of its own: the next stories
            continue
        if any(at[first] < h < at[group[-1]] for h in headlines):  # a headline between: another story
            continue
        for el in group[1:]:
            for child in list(el):
                first.append(child)
            el.getparent().remove(el)


LABEL_SEPARATORS = (":", "|", "»", ">", "›", "→", "–", "-")
MAX_LABEL_WORDS = 5


def _text(el) -> str:
    return " ".join(" ".join(el.itertext()).split())


def _link_texts(el) -> list[str]:
    return [t for t in (_text(a) for a in el.iter("a")) if t]


def _link_line(el) -> bool:
    """All link, or a short label and a link: "<b>Health:</b> <a>Ten ways to sleep better</a>"."""
    links = _link_texts(el)
    if not links:  # (most items: their text is then never needed)
        return False
    text = _text(el)
    return sum(map(len, links)) >= LINK_LIST_DENSITY * len(text) or _labelled_link(text, links)


def drop_link_lists(tree) -> None:
    """Remove lists whose every item is a link (or a short label and a link): breadcrumbs, tags,
    "more on this" blocks; and lone paragraphs that are a label and a link to another story."""
    doomed = []
    for lst in tree.iter("ul", "ol"):
        items = [li for li in lst if li.tag == "li"]
        if len(items) < 2 or not all(_link_line(li) for li in items[:-1]):
            continue
        last = items[-1]  # all links, or a breadcrumb: links, then the page itself
        if _link_line(last) or (len(items) >= 3 and len(_text(last).split()) <= 10):
            doomed.append(lst)
    for p in tree.iter("p"):
        links = _link_texts(p)
        if links and len(text := _text(p)) <= 200 and _labelled_link(text, links):
            doomed.append(p)
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)


_SEPARATORS_ONLY = re.compile(r"^[\s|,/·•–—-]*$")


def _labelled_link(text: str, links: list[str]) -> bool:
    """A short label ending in a separator, then links (their texts `links`): at least half of the
    text, or nothing but links after the label ("Profiles: <a>A</a> | <a>B</a>")."""
    if not links or links[0] not in text:
        return False
    label = text[: text.find(links[0])].strip()
    if not label or len(label.split()) > MAX_LABEL_WORDS or not label.endswith(LABEL_SEPARATORS):
        return False
    if sum(map(len, links)) >= 0.5 * len(text):
        return True
    rest = text[len(label) :]
    for t in links:
        rest = rest.replace(t, " ", 1)
    return bool(_SEPARATORS_ONLY.match(rest))


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


def _jsonld_objects(tree):
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                stack.extend(v for k, v in item.items() if k == "@graph" and isinstance(v, list))


def _jsonld_article(tree) -> dict:
    """headline, author names and datePublished of the page's JSON-LD article, if it has one."""
    for obj in _jsonld_objects(tree):
        kinds = obj.get("@type")
        kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
        if not any(str(k).lower() in _ARTICLE_TYPES for k in kinds):
            continue
        authors = obj.get("author") or []
        authors = authors if isinstance(authors, list) else [authors]
        names = []
        for a in authors:
            name = a.get("name") if isinstance(a, dict) else a if isinstance(a, str) else None
            if isinstance(name, str) and name.strip() and " " in name.strip() and len(name) < 80:
                names.append(" ".join(name.split()))
        headline = obj.get("headline")
        body = obj.get("articleBody")
        return {
            "body": (plain_text(html.unescape(body)) or "").replace("\xa0", " ") if isinstance(body, str) else None,
            "title": " ".join(headline.split()) if isinstance(headline, str) else None,
            "author": "; ".join(dict.fromkeys(names)) or None,
            "date": obj.get("datePublished") if isinstance(obj.get("datePublished"), str) else None,
        }
    return {}


_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.){200,})"')


def _has_paragraphs(text: str) -> bool:
    """`<p` markup, as it is or escaped in JSON."""
    return "<p" in text or "\\u003cp" in text or "\\u003Cp" in text


def _scripts_with_html(tree) -> list[str]:
    """Script texts that carry HTML paragraphs (a page rendered in the browser keeps its article as
    JSON in a script). Read before trafilatura, which drops scripts from the tree."""
    return [s.text for s in tree.iter("script") if s.text and _has_paragraphs(s.text)]


def _article_html_in_scripts(scripts: list[str]) -> str | None:
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


def page_metadata(tree, url: str | None, ld: dict) -> Document:
    """Title, author, URL and date: trafilatura's own metadata steps, less the ones paperboy does not
    store (site name, categories, tags, licence), which cost a third of extraction time. `ld` is the
    page's JSON-LD article (trafilatura's own JSON-LD reader spends seconds on some pages)."""
    md = examine_meta(tree)
    if md.author and " " not in md.author:
        md.author = None
    md.title = md.title or ld.get("title")
    md.author = ld.get("author") or md.author
    if not md.title:
        md.title = extract_title(tree)
    if not md.author:
        md.author = extract_author(tree)
    if not md.url:
        md.url = extract_url(tree, url)
    config = set_date_params(True)
    config["url"] = md.url
    md.date = find_date(tree, **config)
    md.clean_and_trim()
    return md


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


def _headline(tree) -> str | None:
    """The page's first h1, when it reads like a headline."""
    for h1 in tree.iter("h1"):
        text = re.sub(r"\s+", " ", " ".join(h1.itertext())).strip()
        if 3 <= len(text.split()) <= 40:
            return text
        break
    return None


def _page_meta(tree) -> tuple[str | None, str | None]:
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


def _split_authors(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    parts = re.split(r"\s*(?:;|\||,| and | und | et | y )\s*", raw)
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip() and len(p.strip()) < 80))


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n+", plain_text(text) or "") if p.strip()]


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
    canonical, declared_lang = _page_meta(tree)
    headline = _headline(tree)
    ld = _jsonld_article(tree)
    meta = page_metadata(tree, url, ld)
    scripts = _scripts_with_html(tree)
    if options.clean and "structure" not in options.disabled_rules:
        drop_furniture(tree)
    drop_inert(tree)  # all the page's head and scripts were wanted for is read by now
    host = (urlsplit(url).hostname or "").lower() if url else ""
    site = options.site_rules.get(host) or options.site_rules.get(host.removeprefix("www."))
    prune = list(site.drop_xpath) if site else []
    try:
        text = _body(tree, url, options, prune, fast=True)
        if len(text) < FAST_ENOUGH_CHARS:  # little found: trafilatura's backup extractors may find more
            text = _body(tree, url, options, prune, fast=False) or text
    except Exception:  # trafilatura raises assorted errors on pathological markup
        return None
    if not text.strip() and scripts:  # rendered in the browser: the article is JSON in a script
        fragment = _article_html_in_scripts(scripts)
        text = _fragment_text(fragment) if fragment else ""
    if not text.strip():
        return None
    authors = _split_authors(meta.author)
    paragraphs = _paragraphs(text)
    removed: list[tuple[str, str]] = []
    declared = ld.get("body") if options.clean and "declared" not in options.disabled_rules else None
    pool = declared_words(declared) if declared else None
    if declared and pool:
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
        if not authors and found:
            authors = found
    if pool:
        for i in reversed(outside_declared(paragraphs, pool)):
            removed.append(("declared", paragraphs.pop(i)))
    if not authors and hint_authors:
        authors = hint_authors
    text = "\n\n".join(paragraphs)
    if not text:
        return None
    return Article(
        url=url or meta.url or "",
        text=text,
        title=plain_text(clean_title(meta.title) or headline),
        authors=authors,
        published=meta.date,
        language=detect_language(text, declared_lang),
        canonical_url=urljoin(url, canonical) if canonical and url else canonical,
        removed=tuple(removed),
    )


# trafilatura's fast mode skips its backup extractors (readability, jusText), which cost a sixth of
# extraction time and change nothing on most pages; below this many characters of text, the page is
# extracted again with them (on the dev corpus: 6 pages in 179, two of them rescued).
FAST_ENOUGH_CHARS = 1000


def _body(tree, url: str | None, options: ExtractOptions, prune: list[str], *, fast: bool) -> str:
    """trafilatura's main text of the page (it works on a copy of the tree)."""
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
    return doc.text if isinstance(doc, Document) and doc.text else ""


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
