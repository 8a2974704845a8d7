"""Feeds the web sends: each odd in one value, each able to stop a pass that trusts it. Shared by
the tests and by bench/hostile.py, which runs them all in one pass and measures it."""

from __future__ import annotations

from tests.conftest import article_page, rss, story

SY = 'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" '
DIGITS = "9" * 5000  # past Python's int-string limit (4,300 digits)
EXPANDED = "EXPANDEDEXPANDED"  # an entity's text: it must never reach the archive
BAD_LINKS = ("http://example.com:99999/a", "http://example.com:abc/b", "http://example.com:-1/c",
             "javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>",
             "file:///etc/passwd", "gopher://example.com/1")  # fmt: skip


def one_item_feed(server, path: str, n: int, *, extra_channel: str = "", title: str | None = None) -> str:
    """An RSS feed at `path` with one item linking a good article page; its body."""
    link = server.add(f"{path}-page-{n}.html", article_page(f"Story {n}", story(n)))
    return rss([{"title": title or f"Story {n}", "link": link, "guid": f"{path}-{n}"}], extra_channel=extra_channel)


def add_odd_value_feeds(server) -> dict[str, str]:
    """Feeds whose one odd value once stopped every pass: case name -> feed URL. Each lists one item
    whose page is good (but where the case is the page itself)."""
    feeds: dict[str, str] = {}

    def add(name: str, path: str, body: str, **kw) -> None:
        feeds[name] = server.add(path, body, content_type="application/rss+xml", **kw)

    add(
        "ttl in superscript digits",
        "/ttl-sup.xml",
        one_item_feed(server, "/ttl-sup", 101, extra_channel="<ttl>²</ttl>"),
    )
    period = "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>³</sy:updateFrequency>"
    sy = one_item_feed(server, "/sy-sup", 102, extra_channel=period)
    add("sy:updateFrequency in superscript digits", "/sy-sup.xml", sy.replace("<rss ", f"<rss {SY}", 1))
    add(
        "ttl of 5,000 digits",
        "/ttl-long.xml",
        one_item_feed(server, "/ttl-long", 103, extra_channel=f"<ttl>{DIGITS}</ttl>"),
    )
    add("max-age of 5,000 digits", "/max-age.xml", one_item_feed(server, "/max-age", 104),
        headers={"Cache-Control": f"max-age={DIGITS}"})  # fmt: skip
    add("Retry-After in superscript digits on the feed", "/feed-429.xml", "slow down", status=429,
        headers={"Retry-After": "²"})  # fmt: skip
    page = server.add("/page-429.html", "slow down", status=429, headers={"Retry-After": "²"})
    add("Retry-After in superscript digits on a linked page", "/page-429.xml",
        rss([{"title": "Held", "link": page, "guid": "page-429"}]))  # fmt: skip
    add("item links that are not http(s) URLs", "/bad-links.xml",
        rss([{"title": f"Bad {i}", "link": link.replace("&", "&amp;").replace("<", "&lt;"), "guid": f"bad-{i}",
              "content": f"<p>{' '.join(story(200 + i))}</p>"} for i, link in enumerate(BAD_LINKS)]))  # fmt: skip
    return feeds


def utf16_bomb() -> bytes:
    """A UTF-16 feed whose DTD declares an entity its item uses many times."""
    doc = (
        '<?xml version="1.0" encoding="utf-16"?>\n'
        f'<!DOCTYPE rss [\n<!ENTITY big "{EXPANDED * 50}">\n]>'
        '<rss version="2.0"><channel><title>Bomb</title><link>http://example.org/</link>'
        f"<item><title>t &big;</title><guid>b1</guid><description>{'&big;' * 2000}</description></item>"
        "</channel></rss>"
    )
    return doc.encode("utf-16")


def add_dangerous_feeds(server) -> dict[str, str]:
    """Feeds built to exhaust: a huge item list, an entity bomb behind UTF-16, an unclosed DTD."""
    items = "".join(f"<item><link>m{i}</link></item>" for i in range(300_000))  # 9 MB: within the body cap
    many = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>{items}</channel></rss>'
    return {
        "300,000 items": server.add("/many.xml", many, content_type="application/rss+xml"),
        "entity bomb in UTF-16": server.add("/utf16.xml", utf16_bomb(), content_type="application/rss+xml"),
        "400 kB of unclosed DOCTYPEs": server.add(
            "/doctypes.xml", "<!DOCTYPE [" * 40_000, content_type="application/rss+xml"
        ),  # fmt: skip
        "control sequences in titles": server.add(
            "/esc.xml",
            one_item_feed(server, "/esc", 105, title="Story \x1b]0;pwned\x07\x1b[2J\x9b31m"),
            content_type="application/rss+xml",
        ),  # fmt: skip
    }
