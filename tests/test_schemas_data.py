"""The code tables carried in schemas/data: complete, consistent and unambiguous."""

from __future__ import annotations

import csv
import json
import unicodedata
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from schemas.codelists import (
    code_list,
    code_list_names,
    current_provinces,
    fold,
    former_provinces,
    qd12_2008_fields,
)

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "data"


def _data(name: str) -> Any:
    return json.loads((files("schemas") / "data" / name).read_text(encoding="utf-8"))


def _reference_csv(name: str) -> list[dict[str, str]]:
    path = REFERENCE / name
    if not path.is_file():
        pytest.skip(f"the shared reference table {name} is not beside this checkout")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("name", ["codelists.json", "qd12-2008-fields.json", "provinces.json"])
def test_every_string_in_the_data_is_nfc_and_trimmed(name: str) -> None:
    bad = [s for s in _strings(_data(name))
           if not unicodedata.is_normalized("NFC", s) or s != s.strip()]
    assert bad == []


# The code lists of record.md, in its order.
RECORD_MD_CODES = {
    "task_type": ["research_topic", "pilot_production_project", "science_scheme", "st_project",
                  "programme", "basic_survey", "other"],
    "management_level": ["national", "ministerial", "provincial", "grassroots"],
    "status": ["ongoing", "suspended", "accepted", "result_registered", "terminated"],
    "rating": ["excellent", "good", "pass", "fail"],
    "funding_method": ["lump_sum_final", "lump_sum_partial", "not_lump_sum"],
    "degree": ["TSKH", "TS", "ThS", "BSCKII", "BSCKI", "CN", "KS", "BS", "DS", "KTS", "other"],
    "academic_title": ["GS", "PGS"],
    "gender": ["male", "female"],
}


def test_the_code_lists_are_exactly_those_of_record_md() -> None:
    assert set(code_list_names()) == set(RECORD_MD_CODES)
    for name, codes in RECORD_MD_CODES.items():
        assert code_list(name).codes() == codes, name


@pytest.mark.parametrize("name", sorted(RECORD_MD_CODES))
def test_every_code_has_both_labels(name: str) -> None:
    for code in code_list(name):
        assert code.label_vi.strip() and code.label_en.strip(), code


@pytest.mark.parametrize("name", sorted(RECORD_MD_CODES))
@pytest.mark.parametrize("accents", [True, False], ids=["exact", "accent-insensitive"])
def test_no_label_or_synonym_folds_to_two_codes(name: str, accents: bool) -> None:
    seen: dict[str, str] = {}
    clashes = []
    for code in code_list(name):
        for label in code.labels():
            key = fold(label, accents=accents)
            if seen.setdefault(key, code.code) != code.code:
                clashes.append((label, seen[key], code.code))
    assert clashes == []


@pytest.mark.parametrize("name", sorted(RECORD_MD_CODES))
def test_every_label_and_synonym_matches_back_to_its_own_code(name: str) -> None:
    codes = code_list(name)
    wrong = [(label, c.code, codes.match_label(label))
             for c in codes for label in c.labels() if codes.match_label(label) != c.code]
    assert wrong == []


def test_decision_12_2008_has_6_fields_46_sectors_and_322_majors() -> None:
    levels = [f.level for f in qd12_2008_fields()]
    assert (levels.count(1), levels.count(2), levels.count(3)) == (6, 46, 322)


def test_decision_12_2008_codes_are_unique_and_sit_under_their_parents() -> None:
    fields = qd12_2008_fields()
    codes = [f.code for f in fields]
    assert len(codes) == len(set(codes))
    for f in fields:
        assert len(f.code) == 2 * f.level - 1 and f.code.isdigit(), f
        assert f.level == 1 or f.code[:-2] in codes, f"{f.code} has no parent"
        assert f.name_vi, f


def test_decision_12_2008_sectors_include_the_two_beyond_frascati() -> None:
    names = {f.code: f.name_vi for f in qd12_2008_fields()}
    assert "211" in names and "304" in names


def test_decision_12_2008_table_matches_the_reference_csv() -> None:
    rows = _reference_csv("qd12-2008-research-fields.csv")
    ours = [(f.code, f.level, f.name_vi, f.note_vi or "") for f in qd12_2008_fields()]
    theirs = [(r["code"], int(r["level"]), r["name_vi"].strip(), r["note_vi"].strip())
              for r in rows]
    assert ours == theirs


def test_there_are_34_current_and_63_former_provinces() -> None:
    assert len(current_provinces()) == 34
    assert len(former_provinces()) == 63


def test_every_former_province_maps_to_an_existing_current_one() -> None:
    current = current_provinces()
    orphans = {p.code: p.successor for p in former_provinces().values()
               if p.successor not in current}
    assert orphans == {}


def test_every_current_province_merged_exactly_the_former_ones_that_map_to_it() -> None:
    former = former_provinces()
    for p in current_provinces().values():
        assert p.merged_from, p
        assert all(former[old].successor == p.code for old in p.merged_from), p
        assert sorted(p.merged_from) == sorted(
            f.code for f in former.values() if f.successor == p.code), p


def test_a_merged_province_keeps_a_code_of_one_of_its_parts() -> None:
    assert all(p.code in p.merged_from for p in current_provinces().values())


def test_provinces_match_the_reference_csvs() -> None:
    now = _reference_csv("provinces-2025.csv")
    before = _reference_csv("provinces-before-2025.csv")
    assert {p.code: (p.name_vi, list(p.merged_from)) for p in current_provinces().values()} == {
        r["code"]: (r["name_vi"], r["merged_from_codes_before_2025_07_01"].split()) for r in now}
    assert {p.code: (p.name_vi, p.successor) for p in former_provinces().values()} == {
        r["code"]: (r["name_vi"], r["code_from_2025_07_01"]) for r in before}
