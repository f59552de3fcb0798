"""`pii serve`: classifiers kept loaded behind a local HTTP endpoint (pii.serve)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Annotated

import typer

from pii.cli.base import DEFAULT_MODEL, ModelOption, err, handle_errors
from pii.errors import ConfigError, UsageError


@handle_errors
def serve(
    classifier: Annotated[
        list[str] | None,
        typer.Option(
            "--classifier",
            help="Classifier to serve (repeat for several; the first is the default): "
            "adapter, fewshot, probe, rules, tfidf, presidio.",
        ),
    ] = None,
    model: ModelOption = DEFAULT_MODEL,
    host: Annotated[
        str, typer.Option(help="IP address to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0: any free one).")] = 8765,
    max_texts: Annotated[int, typer.Option(min=1, help="Texts per request at most.")] = 256,
    max_chars: Annotated[int, typer.Option(min=1, help="Characters per text at most.")] = 200_000,
) -> None:
    """Serve classifiers over HTTP on this machine: POST /v1/classify, GET /health.

    The classifiers load once and stay warm. Requests: {"texts": [...], "classifier": NAME}; answers: P(PII), the decision and where the PII is, per text. Too many or too long texts get 413, malformed requests 422, each with a one-line reason that never quotes a text. Requests are not logged.
    """
    from importlib.util import find_spec

    if not (find_spec("fastapi") and find_spec("uvicorn")):
        raise ConfigError("pii serve needs the serve extra: pip install -e '.[serve]'")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(f"--host '{host}': give an IP address, e.g. 127.0.0.1") from None
    if not address.is_loopback:
        err.print(f"note: listening on {host}: other machines can send texts to this server")
    kinds = list(dict.fromkeys(classifier or ["adapter"]))
    import uvicorn

    from pii.api import load
    from pii.classifiers.registry import check
    from pii.serve import Limits, create_app

    check(kinds)
    loaded = {}
    for kind in kinds:
        err.print(f"loading {kind} ...")
        loaded[kind] = load(kind, model)
    app = create_app(loaded, Limits(max_texts=max_texts, max_chars=max_chars))
    # The socket is made here: the network guard refuses name lookups, and none is needed.
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        raise ConfigError(
            f"cannot listen on {host}:{port} ({e.strerror}); choose another --port"
        ) from None
    bound = sock.getsockname()[1]
    err.print(f"serving {', '.join(kinds)} on http://{host}:{bound} (Ctrl-C stops)")
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
