"""`python -m pii`: the same as the `pii` command."""

from pii.cli import main

main()
