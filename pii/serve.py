"""`pii serve`: a local HTTP server that keeps classifiers loaded between requests.

    POST /v1/classify  {"texts": ["...", ...], "classifier": "adapter"}   (classifier optional)
      -> {"classifier": NAME, "threshold": T,
          "results": [{"p_pii", "has_pii", "windows", "span", "matches"}, ...]}
    GET  /health       -> {"status": "ok", "version", "classifiers", "default"}

Bound to 127.0.0.1 unless told otherwise; the process keeps the network guard on (the
listening socket is made here, so no name is looked up). Limits answer 413 (too many texts,
a text or a body too large) and bad requests 422, each with a one-line `detail` that never
quotes a text; requests are not logged. Requests are served one at a
time, on the event loop's thread (MLX keeps its streams per thread): a long request makes
the others, /health included, wait.

Left out: loading classifiers (pii.api) and the command line (pii.cli.serve).
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at
# definition time, and `Request` is imported inside create_app (fastapi is an extra).
import json
from dataclasses import asdict, dataclass
from typing import Any

from pii import __version__
from pii.api import Classifier
from pii.errors import PiiError


@dataclass(frozen=True)
class Limits:
    max_texts: int = 256  # texts in one request
    max_chars: int = 200_000  # characters in one text (about 2-3 minutes of the adapter on 2 cores)
    max_body: int = 8_000_000  # bytes in one request body


class RequestProblem(Exception):
    """A bad request: its HTTP status and a one-line reason (no text in it)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def parse(body: bytes, limits: Limits, known: list[str]) -> tuple[list[str], str | None]:
    """(texts, classifier name or None) from a request body, or RequestProblem."""
    if len(body) > limits.max_body:
        raise RequestProblem(413, f"request body over {limits.max_body:,} bytes")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise RequestProblem(422, "the body is not UTF-8") from None
    except ValueError as e:
        raise RequestProblem(422, f"malformed JSON (line {e.lineno}, column {e.colno})") from None
    if not isinstance(data, dict):
        raise RequestProblem(422, 'expected a JSON object: {"texts": ["...", ...]}')
    unknown = sorted(set(data) - {"texts", "classifier"})
    if unknown:
        raise RequestProblem(422, f"unknown field(s) {unknown}; use texts and classifier")
    texts = data.get("texts")
    if not isinstance(texts, list):
        raise RequestProblem(422, "'texts' must be a list of strings")
    if not texts:
        raise RequestProblem(422, "'texts' is empty; send at least one text")
    if len(texts) > limits.max_texts:
        raise RequestProblem(
            413, f"{len(texts):,} texts, over the limit of {limits.max_texts:,} a request"
        )
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise RequestProblem(422, f"texts[{i}]: expected a string, got {type(t).__name__}")
        if not t.strip():
            raise RequestProblem(422, f"texts[{i}]: empty text; nothing to classify")
        if len(t) > limits.max_chars:
            raise RequestProblem(
                413, f"texts[{i}]: {len(t):,} characters, over the limit of {limits.max_chars:,}"
            )
    name = data.get("classifier")
    if name is not None and name not in known:
        raise RequestProblem(
            422, f"classifier '{name}' is not served here; use one of {', '.join(known)}"
        )
    return texts, name


def create_app(classifiers: dict[str, Classifier], limits: Limits | None = None) -> Any:
    """The FastAPI application serving `classifiers` (kind -> loaded classifier); the first
    is the default."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    limits = limits or Limits()
    known = list(classifiers)
    app = FastAPI(title="pii", version=__version__, docs_url=None, redoc_url=None)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "classifiers": known, "default": known[0]}

    @app.post("/v1/classify")
    async def classify(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limits.max_body:
            return _problem(RequestProblem(413, f"request body over {limits.max_body:,} bytes"))
        try:
            texts, name = parse(await request.body(), limits, known)
        except RequestProblem as p:
            return _problem(p)
        kind = name or known[0]
        try:
            # On the event loop's own thread: MLX keeps its streams per thread, and the
            # models were loaded on this one. Requests are therefore served one at a time.
            results = [asdict(r) for r in classifiers[kind].classify(texts)]
        except PiiError as e:
            return _problem(RequestProblem(422, str(e).splitlines()[0]))
        clf = classifiers[kind]
        return JSONResponse(
            {"classifier": clf.name, "threshold": clf.threshold, "results": results}
        )

    return app


def _problem(p: RequestProblem) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse({"detail": p.detail}, status_code=p.status)
