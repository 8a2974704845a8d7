"""Storage: schema and store. The only package that imports sqlite_utils or speaks SQL."""

from . import store
from ._base import MAX_ATTEMPTS
from ._lock import Busy, exclusive
from ._schema import connect
from .reading import QueryError

__all__ = ["MAX_ATTEMPTS", "Busy", "QueryError", "connect", "exclusive", "store"]
