"""The province a config names: current or pre-2025 codes and names all stand for the unit the
province is part of since 2025-07-01; a legacy source names the former unit it comes from."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sync.config import ConfigError, load_config

CONFIG = """
province = {province}

[national]
url = "http://127.0.0.1:8450/api"
client_id = "tinh"
client_secret_env = "TEST_NATIONAL_SECRET"

[sources.qlkh]
kind = "spreadsheet"
mapping = "m.toml"
connector = {{ path = "nv.csv", id_column = "Mã số" }}
{extra}
"""


def _load(tmp_path: Path, province: str, extra: str = "") -> object:
    (tmp_path / "m.toml").write_text("[mapping]\nnamespace = 'q'\n", encoding="utf-8")
    path = tmp_path / "stisync.toml"
    path.write_text(CONFIG.format(province=province, extra=extra), encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize(("written", "code"), [
    pytest.param('"52"', "52", id="current-code"),
    pytest.param("52", "52", id="code-as-a-number"),
    pytest.param('"64"', "52", id="old-gia-lai-code"),
    pytest.param('"Gia Lai"', "52", id="current-name"),
    pytest.param('"Bình Định"', "52", id="old-name-whose-code-was-kept"),
    pytest.param('"tỉnh kon tum"', "51", id="old-name-any-case-with-prefix"),
    pytest.param('"Ba Ria - Vung Tau"', "79", id="old-name-without-marks"),
    pytest.param('"TP.HCM"', "79", id="common-abbreviation"),
    pytest.param('"6"', "19", id="one-digit-old-code"),
])
def test_the_province_is_its_current_unit(tmp_path: Path, written: str, code: str) -> None:
    assert _load(tmp_path, written).province == code  # type: ignore[attr-defined]


def test_a_pre_merger_province_is_named_in_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sync.config"):
        _load(tmp_path, '"Kon Tum"')
    [line] = [r.getMessage() for r in caplog.records]
    assert "Kon Tum" in line and "62" in line and "Quảng Ngãi" in line and "51" in line


def test_a_current_province_makes_no_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sync.config"):
        _load(tmp_path, '"51"')
    assert caplog.records == []


@pytest.mark.parametrize("written", ['"99"', '"Hà Tây"', '"Bắc Trung Bộ"', '""', "100"])
def test_an_unknown_province_is_refused(tmp_path: Path, written: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, written)
    assert err.value.key == "province"


@pytest.mark.parametrize(("former", "code"), [
    ('"62"', "62"), ('"Kon Tum"', "62"), ('"Quảng Ngãi"', "51"), ("51", "51"),
])
def test_a_legacy_source_names_the_former_unit(tmp_path: Path, former: str, code: str) -> None:
    config = _load(tmp_path, '"51"', f"former_province = {former}")
    assert config.source("qlkh").former_province == code  # type: ignore[attr-defined]


def test_a_legacy_source_of_another_province_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, '"52"', 'former_province = "Kon Tum"')
    assert err.value.key == "sources.qlkh.former_province"
    assert "Kon Tum (62) is part of Quảng Ngãi (51)" in str(err.value)


@pytest.mark.parametrize("former", ['"Hà Tây"', '"99"', "true"])
def test_an_unknown_former_province_is_refused(tmp_path: Path, former: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, '"52"', f"former_province = {former}")
    assert err.value.key == "sources.qlkh.former_province"
