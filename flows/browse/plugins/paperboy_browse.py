"""paperboy's Datasette plugin (loaded by `paperboy browse` with --plugins-dir): an article as a
page, search matches highlighted, links from the lists to the article page, and the charts page.
It reads the archive only through the canned views of db/browse.py, as JSON: no SQL here."""

from __future__ import annotations

import html
import json
import os
import re
import urllib.parse

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from paperboy.db.browse import prepare
from paperboy.flows.feedout import render as render_feed

SEP = "\x1f"  # between the characters of CJK text in its index (db/_cjk.py)

DB = os.environ.get("PAPERBOY_BROWSE_DB", "paperboy")  # the archive's name under the browse server
START, END = "\x02", "\x03"  # what the search view's snippet marks a match with


def _view(row) -> str:
    """Which canned view a row is of, by its columns (Datasette 0.65 tells a cell's hook no more)."""
    keys = set(row.keys()) if hasattr(row, "keys") else set()
    if "reached_under" in keys:
        return "article"
    if {"story", "versions", "outlets"} <= keys:
        return "stories"
    if "snippet" in keys:
        return "search"
    if {"feed", "day", "url"} <= keys:
        return "latest"
    return ""


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    view = "" if table is not None else _view(row)
    if view in ("latest", "search") and column == "id" and isinstance(value, int):
        return Markup(f'<a href="/-/article/{value}">{value}</a>')
    if view == "stories" and column == "story" and isinstance(value, int):
        return Markup(f'<a href="/-/story/{value}">{value}</a>')
    if view == "search" and column == "snippet" and isinstance(value, str):
        text = html.escape(value.replace(SEP, ""))
        return Markup(text.replace(START, "<mark>").replace(END, "</mark>"))
    if view == "article" and column == "text" and isinstance(value, str):
        return Markup("".join(f"<p>{html.escape(p)}</p>" for p in value.split("\n\n")))
    return None


async def _rows_of(datasette, view: str, ref: str, noun: str):
    """The rows of a canned view for one id (`ref`, from the address), or the page that says why none."""
    if not ref.isdigit():
        return None, await _message(datasette, f"{ref!r} is not {noun} id: ids are whole numbers, as in /-/{view}/42.")
    response = await datasette.client.get(f"/{DB}/{view}.json?id={ref}&_shape=array")
    rows = response.json() if response.status_code == 200 else []
    if not rows:
        return None, await _message(datasette, f"No {noun.split()[-1]} with id {ref} in this archive.", status=404)
    return rows, None


async def article_page(request, datasette):
    rows, said = await _rows_of(datasette, "article", request.url_vars["id"], "an article")
    if said:
        return said
    row = rows[0]
    try:
        authors = ", ".join(json.loads(row["authors"] or "[]"))
    except ValueError:
        authors = row["authors"] or ""
    page = await datasette.render_template(
        "paperboy_article.html",
        {
            "row": row,
            "authors": authors,
            "paragraphs": [p for p in (row["text"] or "").split("\n\n") if p.strip()],
            "addresses": (row["reached_under"] or "").split(),
            "db": DB,
        },
        request=request,
    )
    return Response.html(page)


_WORD = re.compile(r"\w+")
SAME_PARAGRAPH = 0.6  # of a paragraph's runs of three words found in the other version: it is there (edited)


def _words(text: str) -> set[tuple[str, ...]]:
    """The text's runs of three words (words alone say little: two reports share most of theirs)."""
    w = _WORD.findall(text.casefold())
    return {tuple(w[i : i + 3]) for i in range(max(1, len(w) - 2))} if w else set()


def _there(own: set[tuple[str, ...]], runs: set[tuple[str, ...]]) -> bool:
    """A paragraph (its runs of three words) is in a text (its runs)."""
    return not own or len(own & runs) >= SAME_PARAGRAPH * len(own)


def _paragraphs(text: str | None) -> list[tuple[str, set[tuple[str, ...]]]]:
    return [(p, _words(p)) for p in (text or "").split("\n\n") if p.strip()]


