"""OPML 2.0 import and export of the feed list."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.utils import formatdate
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from core import Feed
from fetchers import UnsafeXML, safe_xml


class OPMLError(Exception):
    pass


CHUNK = 1 << 20  # bytes of the file parsed at a time


def read_opml(path: str) -> Iterator[tuple[str, str | None]]:
    """(url, name) of every outline with an xmlUrl, nested folders included, as the file is read a
    chunk at a time (a list of a million feeds is never held whole). A file that declares entities
    (a DTD's, the stuff of entity bombs) is refused; one in an encoding expat cannot read is read
    whole, in whatever encoding it declares, with its DTD cut."""
    found: list[tuple[str, str | None]] = []
    seen_root = False

    def start(tag: str, attrs: dict) -> None:
        nonlocal seen_root
        if not seen_root:
            seen_root = True
            if tag.rsplit("}", 1)[-1].lower() != "opml":
                raise OPMLError(f"not OPML: the document is <{tag[:40]}>, not <opml>")
        if tag == "outline":
            url = attrs.get("xmlUrl") or attrs.get("xmlurl")
            if url:
                found.append((url.strip(), attrs.get("title") or attrs.get("text")))

    def no_entities(*_: object) -> None:
        raise OPMLError("not valid OPML: it declares entities (a DTD), which no feed list needs")

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
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


def _read_whole(data: bytes) -> list[tuple[str, str | None]]:
    try:
        root = ET.fromstring(safe_xml(data)[0])
    except (ET.ParseError, UnsafeXML) as exc:
        raise OPMLError(f"not valid OPML: {exc}") from exc
    if root.tag.rsplit("}", 1)[-1].lower() != "opml":
        raise OPMLError(f"not OPML: the document is <{root.tag[:40]}>, not <opml>")
    return [(url.strip(), node.get("title") or node.get("text"))
            for node in root.iter("outline") if (url := node.get("xmlUrl") or node.get("xmlurl"))]  # fmt: skip


def write_opml(feeds: list[Feed]) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        "    <title>paperboy feeds</title>",
        f"    <dateCreated>{formatdate(usegmt=True)}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    for f in feeds:
        name = f.name or f.title or f.url
        attrs = f'type="rss" text={quoteattr(name)} title={quoteattr(name)} xmlUrl={quoteattr(f.url)}'
        if f.site_url:
            attrs += f" htmlUrl={quoteattr(f.site_url)}"
        lines.append(f"    <outline {attrs}/>")
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"
