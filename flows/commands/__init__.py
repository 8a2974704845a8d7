"""The command line: every click command (one module per group), what they share (base: the
context, the exit codes, the errors said in one line), OPML, and `main`. Only this wing imports
click; it calls the flows, the engines and the store, and nothing below calls it."""

from paperboy.flows.commands.main import cli, main

__all__ = ["cli", "main"]
