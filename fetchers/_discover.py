"""Where a site keeps its past: archived and paged feeds (RFC 5005, ?paged=N) and sitemaps.

Each function reads one page and says what it found and where to look next; the caller walks the
chain, keeps the checkpoint and decides when to stop. Nothing here touches the database.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from paperboy.core import Entry, FeedAccess, FeedState, one_line, url_key, web_url

from ._feeds import FEED_ACCEPT, MAX_TITLE, content_hash, parse_entries
from ._http import Fetcher
from ._xml import UnsafeXML, safe_xml

SITEMAP_PLACES = ("/sitemap.xml", "/sitemap_index.xml")  # looked at besides robots.txt's Sitemap lines
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_SITEMAP_URLS = 50_000  # the sitemap protocol's own limit for one file


@dataclass(frozen=True)
class SourcePage:
    """One page of a site's past: a feed page or a sitemap."""

    url: str
    entries: tuple[Entry, ...] = ()
    sitemaps: tuple[tuple[str, str | None], ...] = ()  # a sitemap index's children: (URL, lastmod)
    prev_archive: str | None = None
    next_page: str | None = None
    digest: str = ""  # of the body: the same page under another URL is a repeat
    error: str | None = None
    status: int = 0


def paged_url(feed_url: str, param: str, n: int) -> str:
    """The feed's page `n` the way WordPress and others serve it (`?paged=2`, `?page=2`)."""
    parts = urlsplit(feed_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param] + [(param, str(n))]
    return urlunsplit(parts._replace(query=urlencode(query)))


async def read_feed_page(url: str, feed_url: str, *, fetcher: Fetcher, access: FeedAccess | None = None) -> SourcePage:
    """One page of a feed's archive; `access`: the feed's secrets, sent to their own origin only."""
    result = await fetcher.get(url, {"Accept": FEED_ACCEPT}, access=access)
    if not result.ok:
        return SourcePage(url, error=result.error or f"HTTP {result.status}", status=result.status)
    poll = parse_entries(FeedState(feed_url), result)
    if poll.status == "failed":
        return SourcePage(url, error=poll.error, status=result.status)
    return SourcePage(
        url,
        entries=poll.entries,
        prev_archive=poll.prev_archive,
        next_page=poll.next_page,
        digest=content_hash(result.content),
        status=result.status,
    )


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def sitemap_roots(site_url: str, *, fetcher: Fetcher) -> tuple[list[str], list[str]]:
    """A site's sitemaps: (those its robots.txt names, the usual places not named there)."""
    origin = origin_of(site_url)
    listed = await fetcher.robots_sitemaps(origin + "/")
    return listed, [origin + place for place in SITEMAP_PLACES if origin + place not in listed]


def _gunzip(data: bytes, limit: int) -> bytes:
    """A gzipped sitemap file (not Content-Encoding: the file itself), with the body cap kept."""
    z = zlib.decompressobj(zlib.MAX_WBITS | 16)
    out = z.decompress(data, limit + 1)
    if len(out) > limit:
        raise ValueError(f"sitemap larger than {limit} bytes once unzipped")
    return out


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _date(value: str | None) -> str | None:
    """A W3C datetime (2024-05-01, 2024-05-01T10:00:00+02:00) as ISO 8601 in UTC, or None."""
    if not value:
        return None
    value = value.strip()[:64]
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if when.tzinfo is None:
            return when.date().isoformat() if len(value) <= 10 else when.replace(tzinfo=UTC).isoformat()
        return when.astimezone(UTC).isoformat()
    except (ValueError, OverflowError):
        m = _DAY.match(value)
        return m.group(0) if m else None


def _join(base: str, ref: str) -> str | None:
    try:
        return urljoin(base, ref)
    except ValueError:  # an unclosed IPv6 literal, say
        return None


def parse_sitemap(url: str, data: bytes, feed_url: str) -> SourcePage:
    """A sitemap (urlset, with news: extensions) or a sitemap index, from its bytes."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, recover=True)
    try:
        root = etree.fromstring(safe_xml(data)[0], parser)
    except (etree.XMLSyntaxError, UnsafeXML) as exc:
        return SourcePage(url, error=f"not a sitemap: {exc}"[:300])
    if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
        return SourcePage(url, error="not a sitemap: no urlset or sitemapindex")
    children: list[tuple[str, str | None]] = []
    entries: list[Entry] = []
    for node in root:
        fields: dict[str, str] = {}
        for child in node.iter():
            name = _local(child.tag)
            if name in ("loc", "lastmod", "publication_date", "title") and child.text and name not in fields:
                fields[name] = child.text.strip()
        loc = fields.get("loc")
        if not loc:
            continue
        loc = web_url(_join(url, loc))
        if loc is None or len(children) + len(entries) >= MAX_SITEMAP_URLS:
            continue
        if _local(node.tag) == "sitemap":
            children.append((loc, _date(fields.get("lastmod"))))
        elif _local(node.tag) == "url":
            published = _date(fields.get("publication_date")) or _date(fields.get("lastmod"))
            title = one_line(fields.get("title"), MAX_TITLE)
            entries.append(Entry(feed_url, url_key(loc), None, loc, title, published=published))
    return SourcePage(url, entries=tuple(entries), sitemaps=tuple(children), digest=content_hash(data))


async def read_sitemap(url: str, feed_url: str, *, fetcher: Fetcher) -> SourcePage:
    result = await fetcher.get(url, {"Accept": "application/xml, text/xml;q=0.9, */*;q=0.5"})
    if not result.ok:
        return SourcePage(url, error=result.error or f"HTTP {result.status}", status=result.status)
    data = result.content
    if data[:2] == b"\x1f\x8b":
        try:
            data = _gunzip(data, fetcher.settings.max_bytes)
        except (zlib.error, ValueError) as exc:
            return SourcePage(url, error=f"bad gzipped sitemap: {exc}", status=result.status)
    page = parse_sitemap(result.final_url, data, feed_url)
    return SourcePage(**{**page.__dict__, "url": url, "status": result.status})
