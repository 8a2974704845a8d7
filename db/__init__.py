"""Storage: schema and store. The only package that imports sqlite_utils or speaks SQL."""

from . import store
from ._base import MAX_ATTEMPTS, ArchiveDamaged, damage
from ._lock import Busy, exclusive
from ._schema import NotAnArchive, connect, needs_immutable, unread_wal
from ._warc import WHERE as RAW_PAGES_WHERE
from ._warc import RawPages, check_folder
from ._warc import repair as repair_warc
from .reading import QueryError

__all__ = [
    "ArchiveDamaged",
    "damage",
    "MAX_ATTEMPTS",
    "NotAnArchive",
    "RAW_PAGES_WHERE",
    "Busy",
    "QueryError",
    "RawPages",
    "check_folder",
    "repair_warc",
    "connect",
    "exclusive",
    "needs_immutable",
    "unread_wal",
    "store",
]
