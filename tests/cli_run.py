"""The `stisync` command run in the test's own process: what it prints and its exit code, as
an admin would see them, without starting an interpreter for each call (seconds on a busy
machine). Its logging set-up is skipped, so that it leaves pytest's handlers alone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from stisync import cli


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def run_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    config: Path,
    *argv: str,
) -> Done:
    monkeypatch.setattr(cli, "setup_logging", lambda *a, **k: None)
    monkeypatch.setattr(cli, "add_file_log", lambda *a, **k: None)
    capsys.readouterr()  # what came before is not this command's
    try:
        code = cli.main(["--config", str(config), *argv])
    except SystemExit as exc:  # argparse refusing the arguments
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return Done(code, out, err)
