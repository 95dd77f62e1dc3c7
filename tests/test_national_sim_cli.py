"""`stisync national-sim`: its options, the demo credential, and serving until stopped."""

from __future__ import annotations

import argparse
import io
import socket
from pathlib import Path

import pytest
import requests

from national_sim import Client
from national_sim.cli import add_arguments, build_config, run, serve
from national_sim.context import SimConfig
from stisync.wsgi import BackgroundServer


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="stisync national-sim")
    add_arguments(parser)
    return parser.parse_args(argv)


def test_without_credentials_a_demo_client_is_generated_and_explained(tmp_path: Path) -> None:
    out = io.StringIO()
    config = build_config(_parse("--data", str(tmp_path)), out)
    (client,) = config.clients
    assert (client.client_id, client.province) == ("tinh-52-demo", "52")
    text = out.getvalue()
    assert client.client_secret in text
    assert 'client_id = "tinh-52-demo"' in text
    assert "client_secret_env" in text
    assert config.data_dir == tmp_path


def test_given_credentials_and_faults_are_used_as_given(tmp_path: Path) -> None:
    out = io.StringIO()
    args = _parse("--data", str(tmp_path), "--client", "tinh-01:s3cr:et:01", "--token",
                  "gw-key:79", "--token", "staff-key:*", "--failure-rate", "0.2",
                  "--retry-after", "3", "--latency", "0.5", "--reject", "a:1", "--reject", "b/2",
                  "--token-ttl", "60", "--seed", "9")
    config = build_config(args, out)
    assert out.getvalue() == ""
    assert config.clients == (Client("tinh-01", "s3cr:et", "01"),)
    assert config.static_tokens == {"gw-key": "79", "staff-key": "*"}
    assert config.token_ttl == 60
    f = config.faults
    assert (f.failure_rate, f.retry_after, f.latency, f.seed) == (0.2, 3, 0.5, 9)
    assert f.reject_ids == {"a:1", "b/2"}


@pytest.mark.parametrize(("argv", "words"), [
    (["--client", "only-an-id"], "ID:SECRET:PROVINCE"),
    (["--client", "id:secret:99"], "'99' is not one of the 34"),
    (["--token", "key:1"], "'1' is not one of the 34"),
    (["--demo-province", "00"], "'00' is not one of the 34"),
    (["--failure-rate", "often"], "invalid float value"),
], ids=["client-without-parts", "client-unknown-province", "token-unknown-province",
        "demo-unknown-province", "rate-not-a-number"])
def test_bad_options_stop_with_a_message(argv: list[str], words: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parse(*argv)
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err


def test_fault_option_out_of_range_ends_run_with_2(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = run(_parse("--data", str(tmp_path), "--failure-rate", "1.5", "--token", "k:52"))
    assert code == 2
    assert "failure_rate" in capsys.readouterr().err


def test_serve_prints_its_url_and_answers_there(tmp_path: Path) -> None:
    out = io.StringIO()
    seen: list[dict[str, str]] = []

    def call_health(server: BackgroundServer) -> None:
        seen.append(requests.get(f"{server.url}/api/v1/health", timeout=10).json())

    config = SimConfig(data_dir=tmp_path / "sim", clients=(Client("c", "s", "52"),))
    assert serve(config, "127.0.0.1", 0, out=out, wait=call_health) == 0
    assert seen == [{"status": "ok"}]
    assert "National API simulator serving on http://127.0.0.1:" in out.getvalue()
    assert "/api " in out.getvalue()
    assert (tmp_path / "sim" / "national-sim.sqlite3").is_file()


def test_serve_on_a_busy_port_ends_with_1(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = SimConfig(data_dir=tmp_path)
        assert serve(config, "127.0.0.1", port, out=io.StringIO(), wait=lambda s: None) == 1
    assert f"127.0.0.1:{port}" in capsys.readouterr().err


def test_serve_with_an_unusable_data_folder_ends_with_2(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    assert serve(SimConfig(data_dir=blocker), "127.0.0.1", 0, wait=lambda s: None) == 2
    assert "cannot use the data folder" in capsys.readouterr().err
