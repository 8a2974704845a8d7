"""Raw pages outside SQLite: rotating WARC files, gzip per record (any WARC tool reads them), the
db keeping each page's file and offset. At millions of articles the pages would otherwise be most
of the db's bytes."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import sqlite_utils

WHERE = ("db", "warc", "none")
FILE_BYTES = 1 << 30  # a WARC file is closed past 1 GiB, the common size of crawl archives
# paperboy-<UTC time>-<count>-<random>-<the archive's token>; before the token: no <random>
_NAME = re.compile(r"^paperboy-\d{14}-\d{5}(?:-[0-9a-f]{8})?-[0-9a-f]{8}\.warc\.gz$")


@dataclass(frozen=True)
class RawPages:
    """Where a pass keeps the pages it fetched: in the db (zstd), in WARC files, or nowhere."""

    where: str = "db"
    directory: str = ""  # the WARC files' folder; "" is "<db file>.warc" beside the db
    file_bytes: int = FILE_BYTES


def db_file(db: sqlite_utils.Database) -> Path:
    return Path(db.execute("pragma database_list").fetchone()[2])


def folder(db_path: str | Path, raw: RawPages) -> Path:
    """The folder of an archive's WARC files."""
    return Path(raw.directory) if raw.directory else Path(str(db_path) + ".warc")


def check_folder(db_path: str | Path, raw: RawPages) -> str | None:
    """Why WARC files cannot be written where `raw` says, or None when they can."""
    where = folder(db_path, raw)
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot make the WARC folder {where}: {exc.strerror or exc}"
    if not os.access(where, os.W_OK | os.X_OK):
        return f"cannot write WARC files in {where}: permission denied"
    return None


def append(db: sqlite_utils.Database, raw: RawPages, pages: list[tuple[str, str, bytes]]) -> list[tuple[str, int, int]]:
    """Write each (url, fetched_at, html) as a WARC resource record; returns where each went: (the
    file, relative to the db's folder when inside it; the record's offset and length). Called inside
    the transaction that stores the rows pointing at them."""
    from warcio.warcwriter import WARCWriter  # only an archive that keeps WARC files loads warcio

    where = folder(db_file(db), raw)
    where.mkdir(parents=True, exist_ok=True)
    path = _current(db, where, raw.file_bytes)
    stored = _stored_name(db, path)
    out = []
    with open(path, "ab") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, fetched_at, html in pages:
            offset = fh.tell()
            record = writer.create_warc_record(
                url,
                "resource",
                payload=BytesIO(html),
                warc_content_type="text/html",
                warc_headers_dict={"WARC-Date": _warc_date(fetched_at)},
            )
            writer.write_record(record)
            out.append((stored, offset, fh.tell() - offset))
    return out


def read(db: sqlite_utils.Database, name: str, offset: int) -> bytes:
    """The page in the WARC record at `offset` of `name` (relative to the db's folder, or absolute)."""
    from warcio.archiveiterator import ArchiveIterator

    path = Path(name) if Path(name).is_absolute() else db_file(db).parent / name
    with open(path, "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        return record.content_stream().read()


def _own(db: sqlite_utils.Database, where: Path) -> list[str]:
    """This archive's WARC files in `where`, oldest first: those whose name ends in its token (a
    folder shared by several archives holds theirs too, never to be written or cut by this one)."""
    token = _token(db)
    return sorted(p.name for p in where.iterdir() if _NAME.match(p.name) and p.name.endswith(f"-{token}.warc.gz"))


def _token(db: sqlite_utils.Database) -> str:
    return hashlib.sha256(str(db_file(db).resolve()).encode()).hexdigest()[:8]


def repair(db: sqlite_utils.Database, raw: RawPages) -> list[str]:
    """Cut what lies past the last record the db points at in each of this archive's WARC files: the
    torn record of a pass killed mid-write, the records of a batch rolled back. Run before a pass
    writes; says what it cut."""
    where = folder(db_file(db), raw)
    if raw.where != "warc" or not where.is_dir():
        return []
    said = []
    for name in _own(db, where):
        path = where / name
        size, end = path.stat().st_size, _end_in_db(db, _stored_name(db, path))
        if size > end:
            fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
            try:
                os.ftruncate(fd, end)
            finally:
                os.close(fd)
            said.append(f"cut {size - end} bytes past the last stored record of {path} (a pass stopped while writing)")
    return said


def _current(db: sqlite_utils.Database, where: Path, file_bytes: int) -> Path:
    """This archive's newest WARC file while it is under the size limit and ends where the db's last
    record in it ends (`repair` cuts what lies past that), else a new one."""
    names = _own(db, where)
    if names:
        size = (where / names[-1]).stat().st_size
        if size < file_bytes and size == _end_in_db(db, _stored_name(db, where / names[-1])):
            return where / names[-1]
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    # a random part: a name once used (a file since moved or deleted) never points at new pages
    return where / f"paperboy-{stamp}-{len(names) + 1:05d}-{secrets.token_hex(4)}-{_token(db)}.warc.gz"


def _stored_name(db: sqlite_utils.Database, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(db_file(db).resolve().parent))
    except ValueError:
        return str(path.resolve())


def _end_in_db(db: sqlite_utils.Database, name: str) -> int:
    """Where the last record the db points at in this file ends."""
    row = db.execute(
        "select warc_offset + warc_length from raw_pages where warc_file = ? order by warc_offset desc limit 1", [name]
    ).fetchone()
    return row[0] if row else 0


def _warc_date(fetched_at: str) -> str:
    return fetched_at[:19] + "Z" if fetched_at else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
