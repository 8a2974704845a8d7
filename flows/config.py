"""Configuration: a TOML file, with the environment on top.

A file holds `[settings]` (the keys: `FetchSettings`' fields and `OWN`; their defaults: those
dataclasses; their ranges: `NUMBERS`), `[sites."host"]` (a user's own cleaning rules: `drop_xpath`,
`drop_patterns`) and `[[feeds]]` (`FEED_KEYS`). The user's guide to them, checked against these
defaults by the tests: the README's Configuration and docs/operations.md. The environment:
PAPERBOY_CONFIG (the file), PAPERBOY_ALLOW_PRIVATE_NETWORKS, PAPERBOY_ALLOWED_HOSTS, PAPERBOY_DASK,
PAPERBOY_DASK_CERTS.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from paperboy.core import PaperboyError, header_problem
from paperboy.db import RAW_PAGES_WHERE, RawPages
from paperboy.extractors import RULE_FAMILIES, ExtractOptions, SiteRules
from paperboy.fetchers import FetchSettings

TRUE = {"1", "true", "yes", "on"}
DASK_ADDRESS = re.compile(r"^(?:tcp|tls|inproc|ucx)://[^\s/]+$")


class ConfigError(PaperboyError):
    pass


@dataclass(frozen=True)
class Config:
    fetch: FetchSettings = field(default_factory=FetchSettings)
    extract: ExtractOptions = field(default_factory=ExtractOptions)
    workers: int = 0
    backfill_rate: float = 1.0  # requests per second to one host during a backfill
    extract_time_limit: float = 30.0  # seconds: a page whose extraction takes longer is given up
    # One feed that suddenly lists thousands of new items must not hold a pass (and the feeds after
    # it) for hours: it is taken this many pages a pass.
    new_pages_per_feed: int = 200
    min_poll_interval: int = 600  # seconds: no feed is polled more often (a 429's Retry-After may hold it shorter)
    max_poll_interval: int = 86400  # seconds: no feed waits longer (a failing one backs off up to this)
    raw_pages: RawPages = field(default_factory=RawPages)  # where fetched pages are kept
    dask_address: str | None = None  # extraction on this Dask scheduler's cluster; None: the local pool
    dask_certs: str | None = None  # the folder of that cluster's TLS certificates (tls:// addresses)
    retention_days: int = 0  # articles older than this lose their text after each pass (0: kept for good)
    feeds: tuple[FeedItem, ...] = ()
    path: str | None = None


def read_toml(path: str | Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


FEED_KEYS = ("url", "name", "headers", "cookies")
SITE_KEYS = ("drop_xpath", "drop_patterns")


FeedItem = tuple[str, str | None, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]


def feeds_in(data: dict, where: str) -> tuple[FeedItem, ...]:
    """The [[feeds]] of a config or feed list: each a table with a url, a name, and the headers and
    cookies its server wants (tables of strings), as (url, name, headers, cookies). The URLs are
    checked one by one where they are added."""
    feeds = data.get("feeds", [])
    if isinstance(feeds, dict):
        raise ConfigError(f"{where}: [feeds] is one table; write each feed as [[feeds]] (two brackets)")
    if not isinstance(feeds, list):
        raise ConfigError(f"{where}: feeds must be a list of [[feeds]] tables")
    out = []
    for i, item in enumerate(feeds):
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise ConfigError(f"{where}: feeds[{i}] needs a url")
        unknown = sorted(set(item) - set(FEED_KEYS))
        if unknown:
            raise ConfigError(f"{where}: feeds[{i}]: unknown key {unknown[0]!r} (known: {', '.join(FEED_KEYS)})")
        if "name" in item and not isinstance(item["name"], str):
            raise ConfigError(f"{where}: feeds[{i}]: name must be a string")
        pairs = {}
        for key in ("headers", "cookies"):
            table = item.get(key, {})
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                raise ConfigError(f'{where}: feeds[{i}].{key} must be a table of strings: {key} = {{ Name = "value" }}')
            for name, value in table.items():
                problem = header_problem(name, value)
                if problem:
                    raise ConfigError(f"{where}: feeds[{i}].{key}: {problem}")
            pairs[key] = tuple(table.items())
        out.append((item["url"].strip(), item.get("name"), pairs["headers"], pairs["cookies"]))
    return tuple(out)


def site_rules(data: dict, where) -> dict[str, SiteRules]:
    """[sites."host"] tables, every XPath and pattern compiled here: a bad one is named now, with its
    site and key, not found later as pages without text."""
    sites = data.get("sites", {})
    if not isinstance(sites, dict):
        raise ConfigError(f'{where}: sites must be tables: [sites."example.com"]')
    out = {}
    for host, rules in sites.items():
        at = f'{where}: sites."{host}"'
        if not isinstance(rules, dict):
            raise ConfigError(f"{at} must be a table")
        unknown = sorted(set(rules) - set(SITE_KEYS))
        if unknown:
            raise ConfigError(f"{at}: unknown key {unknown[0]!r} (known: {', '.join(SITE_KEYS)})")
        for key in SITE_KEYS:
            values = rules.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ConfigError(f"{at}.{key} must be a list of strings")
            for expr in values:
                try:
                    if key == "drop_xpath":
                        etree.XPath(expr)
                    else:
                        re.compile(expr, re.I)  # as the cleaning compiles it
                except (etree.XPathError, re.error) as exc:
                    what = "XPath" if key == "drop_xpath" else "pattern"
                    raise ConfigError(f"{at}.{key}: invalid {what} {expr!r}: {exc}") from exc
        out[host.lower()] = SiteRules(tuple(rules.get("drop_xpath", ())), tuple(rules.get("drop_patterns", ())))
    return out


# Every setting's type and range: (kind, lowest, highest); None where a side is open.
# Every bound is finite: an endless deadline or interval would hold a pass for good, and past them
# a value only overflows (a 1e308-second time limit, a max_bytes no read can hold).
HOUR, DAY = 3600, 86400
NUMBERS: dict[str, tuple[type, float | None, float | None]] = {
    "max_bytes": (int, 1, 1 << 30),
    "deadline": (float, 0.001, HOUR),
    "connect_timeout": (float, 0.001, HOUR),
    "max_redirects": (int, 0, 100),
    "per_host": (int, 1, 1000),
    "max_connections": (int, 1, 10_000),
    "min_interval": (float, 0, HOUR),
    "retries": (int, 0, 10),
    "retry_backoff": (float, 0, HOUR),
    "workers": (int, 0, 1024),
    "backfill_rate": (float, 0.001, 10_000),
    "extract_time_limit": (float, 0.001, HOUR),
    "new_pages_per_feed": (int, 1, 1_000_000),
    "min_poll_interval": (int, 60, 366 * DAY),
    "max_poll_interval": (int, 60, 366 * DAY),
    "warc_file_bytes": (int, 1 << 20, 1 << 40),
    "retention_days": (int, 0, 100 * 366),
}
FLAGS = ("allow_private_networks", "favor_precision")
OWN = ("workers", "favor_precision", "disabled_rules", "backfill_rate", "extract_time_limit", "new_pages_per_feed",
       "min_poll_interval", "max_poll_interval", "raw_pages", "warc_dir", "warc_file_bytes",
       "dask_address", "dask_certs", "retention_days")  # fmt: skip


def _shown(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


def _checked(path, key: str, value):
    """A setting's value, or ConfigError naming the file, the key and what is allowed."""
    if key in NUMBERS:
        kind, lo, hi = NUMBERS[key]
        ok = isinstance(value, int) if kind is int else isinstance(value, (int, float)) and math.isfinite(value)
        if isinstance(value, bool) or not ok or (lo is not None and value < lo) or (hi is not None and value > hi):
            what = "a whole number" if kind is int else "a number"
            bounds = f" from {_shown(lo)}" if lo is not None else ""
            bounds += f" to {_shown(hi)}" if hi is not None else (" or more" if lo is not None else "")
            raise ConfigError(f"{path}: {key} must be {what}{bounds}, not {value!r}")
        return kind(value)
    if key in FLAGS and not isinstance(value, bool):
        raise ConfigError(f"{path}: {key} must be true or false, not {value!r}")
    if key in ("allowed_hosts", "disabled_rules") and (
        not isinstance(value, list) or not all(isinstance(v, str) for v in value)
    ):
        raise ConfigError(f"{path}: {key} must be a list of strings, not {value!r}")
    if key == "raw_pages" and value not in RAW_PAGES_WHERE:
        raise ConfigError(f"{path}: raw_pages must be one of {', '.join(map(repr, RAW_PAGES_WHERE))}, not {value!r}")
    if key == "warc_dir" and (not isinstance(value, str) or not value.isprintable()):
        raise ConfigError(f"{path}: warc_dir must be a folder's path, not {value!r}")
    if key == "dask_address" and (not isinstance(value, str) or (value and not DASK_ADDRESS.match(value))):
        raise ConfigError(f"{path}: dask_address must be a scheduler's address like tcp://host:8786, not {value!r}")
    if key == "dask_certs" and (not isinstance(value, str) or not value.isprintable()):
        raise ConfigError(f"{path}: dask_certs must be a folder's path, not {value!r}")
    if key == "user_agent" and (not isinstance(value, str) or not value.isprintable() or not value.strip()):
        raise ConfigError(f"{path}: user_agent must be a line of printable text, not {value!r}")
    return value


