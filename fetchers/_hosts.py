"""What this process knows of each host, shared by every Fetcher.

Prefect runs tasks in threads, each with an event loop and a Fetcher of its own: a fetch task and
the next one in the pipeline, a feed poll and a page fetch. Politeness is per host, not per client,
so the concurrency slots, the minimum interval between request starts, Retry-After holds and the
rules read from robots.txt live here, behind a lock, for every loop of the process.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter, defaultdict, deque
from typing import Any


class HostBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: Counter[str] = Counter()
        self._waiters: defaultdict[str, deque] = defaultdict(deque)  # (loop, future) waiting for a slot
        self._last_start: dict[str, float] = {}  # monotonic time the last request really started
        self._holds: dict[str, float] = {}  # host -> wall-clock time (epoch) its Retry-After ends
        self._robots: dict[str, tuple[float, object]] = {}  # origin -> (monotonic expiry, its rules)

    async def acquire(self, host: str, limit: int, min_interval: float = 0.0) -> None:
        """Wait for one of the host's `limit` slots, then for its turn after `min_interval`."""
        while True:
            with self._lock:
                if self._active[host] < limit:
                    self._active[host] += 1
                    if min_interval <= 0:  # no turn to wait for: one look at the lock, not two
                        self._last_start[host] = time.monotonic()
                        return
                    break
                loop = asyncio.get_running_loop()
                fut = loop.create_future()
                self._waiters[host].append((loop, fut))
            try:
                await fut
            except asyncio.CancelledError:
                with self._lock:
                    try:
                        self._waiters[host].remove((loop, fut))
                    except ValueError:
                        pass
                raise
        # The interval counts from when the last request really started (a loop that wakes late
        # starts its request late); of two slots waiting at once, one goes and the other waits again.
        try:
            while True:
                with self._lock:
                    now = time.monotonic()
                    start = self._last_start.get(host, float("-inf")) + min_interval
                    if now >= start:
                        self._last_start[host] = now
                        return
                await asyncio.sleep(start - now)
        except asyncio.CancelledError:
            self.release(host)
            raise

    def release(self, host: str) -> None:
        with self._lock:
            self._active[host] -= 1
            if self._active[host] <= 0:
                del self._active[host]
            self._notify_locked(host)

    def _notify(self, host: str) -> None:
        with self._lock:
            self._notify_locked(host)

    def _notify_locked(self, host: str) -> None:
        waiters = self._waiters.get(host)
        while waiters:
            loop, fut = waiters.popleft()
            try:
                loop.call_soon_threadsafe(self._wake, host, fut)
                return
            except RuntimeError:  # that loop is closed: its waiter is gone
                continue
        if waiters is not None:
            del self._waiters[host]  # a host polled once must not keep an empty queue for the process's life

    def _wake(self, host: str, fut: asyncio.Future) -> None:
        if fut.done():  # cancelled meanwhile: the slot goes to the next in line
            self._notify(host)
        else:
            fut.set_result(None)

    # Retry-After holds, by wall clock so that they can be stored between passes.

    def hold(self, host: str, until: float) -> None:
        with self._lock:
            self._holds[host] = max(until, self._holds.get(host, 0.0))

    def held_for(self, host: str) -> float:
        """Seconds left of the host's hold, 0 when none."""
        if not self._holds:  # the common case, read without the lock (threads of every loop ask)
            return 0.0
        with self._lock:
            until = self._holds.get(host)
            if until is None:
                return 0.0
            left = until - time.time()
            if left <= 0:
                del self._holds[host]
                return 0.0
            return left

    def forget_holds(self) -> None:
        """Drop every hold (a new process starts with none but those it is given)."""
        with self._lock:
            self._holds.clear()

    # robots.txt, read once per origin for every Fetcher of the process: a Fetcher lives for one
    # batch of pages, and a site's pages come in many batches.

    def robots(self, origin: str) -> Any:
        """The rules remembered for `origin`, or None when there are none or they are too old."""
        with self._lock:
            expiry, rules = self._robots.get(origin, (0.0, None))
            return rules if time.monotonic() < expiry else None

    def remember_robots(self, origin: str, rules: object, ttl: float) -> None:
        with self._lock:
            self._robots[origin] = (time.monotonic() + ttl, rules)

    def forget_robots(self) -> None:
        with self._lock:
            self._robots.clear()


HOSTS = HostBook()
