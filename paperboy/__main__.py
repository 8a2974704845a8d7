"""`python -m paperboy`: the command line, as the `paperboy` command."""

from paperboy.flows.commands import main

main()
