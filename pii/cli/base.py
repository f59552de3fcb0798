"""What every `pii` command shares: consoles, exit codes and the error-to-exit mapping.

Only the CLI maps errors to exit codes: 0 ok, 1 user or data error, 2 usage error
(typer's own, and pii's UsageError: an unknown classifier), 3 a failed quality gate.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from typer.core import TyperGroup

from pii.errors import PiiError, UsageError

# The --model option every command that runs an LLM shares.
DEFAULT_MODEL = "smollm2-135m"
ModelOption = Annotated[str, typer.Option(help="Model spec, local MLX directory or hub id.")]

EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_GATE = 3
CONTEXT = {"help_option_names": ["-h", "--help"]}

err = Console(stderr=True)
out = Console()


class QuietGroup(TyperGroup):
    """Usage errors in one line on stderr, exit code 2 (click and typer print a usage block
    and a boxed panel). Click also names unexpected extra arguments in its message; when a
    user forgets the quotes around a text, those words are personal data: say how many."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except Exception as e:
            if not _is_usage_error(e):
                raise
            _usage_error(e, ctx)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as e:
            if not _is_usage_error(e):
                raise
            _usage_error(e, ctx)


def _is_usage_error(e: Exception) -> bool:
    """Click's UsageError (typer vendors its own click: match by class name)."""
    return any(cls.__name__ == "UsageError" for cls in type(e).__mro__)


def _usage_error(e: Any, ctx: Any) -> NoReturn:
    """Print `e` as one line naming the command's --help, and exit 2 (help is help)."""
    if type(e).__name__ == "NoArgsIsHelpError":  # `pii golden` alone: click shows the help
        raise e
    message = e.format_message()
    match = _EXTRA.search(message)
    if match:
        n = len(match.group(1).split())
        message = (
            f"got {n} unexpected extra argument(s) (not shown: they may be personal "
            'data); put a text with spaces in quotes: pii classify "..."'
        )
    where = (e.ctx or ctx).command_path if (e.ctx or ctx) is not None else "pii"
    line = " ".join(message.split())
    err.print(
        f"error: {line} (see `{where} --help`)", markup=False, highlight=False, soft_wrap=True
    )
    raise typer.Exit(EXIT_USAGE)


# click's own message, not one already rewritten by an enclosing group
_EXTRA = re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((.*)\)$", re.DOTALL)


def sub_app(help: str) -> typer.Typer:
    """A command group with the project's settings (-h, no locals in tracebacks, no
    echo of stray arguments)."""
    return typer.Typer(
        cls=QuietGroup,
        help=help,
        context_settings=CONTEXT,
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,  # locals may hold personal data
        add_completion=False,
    )


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a PiiError into one line on stderr and exit code 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PiiError as e:
            line = " ".join(str(e).split())  # one line, whatever a value in it held
            err.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_USAGE if isinstance(e, UsageError) else EXIT_DATA) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


LOG_EVERY_S = 15.0


def _log_lines(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """Progress for a non-interactive stderr: "label: done/total, elapsed, ETA" lines."""
    import time

    start = last = time.perf_counter()
    done = 0

    def advance(n: int) -> None:
        nonlocal done, last
        done += n
        now = time.perf_counter()
        if now - last >= LOG_EVERY_S or done >= total - 1e-6:
            last = now
            rate = done / max(now - start, 1e-9)
            eta = (total - done) / rate if rate else 0.0
            err.print(
                f"{label}: {done:.0f}/{total}, {now - start:.0f}s elapsed, ETA {eta:.0f}s",
                highlight=False,
                markup=False,
            )

    yield advance


@contextmanager
def stages(label: str) -> Iterator[Callable[[str], None]]:
    """A spinner on a terminal; in a log file, one line per stage with the seconds so far.
    Yields `update(stage)`."""
    if err.is_terminal:
        with err.status(label) as status:
            yield status.update
        return
    import time

    start = time.perf_counter()

    def update(stage: str) -> None:
        err.print(f"{stage} ({time.perf_counter() - start:.0f}s)", highlight=False, markup=False)

    update(label)
    yield update


@contextmanager
def progress_bar(total: int, label: str, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr; yields `advance(n)`."""
    if not enabled:
        yield lambda n: None
        return
    if not err.is_terminal:  # a log file: a plain line every LOG_EVERY_S seconds, and at the end
        yield from _log_lines(total, label)
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)
