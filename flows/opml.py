"""OPML 2.0 import and export of the feed list."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from email.utils import formatdate
from xml.sax.saxutils import quoteattr

_DOCTYPE = re.compile(r"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.S | re.I)


class OPMLError(Exception):
    pass


def read_opml(text: str) -> list[tuple[str, str | None]]:
    """(url, name) of every outline with an xmlUrl, nested folders included."""
    try:
        root = ET.fromstring(_DOCTYPE.sub("", text, count=1))
    except ET.ParseError as exc:
        raise OPMLError(f"not valid OPML: {exc}") from exc
    out = []
    for node in root.iter("outline"):
        url = node.get("xmlUrl") or node.get("xmlurl")
        if url:
            out.append((url.strip(), node.get("title") or node.get("text")))
    return out


def write_opml(feeds: list[dict]) -> str:
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
        name = f.get("name") or f.get("title") or f["url"]
        attrs = f'type="rss" text={quoteattr(name)} title={quoteattr(name)} xmlUrl={quoteattr(f["url"])}'
        if f.get("site_url"):
            attrs += f" htmlUrl={quoteattr(f['site_url'])}"
        lines.append(f"    <outline {attrs}/>")
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"