def _beside(config_path: str | None, folder: str) -> str:
    """A folder named in the config, relative to the config file's own folder."""
    folder = os.path.expanduser(folder)
    if not folder or os.path.isabs(folder) or not config_path:
        return folder
    return os.path.join(os.path.dirname(os.path.abspath(config_path)), folder)


SECTIONS = ("settings", "sites", "feeds")  # what a config file holds at its top


def _near(word: str, allowed) -> str:
    """` (did you mean …?)` with the allowed names closest to a misspelt one, else all of them."""
    import difflib

    close = difflib.get_close_matches(word, list(allowed), n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else f" (known: {', '.join(allowed)})"


def load_config(path: str | None = None) -> Config:
    """The config at `path` (or $PAPERBOY_CONFIG, or ./paperboy.toml when present), env on top."""
    path = path or os.environ.get("PAPERBOY_CONFIG") or ("paperboy.toml" if Path("paperboy.toml").exists() else None)
    data = read_toml(path) if path else {}
    for section in data:
        if section not in SECTIONS:
            raise ConfigError(f"{path}: unknown section [{section}]{_near(section, SECTIONS)}")
    raw = data.get("settings", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [settings] must be a table")
    known = {f for f in FetchSettings.__dataclass_fields__} - {"holds"}
    settings: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known and key not in OWN:
            raise ConfigError(f"{path}: unknown setting {key!r}{_near(key, sorted(known | set(OWN)))}")
        settings[key] = _checked(path, key, value)
    given: dict[str, Any] = {k: frozenset(v) if k == "allowed_hosts" else v for k, v in settings.items() if k in known}
    fetch = FetchSettings(**given)
    env_private = os.environ.get("PAPERBOY_ALLOW_PRIVATE_NETWORKS")
    if env_private is not None:
        fetch = replace(fetch, allow_private_networks=env_private.strip().lower() in TRUE)
    env_hosts = os.environ.get("PAPERBOY_ALLOWED_HOSTS")
    if env_hosts:
        hosts = {h.strip().lower() for h in env_hosts.split(",") if h.strip()}
        fetch = replace(fetch, allowed_hosts=fetch.allowed_hosts | hosts)
    sites = site_rules(data, path)
    unknown = sorted(set(settings.get("disabled_rules", ())) - RULE_FAMILIES)
    if unknown:
        raise ConfigError(f"{path}: unknown rule in disabled_rules: {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(RULE_FAMILIES))})")  # fmt: skip
    extract = ExtractOptions(
        favor_precision=settings.get("favor_precision", ExtractOptions.favor_precision),
        disabled_rules=frozenset(settings.get("disabled_rules", ())),
        site_rules=sites,
    )
    lo = settings.get("min_poll_interval", Config.min_poll_interval)
    hi = settings.get("max_poll_interval", Config.max_poll_interval)
    if lo > hi:
        raise ConfigError(f"{path}: min_poll_interval ({lo}) must not exceed max_poll_interval ({hi})")
    return Config(
        fetch,
        extract,
        workers=settings.get("workers", Config.workers),
        backfill_rate=settings.get("backfill_rate", Config.backfill_rate),
        extract_time_limit=settings.get("extract_time_limit", Config.extract_time_limit),
        new_pages_per_feed=settings.get("new_pages_per_feed", Config.new_pages_per_feed),
        min_poll_interval=lo,
        max_poll_interval=hi,
        raw_pages=RawPages(
            settings.get("raw_pages", RawPages.where),
            _beside(path, settings.get("warc_dir", "")),
            settings.get("warc_file_bytes", RawPages.file_bytes),
        ),
        dask_address=os.environ.get("PAPERBOY_DASK") or settings.get("dask_address") or None,
        retention_days=settings.get("retention_days", Config.retention_days),
        dask_certs=os.environ.get("PAPERBOY_DASK_CERTS") or _beside(path, settings.get("dask_certs", "")) or None,
        feeds=feeds_in(data, str(path)),
        path=path,
    )
