"""Walking a site's past, one page at a time: the rules of each backfill source, no I/O here.

A walker says which pages to read next and takes each page read; its state is a plain dict, saved
as the backfill job's checkpoint after every round, so a resumed job walks on from where it stopped.

- archive: the feed, then its RFC 5005 `prev-archive` chain, else its `next` pages, else WordPress
  style paging (`?paged=2`, then `?page=2`); it stops at the first page that is an error, empty, a
  repeat of one already seen, or wholly older than --since.
- sitemap: robots.txt's Sitemap lines and the usual places, into sitemap indexes (children whose
  lastmod is before --since are skipped), entries filtered on lastmod / news:publication_date.
"""

from __future__ import annotations

from paperboy.core import Entry
from paperboy.fetchers import SourcePage, paged_url

MAX_PAGES = 2000  # feed pages or sitemaps read per feed and source: a chain that never ends stops here


def in_range(published: str | None, since: str | None, until: str | None) -> bool:
    """Inclusive, on the day; with a range given, an undated item is out of it."""
    if not since and not until:
        return True
    if not published:
        return False
    day = published[:10]
    return (not since or day >= since[:10]) and (not until or day <= until[:10])


class Walker:
    """One source of one feed. `state` is JSON-ready and is the whole of its memory."""

    def __init__(self, source: str, feed_url: str, state: dict | None = None) -> None:
        self.source = source
        self.feed_url = feed_url
        self.state = state or {
            "queue": [feed_url] if source == "archive" else [],
            "listed": [],  # sitemaps robots.txt named (their errors are reported; the usual places' are not)
            "seen": [],
            "digests": [],
            "mode": "start" if source == "archive" else "roots",
            "n": 1,
            "done": False,
            "pages": 0,
            "found": 0,
            "in_range": 0,
            "errors": [],
        }
        self._keys: set[str] = set()  # entry keys seen on this run's pages, to tell a repeated page

    @property
    def done(self) -> bool:
        return self.state["done"]

    @property
    def wants_roots(self) -> bool:
        return self.source == "sitemap" and self.state["mode"] == "roots"

    def set_roots(self, listed: list[str], places: list[str]) -> None:
        self.state.update(queue=list(dict.fromkeys(listed + places)), listed=listed, mode="sitemaps")
        self.state["done"] = not self.state["queue"]

    def next_pages(self) -> list[tuple[str, str, str]]:
        """(kind, URL, feed URL) of the pages to read in this round."""
        if self.done or self.wants_roots:
            return []
        kind = "feed" if self.source == "archive" else "sitemap"
        batch = self.state["queue"][:1] if self.source == "archive" else self.state["queue"][:4]
        return [(kind, url, self.feed_url) for url in batch]

    def take(self, page: SourcePage, since: str | None, until: str | None) -> list[Entry]:
        """A page read: its entries within the range; the walk moves on or ends."""
        s = self.state
        if page.url in s["queue"]:  # a round's later pages, read before its first one reached MAX_PAGES
            s["queue"].remove(page.url)
        s["seen"].append(page.url)
        if self.source == "archive":
            found = self._take_feed_page(page, since)
        else:
            found = self._take_sitemap(page, since)
        s["found"] += len(found)
        kept = [e for e in found if in_range(e.published, since, until)]
        s["in_range"] += len(kept)
        if s["pages"] >= MAX_PAGES and s["queue"]:
            s["errors"].append(f"{self.feed_url}: stopped after {MAX_PAGES} pages")
            s["queue"] = []
        s["done"] = not s["queue"]
        return kept

    def _take_feed_page(self, page: SourcePage, since: str | None) -> list[Entry]:
        s = self.state
        keys = {e.key for e in page.entries}
        repeat = page.digest in s["digests"] or (keys and keys <= self._keys)
        if page.error or not page.entries or repeat:
            if s["mode"] == "paged" and s["n"] == 2:  # ?paged= is not how this site pages: try ?page=
                s.update(mode="page")
                s["queue"] = [paged_url(self.feed_url, "page", 2)]
            elif s["mode"] == "start":
                s["errors"].append(f"{page.url}: {page.error or 'no items'}")
            return []
        s["pages"] += 1
        s["digests"].append(page.digest)
        self._keys |= keys
        dated = [e.published[:10] for e in page.entries if e.published]
        if since and dated and max(dated) < since[:10]:
            return list(page.entries)  # the rest of the past is older still: the walk ends here
        seen = set(s["seen"]) | set(s["queue"])
        if page.prev_archive and s["mode"] in ("start", "prev-archive"):
            s["mode"] = "prev-archive"
            nxt = page.prev_archive
        elif page.next_page and s["mode"] in ("start", "next"):
            s["mode"] = "next"
            nxt = page.next_page
        elif s["mode"] in ("start", "paged", "page"):
            s["mode"] = "paged" if s["mode"] == "start" else s["mode"]
            s["n"] += 1
            nxt = paged_url(self.feed_url, s["mode"], s["n"])
        else:
            nxt = None
        if nxt and nxt not in seen:
            s["queue"].append(nxt)
        return list(page.entries)

    def _take_sitemap(self, page: SourcePage, since: str | None) -> list[Entry]:
        s = self.state
        if page.error:
            if page.url in s["listed"]:
                s["errors"].append(f"{page.url}: {page.error}")
            return []
        if page.digest in s["digests"]:
            return []
        s["pages"] += 1
        s["digests"].append(page.digest)
        seen = set(s["seen"]) | set(s["queue"])
        for url, lastmod in page.sitemaps:
            if url in seen or (since and lastmod and lastmod[:10] < since[:10]):
                continue  # read already, or not modified since the range began
            s["queue"].append(url)
            seen.add(url)
        return list(page.entries)

    @property
    def found_older(self) -> bool:
        """The archive held more than the feed's current page."""
        return self.state["pages"] > 1
