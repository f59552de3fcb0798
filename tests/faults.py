"""Fault injection for the file-writing paths: count a function's file operations, then kill
it at each one in turn (a child process ends with os._exit, so no cleanup runs, as with a
SIGKILL), or make the k-th write fail with ENOSPC in-process (cleanup runs, as on a full disk).

File operations are the calls that change the disk: opening a file for writing (open, io.open,
os.fdopen), os.mkdir, os.rename, os.replace and mlx's save_safetensors. pathlib's methods go
through them.

Used as a library by tests/test_faults.py and as the child process itself:
    python tests/faults.py SCENARIO K ARGS_JSON
runs scenario SCENARIO of tests/fault_scenarios.py and dies at its K-th file operation
(exit code KILLED), or exits 0 when it finished first.
"""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

KILLED = 77
WRITE_MODES = set("wax+")


def _is_write(args: tuple[Any, ...], kwargs: dict[str, Any], mode_at: int) -> bool:
    mode = kwargs.get("mode", args[mode_at] if len(args) > mode_at else "r")
    return bool(WRITE_MODES & set(str(mode)))


@contextmanager
def injected(on_op: Callable[[str], None]) -> Iterator[None]:
    """Call `on_op(name)` before every file operation (it may raise or exit)."""
    real_open, real_fdopen = builtins.open, os.fdopen
    real = {name: getattr(os, name) for name in ("mkdir", "rename", "replace")}

    def opener(*args: Any, **kwargs: Any) -> Any:
        if _is_write(args, kwargs, 1):
            on_op("open")
        return real_open(*args, **kwargs)

    def fdopen(*args: Any, **kwargs: Any) -> Any:
        if _is_write(args, kwargs, 1):
            on_op("fdopen")
        return real_fdopen(*args, **kwargs)

    def wrap(name: str) -> Callable[..., Any]:
        def op(*args: Any, **kwargs: Any) -> Any:
            on_op(name)
            return real[name](*args, **kwargs)

        return op

    saved_mx = None
    if "mlx.core" in sys.modules:
        mx = sys.modules["mlx.core"]
        saved_mx = mx.save_safetensors

        def save_safetensors(*args: Any, **kwargs: Any) -> Any:
            on_op("save_safetensors")
            return saved_mx(*args, **kwargs)

    builtins.open = io.open = opener  # type: ignore[assignment]
    os.fdopen = fdopen  # type: ignore[assignment]
    for name in real:
        setattr(os, name, wrap(name))
    if saved_mx is not None:
        mx.save_safetensors = save_safetensors
    try:
        yield
    finally:
        builtins.open = io.open = real_open  # type: ignore[assignment]
        os.fdopen = real_fdopen  # type: ignore[assignment]
        for name, fn in real.items():
            setattr(os, name, fn)
        if saved_mx is not None:
            mx.save_safetensors = saved_mx


def count_ops(fn: Callable[[], Any]) -> list[str]:
    """The file operations `fn` performs, in order."""
    seen: list[str] = []
    with injected(seen.append):
        fn()
    return seen


@contextmanager
def disk_full_at(k: int, writes: tuple[str, ...] = ("open", "fdopen", "save_safetensors")):
    """The k-th write (1-based) fails with ENOSPC, as a full disk would."""
    n = 0

    def on_op(name: str) -> None:
        nonlocal n
        if name in writes:
            n += 1
            if n == k:
                raise OSError(errno.ENOSPC, "No space left on device")

    with injected(on_op):
        yield


def kill_child(scenario: str, k: int, args: dict[str, Any]) -> int:
    """Run `scenario` in a child process killed at its k-th file operation; its exit code."""
    cmd = [sys.executable, __file__, scenario, str(k), json.dumps(args)]
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(cmd, env=env, timeout=120, check=False).returncode


def _child() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fault_scenarios

    scenario, k, args = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    for module in fault_scenarios.PRELOAD[scenario]:
        __import__(module)
    n = 0

    def on_op(name: str) -> None:
        nonlocal n
        n += 1
        if n == k:
            os._exit(KILLED)

    run = fault_scenarios.SCENARIOS[scenario]
    with injected(on_op):
        run(**args)
    os._exit(0)


if __name__ == "__main__":
    _child()
