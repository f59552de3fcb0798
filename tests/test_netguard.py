import socket
import urllib.request

import pytest

from pii import netguard
from pii.errors import NetworkBlockedError


def test_guard_blocks_connections_and_lookups_and_counts_them():
    before = netguard.attempts
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("93.184.216.34", 80), timeout=1)
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("huggingface.co", 443)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(NetworkBlockedError):
        s.connect(("127.0.0.1", 9))
    s.close()
    assert netguard.attempts == before + 3


def test_guard_catches_a_library_download():
    with pytest.raises(Exception) as info:
        urllib.request.urlopen("http://example.com", timeout=1)
    assert "network access blocked" in str(info.value)


def test_hub_libraries_are_offline():
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_unix_sockets_still_work(tmp_path):
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "s"))
    server.listen(1)
    client = socket.socket(socket.AF_UNIX)
    client.connect(str(tmp_path / "s"))
    client.close()
    server.close()


def test_models_pull_goes_online_for_that_command_and_fails_in_one_line(monkeypatch, tmp_path):
    """Regression: the guard's HF_HUB_OFFLINE=1 stayed set, so `models pull` could not pull."""
    import os

    import huggingface_hub
    from typer.testing import CliRunner

    from pii import netguard
    from pii.cli import app

    seen = {}

    def fake_download(repo_id, allow_patterns=None):
        seen["env"] = os.environ.get("HF_HUB_OFFLINE")
        seen["constant"] = huggingface_hub.constants.HF_HUB_OFFLINE
        seen["guard"] = netguard.active()
        return str(tmp_path / "snapshot")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    netguard.uninstall()
    netguard.install()  # as `pii` does at start-up
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_download)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    result = CliRunner().invoke(app, ["models", "pull", "some-org/some-model"])
    assert result.exit_code == 0, result.output
    assert seen == {"env": None, "constant": False, "guard": False}

    def unreachable(repo_id, allow_patterns=None):
        raise OSError("Temporary failure in name resolution\nmore")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    result = CliRunner().invoke(app, ["models", "pull", "some-org/some-model"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot download 'some-org/some-model'" in result.output
