"""Feeds' secrets (user names, passwords, headers, cookies), kept outside the archive.

They live in `<db>.credentials`, a JSON file beside the archive that only its owner may read, so
that a copy of the archive, a browse page, an export or an SQL query never carries them; the
archive keeps each feed's URL without user name or password. Keyed by feed id, each with the
origin it was given for (a feed moved to another origin does not take its secrets along).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import sqlite_utils

from core import FeedAccess

SUFFIX = ".credentials"


def path_of(db: sqlite_utils.Database) -> Path | None:
    """The credentials file of the archive `db` is open on; None for a database in memory."""
    for _, name, file in db.execute("pragma database_list").fetchall():
        if name == "main" and file:
            return Path(file + SUFFIX)
    return None


def read(path: Path | None) -> dict[int, FeedAccess]:
    """Every feed's secrets; none when the file is missing. A link in the file's place is not followed."""
    if path is None:
        return {}
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return {}
    with os.fdopen(fd, encoding="utf-8") as f:
        data = json.load(f)
    return {int(k): _access(v) for k, v in data.items()}


def write(path: Path | None, secrets: dict[int, FeedAccess]) -> None:
    """Replace the file at once (a new file renamed over it), readable by its owner only."""
    if path is None:
        return
    if not secrets:
        path.unlink(missing_ok=True)
        return
    data = {str(k): _plain(v) for k, v in sorted(secrets.items())}
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # rename replaces a link itself, never its target


def _plain(access: FeedAccess) -> dict:
    return {
        "origin": access.origin,
        "user": access.user,
        "password": access.password,
        "headers": [list(h) for h in access.headers],
        "cookies": [list(c) for c in access.cookies],
    }


def _access(data: dict) -> FeedAccess:
    return FeedAccess(
        data["origin"],
        data.get("user"),
        data.get("password"),
        tuple((str(k), str(v)) for k, v in data.get("headers") or ()),
        tuple((str(k), str(v)) for k, v in data.get("cookies") or ()),
    )
