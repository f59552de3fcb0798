"""The `pii` command line: parses options, calls the library, prints results.

This is the only module that maps errors to exit codes:
0 ok, 1 user or data error, 2 usage error, 3 a failed quality gate.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

from pii import __version__
from pii.errors import PiiError

EXIT_DATA = 1
EXIT_GATE = 3

CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="pii",
    help="Is fine-tuning worth it? Few-shot vs LoRA PII detection, measured locally.",
    context_settings=CONTEXT,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold personal data
    add_completion=False,
)
err = Console(stderr=True)
out = Console()


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a PiiError into one line on stderr and exit code 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PiiError as e:
            err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_DATA) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        print(f"pii {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Is fine-tuning worth it? Few-shot vs LoRA PII detection, measured locally."""


def main() -> None:
    """Console-script entry point."""
    app(prog_name="pii")


if __name__ == "__main__":
    sys.exit(main())
