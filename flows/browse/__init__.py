"""`paperboy browse`'s files (the Datasette plugin, templates, Chart.js) and how a pass finds the
browse server of its archive, to link its summary to the articles it stored."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).parent


def marker(db_path: str) -> Path:
    """Where a running browse server says its address, for the passes to link to it."""
    return Path(db_path + ".browse.json")


def browse_url(db_path: str) -> str | None:
    """The address of the browse server of this archive, while one runs."""
    try:
        info = json.loads(marker(db_path).read_text())
        os.kill(int(info["pid"]), 0)
        return f"{info['url']}{info['db']}"
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stored_since(db_path: str, since: str) -> str | None:
    """The browse view of the articles fetched since `since` (ISO 8601), while browse runs."""
    base = browse_url(db_path)
    return f"{base}/articles?_sort_desc=id&fetched_at__gte={quote(since)}" if base else None
