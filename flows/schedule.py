"""When to poll a feed next: the publisher's hints, our own experience, and backoff on errors."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from paperboy.core import clamp as _clamp
from paperboy.fetchers import RETRY_AFTER_MAX, RETRY_AFTER_MIN
from paperboy.flows.config import Config

# The bounds' defaults are the config's (min_poll_interval, max_poll_interval): their one home.
MIN_INTERVAL, MAX_INTERVAL = Config.min_poll_interval, Config.max_poll_interval
DEFAULT_INTERVAL = 30 * 60  # when nothing is known yet
SHORTEN = 0.5  # a poll that brought something new halves the interval
LENGTHEN = 1.5  # a poll that brought nothing lengthens it by half


def clamp(seconds: float, lo: int = MIN_INTERVAL, hi: int = MAX_INTERVAL) -> int:
    """Whole seconds between the bounds."""
    return int(_clamp(seconds, float(lo), float(hi)))


def next_interval(
    previous: int | None, *, new_items: int, hint: int | None, lo: int = MIN_INTERVAL, hi: int = MAX_INTERVAL
) -> int:
    """The adaptive interval, never below the publisher's own hint (ttl, sy:updatePeriod, max-age),
    always between `lo` and `hi` seconds (min_poll_interval and max_poll_interval)."""
    base: float = previous or DEFAULT_INTERVAL
    base = base * SHORTEN if new_items else base * LENGTHEN
    if previous is None:
        base = DEFAULT_INTERVAL
    return clamp(max(base, hint or 0), lo, hi)


def error_backoff(
    consecutive_errors: int, retry_after: int | None = None, lo: int = MIN_INTERVAL, hi: int = MAX_INTERVAL
) -> int:
    """Exponential backoff with jitter, capped at a day; Retry-After wins when it is given."""
    if retry_after is not None:
        return clamp(retry_after, RETRY_AFTER_MIN, RETRY_AFTER_MAX)
    delay = lo * (2 ** min(consecutive_errors, 10))
    return clamp(delay * random.uniform(0.8, 1.2), lo, hi)


def spread(interval: int, first: bool, lo: int = MIN_INTERVAL) -> int:
    """The delay until a feed's next poll: a feed's first schedule anywhere between the shortest
    interval and its own, later ones up to a tenth early. Feeds added or polled together (an import,
    a restart after a pause) fall due over a whole interval instead of in one tick."""
    if first:
        return int(random.uniform(min(lo, interval), interval))
    return int(random.uniform(max(min(lo, interval), interval * 0.9), interval))


def at(seconds: int, now: datetime | None = None) -> str:
    return ((now or datetime.now(UTC)) + timedelta(seconds=seconds)).isoformat(timespec="seconds")
