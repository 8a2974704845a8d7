"""Progress on stderr while a pass works, and the summary at its end."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from paperboy.core import MAX_TEXT, printable

# Articles stored (new or updated) by the passes of this process, for the line said when it is stopped.
STORED: Counter[str] = Counter()


FAILED = "failed:"  # a counter of items that failed, by reason: "failed:<reason>"


def failures(counts: Counter) -> dict[str, int]:
    """The failed items of these counts, by reason."""
    return {k.removeprefix(FAILED): v for k, v in counts.items() if k.startswith(FAILED)}


@dataclass
class Summary:
    feeds: Counter = field(default_factory=Counter)  # fetched, not_modified, unchanged, failed
    articles: Counter = field(default_factory=Counter)  # new, updated, duplicate, unchanged, failed:<reason>
    errors: list[str] = field(default_factory=list)  # one line per failed feed
    holds: dict[str, float] = field(default_factory=dict)  # host -> epoch: Retry-After holds seen
    watches: dict[str, int] = field(default_factory=dict)  # matched, delivered, to_retry (when any watch)
    started: float = field(default_factory=time.monotonic)  # the flow's body began (Prefect is up)

    def as_dict(self) -> dict:
        failed = failures(self.articles)
        return {
            "feeds": {k: self.feeds.get(k, 0) for k in ("fetched", "not_modified", "unchanged", "failed")},
            "articles": {
                "new": self.articles.get("new", 0),
                "new_stories": self.articles.get("new_story", 0),
                "new_versions": self.articles.get("new_version", 0),
                "updated": self.articles.get("updated", 0),
                "duplicate": self.articles.get("duplicate", 0),
                "unchanged": self.articles.get("unchanged", 0),
                "failed": sum(failed.values()),
                "failed_by_reason": dict(sorted(failed.items(), key=lambda kv: -kv[1])),
                "from_feed_text": self.articles.get("fallback", 0),
                "no_link": self.articles.get("feed_only", 0),
                "text_cut": self.articles.get("text_cut", 0),
            },
            "errors": list(self.errors),
            **({"watches": dict(self.watches)} if self.watches else {}),
            "seconds": round(time.monotonic() - self.started, 2),  # the pass's own work, Prefect's start-up not in it
        }


def render(summary: dict) -> str:
    f, a = summary["feeds"], summary["articles"]
    lines = [
        f"feeds: {f['fetched']} fetched, {f['not_modified'] + f['unchanged']} not modified, {f['failed']} failed",
        f"articles: {a['new']} new, {a['updated']} updated, {a['duplicate']} duplicate, "
        f"{a['unchanged']} unchanged, {a['failed']} failed",
    ]
    if a.get("new_versions"):  # (a story is counted only when a version of one came)
        lines.append(f"  {a['new_stories']} new stories, {a['new_versions']} new versions of stories already stored")
    if a["from_feed_text"]:
        lines.append(f"  {a['from_feed_text']} stored from the feed's own text (their pages will be tried again)")
    if a.get("no_link"):
        lines.append(f"  {a['no_link']} stored from the feed's own text (the item links no page)")
    if a.get("text_cut"):
        lines.append(f"  {a['text_cut']} stored with their text cut at {MAX_TEXT:,} characters")
    for reason, n in a["failed_by_reason"].items():
        lines.append(f"  failed: {n} × {reason}")
    if summary.get("watches"):
        w = summary["watches"]
        lines.append(f"watches: {w['matched']} new matches, {w['delivered']} delivered, {w['to_retry']} to try again")
    return "\n".join(lines)


def tick_line(summary: dict) -> str:
    """A served pass in one line: what it polled and stored, and how long it took."""
    if summary.get("busy"):
        return f"paperboy: tick skipped: {summary['busy']}"
    f, a = summary["feeds"], summary["articles"]
    polled = f["fetched"] + f["not_modified"] + f["unchanged"] + f["failed"]
    return (
        f"paperboy: tick {time.strftime('%H:%M:%S')}: feeds {polled} polled, {f['not_modified'] + f['unchanged']} "
        f"not modified, {f['failed']} failed; articles {a['new']} new, {a['failed']} failed; {summary['seconds']:.1f} s"
    )


def markdown(summary: dict, browse: str | None = None) -> str:
    """The pass's summary as the Prefect artifact shows it; `browse`: the browse view of what it stored."""
    f, a = summary["feeds"], summary["articles"]
    rows = [("feeds fetched", f["fetched"]), ("feeds not modified", f["not_modified"] + f["unchanged"]),
            ("feeds failed", f["failed"]), ("articles new", a["new"]), ("articles updated", a["updated"]),
            ("articles duplicate", a["duplicate"]), ("articles failed", a["failed"])]  # fmt: skip
    out = ["# paperboy ingest", "", "| | count |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    if a["failed_by_reason"]:
        out += ["", "## Failed articles by reason", ""] + [f"- {k}: {v}" for k, v in a["failed_by_reason"].items()]
    if summary["errors"]:
        out += ["", "## Failed feeds", ""] + [f"- {e}" for e in summary["errors"]]
    if browse:
        out += ["", f"[The articles this pass stored, in paperboy browse]({browse})"]
    return "\n".join(out)


class Progress:
    """One status line, redrawn on a terminal and printed every few seconds elsewhere."""

    EVERY = 5.0  # seconds between lines when stderr is not a terminal

    def __init__(self, enabled: bool = True, stream=None, status: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.statuses = status  # the status line; lines that stay are printed either way
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self._last = 0.0
        self.started = time.monotonic()

    def line(self, text: str) -> None:
        """A line that stays (a failed feed, a warning)."""
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(printable(text) + "\n")
        self.stream.flush()

    def status(self, text: str, force: bool = False) -> None:
        if not self.enabled or not self.statuses:
            return
        text = printable(text)
        now = time.monotonic()
        elapsed = f"[{now - self.started:5.1f}s] "
        if self.tty:
            self.stream.write("\r\033[K" + elapsed + text)
            self.stream.flush()
        elif force or now - self._last >= self.EVERY:
            self.stream.write(elapsed + text + "\n")
            self.stream.flush()
            self._last = now

    def done(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()
