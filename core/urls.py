"""URLs: which may enter the archive, and normalisation (the same article under another address
gets the same key). Nothing here raises on a bad URL."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit, urlunsplit

MAX_URL = 4096  # characters; longer addresses are refused where they enter
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")  # white space and control characters

# Query parameters that only track where a click came from: never part of an article's identity.
TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "piwik_", "mtm_", "ga_", "hsa_", "at_", "ns_", "oly_", "vero_")
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "twclid", "igshid", "mkt_tok", "_hsenc", "_hsmi",
        "ref", "ref_src", "referrer", "cmpid", "ocid", "ito", "icid", "itm_source", "itm_medium",
        "itm_campaign", "wt_mc", "wt.mc_id", "xtor", "smid", "sr_share", "s_cid", "rss",
    }
)  # fmt: skip


def url_problem(url: object) -> str | None:
    """Why `url` may not be fetched or stored as an address (None: it may): http or https, a host,
    a port from 1 to 65535, no white space or control characters, at most MAX_URL characters."""
    if not isinstance(url, str) or not url.strip():
        return "empty URL"
    url = url.strip()
    if len(url) > MAX_URL:
        return f"URL longer than {MAX_URL} characters"
    if _UNSAFE.search(url):
        return "white space or a control character in the URL"
    parts = _split(url)
    if parts is None:
        return "not a URL"
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) URL (scheme {parts.scheme[:20]!r})" if parts.scheme else "not an http(s) URL"
    if not parts.hostname:
        return "no host in the URL"
    try:
        port = parts.port
    except ValueError:
        return "bad port in the URL"
    if port == 0:
        return "bad port in the URL"
    return None


def web_url(url: object) -> str | None:
    """The URL, stripped, when it may be fetched and stored (see url_problem); else None."""
    return url.strip() if isinstance(url, str) and url_problem(url) is None else None


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:  # "http://[::1/": an unclosed IPv6 literal
        return None


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def url_key(url: str) -> str:
    """A scheme-less, lower-cased key: `www.`, default ports, fragments and tracking dropped.

    http and https give the same key; so do `www.` and the bare host. A string that is not a URL
    is its own key.
    """
    parts = _split(url.strip())
    if parts is None:
        return url.strip()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = _port(parts)
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)]
    query.sort()
    return urlunsplit(("", host, path, urlencode(query), "")).lstrip("/")


def hostname_of(url: str | None) -> str:
    """The host a URL names, in lower case; "" for none, or for what is not an address."""
    parts = _split(url) if url else None
    return ((parts.hostname if parts else None) or "").lower()


def host_of(url: str) -> str:
    host = hostname_of(url)
    return host[4:] if host.startswith("www.") else host


def site_of(url: str) -> str:
    """The server a URL names, `host` or `host:port`: the unit of politeness (slots, intervals, holds)."""
    parts = _split(url)
    if parts is None:
        return ""
    host = (parts.hostname or "").lower()
    port = _port(parts)
    return f"{host}:{port}" if port and port not in (80, 443) else host


def feed_identity(url: str) -> str:
    """A feed's URL as paperboy keeps it: scheme and host in lower case, no default port, no
    fragment; the path and query as given (servers may tell their case apart)."""
    url = url.strip()
    parts = _split(url)
    if parts is None or not parts.hostname:
        return url
    port = _port(parts)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    netloc = host if port in (None, default) else f"{host}:{port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def without_credentials(url: str) -> str:
    """The URL with a user name and password masked, for printing (`https://***@host/feed`)."""
    if "@" not in url:
        return url
    parts = _split(url)
    if parts is None or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


MASK = "***"  # what a masked user name and password read as


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(the URL without user name and password, the user name, the password), both decoded; the
    URL as given and (None, None) when it carries none."""
    parts = _split(url.strip()) if "@" in url else None
    if parts is None or "@" not in parts.netloc:
        return url, None, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=hostport)), unquote(user), unquote(password) if colon else None


def origin_of(url: str) -> str:
    """`scheme://host:port` with the port always said: the unit a feed's secrets are sent to."""
    parts = _split(url)
    if parts is None or not parts.hostname:
        return ""
    scheme = parts.scheme.lower()
    port = _port(parts) or {"http": 80, "https": 443}.get(scheme, 0)
    host = parts.hostname.lower()
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


def same_origin_or_upgrade(origin: str, url: str) -> bool:
    """Whether a request to `url` may carry secrets given for `origin`: the same origin, or the same
    host moved from http on port 80 to https on 443 (as `requests` keeps credentials)."""
    there = origin_of(url)
    if there == origin:
        return True
    host = origin.split("://", 1)[-1].rsplit(":", 1)[0]
    return origin == f"http://{host}:80" and there == f"https://{host}:443"
