"""`stisync demo`, the README's "run it" command, as a new user meets it: on a fresh folder it
syncs three sources to the simulator, holds back the one bad row, and every command it tells
the user to try next works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STISYNC_")}
    return subprocess.run(
        [sys.executable, "-m", "stisync", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=240,
        check=False,
        cwd=cwd,
        env=env,
    )


def test_the_demo_syncs_its_sources_and_its_suggested_commands_work(tmp_path: Path) -> None:
    out = run(tmp_path, "demo", "--dir", "demo")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    # Vietnamese unless asked otherwise: the admins are a province's staff.
    assert text.startswith("Đang tạo bản chạy thử trong ")
    assert re.search(r"so-khcn-csv\s+có.*thành công.*đọc 20, tạo mới 20", text)
    assert re.search(r"so-khcn-xlsx\s+có.*thành công một phần.*tạo mới 15, không hợp lệ 1", text)
    assert re.search(r"qlkh-api\s+có.*thành công.*tạo mới 15", text)
    # The held-back row is named where its owner can find it.
    assert "tệp danh-muc-2024.xlsx, trang tính Danh mục, dòng 20" in text
    assert "“Cấp vùng”" in text
    assert "bản ghi đó bị cách ly, có ghi rõ trang tính, dòng và cột" in text

    suggested = re.findall(r"^  stisync (.+)$", text, flags=re.M)
    assert len(suggested) >= 5, text
    for line in suggested:
        got = run(tmp_path, *line.split())
        # validate finds the bad row (exit 1); every other command just shows what happened
        expected = 1 if " validate " in f" {line} " else 0
        assert got.returncode == expected, (line, got.stdout, got.stderr)
        assert "Traceback" not in got.stderr, (line, got.stderr)
    report = tmp_path / "bao-cao.html"
    assert report.is_file()
    assert "Cấp vùng" in report.read_text(encoding="utf-8")


def test_the_demo_in_english_suggests_commands_that_answer_in_english(tmp_path: Path) -> None:
    out = run(tmp_path, "--lang", "en", "demo", "--dir", "demo")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("Writing a demo set-up to ")
    assert re.search(r"so-khcn-xlsx\s+yes.*partial.*created 15, invalid 1", text)
    assert "What happened: three provincial sources" in text
    assert "danh-muc-2024.xlsx, sheet Danh mục, row 20" in text
    suggested = re.findall(r"^  stisync (.+)$", text, flags=re.M)
    assert suggested and all(line.startswith("--lang en --config ") for line in suggested)
    status = run(tmp_path, *suggested[0].split())
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("source ") and " partial " in status.stdout
