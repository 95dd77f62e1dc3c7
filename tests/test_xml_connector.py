"""The xml connector on files: namespaces, globs, since, deletions, laziness, bad input."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import SourceConfigError, SourceDataError, SourceUnavailable
from connectors.xml import XmlConnector
from connectors.xmlsafe import DEFAULT_MAX_BYTES

DATA = Path(__file__).parent / "data" / "xml"
NS: dict[str, Any] = {"q": "urn:so-khcn:nhiem-vu"}
VN = timezone(timedelta(hours=7))
EXPORT: dict[str, Any] = {
    "record": "q:NhiemVu", "namespaces": NS, "id": "q:MaSo", "modified": "q:NgayCapNhat",
    "deleted": "@trang_thai = 'da_xoa'",
}
PLAIN: dict[str, Any] = {"path": "plain.xml", "record": "task", "id": "@id", "modified": "@updated",
         "deleted": "@deleted = 'true'"}


def xml_source(base: Path = DATA, **options: Any) -> XmlConnector:
    return XmlConnector("so-khcn", options, base_dir=base)


def test_a_namespaced_export_yields_each_record_with_its_id_time_and_place() -> None:
    got = list(xml_source(path="nhiem-vu-1.xml", **EXPORT).records())
    assert [r.record_id for r in got] == ["NV-2023-001", "NV-2023-002", "NV-2024-003"]
    assert [r.modified_at for r in got] == [
        datetime(2024, 3, 1, 8, 30, tzinfo=VN),
        datetime(2024, 1, 15, tzinfo=VN),             # dd/mm/yyyy, in Vietnamese time
        datetime(2024, 6, 10, 9, tzinfo=VN),          # ISO without an offset, likewise
    ]
    assert [r.deleted for r in got] == [False, True, False]
    assert dict(got[0].origin) == {"file": "nhiem-vu-1.xml", "line": 4, "index": 1}
    assert got[2].origin["line"] == 29
    assert all(r.source == "so-khcn" for r in got)


def test_the_payload_is_the_record_element_with_its_namespaces() -> None:
    first = next(xml_source(path="nhiem-vu-1.xml", **EXPORT).records())
    xml = first.payload["_xml"]
    assert list(first.payload) == ["_xml"]
    assert xml.startswith('<q:NhiemVu xmlns:q="urn:so-khcn:nhiem-vu"')
    assert xml.endswith("</q:NhiemVu>")
    assert "<q:Ten>Viện Khoa học Nông nghiệp</q:Ten>" in xml
    assert "NV-2023-002" not in xml                  # one record, not its neighbours


def test_a_file_without_namespaces_reads_ids_and_flags_from_attributes() -> None:
    got = list(xml_source(**PLAIN).records())
    assert [(r.record_id, r.deleted) for r in got] == [("T-1", False), ("T-2", True),
                                                      ("T-3", False)]
    assert got[0].modified_at == datetime(2024, 9, 5, 8, tzinfo=VN)
    assert got[2].modified_at is None


def test_a_glob_reads_every_matching_file_in_name_order(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    # Written in the other order, so that name order is not creation order.
    shutil.copy(DATA / "nhiem-vu-2.xml", exports / "nhiem-vu-2.xml")
    shutil.copy(DATA / "nhiem-vu-1.xml", exports / "nhiem-vu-1.xml")
    (exports / "khac.xml").write_text("<khong-phai/>", encoding="utf-8")
    got = list(xml_source(tmp_path, path="exports/nhiem-vu-*.xml", **EXPORT).records())
    assert [r.record_id for r in got] == ["NV-2023-001", "NV-2023-002", "NV-2024-003",
                                         "NV-2024-004", "NV-2024-005"]
    assert [r.origin["file"] for r in got][2:4] == ["exports/nhiem-vu-1.xml",
                                                    "exports/nhiem-vu-2.xml"]
    assert [r.origin["index"] for r in got] == [1, 2, 3, 1, 2]


@pytest.mark.parametrize(("since", "expected"), [
    pytest.param(None, ["NV-2023-001", "NV-2023-002", "NV-2024-003", "NV-2024-004",
                        "NV-2024-005"], id="everything"),
    pytest.param(datetime(2024, 3, 1, 8, 30, tzinfo=VN),
                 ["NV-2023-001", "NV-2024-003", "NV-2024-004", "NV-2024-005"],
                 id="at-the-same-instant-is-kept"),
    pytest.param(datetime(2024, 8, 20, 13, 59, tzinfo=timezone.utc), ["NV-2024-005"],
                 id="another-offset"),
    pytest.param(datetime(2030, 1, 1, tzinfo=timezone.utc), [], id="after-everything"),
])
def test_since_keeps_records_modified_at_or_after_it(since: datetime | None,
                                                      expected: list[str]) -> None:
    source = xml_source(path="nhiem-vu-*.xml", **EXPORT)
    assert [r.record_id for r in source.records(since)] == expected


def test_records_without_a_readable_time_are_kept_whatever_since_says(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "t.xml").write_text(
        '<ds><nv id="1" t="2020-01-01"/><nv id="2" t="hôm qua"/><nv id="3"/></ds>',
        encoding="utf-8")
    source = xml_source(tmp_path, path="t.xml", record="nv", id="@id", modified="@t")
    with caplog.at_level(logging.WARNING):
        got = [r.record_id for r in source.records(datetime(2024, 1, 1, tzinfo=VN))]
    assert got == ["2", "3"]
    assert "'hôm qua'" in caplog.text and "t.xml" in caplog.text


def test_without_modified_since_filters_nothing() -> None:
    source = xml_source(path="nhiem-vu-1.xml", record="q:NhiemVu", namespaces=NS, id="q:MaSo")
    got = list(source.records(datetime(2030, 1, 1, tzinfo=timezone.utc)))
    assert len(got) == 3 and all(r.modified_at is None for r in got)


def test_a_record_without_an_id_is_passed_on_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "t.xml").write_text("<ds><nv><ma>A</ma></nv><nv><ma>  </ma></nv></ds>",
                                    encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        got = list(xml_source(tmp_path, path="t.xml", record="nv", id="ma").records())
    assert [r.record_id for r in got] == ["A", ""]
    assert "record 2" in caplog.text and "has no id" in caplog.text


def test_no_file_is_touched_before_the_first_record_is_asked_for(tmp_path: Path) -> None:
    source = xml_source(tmp_path, path="later.xml", record="nv", id="@id")
    stream = source.records()                        # the file does not exist yet: no error
    (tmp_path / "later.xml").write_text('<ds><nv id="1"/></ds>', encoding="utf-8")
    assert [r.record_id for r in stream] == ["1"]


def test_close_stops_a_read_half_way() -> None:
    source = xml_source(path="nhiem-vu-1.xml", **EXPORT)
    stream = source.records()
    assert next(stream).record_id == "NV-2023-001"
    source.close()
    assert list(stream) == []


def test_malformed_xml_fails_at_its_line_after_the_records_before_it(tmp_path: Path) -> None:
    lines = ["<ds>"] + [f'  <nv id="{i}"><ten>Nhiệm vụ {i}</ten></nv>' for i in range(1, 4)]
    lines += ['  <nv id="4"><ten>hỏng</tenn></nv>', '  <nv id="5"/>', "</ds>"]
    (tmp_path / "hong.xml").write_text("\n".join(lines), encoding="utf-8")
    got: list[str] = []
    with pytest.raises(SourceDataError) as caught:
        got.extend(r.record_id for r in xml_source(tmp_path, path="hong.xml", record="nv",
                                                   id="@id").records())
    assert got == ["1", "2", "3"]
    message = str(caught.value)
    assert message.startswith("so-khcn: hong.xml, line 5: is not well-formed XML")
    assert "tenn" in message


@pytest.mark.parametrize(("text", "found"), [
    pytest.param("", "no element found", id="empty-file"),
    pytest.param("Mã số;Tên\n1;A\n", "syntax error", id="a-csv-named-xml"),
    pytest.param('<ds><nv id="1"/>', "Premature end of data", id="cut-off"),
    pytest.param('<ds><nv id="1"/></ds><ds/>', "Extra content", id="two-roots"),
    pytest.param('<ds><nv id="1">\x01</nv></ds>', "invalid Char", id="control-character"),
])
def test_unreadable_files_are_data_errors_naming_the_file(tmp_path: Path, text: str,
                                                          found: str) -> None:
    (tmp_path / "x.xml").write_text(text, encoding="utf-8")
    with pytest.raises(SourceDataError, match=found) as caught:
        list(xml_source(tmp_path, path="x.xml", record="nv", id="@id").records())
    assert "x.xml" in str(caught.value)


def test_a_file_that_declares_another_encoding_is_decoded_as_declared(tmp_path: Path) -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?>\n<ds><nv id="1"><ten>Đề tài</ten></nv></ds>'
    (tmp_path / "u16.xml").write_bytes(text.encode("utf-16"))
    rec = next(xml_source(tmp_path, path="u16.xml", record="nv", id="@id").records())
    assert "<ten>Đề tài</ten>" in rec.payload["_xml"]


def test_a_forced_encoding_overrides_a_wrong_declaration(tmp_path: Path) -> None:
    raw = '<?xml version="1.0" encoding="UTF-8"?><ds><nv id="1"><ten>Sở</ten></nv></ds>'
    (tmp_path / "latin.xml").write_bytes(raw.encode("utf-8").replace("Sở".encode(), b"S\xe9"))
    with pytest.raises(SourceDataError, match=r"latin\.xml"):
        list(xml_source(tmp_path, path="latin.xml", record="nv", id="@id").records())
    rec = next(xml_source(tmp_path, path="latin.xml", record="nv", id="@id",
                          encoding="latin-1").records())
    assert "<ten>Sé</ten>" in rec.payload["_xml"]


def test_a_file_without_the_record_element_warns_and_names_its_root(
        caplog: pytest.LogCaptureFixture) -> None:
    source = xml_source(path="nhiem-vu-1.xml", record="NhiemVu", id="MaSo")  # no namespace
    with caplog.at_level(logging.WARNING):
        assert list(source.records()) == []
    assert "no NhiemVu element" in caplog.text
    assert "{urn:so-khcn:nhiem-vu}DanhSachNhiemVu" in caplog.text


@pytest.mark.parametrize(("path", "message"), [
    pytest.param("khong-co.xml", "does not exist", id="missing-file"),
    pytest.param("khong-co-*.xml", "no file matches khong-co-*.xml", id="glob-matches-nothing"),
    pytest.param(".", "is not a file", id="a-folder"),
])
def test_a_missing_export_is_unavailable_for_now(tmp_path: Path, path: str,
                                                 message: str) -> None:
    with pytest.raises(SourceUnavailable, match=message.replace("*", r"\*")):
        list(xml_source(tmp_path, path=path, record="nv", id="@id").records())


def test_a_file_over_max_bytes_is_refused(tmp_path: Path) -> None:
    body = "".join(f'<nv id="{i}"/>' for i in range(2000))
    (tmp_path / "big.xml").write_text(f"<ds>{body}</ds>", encoding="utf-8")
    got: list[str] = []
    with pytest.raises(SourceDataError, match="refused: is over the limit of 4,096 bytes"):
        got.extend(r.record_id for r in xml_source(tmp_path, path="big.xml", record="nv",
                                                   id="@id", max_bytes=4096).records())
    assert len(got) < 2000


def test_records_nested_deeper_than_max_depth_are_refused(tmp_path: Path) -> None:
    deep = "<a>" * 10 + "x" + "</a>" * 10
    (tmp_path / "d.xml").write_text(f'<ds><nv id="1"/><nv id="2">{deep}</nv></ds>',
                                    encoding="utf-8")
    got: list[str] = []
    with pytest.raises(SourceDataError, match="refused: elements nest deeper than 8 levels"):
        got.extend(r.record_id for r in xml_source(tmp_path, path="d.xml", record="nv",
                                                   id="@id", max_depth=8).records())
    assert got == ["1"]


GOOD: dict[str, Any] = {
    "path": "x.xml", "record": "q:nv", "namespaces": {"q": "urn:x"}, "id": "q:ma"
}


@pytest.mark.parametrize(("change", "key", "message"), [
    pytest.param({"path": None}, "path", "or url is required", id="no-path-or-url"),
    pytest.param({"url": "https://so.example/x.xml"}, "path", "cannot both", id="path-and-url"),
    pytest.param({"path": None, "url": "ftp://so.example/x.xml"}, "url", "http:// or https://",
                 id="not-http"),
    pytest.param({"record": None}, "record", "is required", id="no-record"),
    pytest.param({"record": "p:nv"}, "record", "prefix 'p'", id="undeclared-record-prefix"),
    pytest.param({"record": "q:1nv"}, "record", "not an element name", id="bad-element-name"),
    pytest.param({"id": None}, "id", "is required", id="no-id"),
    pytest.param({"id": "q:ma["}, "id", "not a usable XPath", id="id-does-not-compile"),
    pytest.param({"id": "p:ma"}, "id", "Undefined namespace prefix", id="id-undeclared-prefix"),
    pytest.param({"modified": "ngay(q:ma)"}, "modified", "not a usable XPath",
                 id="modified-unknown-function"),
    pytest.param({"deleted": "@x = "}, "deleted", "not a usable XPath", id="deleted-broken"),
    pytest.param({"namespaces": {"": "urn:x"}}, "namespaces", "cannot give a default namespace",
                 id="default-namespace"),
    pytest.param({"namespaces": ["urn:x"]}, "namespaces", "must be a table", id="ns-not-table"),
    pytest.param({"encoding": "tcvn3-khong-co"}, "encoding", "not a known text encoding",
                 id="unknown-encoding"),
    pytest.param({"max_depth": 1000}, "max_depth", "from 1 to 256", id="depth-over-libxml2"),
    pytest.param({"max_bytes": 0}, "max_bytes", "at least 1", id="no-bytes"),
    pytest.param({"timeout": 5}, "timeout", "url sources only", id="timeout-on-a-file"),
    pytest.param({"kieu": "xml"}, "kieu", "is not an xml option", id="unknown-option"),
    pytest.param({"namespace": {"q": "urn:x"}}, "namespace", "did you mean 'namespaces'",
                 id="typo-suggests"),
])
def test_bad_options_name_their_key_before_any_io(tmp_path: Path, change: dict[str, Any],
                                                  key: str, message: str) -> None:
    options = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(SourceConfigError) as caught:
        XmlConnector("so-khcn", options, base_dir=tmp_path)
    assert caught.value.key == key
    assert message in str(caught.value)


def test_defaults_are_the_documented_ones() -> None:
    s = xml_source(**GOOD).settings
    assert (s.max_bytes, s.max_depth, s.encoding, s.timeout, s.retries) == (
        DEFAULT_MAX_BYTES, 256, None, 30.0, 4)
    assert s.record == "{urn:x}nv"
