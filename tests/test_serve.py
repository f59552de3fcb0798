"""`pii serve`: a real server on a free local port, a real HTTP client, bad requests that
get a 4xx with a one-line reason while the server keeps serving."""

import importlib.util
import json
import re
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("fastapi") is None, reason="the serve extra is not installed"
)

# The client runs in its own process: this test process keeps the network guard on.
CLIENT = """
import json, sys, urllib.request, urllib.error
url, body = sys.argv[1], sys.argv[2]
req = urllib.request.Request(url, data=None if body == "-" else body.encode(), method="GET" if body == "-" else "POST")
try:
    with urllib.request.urlopen(req, timeout=60) as r:
        print(r.status); print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())
"""
SECRET = "maria.lopez@brightmail.net"


def call(base, path, body="-"):
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, base + path, body], capture_output=True, text=True
    )
    status, _, text = done.stdout.partition("\n")
    return int(status), json.loads(text)


@pytest.fixture(scope="module")
def server():
    cmd = [sys.executable, "-m", "pii", "serve", "--classifier", "rules", "--classifier",
           "tfidf", "--port", "0", "--max-texts", "5", "--max-chars", "1000"]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lines, deadline = [], time.time() + 120
    while time.time() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        m = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        if m:
            break
        if proc.poll() is not None:
            pytest.fail("server exited: " + "".join(lines) + proc.stderr.read())
    else:
        proc.kill()
        pytest.fail("server did not start: " + "".join(lines))
    yield m.group(1), proc
    proc.terminate()
    proc.wait(timeout=30)


def test_health_and_classify(server):
    base, _ = server
    status, health = call(base, "/health")
    assert status == 200 and health["classifiers"] == ["rules", "tfidf"]
    text = "Nothing here. " * 50 + f"Write to {SECRET}."
    status, answer = call(base, "/v1/classify", json.dumps({"texts": [text, "Blue sky."]}))
    assert status == 200 and answer["classifier"] == "rules"
    first, second = answer["results"]
    assert first["has_pii"] and not second["has_pii"]
    (match,) = [m for m in first["matches"] if m["type"] == "EMAIL"]
    assert text[match["start"] : match["end"]] == SECRET
    status, other = call(
        base, "/v1/classify", json.dumps({"texts": ["Blue sky."], "classifier": "tfidf"})
    )
    assert status == 200 and other["classifier"].startswith("tfidf")


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ('{"texts": [broken', 422, "malformed JSON"),
        ('["a list"]', 422, "expected a JSON object"),
        ('{"texts": "one"}', 422, "must be a list"),
        ('{"texts": []}', 422, "is empty"),
        ('{"texts": ["ok", 7]}', 422, "texts[1]: expected a string"),
        ('{"texts": ["ok", "  "]}', 422, "texts[1]: empty text"),
        (json.dumps({"texts": ["x"] * 6}), 413, "over the limit of 5"),
        (json.dumps({"texts": [SECRET + "x" * 1000]}), 413, "over the limit of 1,000"),
        ('{"texts": ["ok"], "classifier": "adapter"}', 422, "not served here"),
        ('{"texts": ["ok"], "extra": 1}', 422, "unknown field"),
    ],
)
def test_bad_requests_get_a_one_line_reason_and_the_server_keeps_serving(
    server, body, status, reason
):
    base, proc = server
    got, answer = call(base, "/v1/classify", body)
    assert got == status and reason in answer["detail"]
    assert "\n" not in answer["detail"] and SECRET not in answer["detail"]
    assert call(base, "/health")[0] == 200 and proc.poll() is None
