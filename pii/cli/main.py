"""The root `pii` command: registers every command and command group."""

from __future__ import annotations

import typer

from pii import __version__
from pii.cli import golden
from pii.cli.base import sub_app

app = sub_app("Is fine-tuning worth it? Few-shot vs LoRA PII detection, measured locally.")

app.add_typer(golden.app, name="golden")


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
