"""OPML 2.0 import and export of the feed list."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.utils import formatdate
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from paperboy.core import Feed, PaperboyError, web_url
from paperboy.fetchers import UnsafeXML, safe_xml


class OPMLError(PaperboyError):
    pass


CHUNK = 1 << 20  # bytes of the file parsed at a time


Outline = tuple[str, str | None, str | None, str | None]  # url, name, htmlUrl, folder


def read_opml(path: str) -> Iterator[Outline]:
    """(url, name, htmlUrl, folder) of every outline with an xmlUrl, its folder the outlines without
    one around it ("News/Local" for one inside another), as the file is read a
    chunk at a time (a list of a million feeds is never held whole). A file that declares entities
    (a DTD's, the stuff of entity bombs) is refused; one in an encoding expat cannot read is read
    whole, in whatever encoding it declares, with its DTD cut."""
    found: list[Outline] = []
    folders: list[str | None] = []  # for each open outline, the folder it names (None: a feed's)
    seen_root = False

    def start(tag: str, attrs: dict) -> None:
        nonlocal seen_root
        if not seen_root:
            seen_root = True
            if tag.rsplit("}", 1)[-1].lower() != "opml":
                raise OPMLError(f"not OPML: the document is <{tag[:40]}>, not <opml>")
        if tag == "outline":
            url = attrs.get("xmlUrl") or attrs.get("xmlurl")
            name = attrs.get("title") or attrs.get("text")
            if url:
                folder = "/".join(f for f in folders if f) or None
                found.append((url.strip(), name, web_url(attrs.get("htmlUrl") or attrs.get("htmlurl")), folder))
            folders.append(None if url else (name or "").strip() or None)

    def end(tag: str) -> None:
        if tag == "outline" and folders:
            folders.pop()

    def no_entities(*_: object) -> None:
        raise OPMLError("not valid OPML: it declares entities (a DTD), which no feed list needs")

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.EntityDeclHandler = no_entities
    with open(path, "rb") as fh:
        try:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                parser.Parse(chunk, False)
                yield from found
                found.clear()
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            if "encoding" in str(exc) and not seen_root:  # one expat does not know: read it whole
                fh.seek(0)
                yield from _read_whole(fh.read())
                return
            raise OPMLError(f"not valid OPML: {exc}") from exc
    yield from found


def _read_whole(data: bytes) -> list[Outline]:
    try:
        root = ET.fromstring(safe_xml(data)[0])
    except (ET.ParseError, UnsafeXML) as exc:
        raise OPMLError(f"not valid OPML: {exc}") from exc
    if root.tag.rsplit("}", 1)[-1].lower() != "opml":
        raise OPMLError(f"not OPML: the document is <{root.tag[:40]}>, not <opml>")
    out: list[Outline] = []

    def walk(node, folder: str | None) -> None:
        for child in node:
            if child.tag != "outline":
                walk(child, folder)
                continue
            url, name = child.get("xmlUrl") or child.get("xmlurl"), child.get("title") or child.get("text")
            if url:
                out.append((url.strip(), name, web_url(child.get("htmlUrl") or child.get("htmlurl")), folder))
            walk(child, folder if url else "/".join(f for f in (folder, (name or "").strip()) if f) or None)

    walk(root, None)
    return out


def write_opml(feeds: list[Feed]) -> str:
    """OPML 2.0 of the feeds, each in an outline of its folder (folders in the order first met)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        "    <title>paperboy feeds</title>",
        f"    <dateCreated>{formatdate(usegmt=True)}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    by_folder: dict[str | None, list[Feed]] = {}
    for f in feeds:
        by_folder.setdefault(f.folder, []).append(f)
    for folder, members in by_folder.items():
        indent = "    " if folder is None else "      "
        if folder is not None:
            lines.append(f"    <outline text={quoteattr(folder)} title={quoteattr(folder)}>")
        for f in members:
            name = f.name or f.title or f.url
            attrs = f'type="rss" text={quoteattr(name)} title={quoteattr(name)} xmlUrl={quoteattr(f.url)}'
            if f.site_url:
                attrs += f" htmlUrl={quoteattr(f.site_url)}"
            lines.append(f"{indent}<outline {attrs}/>")
        if folder is not None:
            lines.append("    </outline>")
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"
