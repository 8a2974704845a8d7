"""Storage: schema and store. The only package that imports sqlite_utils or speaks SQL."""

from . import _store as store
from ._lock import Busy, exclusive
from ._schema import connect
from ._store import MAX_ATTEMPTS, QueryError

__all__ = ["MAX_ATTEMPTS", "Busy", "QueryError", "connect", "exclusive", "store"]
