"""Legacy-encoded cells through a whole sync: converted before mapping, sent as Unicode, the
original kept beside the record for audit and never sent; the per-source text_encoding setting."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from schemas.mapping import parse_mapping
from schemas.mapping.legacy import SourceText
from schemas.mapping.mapper import map_record
from stisync.demo_data import make_tasks, write_csv
from sync.config import ConfigError, load_config
from sync.sample import sample_source
from sync.state.models import RecordEvent
from tests.e2e import e2e_env
from tests.legacy_text import tcvn3

# (Unicode, as a reader of a legacy-font workbook shows it)
VNI_TITLE = ("Nghiên cứu khoa học về giống lúa", "Nghieân cöùu khoa hoïc veà gioáng luùa")
VNI_HOST = ("Viện Nghiên cứu Nông nghiệp", "Vieän Nghieân cöùu Noâng nghieäp")


def _legacy_csv(path: Path) -> dict[str, tuple[str, str]]:
    """A CSV whose rows 1-3 were typed in TCVN3, 4 in VNI and the rest in Unicode; returns
    record id -> (Unicode title, title as in the file)."""
    tasks = make_tasks("NV", 8, seed=11, year=2023)
    expected = {}
    out = []
    for i, t in enumerate(tasks):
        if i < 3:
            shown = replace(t, title=tcvn3(t.title), host=tcvn3(t.host),
                            investigator=tcvn3(t.investigator))
            expected[t.code] = (t.title, shown.title)
        elif i == 3:
            shown = replace(t, title=VNI_TITLE[1], host=VNI_HOST[1])
            expected[t.code] = (VNI_TITLE[0], shown.title)
        else:
            shown = t
            expected[t.code] = (t.title, t.title)
        out.append(shown)
    write_csv(path, out)
    return expected


def test_legacy_cells_are_sent_as_unicode_and_kept_as_they_were(
        tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url) as env:
        titles = _legacy_csv(env.csv_path)
        result = env.sync("tinh-csv")["tinh-csv"]
        assert result.counts["created"] == 8, result

        national = env.national()
        for code, (title, _) in titles.items():
            record = national[f"tinh-csv:{code}"].record
            assert record["title"] == title
            assert "originals" not in json.dumps(record)
        # The TCVN3 rows' investigators lost their titles like any other name.
        first = national[f"tinh-csv:{next(iter(titles))}"].record
        assert "." not in first["principal_investigator"]["full_name"]

        db = env.db()
        try:
            with db.session() as s:
                events = {e.record_id: e for e in s.scalars(select(RecordEvent))}
        finally:
            db.dispose()
        for i, (code, (_, shown)) in enumerate(titles.items()):
            originals = events[code].originals
            if i < 3:
                assert originals is not None
                assert originals["Tên nhiệm vụ"] == {"value": shown, "encoding": "tcvn3"}
                assert originals["Chủ nhiệm"]["encoding"] == "tcvn3"
            elif i == 3:
                assert originals == {
                    "Tên nhiệm vụ": {"value": VNI_TITLE[1], "encoding": "vni"},
                    "Tổ chức chủ trì": {"value": VNI_HOST[1], "encoding": "vni"},
                }
            else:
                assert originals is None

        # Converting is part of reading: a second sync finds nothing changed.
        again = env.sync("tinh-csv")["tinh-csv"]
        assert (again.counts["created"], again.counts["updated"]) == (0, 0)
        assert again.counts["unchanged"] == 8
        assert set(env.writes().values()) == {1}


def test_check_shows_what_was_converted(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url) as env:
        titles = _legacy_csv(env.csv_path)
        sample = sample_source(load_config(env.config), "tinh-csv", limit=5)
        assert sample.error is None
        first, *_, vni = sample.records[:4]
        code = next(iter(titles))
        assert first.record["title"] == titles[code][0]
        assert first.originals["Tên nhiệm vụ"] == {"value": titles[code][1], "encoding": "tcvn3"}
        assert vni.originals["Tên nhiệm vụ"]["encoding"] == "vni"
        assert sample.records[4].originals == {}


@pytest.mark.parametrize(("setting", "kept"), [
    ("auto", "auto"), ("TCVN3", "tcvn3"), ("abc", "tcvn3"), ("VNI-Windows", "vni"),
    ("windows-1258", "cp1258"), ("viqr", "viqr"), ("unicode", "unicode"),
])
def test_text_encoding_setting(tmp_path: Path, state_url: str, setting: str, kept: str) -> None:
    extra = f'text_encoding = "{setting}"'
    with e2e_env(tmp_path, state_url, csv_extra=extra) as env:
        assert load_config(env.config).source("tinh-csv").text_encoding == kept


def test_an_unknown_text_encoding_is_a_config_error_naming_the_key(
        tmp_path: Path, state_url: str) -> None:
    with (e2e_env(tmp_path, state_url, csv_extra='text_encoding = "utf-16"') as env,
          pytest.raises(ConfigError) as err):
        load_config(env.config)
    message = str(err.value)
    assert "sources.tinh-csv.text_encoding" in message
    assert "utf-16" in message and "tcvn3" in message


MAPPING = parse_mapping(
    '[mapping]\nschema_version = "1"\nnamespace = "t"\n[fields]\ntitle = "Tên"\n'
    '"host_organization.name" = "Đơn vị"\n',
    name="m.toml",
)


def test_a_named_encoding_reads_what_auto_leaves_alone() -> None:
    # "Sè TT" is Vietnamese both ways: only a source known (or found) to be TCVN3 reads it so.
    cell = {"Tên": "Sè TT", "Đơn vị": "So KH"}
    assert map_record(MAPPING, cell, "1").record["title"] == "Sè TT"
    named = map_record(MAPPING, cell, "1", text=SourceText("tcvn3"))
    assert named.record["title"] == "Số TT"
    assert named.originals["Tên"] == {"value": "Sè TT", "encoding": "tcvn3"}


def test_the_records_own_cells_decide_its_ambiguous_ones() -> None:
    # One person typed a row in one font: "Së KH&CN" can only be TCVN3, so "Sè TT" is too.
    row = map_record(MAPPING, {"Tên": "Sè TT", "Đơn vị": "Së KH&CN"}, "1")
    assert (row.record["title"], row.record["host_organization"]["name"]) == (
        "Số TT", "Sở KH&CN")


def test_a_unicode_row_of_a_legacy_source_keeps_its_ambiguous_cells() -> None:
    # "Khá" is Unicode, or TCVN3 for "Khỏ": beside "Ứng dụng" (no legacy byte gives "ụ") the
    # row is Unicode, whatever the rest of the source was typed in.
    text = SourceText()
    map_record(MAPPING, {"Tên": tcvn3("Nghiên cứu khoa học"), "Đơn vị": "x"}, "1", text=text)
    assert text.hint == "tcvn3"
    row = map_record(MAPPING, {"Tên": "Ứng dụng", "Đơn vị": "Khá"}, "2", text=text)
    assert row.record["host_organization"]["name"] == "Khá"
    assert row.originals == {}


def test_a_row_without_evidence_takes_the_encoding_found_in_the_source() -> None:
    text = SourceText()
    map_record(MAPPING, {"Tên": tcvn3("Nghiên cứu khoa học"), "Đơn vị": "x"}, "1", text=text)
    later = map_record(MAPPING, {"Tên": "Sè TT", "Đơn vị": "x"}, "2", text=text)
    assert later.record["title"] == "Số TT"


def test_unicode_setting_never_converts() -> None:
    cell = {"Tên": tcvn3("Nghiên cứu"), "Đơn vị": "x"}
    result = map_record(MAPPING, cell, "1", text=SourceText("unicode"))
    assert result.record["title"] == cell["Tên"]
    assert result.originals == {}


def test_good_unicode_and_decomposed_text_are_not_recorded_as_converted() -> None:
    cell = {"Tên": "Nghie\u0302n cu\u031bu", "Đơn vị": "Viện Hóa học"}
    result = map_record(MAPPING, cell, "1")
    assert result.record["title"] == "Nghiên cưu"
    assert result.originals == {}
