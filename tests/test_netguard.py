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
