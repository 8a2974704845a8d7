"""Storage: schema and store. The only package that imports sqlite_utils or speaks SQL."""

from . import _store as store
from ._lock import Busy, exclusive
from ._schema import connect
from ._store import MAX_ATTEMPTS, Outcome, QueryError, StoredPage

__all__ = ["MAX_ATTEMPTS", "Busy", "Outcome", "QueryError", "StoredPage", "connect", "exclusive", "store"]
