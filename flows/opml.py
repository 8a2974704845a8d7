"""OPML 2.0 import and export of the feed list."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import formatdate
from xml.sax.saxutils import quoteattr

from core import Feed
from fetchers import UnsafeXML, safe_xml


class OPMLError(Exception):
    pass


def read_opml(data: bytes) -> list[tuple[str, str | None]]:
    """(url, name) of every outline with an xmlUrl, nested folders included. The file is read in
    whatever encoding it declares, and its DTD, if any, is cut first (no entity bombs)."""
    try:
        root = ET.fromstring(safe_xml(data)[0])
    except (ET.ParseError, UnsafeXML) as exc:
        raise OPMLError(f"not valid OPML: {exc}") from exc
    if root.tag.rsplit("}", 1)[-1].lower() != "opml":
        raise OPMLError(f"not OPML: the document is <{root.tag[:40]}>, not <opml>")
    out = []
    for node in root.iter("outline"):
        url = node.get("xmlUrl") or node.get("xmlurl")
        if url:
            out.append((url.strip(), node.get("title") or node.get("text")))
    return out


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
