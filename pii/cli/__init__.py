"""The `pii` command line. `main` is the console-script entry point."""

from pii.cli.main import app, main

__all__ = ["app", "main"]
