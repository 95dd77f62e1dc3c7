"""The `stisync` command as an admin runs it: exit codes, output in Vietnamese (English with
`--lang en` or STISYNC_LANG=en), and errors without tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sync.state.db import StateDB
from sync.state.locks import SourceLease
from tests.e2e import e2e_env

pytestmark = pytest.mark.slow


def stisync(
    config: Path, *args: str, timeout: float = 120, lang_env: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if lang_env is not None:
        env["STISYNC_LANG"] = lang_env
    return subprocess.run(
        [sys.executable, "-m", "stisync", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        encoding="utf-8",
        check=False,
        env=env,
    )


def test_sync_status_logs_and_quarantine_from_the_command_line(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        first = stisync(env.config, "sync")
        assert first.returncode == 1, first.stderr  # some rows were held back
        assert "tinh-csv: thành công (lượt chạy " in first.stdout
        assert "đọc 20, tạo mới 20" in first.stdout
        assert "tinh-xlsx: thành công một phần" in first.stdout
        assert "Traceback" not in first.stderr

        assert stisync(env.config, "sync", "tinh-csv").returncode == 0

        runs = json.loads(stisync(env.config, "logs", "--format", "json").stdout)
        assert [r["source"] for r in runs][:2] == ["tinh-csv", "tinh-api"]
        assert {r["status"] for r in runs} == {"succeeded", "partial"}
        partial = next(r for r in runs if r["status"] == "partial")
        assert partial["counts"]["invalid"] == 2

        detail = stisync(env.config, "logs", str(partial["run"]))
        assert detail.returncode == 0
        lines = detail.stdout.splitlines()
        assert lines[0].startswith(
            f"Lượt chạy {partial['run']} của nguồn tinh-xlsx (chạy tay): thành công một phần, "
        )
        assert lines[1] == "Số lượng: đọc 17, tạo mới 15, không hợp lệ 2"
        held_line = next(line for line in lines if "tinh-xlsx:DM-2024-016" in line)
        assert held_line.startswith("không hợp lệ")
        assert "tệp danh-muc.xlsx, trang tính Danh mục, dòng 20" in held_line
        assert "Cấp vùng" in held_line and "nhãn không có trong danh mục" in held_line

        # CSV and JSON are for programs: stored values and English counts, in either language.
        csv_out = stisync(env.config, "logs", "--source", "tinh-xlsx", "--format", "csv").stdout
        assert csv_out.splitlines()[0].startswith("run,source,trigger,status")
        assert ",manual,partial," in csv_out and "fetched 17" in csv_out

        failed_only = json.loads(
            stisync(env.config, "logs", "--status", "failed", "--format", "json").stdout
        )
        assert failed_only == []

        status = stisync(env.config, "status").stdout
        assert status.startswith("nguồn ") and "lịch chạy" in status and "cách ly" in status
        xlsx_line = next(line for line in status.splitlines() if line.startswith("tinh-xlsx"))
        assert "thành công một phần" in xlsx_line and "cron 0 2 * * *" in xlsx_line

        held = stisync(env.config, "quarantine", "--source", "tinh-xlsx")
        assert held.stdout.startswith("nguồn ") and " lý do " in held.stdout
        held_line = next(line for line in held.stdout.splitlines() if "DM-2024-017" in line)
        assert "không hợp lệ" in held_line and "title" in held_line
        as_json = json.loads(stisync(env.config, "quarantine", "--format", "json").stdout)
        assert {q["record_id"] for q in as_json} == {"DM-2024-016", "DM-2024-017"}


def test_english_with_the_option_or_the_environment(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url) as env:
        first = stisync(env.config, "--lang", "en", "sync")
        assert first.returncode == 1, first.stderr
        assert "tinh-csv: succeeded (run 1): fetched 20, created 20" in first.stdout
        assert "tinh-xlsx: partial (run 2): fetched 17, created 15, invalid 2" in first.stdout

        runs = stisync(env.config, "logs", lang_env="en").stdout.splitlines()
        assert re.fullmatch(r"run\s+source\s+trigger\s+status\s+started\s+finished.*", runs[0])
        assert re.match(r"2\s+tinh-xlsx\s+manual\s+partial\s", runs[3])

        detail = stisync(env.config, "--lang", "en", "logs", "2", lang_env="vi").stdout
        assert detail.startswith("run 2 of tinh-xlsx (manual): partial, ")
        held_line = next(line for line in detail.splitlines() if "DM-2024-016" in line)
        assert held_line.startswith("invalid") and "label not in code list" in held_line

        status = stisync(env.config, "status", lang_env="en").stdout
        assert status.startswith("source ") and "quarantined" in status
        xlsx_line = next(line for line in status.splitlines() if line.startswith("tinh-xlsx"))
        assert " partial " in xlsx_line and " yes " in xlsx_line


def test_dry_run_prints_the_plan_and_exits_by_what_it_found(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url) as env:
        out = stisync(env.config, "sync", "tinh-csv", "--dry-run")
        assert out.returncode == 0
        assert out.stdout.startswith("tinh-csv: chạy thử, không gửi gì: đọc 20, chờ gửi 20\n")
        assert re.fullmatch(r"thao tác\s+bản ghi\s+lý do\s+vị trí", out.stdout.splitlines()[1])
        assert out.stdout.count("\ntạo mới ") == 20 and out.stdout.count("bản ghi mới") == 20
        english = stisync(env.config, "--lang", "en", "sync", "tinh-csv", "--dry-run")
        assert english.stdout.startswith("tinh-csv: dry run, nothing sent: fetched 20, queued 20")
        assert english.stdout.count("\ncreate ") == 20 and "new record" in english.stdout
        assert env.national() == {}


@pytest.mark.parametrize(
    "args, message",
    [
        (("sync", "nope"), "không có nguồn này; các nguồn đã cấu hình: tinh-csv, tinh-xlsx, "
         "tinh-api"),
        (("sync", "nope"), "Lỗi cấu hình: "),
        (("--lang", "en", "sync", "nope"), "Configuration error: "),
        (("--lang", "en", "sync", "nope"),
         "no such source; configured sources: tinh-csv, tinh-xlsx, tinh-api"),
        (("logs", "999"), "Lỗi: không có lượt chạy số 999"),
        (("--lang", "en", "logs", "999"), "Error: no run 999"),
    ],
    ids=[
        "unknown-source",
        "unknown-source-vi",
        "unknown-source-en",
        "unknown-source-en-detail",
        "unknown-run",
        "unknown-run-en",
    ],
)
def test_mistakes_end_with_code_2_and_a_message(
    tmp_path: Path, state_url: str, args: tuple[str, ...], message: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        out = stisync(env.config, *args)
        assert out.returncode == 2
        assert message in out.stderr and "Traceback" not in out.stderr


def test_a_broken_config_names_file_and_key_and_nothing_runs(tmp_path: Path) -> None:
    config = tmp_path / "stisync.toml"
    config.write_text(
        'province = "52"\n[national]\nurl = "http://127.0.0.1:9/api"\nauth = "magic"\n',
        encoding="utf-8",
    )
    out = stisync(config, "sync")
    assert out.returncode == 2
    assert f"Lỗi cấu hình: {config}: national.auth: phải là" in out.stderr
    assert "Traceback" not in out.stderr
    missing = stisync(tmp_path / "none.toml", "status")
    assert missing.returncode == 2 and "không tìm thấy tệp cấu hình" in missing.stderr


def test_the_national_side_down_exits_2(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url, max_attempts=1, max_retry_seconds=1) as env:
        env.sim.set_faults(down=True)
        out = stisync(env.config, "sync", "tinh-csv")
        assert out.returncode == 2
        assert "tinh-csv: thất bại" in out.stdout
        assert "  Hệ thống quốc gia không sẵn sàng (các bản ghi chờ gửi ở lượt chạy sau): " \
            "API quốc gia POST" in out.stdout


def test_a_manual_sync_of_a_busy_source_refuses_or_waits(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url) as env:
        db = StateDB(state_url)
        lease = SourceLease(db, "tinh-csv")
        lease.acquire()
        refused = stisync(env.config, "sync", "tinh-csv", "--no-wait")
        assert refused.returncode == 2
        assert "tinh-csv: thất bại" in refused.stdout
        assert "đang được một lượt khác đồng bộ" in refused.stdout
        assert env.national() == {}
        threading.Timer(2.0, lease.release).start()
        waited = stisync(env.config, "sync", "tinh-csv", "--wait", "60")
        assert waited.returncode == 0, waited.stdout + waited.stderr
        assert "tạo mới 20" in waited.stdout
        db.dispose()
