"""`stisync check SOURCE`: a sample mapped and validated, shown as it would be sent, with
nothing written anywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e import e2e_env

pytestmark = pytest.mark.slow


def check(config: Path, *args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    """`stisync check`, in the default language unless `lang` is given."""
    options = ["--lang", lang] if lang else []
    return subprocess.run(
        [sys.executable, "-m", "stisync", *options, "--config", str(config), "check", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        encoding="utf-8",
    )


def test_check_shows_records_and_problems_and_writes_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state" / "never.sqlite"
    with e2e_env(tmp_path, f"sqlite:///{state}") as env:
        ok = check(env.config, "tinh-csv", "--limit", "3")
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.count("— hợp lệ\n") == 3
        assert '"local_id": "tinh-csv:NV-2023-001"' in ok.stdout
        assert ok.stdout.endswith(
            "tinh-csv: đã đọc 3 bản ghi, 3 bản ghi hợp lệ; không ghi gì, không gửi gì\n"
        )

        bad = check(env.config, "tinh-xlsx", "--limit", "20", "--format", "json")
        assert bad.returncode == 1
        sample = json.loads(bad.stdout)
        assert (len(sample["records"]), sample["valid"]) == (17, 15)
        held = {r["record_id"]: r for r in sample["records"] if r["problems"]}
        assert set(held) == {"DM-2024-016", "DM-2024-017"}
        assert held["DM-2024-016"]["where"] == "danh-muc.xlsx, sheet Danh mục, row 20"
        assert held["DM-2024-016"]["problems"][0]["column"] == "D"

        english = check(env.config, "tinh-xlsx", "--limit", "20", lang="en")
        assert english.returncode == 1
        assert english.stdout.count("— 1 problem(s)\n") == 2
        assert "  ✗ management_level: unknown_label: " in english.stdout
        assert "label not in code list" in english.stdout
        assert "tinh-xlsx: 17 record(s) read, 15 valid; nothing written or sent" in english.stdout

        api = check(env.config, "tinh-api", "--limit", "2")
        assert api.returncode == 0 and "đã đọc 2 bản ghi, 2 bản ghi hợp lệ" in api.stdout

        assert not state.exists()  # no state database was even created
        assert env.sim.stats()["requests"]["total"] == 0  # the national side never heard of it


def test_check_of_an_unreachable_source_says_so(tmp_path: Path) -> None:
    with e2e_env(tmp_path, f"sqlite:///{tmp_path / 's.sqlite'}") as env:
        env.provincial.stop()
        out = check(env.config, "tinh-api")
        assert out.returncode == 2
        assert "Lỗi: không đọc được nguồn: tinh-api: cannot reach" in out.stderr
        assert "Traceback" not in out.stderr
