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

from paperboy.core import FeedAccess

SUFFIX = ".credentials"


def path_of(db: sqlite_utils.Database) -> Path | None:
    """The credentials file of the archive `db` is open on; None for a database in memory."""
    for _, name, file in db.execute("pragma database_list").fetchall():
        if name == "main" and file:
            return Path(file + SUFFIX)
    return None


WATCH = "watch:"  # the key of a watch's secrets (its signing secret, its receivers' URLs): watch:<id>


def _load(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return {}
    with os.fdopen(fd, encoding="utf-8") as f:
        return json.load(f)


def read(path: Path | None) -> dict[int, FeedAccess]:
    """Every feed's secrets; none when the file is missing. A link in the file's place is not followed."""
    return {int(k): _access(v) for k, v in _load(path).items() if not k.startswith(WATCH)}


def write(path: Path | None, secrets: dict[int, FeedAccess]) -> None:
    """Replace the feeds' secrets (the watches' stay)."""
    watches = {k: v for k, v in _load(path).items() if k.startswith(WATCH)}
    _store(path, {**{str(k): _plain(v) for k, v in sorted(secrets.items())}, **watches})


def watch_secrets(path: Path | None) -> dict[int, dict]:
    """Every watch's secrets by watch id: {"secret", "webhook", "notify"}."""
    return {int(k.removeprefix(WATCH)): v for k, v in _load(path).items() if k.startswith(WATCH)}


def set_watch_secrets(path: Path | None, watch_id: int, secrets: dict | None) -> None:
    """Give a watch its secrets (None: forget them)."""
    data = _load(path)
    data.pop(f"{WATCH}{watch_id}", None)
    if secrets is not None:
        data[f"{WATCH}{watch_id}"] = secrets
    _store(path, data)


def _store(path: Path | None, data: dict) -> None:
    """Replace the file at once (a new file renamed over it), readable by its owner only."""
    if path is None:
        return
    if not data:
        path.unlink(missing_ok=True)
        return
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
