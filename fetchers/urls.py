"""URL normalisation: the same article under another address gets the same key."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track where a click came from: never part of an article's identity.
TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "piwik_", "mtm_", "ga_", "hsa_", "at_", "ns_", "oly_", "vero_")
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "twclid", "igshid", "mkt_tok", "_hsenc", "_hsmi",
        "ref", "ref_src", "referrer", "cmpid", "ocid", "ito", "icid", "itm_source", "itm_medium",
        "itm_campaign", "wt_mc", "wt.mc_id", "xtor", "smid", "sr_share", "s_cid", "rss",
    }
)  # fmt: skip


def is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def url_key(url: str) -> str:
    """A scheme-less, lower-cased key: `www.`, default ports, fragments and tracking dropped.

    http and https give the same key; so do `www.` and the bare host.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)]
    query.sort()
    return urlunsplit(("", host, path, urlencode(query), "")).lstrip("/")


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def site_of(url: str) -> str:
    """The server a URL names, `host` or `host:port`: the unit of politeness (slots, intervals, holds)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port and port not in (80, 443) else host