def compared(versions: list[dict]) -> list[dict]:
    """Each version of a story beside the first: its paragraphs, those the first lacks marked as
    added, and the first's paragraphs it lacks (what this outlet cut)."""
    first = _paragraphs(versions[0]["text"])
    first_words = set().union(*(runs for _, runs in first))
    out = []
    for i, v in enumerate(versions):
        paragraphs = _paragraphs(v["text"])
        own = set().union(*(runs for _, runs in paragraphs))
        added = [i > 0 and not _there(runs, first_words) for _, runs in paragraphs]
        marked = [{"text": p, "added": a} for (p, _), a in zip(paragraphs, added, strict=True)]
        cut = [p for p, runs in first if i > 0 and not _there(runs, own)]
        out.append({**v, "paragraphs": marked, "cut": cut, "added": sum(added)})
    return out


async def story_page(request, datasette):
    ref = request.url_vars["id"]
    rows, said = await _rows_of(datasette, "story", ref, "a story")
    if said:
        return said
    page = await datasette.render_template(
        "paperboy_story.html", {"versions": compared(rows), "story": ref, "db": DB}, request=request
    )
    return Response.html(page)


FEED_TYPES = {"atom": "application/atom+xml; charset=utf-8", "json": "application/feed+json; charset=utf-8"}


async def feed_out(request, datasette):
    """/-/feeds/all.atom, /-/feeds/<feed id>.json, /-/feeds/watch/<name>.atom: the newest articles,
    whole, for a reader app."""
    which, kind, watch = (
        urllib.parse.unquote(request.url_vars["which"]),
        request.url_vars["kind"],
        request.url_vars.get("watch"),
    )
    if not watch and which != "all" and not which.isdigit():
        return await _message(
            datasette, f"{which!r} is no feed: /-/feeds/all.atom, or a feed's id as in /-/feeds/3.atom."
        )
    feed = "" if watch or which == "all" else which
    query = urllib.parse.urlencode({"feed": feed, "watch": which if watch else "", "_shape": "array", "_size": "max"})
    response = await datasette.client.get(f"/{DB}/feed_out.json?{query}")
    rows = response.json() if response.status_code == 200 else []
    for row in rows:
        try:
            row["authors"] = json.loads(row["authors"] or "[]")
        except ValueError:
            row["authors"] = []
    title = f"paperboy: the watch {which}" if watch else f"paperboy: feed {feed}" if feed else "paperboy: the newest"
    body = render_feed("atom" if kind == "atom" else "jsonfeed", rows, title, str(request.url))
    return Response(body, content_type=FEED_TYPES[kind])


async def charts_page(request, datasette):
    page = await datasette.render_template("paperboy_charts.html", {"db": DB}, request=request)
    return Response.html(page)


async def _message(datasette, text: str, status: int = 400):
    page = await datasette.render_template("paperboy_message.html", {"message": text, "db": DB})
    return Response.html(page, status=status)


@hookimpl
def register_routes():
    return [
        (r"^/-/article/(?P<id>[^/]+)$", article_page),
        (r"^/-/story/(?P<id>[^/]+)$", story_page),
        (r"^/-/charts$", charts_page),
        (r"^/-/feeds/(?P<which>[^/.]+)\.(?P<kind>atom|json)$", feed_out),
        (r"^/-/feeds/(?P<watch>watch)/(?P<which>[^/]+)\.(?P<kind>atom|json)$", feed_out),
    ]


@hookimpl
def prepare_connection(conn):
    prepare(conn)


@hookimpl
def asgi_wrapper(datasette):
    """The archive is read-only: a request of any method but GET and HEAD is 405, whatever its route."""

    def wrap(app):
        async def read_only(scope, receive, send):
            if scope["type"] == "http" and scope.get("method") not in ("GET", "HEAD"):
                await Response.text("paperboy browse is read-only", status=405).asgi_send(send)
                return
            await app(scope, receive, send)

        return read_only

    return wrap
