"""The ready mappings for OAI-PMH sources: found by name, loaded whole, and what they make."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from schemas.mapping import Mapping, load_mapping, map_record, parse_mapping
from schemas.mapping.ready import ready_mapping_path, ready_mappings
from schemas.validate import validate

DATA = Path(__file__).parent / "data" / "oaipmh"
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
OAI = "{http://www.openarchives.org/OAI/2.0/}"


def test_the_ready_mappings_are_listed() -> None:
    assert ready_mappings() == ("oai_dc", "openaire_cerif_project")


@pytest.mark.parametrize("name", ["oai_dc", "oai_dc.toml", "openaire_cerif_project"])
def test_a_ready_mapping_is_found_by_name(name: str) -> None:
    path = ready_mapping_path(name)
    assert path.is_file() and path.name == name.removesuffix(".toml") + ".toml"


@pytest.mark.parametrize("name", ["dublin_core", "../ready/oai_dc", ""],
                         ids=["unknown", "a-path", "empty"])
def test_an_unknown_ready_mapping_lists_the_known_ones(name: str) -> None:
    with pytest.raises(LookupError, match=r"the ready mappings are: oai_dc, "
                       r"openaire_cerif_project"):
        ready_mapping_path(name)


@pytest.mark.parametrize("name", ["oai_dc", "openaire_cerif_project"])
def test_a_ready_mapping_loads_and_maps_every_required_field(
        name: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        load_mapping(ready_mapping_path(name))
    assert "maps no source to required field" not in caplog.text


@pytest.mark.parametrize("name", ["oai_dc", "openaire_cerif_project"])
def test_every_placeholder_is_marked_for_review(name: str) -> None:
    text = ready_mapping_path(name).read_text(encoding="utf-8")
    for field in ("task_type", "management_level", '"field.code"', "status"):
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{field} ="))
        assert "const" in line and "# REVIEW" in line


def dc_records(page: Path) -> list[tuple[str, str]]:
    """(identifier, the <oai_dc:dc> element as text) of each record with metadata: what the
    oaipmh connector puts in record_id and payload["_xml"]."""
    root = etree.parse(str(page)).getroot()
    return [(str(r.findtext(f"{OAI}header/{OAI}identifier")),
             etree.tostring(r.find(f"{OAI}metadata")[0], encoding="unicode"))
            for r in root.iter(f"{OAI}record") if r.find(f"{OAI}metadata") is not None]


def map_dc(mapping: Mapping, page: Path) -> dict[str, tuple[dict[str, Any], list[str]]]:
    out = {}
    for ident, xml in dc_records(page):
        result = map_record(mapping, {"_xml": xml}, ident)
        problems = [*result.problems, *validate(result.record)]
        out[ident] = (result.record, [f"{p.path} {p.code}" for p in problems])
    return out


def test_dublin_core_records_become_valid_national_records() -> None:
    mapping = load_mapping(ready_mapping_path("oai_dc"))
    got: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for n in (1, 2, 3):
        got |= map_dc(mapping, DATA / f"ListRecords-{n}.xml")
    assert {i: p for i, (_, p) in got.items()} == {i: [] for i in got}
    first = got["oai:kho.example.edu.vn:nv/101"][0]
    assert first["local_id"] == "oai-dc:oai:kho.example.edu.vn:nv/101"
    assert first["title"] == "Nghiên cứu chọn tạo giống lúa chịu mặn cho vùng ven biển"
    assert first["task_code"] == "ĐT.2023-05"
    assert first["principal_investigator"] == {"full_name": "Nguyễn Văn An",
                                               "academic_title": "PGS", "degree": "TS"}
    assert first["participants"] == [{"full_name": "Trần Thị Bình", "degree": "ThS"}]
    assert first["host_organization"] == {"name": "Viện Khoa học Nông nghiệp tỉnh"}
    assert (first["start_date"], first["end_date"]) == ("2023-01-01", "2024-12-31")
    assert first["keywords"] == ["lúa chịu mặn", "biến đổi khí hậu"]
    # The placeholders, as shipped.
    assert (first["task_type"], first["management_level"], first["status"]) == (
        "research_topic", "provincial", "ongoing")
    assert first["budget"] == {"total_vnd": 0}
    one_year = got["oai:kho.example.edu.vn:nv/103"][0]
    assert (one_year["start_date"], one_year["end_date"]) == ("2024-01-01", "2024-12-31")
    assert one_year["keywords"] == ["IoT", "nuôi trồng thuỷ sản"]
    assert "task_code" not in got["oai:kho.example.edu.vn:nv/104"][0]


def test_an_admins_copy_with_the_placeholders_filled_is_used_as_written() -> None:
    text = ready_mapping_path("oai_dc").read_text(encoding="utf-8")
    filled = (text.replace('task_type = { const = "research_topic" }',
                           'task_type = { const = "basic_survey" }')
              .replace('"field.code" = { const = "1" }', '"field.code" = { const = "10101" }')
              .replace('status = { const = "ongoing" }', 'status = { const = "terminated" }'))
    mapping = parse_mapping(filled, name="kho-oai_dc.toml")
    record, problems = map_dc(mapping, DATA / "ListRecords-2.xml")["oai:kho.example.edu.vn:nv/104"]
    assert problems == []
    assert (record["task_type"], record["field"], record["status"]) == (
        "basic_survey", {"scheme": "qd12_2008", "code": "10101"}, "terminated")


@pytest.mark.samples
def test_real_dspace_records_map_with_their_gaps_reported_as_problems() -> None:
    page = SAMPLES / "oai-pmh-dspace-recorded" / "fake2" / "00002.xml"
    if not page.is_file():
        pytest.skip("the shared DSpace samples are not beside this checkout")
    got = map_dc(load_mapping(ready_mapping_path("oai_dc")), page)
    assert len(got) == 79                           # 81 records, 2 of them deleted
    record, problems = got["hdl:1765/9"]
    assert record["title"] == "The Causality of Supply Relationships"
    assert record["host_organization"]["name"].startswith("Erasmus Research Institute")
    assert record["summary"].count("This study examines") == 1      # given twice, kept once
    # Of its identifiers (a handle URL, a RePEc URI, an internal code) the code is kept.
    assert record["task_code"] == "erimrs20020104123434"
    # DSpace of 2004 writes authors as "Jong, G. de": a problem row naming the field, for the
    # admin to see, never an exception.
    assert "principal_investigator bad_name" in problems
