"""`paperboy extract`, `search`, `show` and `export`: reading pages and the archive."""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
import zlib

import click

from paperboy.core import DOUBTFUL, host_of, printable, without_credentials
from paperboy.db import QueryError, store
from paperboy.flows.commands.base import Ctx, Fail, Usage, check_days, cli, exit_for, followed, language, say
from paperboy.flows.feedout import FORMATS, render

MAX_QUERY_CHARS = 1000  # a search's words: FTS5 costs grow with the square of the terms
MAX_QUERY_TERMS = 32


# --- extract, search, export --------------------------------------------------------------------


def _read_input(source: str, cfg) -> tuple[bytes, str | None]:
    """A page from a URL or a file (gzipped too), within the size cap of a pass."""
    limit = cfg.fetch.max_bytes
    if source.lower().startswith(("http://", "https://")):
        from paperboy.fetchers import page_problem
        from paperboy.flows.fetching import fetch_many

        [page] = fetch_many([source], cfg.fetch)
        problem = page_problem(page)
        if problem:
            raise ValueError(problem)
        return page.content, page.final_url
    with open(source, "rb") as fh:
        data = fh.read(limit + 1)
    if data[:2] == b"\x1f\x8b":
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        data = inflate.decompress(data, limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes (max_bytes)")
    return data, None


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--url", help="The page's address, for files (used for relative links and the host).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text", show_default=True)
@click.option("--raw", is_flag=True, help="trafilatura alone, without paperboy's cleaning.")
@click.pass_obj
def extract(obj: Ctx, sources: tuple[str, ...], url: str | None, fmt: str, raw: bool) -> None:
    """Extract articles from HTML files (gzipped too) or URLs; no database. Each page within the
    limits of a pass (max_bytes, extract_time_limit)."""
    from dataclasses import replace

    from paperboy.flows.engines.jobs import Extracted, Failed, PageJob, run_page_limited

    cfg = obj.config()
    options = replace(cfg.extract, clean=not raw)
    failed = 0
    for source in sources:
        shown = without_credentials(source)  # a password in a URL given here is never printed
        try:
            html, fetched_url = _read_input(source, cfg)
        except (OSError, ValueError, EOFError, zlib.error) as exc:
            say(f"paperboy: {shown}: {exc}", err=True)
            failed += 1
            continue
        page_url = url or fetched_url
        result = run_page_limited(html, PageJob(page_url or "", None, options), cfg.extract_time_limit)
        article = result.article if isinstance(result, Extracted) else None
        record = {
            "source": shown,
            "url": _shown_url((article.canonical_url or article.url) if article else page_url),
            "title": article.title if article else None,
            "authors": list(article.authors) if article else [],
            "published": article.published if article else None,
            "language": article.language if article else None,
            "confidence": article.confidence if article else None,
            "text": article.text if article else "",
        }
        if article is None:
            why = result.reason if isinstance(result, Failed) else "no article text found"
            say(f"paperboy: {shown}: {why}", err=True)
            failed += 1
        if fmt == "jsonl":
            click.echo(json.dumps(record, ensure_ascii=False))
        elif fmt == "json":
            click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        elif article is not None:
            if len(sources) > 1:
                say(f"==> {shown} <==")
            say(f"{record['title'] or ''}\n\n{record['text']}\n")
    exit_for(len(sources) - failed, failed)


@cli.command()
@click.argument("query")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--plain", is_flag=True, help="Search for the words as they are (no FTS5 operators).")
@click.option("--feed", "feed_url", help="Only articles of this feed (its URL).")
@click.option("--lang", help="Only articles in this language (ISO 639-1, e.g. en).")
@click.option("--since", help="Only articles published on or after this day, YYYY-MM-DD.")
@click.option("--until", help="Only articles published on or before this day, YYYY-MM-DD.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many of the best matches (paging).")
@click.option("--collapse", is_flag=True, help="One hit per story: its earliest article, with how many outlets.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per article.")
@click.pass_obj
def search(
    obj: Ctx, query: str, limit: int, plain: bool, feed_url, lang, since, until, offset: int, collapse: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Full-text search over stored articles, best first. QUERY is FTS5's syntax: words (all must
    match), "a phrase", OR, NOT, prefix*, NEAR(a b, 5); or plain words with --plain."""
    if not query.strip():
        raise Usage("an empty query: give the words to search for")
    if len(query) > MAX_QUERY_CHARS or len(query.split()) > MAX_QUERY_TERMS:
        raise Fail(
            f"query too long: at most {MAX_QUERY_TERMS} words and {MAX_QUERY_CHARS} characters "
            f"(this one has {len(query.split())} words, {len(query)} characters)"
        )
    check_days(since=since, until=until)
    db = obj.db(read_only=True)
    among = _among(db, feed_url, lang, since, until)
    try:
        wanted = limit + offset + 1  # one more: are there more?
        found = store.search(db, query, wanted * (COLLAPSE_READ if collapse else 1), plain=plain, among=among)
    except QueryError as exc:
        raise Fail(f"search: the query cannot be read ({exc}); --plain searches for the words as they are") from exc
    if collapse:
        found = store.collapse(db, found)
    rows, more = found[offset : offset + limit], len(found) > offset + limit
    if not rows:
        say("no match" if not offset else f"no match past the first {offset}", err=True)
        sys.exit(1)
    if not rows[0]["ranked"] and not as_json:
        say("(more matches than can be ranked at once: the newest first; add words to narrow it)", err=True)
    for r in rows:
        r["feed"] = without_credentials(r["feed"]) if r["feed"] else None
        if as_json:  # the snippet as text: the ** around a match are for the terminal
            r["snippet"] = (r["snippet"] or "").replace(store.MARK, "")
            click.echo(json.dumps(_printable_row(r), ensure_ascii=False))
            continue
        say(f"[{r['id']}] {r['title'] or '(no title)'}\n  {r['url']}  {(r['published'] or '')[:10]}  {r['feed'] or ''}")
        if collapse and r["versions"] > 1:
            say(f"  one story: {r['versions']} versions from {r['outlets']} outlets (paperboy show {r['id']})")
        say(f"  {r['snippet']}\n")
    if more and not as_json:
        say(f"(more matches: --offset {offset + limit} shows the next {limit})", err=True)


@cli.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="The article as one JSON object.")
@click.option("--raw", is_flag=True, help="Write the stored page, as fetched, to stdout.")
@click.pass_obj
def show(obj: Ctx, ref: str, as_json: bool, raw: bool) -> None:
    """One article, by its id (from search) or any address it was reached under: metadata and text."""
    if raw and as_json:
        raise Usage("--raw writes the page as fetched, --json the article: one or the other")
    db = obj.db(read_only=True)
    row = store.article(db, ref.strip())
    if row is None:
        raise Fail(f"no article {printable(ref)[:200]!r} in {obj.db_path}")
    if raw:
        page = store.raw_page(db, row["id"])
        if page is None:
            raise Fail(f"article {row['id']} has no stored page (its text came from the feed)")
        sys.stdout.buffer.write(page)
        return
    if "story_id" in row:  # its story's other versions (an archive of an older paperboy has no stories)
        row["siblings"] = [{k: s[k] for k in ("id", "title", "url", "outlet")} for s in store.siblings(db, row["id"])]
    row = _printable_row(row)
    if as_json:
        click.echo(json.dumps(row, ensure_ascii=False))
        return
    say(f"[{row['id']}] {row['title'] or '(no title)'}")
    for label, value in (("url", row["url"]), ("feed", row["feed"]), ("published", row["published"]),
                         ("authors", ", ".join(row["authors"])), ("language", row["language"]),
                         ("text from", row["text_source"]), ("confidence", _weighed(row.get("confidence"))),
                         ("addresses", ", ".join(row["addresses"]))):  # fmt: skip
        say(f"{label + ':':<12}{value or '-'}")
    if row.get("siblings"):
        outlets = {s["outlet"] for s in row["siblings"]} | {host_of(row["url"])}
        say(f"{'story:':<12}{len(row['siblings']) + 1} versions from {len(outlets)} outlets; the others:")
        for s in row["siblings"]:
            say(f"{'':<12}[{s['id']}] {s['outlet']}: {s['title'] or '(no title)'}")
    say("")
    say(row["text"])


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv", *FORMATS]), default="jsonl", show_default=True,
    help="jsonl or csv: every article; atom or jsonfeed: a full-text feed of the newest (--limit).",
)  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="atom, jsonfeed: articles.")
@click.option("--watch", "watch_name", help="Only the articles this watch matched (its name).")
@click.option("--since", help="Only articles published (or fetched) on or after this day, YYYY-MM-DD.")
@click.option("--until", help="Only articles published (or fetched) on or before this day, YYYY-MM-DD.")
@click.option("--feed", "feed_url", help="Only articles of this feed (its URL).")
@click.option("--lang", help="Only articles in this language (ISO 639-1, e.g. en).")
@click.option(
    "--min-confidence", type=click.FloatRange(0, 1), metavar="0..1",
    help="Only articles whose text was weighed at least this (0.5 leaves the doubtful out).",
)  # fmt: skip
@click.pass_obj
def export(
    obj: Ctx, fmt: str, limit: int, watch_name: str | None, since: str | None, until: str | None,
    feed_url: str | None, lang: str | None, min_confidence: float | None,
) -> None:  # fmt: skip
    """Stored articles on stdout, in the order they were stored; or the newest as a full-text Atom
    or JSON Feed document (--format atom, jsonfeed) any reader app can read."""
    check_days(since=since, until=until)
    db = obj.db(read_only=True)
    among = _among(db, feed_url, lang, since, until)
    if watch_name is not None:
        if store.watch(db, watch_name) is None:
            raise Fail(f"no watch named {watch_name!r} (paperboy watch list shows them)")
        among = dataclasses.replace(among, watch=watch_name)
    among = dataclasses.replace(among, min_confidence=min_confidence)
    if fmt in FORMATS:
        newest = (_printable_row(row) for row in store.export_articles(db, among, newest=limit))
        what = f"the watch {watch_name}" if watch_name else among.feed or "the newest articles"
        title = f"paperboy: {what}"
        identity = f"tag:paperboy,2026:feed/{'watch/' + watch_name if watch_name else among.feed or 'all'}"
        click.echo(render(fmt, newest, title, identity), nl=False)
        return
    rows = (_printable_row(row) for row in store.export_articles(db, among))
    if fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    writer = None
    for row in rows:
        row["authors"] = "; ".join(row["authors"])
        row = {k: _inert(v) for k, v in row.items()}
        if writer is None:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(row))
            writer.writeheader()
        writer.writerow(row)


COLLAPSE_READ = 4  # --collapse reads this many times the hits it shows: several may be one story


def _among(db, feed_url: str | None, lang: str | None, since: str | None, until: str | None) -> store.Among:
    """Which articles a search or export looks at (its days checked already): a feed followed (its
    URL or id), a language code (any case)."""
    feed = followed(db, feed_url).url if feed_url is not None else None
    return store.Among(feed=feed, language=language(lang), since=since, until=until)


def _weighed(confidence: float | None) -> str | None:
    if confidence is None:
        return None
    return f"{confidence:.2f}" + (" (doubtful: the text may be incomplete or hold more than the article)"
                                  if confidence < DOUBTFUL else "")  # fmt: skip


def _shown_url(url: str | None) -> str | None:
    return without_credentials(url) if url else url


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula


def _inert(value):
    """A CSV cell no spreadsheet runs: text that would start a formula gets a leading apostrophe,
    as OWASP advises (the apostrophe shows; the formula does not run)."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _printable_row(row: dict) -> dict:
    """An exported article: no control characters, no credentials in its feed's URL."""
    if row.get("feed"):
        row["feed"] = without_credentials(row["feed"])
    return {k: printable(v) if isinstance(v, str) else v for k, v in row.items()}


@cli.command()
@click.option("--since", help="Only stories with an article stored on or after this day, YYYY-MM-DD.")
@click.option("--min-outlets", type=click.IntRange(min=1), default=2, show_default=True, help="Carried by this many.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Stories shown at most.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per story.")
@click.pass_obj
def stories(obj: Ctx, since: str | None, min_outlets: int, limit: int, as_json: bool) -> None:
    """Stories: the same report republished by several outlets (an agency's text under their own
    headlines, cut or with a correction), the most outlets first, with when each was first and
    last seen. An archive of a paperboy from before stories gets them here, once."""
    check_days(since=since)
    db = obj.db(existing=True)
    if store.missing(db):
        total = store.missing(db)
        for done in store.give_stories(db):
            say(f"giving older articles their stories: {done:,} of {total:,}", err=True)
    found = store.stories(db, since=since, min_outlets=min_outlets, limit=limit)
    for s in found:
        if as_json:
            click.echo(json.dumps(_printable_row(s), ensure_ascii=False))
            continue
        say(f"[{s['story']}] {printable(s['title'] or '(no title)')}")
        say(f"  {len(s['outlets'])} outlets, {s['versions']} versions, first seen {(s['first_seen'] or '')[:16]}, "
            f"last {(s['last_seen'] or '')[:16]}: {', '.join(s['outlets'])}")  # fmt: skip
    if not as_json:
        noun = "story" if len(found) == 1 else "stories"
        say(f"{len(found)} {noun} carried by {min_outlets} outlets or more" + (f" since {since}" if since else ""))
