"""paperboy parses pages with its own loader (faster than trafilatura's: see extractors/_extract.py).
It must build the very tree trafilatura's load_html builds, or extraction would change with it."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from lxml import etree
from trafilatura.utils import load_html as trafilatura_load_html

from paperboy.extractors._extract import load_html

ARTICLES = Path(__file__).parent / "fixtures" / "articles"
BODY = "<body><p>Caf\u00e9 cr\u00e8me, na\u00efve fa\u00e7ade.</p><p>Second paragraph.</p></body>"
QUOTED = BODY.replace(".", "\u2019")
WITH_CONTROLS = BODY.replace("na", "n\x1fa")
LATE_CONTROL = BODY.replace("na", "n\x08a")
NONCHARACTERS = BODY.replace("Second", "Sec\ufffeond\uffff")
AWKWARD = {
    "latin-1 bytes, declared": f'<html><head><meta charset="iso-8859-1"></head>{BODY}</html>'.encode("latin-1"),
    "windows-1252 bytes, undeclared": f"<html>{QUOTED}</html>".encode("cp1252"),
    "utf-8 with a byte order mark": b"\xef\xbb\xbf" + f"<html>{BODY}</html>".encode(),
    "control characters": ("<html>\x00\x0b" + WITH_CONTROLS + "\x0c</html>").encode(),
    "control characters past the head": "<html>" + " " * 5000 + LATE_CONTROL + "</html>",
    "U+FFFE and U+FFFF past the head": "<html>" + " " * 5000 + NONCHARACTERS + "</html>",
    "a doctype with a slash": f'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x.dtd"/>\n<html>{BODY}</html>',
    "a doctype over two lines": f'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN"\n "http://x/y.dtd">\n<html>{BODY}</html>',
    "a self-closing html tag": f'<?xml version="1.0"?>\n<html lang="en"/>\n{BODY}',
    "one minified line": f"<!doctype html><html><head><title>t</title></head>{BODY * 200}</html>",
    "gzip": gzip.compress(f"<html>{BODY}</html>".encode()),
    "not html": "just a line of text, no markup",
    "empty": b"",
}


def _tree(load, page):
    tree = load(page)
    return None if tree is None else etree.tostring(tree, encoding=str)


@pytest.mark.parametrize("page", [pytest.param(p, id=k) for k, p in AWKWARD.items()])
def test_awkward_pages_parse_as_trafilatura_parses_them(page):
    assert _tree(load_html, page) == _tree(trafilatura_load_html, page)


@pytest.mark.parametrize("path", sorted(ARTICLES.glob("*.html")), ids=lambda p: p.stem)
def test_article_fixtures_parse_as_trafilatura_parses_them(path):
    page = path.read_bytes()
    assert _tree(load_html, page) == _tree(trafilatura_load_html, page)
