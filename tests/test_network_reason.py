"""Network failures are described in a few words, not urllib3's nested wrappers."""

from __future__ import annotations

import socket

import pytest
import requests

from connectors.errors import network_reason


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_reads_connection_refused() -> None:
    with pytest.raises(requests.ConnectionError) as info:
        requests.get(f"http://127.0.0.1:{_free_port()}/", timeout=2)
    assert network_reason(info.value) == "Connection refused"


def test_a_read_timeout_reads_timed_out() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with pytest.raises(requests.Timeout) as info:
            requests.get(f"http://127.0.0.1:{port}/", timeout=0.3)
    assert network_reason(info.value) == "timed out"


def test_other_errors_keep_their_own_text_but_short() -> None:
    assert network_reason(ValueError("x" * 500)).endswith("...")
    assert len(network_reason(ValueError("x" * 500))) == 200
    assert network_reason(OSError("disk full")) == "disk full"
