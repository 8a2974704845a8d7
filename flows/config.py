"""Configuration: a TOML file, with the environment on top.

[settings]
allow_private_networks = false      # PAPERBOY_ALLOW_PRIVATE_NETWORKS=1
allowed_hosts = ["127.0.0.1:8000"]  # PAPERBOY_ALLOWED_HOSTS=host,host:port
user_agent = "..."
max_bytes = 10485760
deadline = 30
per_host = 2
min_interval = 0.0
workers = 0                         # extraction processes; 0: one per core
backfill_rate = 1.0                 # backfill: requests per second to one host
extract_time_limit = 30             # seconds: a page whose extraction takes longer is given up

[sites."example.com"]               # a user's own cleaning rules for one host
drop_xpath = ["//div[@class='promo']"]
drop_patterns = ["^Sponsored by"]

[[feeds]]
url = "https://example.com/feed.xml"
name = "Example"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from extractors import RULE_FAMILIES, ExtractOptions, SiteRules
from fetchers import FetchSettings

TRUE = {"1", "true", "yes", "on"}


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Config:
    fetch: FetchSettings = field(default_factory=FetchSettings)
    extract: ExtractOptions = field(default_factory=ExtractOptions)
    workers: int = 0
    backfill_rate: float = 1.0  # requests per second to one host during a backfill
    extract_time_limit: float = 30.0  # seconds: a page whose extraction takes longer is given up
    feeds: tuple[tuple[str, str | None], ...] = ()
    path: str | None = None


def read_toml(path: str | Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def feeds_in(data: dict, where: str) -> tuple[tuple[str, str | None], ...]:
    out = []
    for i, item in enumerate(data.get("feeds", [])):
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise ConfigError(f"{where}: feeds[{i}] needs a url")
        out.append((item["url"], item.get("name")))
    return tuple(out)


def load_config(path: str | None = None) -> Config:
    """The config at `path` (or $PAPERBOY_CONFIG, or ./paperboy.toml when present), env on top."""
    path = path or os.environ.get("PAPERBOY_CONFIG") or ("paperboy.toml" if Path("paperboy.toml").exists() else None)
    data = read_toml(path) if path else {}
    settings = data.get("settings", {})
    known = {f for f in FetchSettings.__dataclass_fields__}
    fetch_kwargs = {}
    for key, value in settings.items():
        if key in known:
            fetch_kwargs[key] = frozenset(value) if key == "allowed_hosts" else value
        elif key not in ("workers", "favor_precision", "disabled_rules", "backfill_rate", "extract_time_limit"):
            raise ConfigError(f"{path}: unknown setting {key!r}")
    try:
        fetch = FetchSettings(**fetch_kwargs)
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    env_private = os.environ.get("PAPERBOY_ALLOW_PRIVATE_NETWORKS")
    if env_private is not None:
        fetch = replace(fetch, allow_private_networks=env_private.strip().lower() in TRUE)
    env_hosts = os.environ.get("PAPERBOY_ALLOWED_HOSTS")
    if env_hosts:
        hosts = {h.strip().lower() for h in env_hosts.split(",") if h.strip()}
        fetch = replace(fetch, allowed_hosts=fetch.allowed_hosts | hosts)
    sites = {
        host.lower(): SiteRules(tuple(rules.get("drop_xpath", ())), tuple(rules.get("drop_patterns", ())))
        for host, rules in data.get("sites", {}).items()
    }
    unknown = sorted(set(settings.get("disabled_rules", ())) - RULE_FAMILIES)
    if unknown:
        raise ConfigError(f"{path}: unknown rule in disabled_rules: {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(RULE_FAMILIES))})")  # fmt: skip
    extract = ExtractOptions(
        favor_precision=settings.get("favor_precision", ExtractOptions.favor_precision),
        disabled_rules=frozenset(settings.get("disabled_rules", ())),
        site_rules=sites,
    )
    for key in ("backfill_rate", "extract_time_limit"):
        value = settings.get(key, 1)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{path}: {key} must be a positive number")
    return Config(
        fetch,
        extract,
        workers=int(settings.get("workers", 0)),
        backfill_rate=float(settings.get("backfill_rate", 1.0)),
        extract_time_limit=float(settings.get("extract_time_limit", 30.0)),
        feeds=feeds_in(data, str(path)),
        path=path,
    )
