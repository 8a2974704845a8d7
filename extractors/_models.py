from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SiteRules:
    """A user's own rules for one host (from the config): never built in."""

    drop_xpath: tuple[str, ...] = ()  # elements removed before extraction
    drop_patterns: tuple[str, ...] = ()  # regexes: a paragraph that matches is dropped, anywhere


@dataclass(frozen=True)
class ExtractOptions:
    favor_precision: bool = False  # measured: trafilatura's precision mode costs more recall than it saves
    clean: bool = True  # the cleaning of extractors/_clean.py; off gives trafilatura's text as is
    disabled_rules: frozenset[str] = frozenset()  # rule families switched off, e.g. {"bio"}
    site_rules: Mapping[str, SiteRules] = field(default_factory=dict)  # host -> rules
    boilerplate: frozenset[str] = frozenset()  # paragraph fingerprints learned for this host
