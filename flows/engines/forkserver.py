"""Imported by the extraction pool's forkserver, once, before it forks any worker.

It loads what every worker needs (trafilatura, the parsers and py3langid's language model, 74 MB)
and then freezes the garbage collector's view of those objects (gc.freeze: a collection in a worker
would otherwise write to every one of them, and copy their pages). The workers, forked from here,
share these pages instead of each loading a copy of its own.

What the extractors load only on some pages is loaded here too, or each worker would load a private
copy on its first such page: jusText's stoplists of every language (27 MB, for a page with little
text), and dateparser with its locales (4 MB, for dates in words htmldate cannot read itself).

Shared pages stay shared only while no worker writes to them, and reading a Python object writes
to its reference count: what the workers read on every page is better kept out of Python objects.
"""

import gc

from paperboy import extractors
from paperboy.flows.engines import jobs, memory  # noqa: F401 - jobs: what the workers unpickle their jobs with

# One short paragraph: too little text for trafilatura's main extractor alone, so the page also goes
# through its backup extractors (readability, then jusText), as a page with little text does.
WARM_PAGE = (
    "<html lang='en'><head><title>Warm</title></head><body><article><h1>Warm</h1>"
    "<p>The workers load their language models and parsers on a first page, before the clock runs.</p>"
    "</article></body></html>"
)


def _load_date_parsers() -> None:
    """htmldate's own lazy loaders of dateparser (not public API: if they move, the workers load it)."""
    from htmldate import extractors as dates

    getattr(dates, "month_words", lambda: None)()
    parser = getattr(dates, "get_external_parser", lambda: None)()
    if parser is not None:
        parser.get_date_data("3 March 2024")


def _share_language_tables() -> None:
    """py3langid walks its model with two tables held as Python lists of ints (104,583 each).
    Reading an int from a list writes to the int's reference count, so a worker copied the pages of
    every int it read. As arrays, the values sit in one buffer that reading leaves alone, with the
    same guesses. The tables are not public API: if they change, this does nothing."""
    from array import array

    from py3langid import langid

    model = langid.IDENTIFIER  # loaded by the warm-up page
    for name in ("_rowbase", "tk_output"):
        table = getattr(model, name, None)
        if isinstance(table, list):
            setattr(model, name, array("q", table))  # (not ints: TypeError, and the table stays a list)


for _warm in (
    lambda: extractors.extract(WARM_PAGE, "http://localhost/warm"),
    _load_date_parsers,
    _share_language_tables,
):
    try:
        _warm()
    except Exception:  # noqa: BLE001 - the forkserver must start: the workers then load it on first use
        pass
gc.freeze()
memory.keep_large_buffers_apart()  # malloc's settings pass to the workers forked from here
