"""A page made ready for trafilatura: parsed as trafilatura parses it, less what it would drop
anyway (scripts, styles), and without the furniture it would take for text (link lists,
breadcrumbs, small author and newsletter boxes); a body split by an ad joined again."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from lxml.html import fromstring as html_fromstring
from trafilatura.utils import (
    DOCTYPE_TAG,
    FAULTY_HTML,
    INVALID_XML_CHARS,
    decode_file,
    handle_compressed_file,
    is_dubious_html,
)
from trafilatura.xml import delete_element

from ._declared import heading_key

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
MAIN_TAGS = ("main",)


LINK_LIST_DENSITY = 0.8  # a list whose items are this much link text is navigation or "more stories"


def drop_furniture(tree, domain: str = "", runs: dict | None = None) -> Removals:
    """One walk over the tree: small furniture containers, captions, and link lists go; a menu left
    open around the page's <main> is read as a block. `domain`: the page's (`domain_of` its host),
    whose other pages the teasers link to; `runs`: its prose (`prose_runs`), where teasers are told
    from a listing's items.

    Captions and their credits: on the dev corpus, dropping them raised precision 0.4 points with
    recall unchanged. (Done here rather than with trafilatura's prune_xpath, which cost 13% of
    extraction time for the same result.)"""
    doomed = [f for f in tree.iter("figure") if _small_figure(f)] + list(tree.iter("figcaption"))
    furniture: dict[str, bool] = {}  # class attribute -> a furniture class? (a page repeats its classes)
    for el in tree.iter(etree.Element):  # (an XPath for the marked elements took a third longer)
        classes, marked = el.get("class"), False
        if classes:
            if classes not in furniture:
                furniture[classes] = FURNITURE_CLASS.search(classes) is not None
            marked = furniture[classes]
        if not marked and (name := el.get("id")):
            marked = FURNITURE_CLASS.search(name) is not None
        if marked and len(" ".join("".join(el.itertext()).split())) < FURNITURE_MAX_CHARS:
            doomed.append(el)
    removals = Removals()
    for el in doomed:
        removals.remove(el)
    drop_link_lists(tree, domain, removals, runs or {})
    join_split_body(tree, removals)
    unwrap_misclosed(tree)
    return removals


def place_streamed(tree) -> None:
    """Parts of a page streamed after its first bytes (React's server rendering: a hidden
    `<div id="S:1">` at the end, which the page's script moves to its placeholder `<template id="B:1">`)
    put where the browser shows them: in a hidden element, trafilatura keeps their paragraphs out of
    order and drops their headings and lists."""
    slots = {t.get("id")[2:]: t for t in tree.iter("template") if (t.get("id") or "").startswith("B:")}
    if not slots:
        return
    for part in list(tree.iter("div")):
        name = part.get("id") or ""
        slot = slots.get(name[2:]) if name.startswith("S:") else None
        if slot is None or part.get("hidden") is None or slot.getparent() is None or part.getparent() is None:
            continue
        if any(above is part for above in slot.iterancestors()):  # a part holding its own placeholder: left as is
            continue
        children, opening = list(part), part.text or ""
        delete_element(part)  # (its tail stays where it was; its children are moved below)
        parent, after = slot.getparent(), slot.tail or ""
        at = parent.index(slot)
        slot.tail = opening if children else opening + after
        for offset, child in enumerate(children):
            parent.insert(at + 1 + offset, child)
        if children:
            children[-1].tail = (children[-1].tail or "") + after
        delete_element(slot)  # (its tail, the part's first text, stays)


def unwrap_misclosed(tree) -> None:
    """A menu or a site header that holds the page's <main> was left open by the page (its closing tag
    missing or misplaced), not one that holds the article: read as a plain block, as the browser shows
    it. (trafilatura drops what it finds in a <nav> or a <header>: headings, lists.)"""
    for main in tree.iter(*MAIN_TAGS):
        for outer in main.iterancestors("nav", "header"):
            outer.tag = "div"


def _small_figure(figure) -> bool:
    """A figure of an image or a video with a line or two of text (a caption, a teaser's title). Not
    one that quotes (an embedded post is a blockquote, its words the article's) or holds a table."""
    return len(_text(figure)) < FURNITURE_MAX_CHARS and next(figure.iter("blockquote", "table"), None) is None


INERT_TAGS = ("script", "style", "svg", "meta", "link")
CODE_TAGS = ("script", "style")


JSON_LD = "application/ld+json"  # the one script trafilatura reads (as its baseline and forum checks find it)


def drop_inert(tree, tags: tuple[str, ...] = INERT_TAGS) -> None:
    """Remove what trafilatura's cleaning removes anyway and nothing reads before: scripts (all
    but JSON-LD), styles, SVG drawings, meta and link tags; each one's tail text stays, as there.
    trafilatura copies the tree twice and runs XPaths over every element before its cleaning, so
    fewer elements cost it less, for the same text. (Not noscript: its text counts in the page
    length trafilatura weighs its result against.) `tags`: some of them only (CODE_TAGS, the code)."""
    for el in list(tree.iter(*tags)):
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


def join_split_body(tree, removals: Removals) -> None:
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
        if key:
            parts.setdefault(key, []).append(el)
            at[el] = i
    for candidates in parts.values():
        if len(candidates) < 2:  # (a class that names a body once splits none: its paragraphs are not counted)
            continue
        group = [el for el in candidates if _paragraph_chars(el) >= SPLIT_BODY_MIN_CHARS]
        if not group:
            continue
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
            removals.changed_under(first)
            removals.remove(el)


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


def drop_link_lists(tree, domain: str, removals: Removals, runs: dict) -> None:
    """Remove lists whose every item is a link (or a short label and a link): breadcrumbs, tags,
    "more on this" blocks; lone paragraphs that are a label and a link to another story; and other
    stories' teasers: their linked titles, and their cards (title and summary)."""
    doomed = []
    for lst in tree.iter("ul", "ol"):
        items = [li for li in lst if li.tag == "li"]
        if len(items) < 2 or not all(_link_line(li) for li in items[:-1]):
            continue
        last = items[-1]  # all links, or a breadcrumb: links, then the page itself
        if _link_line(last) or (len(items) >= 3 and len(_text(last).split()) <= 10):
            doomed.append(lst)
    for p in tree.iter("p"):
        if next(p.iter("a"), None) is None or len(text := _text(p)) > 200:  # (its links read only then)
            continue
        links = _link_texts(p)
        if links and _labelled_link(text, links):
            doomed.append(p)
    cards = _teaser_cards(tree, domain)
    if cards is not None:  # (None: a list article, whose items look like teasers and are its text)
        titles = [h for h in tree.iter("h2", "h3", "h4", "h5", "h6") if _teaser_title(h, domain)]
        if not _heading_items(tree, titles, runs):
            doomed.extend(titles)
        doomed.extend(cards)
    for el in doomed:
        removals.remove(el)


ITEM_TITLES_MIN = 3
ITEMS_SHARE = 0.5


def _heading_items(tree, titles: list, runs: dict) -> bool:
    """Linked headings that head the page's prose, most of them followed by a part of it of their own:
    a listing's or a directory's items. Not the titles of other stories in a block beside or below one
    article, whose prose then lies before them all or in one part, and most of which head no prose."""
    if len(titles) < ITEM_TITLES_MIN or not runs:
        return False
    heads = set(titles)
    parts: list[int] = []
    for el in tree.iter(etree.Element):
        if el in heads:
            parts.append(0)
        elif parts:
            parts[-1] += runs.get(el, 0)
    headed, heading = sum(parts), sum(1 for n in parts if n)
    return (
        headed >= ITEMS_SHARE * sum(runs.values())
        and max(parts) <= ITEMS_SHARE * headed
        and heading >= ITEMS_SHARE * len(parts)
    )


TEASER_TITLE_MIN_CHARS = 15
CARD_MAX_CHILDREN = 8  # a teaser holds a title, a summary, an image, a date; a story holds paragraphs
_CARD_TAGS = frozenset({"div", "section", "article", "li", "aside"})


def _teaser_cards(tree, domain: str) -> list | None:
    """Teasers of other stories: a small container that opens with a link (the other story's title)
    and holds a paragraph of its own without links (its summary). Its title may go as a linked
    heading, but the summary would stay as a paragraph of the story. None when such containers hold
    most of the page's paragraph text: then they are the article's items (a list article), whichever
    sites they link to. Of the others, those whose title links to another site are kept: an item's
    source, not a teaser."""
    cards = []
    verdicts: dict = {}  # container -> _card_verdict (the paragraphs of one container ask it once)
    for p in tree.iter("p"):
        if next(p.iter("a"), None) is not None:
            continue
        el = p.getparent()
        for _ in range(3):  # the card holds its summary within a few levels
            if el is None or el.tag == "body":
                break
            if el not in verdicts:
                verdicts[el] = _card_verdict(el, domain)
            verdict = verdicts[el]
            if verdict is _TOO_LONG:
                break
            if verdict is not None:
                cards.append((el, *verdict))
                break
            el = el.getparent()
    if cards and sum(n for _, _, n in cards) * 2 > sum(len(_text(p)) for p in tree.iter("p")):
        return None
    return [el for el, titled, _ in cards if titled]


_TOO_LONG = (False, -1)


def _card_verdict(el, domain: str) -> tuple[bool, int] | None:
    """An element's reading as a teaser card: (its title links home, its characters); None when it is
    none (a card may hold it); _TOO_LONG when it holds too many children or too much text to be or to be
    inside one. (lxml counts an element's children one by one: asked once an element.)"""
    if len(el) > CARD_MAX_CHILDREN:
        return _TOO_LONG
    if el.tag not in _CARD_TAGS:
        return None
    if _longer_than(el, 2 * FURNITURE_MAX_CHARS):
        return _TOO_LONG
    first = next(el.iter("a"), None)
    title = _text(first) if first is not None and _elsewhere(first) else ""
    text = _text(el)
    if (
        title
        and len(text) < FURNITURE_MAX_CHARS
        and text.startswith(title)
        and next(el.iter("h1"), None) is None  # the article's own header: a section link, its headline
        and _standalone(first, title)
    ):
        return len(title) >= TEASER_TITLE_MIN_CHARS and _elsewhere(first, domain), len(text)
    return None


def _standalone(link, title: str) -> bool:
    """A title link: one that is not the start of a sentence ("<p><a>Jane Smith</a> said …</p>")."""
    parent = link.getparent()
    return parent is None or parent.tag not in ("p", "li", "blockquote") or _text(parent) == title


def _longer_than(el, chars: int) -> bool:
    """Whether the element's raw text runs past `chars`, read no further than that."""
    n = 0
    for t in el.itertext():
        n += len(t)
        if n > chars:
            return True
    return False


def _teaser_title(h, domain: str) -> bool:
    """A heading that is all link, or inside a link, to another page of the site: the title of another
    story's teaser. (Not a link within the page: a heading that jumps to its section is the article's.)"""
    links = [_text(a) for a in h.iter("a") if _elsewhere(a, domain)]
    if any(links) and sum(map(len, links)) >= LINK_LIST_DENSITY * len(_text(h)):
        return True
    return any(a.tag == "a" and _elsewhere(a, domain) for a in h.iterancestors())


def domain_of(host: str | None) -> str:
    """A host's domain, as its last two names ("news.example.org" -> "example.org"); "" for none.
    (Not `paperboy.core.site_of`, the server a URL names, for politeness.)"""
    return ".".join((host or "").lower().rstrip(".").split(".")[-2:])


def _elsewhere(a, domain: str = "") -> bool:
    """A link to another page (of the page's `domain`, when given): not to a place on this one, nor to
    another site (a list article's items link to their subjects' own sites; a teaser stays at home)."""
    href = (a.get("href") or "#").strip()
    if href[:1] == "#":
        return False
    if not domain or not href.lower().startswith(("http://", "https://", "//")):
        return True
    try:
        return domain_of(urlsplit(href).hostname) == domain
    except ValueError:  # an address that is not one ("http://[oops")
        return True


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


SUBHEADING_MAX_CHARS = 200


def subheadings(tree) -> frozenset[str]:
    """The page's subheadings (h2 to h6) that are not links (a teaser's title is one), as
    `heading_key` gives them: they belong to the story they stand in, declared or not."""
    out = set()
    for h in tree.iter("h2", "h3", "h4", "h5", "h6"):
        text = _text(h)
        linked = sum(len(t) for t in _link_texts(h))
        if text and len(text) <= SUBHEADING_MAX_CHARS and linked * 2 < len(text):
            out.add(heading_key(text))
    return frozenset(out)


LEAD_MIN_CHARS = 60
LEAD_MAX_CHARS = 600  # a standfirst is a few sentences; a longer summary is the body's text again
_NOT_LEAD = {"a", "nav", "footer", "aside", "figure", "figcaption", "button", "label"}


def _in_page_furniture(el) -> bool:
    """Inside a link, a menu, a footer, an aside, a figure; or in a header that is the site's (an
    article's own header holds its standfirst)."""
    ancestors = {a.tag for a in el.iterancestors()}
    if el.tag in _NOT_LEAD or _NOT_LEAD & ancestors:
        return True
    return "header" in ancestors and not {"article", "main"} & ancestors


def visible_lead(tree) -> str | None:
    """The page's summary (its description), when the page also shows it as text of its own: a
    standfirst, which extraction often leaves out as it sits apart from the body."""
    for value in tree.xpath("//meta[@name='description' or @property='og:description']/@content"):
        lead = " ".join(value.split())
        if not LEAD_MIN_CHARS <= len(lead) <= LEAD_MAX_CHARS:
            continue
        start = lead[:20]
        word = start.split()[0]  # (in the element's own text, or its text cannot start the lead: a cheap test first)
        for el in tree.iter("p", "div", "span", "h2", "strong", "section"):
            if not el.text or word not in el.text:
                continue
            own = " ".join(el.text.split())
            if not own.startswith(start) or _text(el) != lead:
                continue  # (its own text first: joining every element's text costs a page's worth)
            if not _in_page_furniture(el):
                return lead
    return None


# Inline markup: its text is part of the run of prose it sits in.
_INLINE = frozenset(
    {"a", "abbr", "b", "br", "cite", "code", "del", "em", "font", "i", "ins", "mark", "q", "s", "small", "span"}
    | {"strong", "sub", "sup", "time", "u"}
)
_NOT_SHOWN = frozenset({"script", "style", "template", "textarea", "svg"})
PROSE_RUN_CHARS = 80  # a run of text this long between block tags is a sentence or more, not a label


def prose_runs(tree) -> dict:
    """How much prose the page shows, by the element whose run of text each is: the characters of
    its runs of text (a block's own text with its inline markup's) of a sentence or more that are
    not mostly link text. What an extraction of the page's article is weighed against, whatever tags
    the page puts it in. (Not by the tags around a run: an unclosed <nav> or <header> puts whole pages
    inside one.)"""
    runs = {}
    for el in tree.iter(etree.Element):
        if n := _prose_run(el):
            runs[el] = n
    return runs


def _prose_run(el) -> int:
    if el.tag in _INLINE or el.tag in _NOT_SHOWN:
        return 0
    parts, linked = [el.text or ""], 0
    for child in el:
        if child.tag in _INLINE:
            text = "".join(child.itertext())
            parts.append(text)
            linked += len(text) if child.tag == "a" else 0
        parts.append(child.tail or "")
    n = len(" ".join("".join(parts).split()))
    return n if n >= PROSE_RUN_CHARS and linked * 2 < n else 0


class Removals:
    """What the furniture removal took out of a page, and the blocks whose run of text it changed: the
    prose left is counted from the prose before (`prose_runs`), not by walking the page again."""

    def __init__(self) -> None:
        self.gone: list = []
        self.changed: list = []

    def remove(self, el) -> None:
        parent = el.getparent()
        if parent is not None:
            self.changed_under(parent)
            parent.remove(el)
            self.gone.append(el)

    def changed_under(self, parent) -> None:
        """`parent` lost or gained a child: its run of text may differ, and so may that of every block
        that holds it inside an inline child (a run takes its inline children's whole text)."""
        self.changed.append(parent)
        below = parent
        for el in parent.iterancestors():
            if below.tag in _INLINE:
                self.changed.append(el)
            below = el

    def prose_left(self, runs: dict) -> int:
        gone = {el for root in self.gone for el in root.iter()}
        left = sum(runs.values()) - sum(runs.get(el, 0) for el in gone)
        for el in set(self.changed) - gone:
            left += _prose_run(el) - runs.get(el, 0)
        return left
