"""A fake model hub on 127.0.0.1: a model folder served in the Hugging Face hub's layout, so
`pii models pull` and `--model ORG/NAME` run end to end with no network (the hub library is
pointed at it with HF_ENDPOINT). It answers what the hub library asks while downloading a
snapshot: the repo's revision, its file tree, and each file's bytes and metadata (HEAD and
GET on /ORG/NAME/resolve/REV/PATH); every request is recorded.

    with serve({"org/name": folder}) as (endpoint, requests):
        ...  # HF_ENDPOINT=endpoint
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _handler(repos: dict[str, dict[str, bytes]], log: list[str]) -> type[BaseHTTPRequestHandler]:
    class Hub(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _send(self, code: int, body: bytes, headers: dict[str, str], head: bool) -> None:
            self.send_response(code)
            for k, v in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(k, v)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _json(self, obj: object, head: bool) -> None:
            self._send(200, json.dumps(obj).encode(), {"Content-Type": "application/json"}, head)

        def _answer(self, head: bool) -> None:
            path = unquote(urlparse(self.path).path)
            log.append(f"{self.command} {path}")
            for repo, files in repos.items():
                api = f"/api/models/{repo}/"
                if path.startswith(api + "revision/"):
                    siblings = [{"rfilename": name} for name in files]
                    return self._json({"id": repo, "sha": COMMIT, "siblings": siblings}, head)
                if path.startswith(api + "tree/"):
                    tree = [
                        {
                            "type": "file",
                            "path": name,
                            "size": len(data),
                            "oid": hashlib.sha1(data).hexdigest(),
                        }  # fmt: skip
                        for name, data in files.items()
                    ]
                    return self._json(tree, head)
                prefix = f"/{repo}/resolve/"
                if path.startswith(prefix):
                    name = path[len(prefix) :].split("/", 1)[1]
                    if name in files:
                        data = files[name]
                        headers = {
                            "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
                            "X-Repo-Commit": COMMIT,
                            "Content-Type": "application/octet-stream",
                        }
                        return self._send(200, data, headers, head)
            self._send(404, b'{"error": "not found"}', {"X-Error-Code": "EntryNotFound"}, head)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(head=True)

    return Hub


@contextmanager
def serve(models: dict[str, Path]) -> Iterator[tuple[str, list[str]]]:
    """Serve each folder as hub repo `org/name` on a free port; yields (endpoint, requests)."""
    log: list[str] = []
    repos = {repo: _files(Path(folder)) for repo, folder in models.items()}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(repos, log))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()
