"""Zero network: a guard that makes every outbound connection and DNS lookup fail loudly.

`pii` classifies personal data, so nothing may leave the machine. The guard puts the
Hugging Face libraries in offline mode (so they do not even try) and replaces the socket
functions that reach other hosts with ones that count the attempt and raise
NetworkBlockedError. Unix-domain sockets (used by multiprocessing) stay allowed.

Left out: code that bypasses Python's socket module (a C extension opening its own
sockets); none of the libraries `pii` uses does that.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pii.errors import NetworkBlockedError

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}

attempts = 0  # connection and lookup attempts blocked since the guard was installed
_saved: dict[str, Any] = {}
_env_before: dict[str, str | None] = {}  # the offline variables as they were before install


def _blocked(what: str) -> NetworkBlockedError:
    global attempts
    attempts += 1
    return NetworkBlockedError(
        f"network access blocked ({what}): pii never sends data off this machine; "
        "if a library needs a download, fetch it beforehand on a machine meant for that"
    )


def _is_unix(sock: socket.socket) -> bool:
    return getattr(socket, "AF_UNIX", None) is not None and sock.family == socket.AF_UNIX


def _connect(self: socket.socket, address: Any) -> None:
    if _is_unix(self):
        return _saved["connect"](self, address)
    raise _blocked("connect")


def _connect_ex(self: socket.socket, address: Any) -> int:
    if _is_unix(self):
        return _saved["connect_ex"](self, address)
    raise _blocked("connect")


def _refuse(what: str):
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise _blocked(what)

    return refuse


def install() -> None:
    """Install the guard (idempotent) and switch the hub libraries to offline mode."""
    if not _saved:
        _env_before.clear()
        _env_before.update({key: os.environ.get(key) for key in OFFLINE_ENV})
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    if _saved:
        return
    _saved.update(
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
        getaddrinfo=socket.getaddrinfo,
        gethostbyname=socket.gethostbyname,
        gethostbyname_ex=socket.gethostbyname_ex,
        create_connection=socket.create_connection,
    )
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _refuse("DNS lookup")  # type: ignore[assignment]
    socket.gethostbyname = _refuse("DNS lookup")  # type: ignore[assignment]
    socket.gethostbyname_ex = _refuse("DNS lookup")  # type: ignore[assignment]
    socket.create_connection = _refuse("connect")  # type: ignore[assignment]


def uninstall() -> None:
    """Restore the socket functions and the hub libraries' online mode as they were (for
    `pii models pull` and tests)."""
    if not _saved:
        return
    for key, value in _env_before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    _env_before.clear()
    socket.socket.connect = _saved["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = _saved["connect_ex"]  # type: ignore[method-assign]
    socket.getaddrinfo = _saved["getaddrinfo"]
    socket.gethostbyname = _saved["gethostbyname"]
    socket.gethostbyname_ex = _saved["gethostbyname_ex"]
    socket.create_connection = _saved["create_connection"]
    _saved.clear()


def active() -> bool:
    return bool(_saved)


@contextmanager
def guarded() -> Iterator[None]:
    """The guard for the duration of a block (for library callers and tests)."""
    was_active = active()
    install()
    try:
        yield
    finally:
        if not was_active:
            uninstall()
