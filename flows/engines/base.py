"""The one seam of the engines: what the flows need of an executor of extraction jobs."""

from __future__ import annotations

from typing import Protocol

from paperboy.flows.engines.jobs import Extracted, Failed, FromFeed, PageJob

Result = Extracted | Failed | FromFeed | None


class Extraction(Protocol):
    """What the flows need of an executor of extraction jobs: the one seam to plug another in."""

    def warm(self) -> None:
        """Get ready now (workers starting while the feeds are polled); optional work."""

    def map(self, jobs: list[PageJob]) -> list[Result]:
        """Each job's result, in order, each job given up after the executor's time limit (a Failed
        with the reason). Empties `jobs` once they are taken: the pages are held no longer."""
        ...
