"""XPath fields in mapping files: values read from a record's XML, problems, and refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from connectors.xml import XmlConnector
from schemas.mapping import MappingConfigError, map_record, parse_mapping
from schemas.mapping.mapper import MapResult
from schemas.validate import validate

DATA = Path(__file__).parent / "data" / "xml"
NS = 'q = "urn:so-khcn:nhiem-vu"'
RECORD = """<q:NhiemVu xmlns:q="urn:so-khcn:nhiem-vu" trang_thai="dang_thuc_hien">
  <q:MaSo> NV-01 </q:MaSo>
  <q:TenNhiemVu>
      Nghiên cứu   giống lúa
      chịu mặn
  </q:TenNhiemVu>
  <q:Loai>ĐT cấp tỉnh</q:Loai>
  <q:LinhVuc ma="40101">Nông hoá</q:LinhVuc>
  <q:ChuTri><q:Ten>Viện Lúa</q:Ten><q:DiaChi>Cần Thơ</q:DiaChi></q:ChuTri>
  <q:ChuNhiem>PGS.TS. Nguyễn Văn An</q:ChuNhiem>
  <q:ThanhVien><q:HoTen>Trần Thị Bình</q:HoTen><q:HocVi>ThS.</q:HocVi></q:ThanhVien>
  <q:ThanhVien><q:HoTen>Lê Cường</q:HoTen></q:ThanhVien>
  <q:TuKhoa><q:Tu>lúa</q:Tu><q:Tu> chịu   mặn </q:Tu><q:Tu>lúa</q:Tu></q:TuKhoa>
  <q:MoTa>Mục tiêu: giống mới.
          Nội dung: lai tạo.</q:MoTa>
  <q:BatDau>01/2023</q:BatDau>
  <q:KetThuc>tháng 12/2024</q:KetThuc>
  <q:NgayHong>31/02/2023</q:NgayHong>
  <q:KinhPhi donVi="triệu"><q:Khoan>1.000</q:Khoan><q:Khoan>250</q:Khoan></q:KinhPhi>
  <!-- ghi chú nội bộ -->
</q:NhiemVu>"""


def mapping_text(fields: str, namespaces: str = NS) -> str:
    head = '[mapping]\nschema_version = "1"\nnamespace = "xml"\n'
    spaces = f"[namespaces]\n{namespaces}\n" if namespaces else ""
    return f"{head}{spaces}[fields]\n{fields}\n"


def mapped(fields: str, xml: str = RECORD, namespaces: str = NS, **payload: Any) -> MapResult:
    mapping = parse_mapping(mapping_text(fields, namespaces), name="xml.toml")
    return map_record(mapping, {"_xml": xml, **payload}, "NV-01")


@pytest.mark.parametrize(("fields", "expected"), [
    pytest.param('title = { xpath = "q:TenNhiemVu" }',
                 {"title": "Nghiên cứu giống lúa chịu mặn"}, id="node-text-normalised"),
    pytest.param('title = "xpath:q:TenNhiemVu"',
                 {"title": "Nghiên cứu giống lúa chịu mặn"}, id="short-form"),
    pytest.param('title = { from = "xpath:q:TenNhiemVu" }',
                 {"title": "Nghiên cứu giống lúa chịu mặn"}, id="from-with-prefix"),
    pytest.param('"host_organization.name" = { xpath = "q:ChuTri/q:Ten" }',
                 {"host_organization": {"name": "Viện Lúa"}}, id="nested-path"),
    pytest.param('"field.code" = "xpath:q:LinhVuc/@ma"', {"field": {"code": "40101"}},
                 id="attribute"),
    pytest.param("""title = { xpath = "concat(q:Loai, ' - ', q:ChuTri/q:DiaChi)" }""",
                 {"title": "ĐT cấp tỉnh - Cần Thơ"}, id="string-function"),
    pytest.param('task_code = "xpath:string(q:MaSo)"', {"task_code": "NV-01"},
                 id="string-result-trimmed"),
    pytest.param('task_type = { xpath = "q:Loai", labels = { "ĐT cấp tỉnh" = "research_topic" } }',
                 {"task_type": "research_topic"}, id="code-with-labels"),
    pytest.param('task_type = { xpath = "q:KhongCo", default = "other" }',
                 {"task_type": "other"}, id="default-when-no-node"),
    pytest.param('start_date = "xpath:q:BatDau"\nend_date = "xpath:q:KetThuc"',
                 {"start_date": "2023-01-01", "end_date": "2024-12-31"}, id="partial-dates"),
    pytest.param('"budget.total_vnd" = { xpath = "q:KinhPhi/q:Khoan[1]", unit = "triệu" }',
                 {"budget": {"total_vnd": 1_000_000_000}}, id="money-with-unit"),
    pytest.param('"budget.total_vnd" = { xpath = "count(q:KinhPhi/q:Khoan)" }',
                 {"budget": {"total_vnd": 2}}, id="number-result"),
    pytest.param('principal_investigator = "xpath:q:ChuNhiem"',
                 {"principal_investigator": {"full_name": "Nguyễn Văn An",
                                             "academic_title": "PGS", "degree": "TS"}},
                 id="person-name-parsed"),
    pytest.param('keywords = "xpath:q:TuKhoa/q:Tu"', {"keywords": ["lúa", "chịu mặn"]},
                 id="several-nodes-one-list"),
    pytest.param('keywords = { xpath = "q:TuKhoa", split = "," }',
                 {"keywords": ["lúa chịu mặn lúa"]}, id="one-node-string-value"),
    pytest.param('summary = "xpath:q:MoTa"',
                 {"summary": "Mục tiêu: giống mới.\nNội dung: lai tạo."},
                 id="long-text-keeps-lines"),
    pytest.param('summary = { concat = ["xpath:q:Loai", "xpath:q:KhongCo", "xpath:q:LinhVuc"], '
                 'sep = "; " }', {"summary": "ĐT cấp tỉnh; Nông hoá"}, id="concat-of-xpaths"),
    pytest.param('participants = { xpath = "q:ThanhVien", item = { full_name = "q:HoTen", '
                 'degree = "q:HocVi" } }',
                 {"participants": [{"full_name": "Trần Thị Bình", "degree": "ThS"},
                                   {"full_name": "Lê Cường"}]}, id="participants-item"),
    pytest.param('participants = { xpath = "q:ThanhVien", item = { full_name = '
                 '{ xpath = "q:HoTen" }, role = { const = "member" } } }',
                 {"participants": [{"full_name": "Trần Thị Bình", "role": "member"},
                                   {"full_name": "Lê Cường", "role": "member"}]},
                 id="participants-item-tables"),
    pytest.param('participants = "xpath:q:ThanhVien/q:HoTen"',
                 {"participants": [{"full_name": "Trần Thị Bình"}, {"full_name": "Lê Cường"}]},
                 id="participants-as-names"),
    pytest.param('title = "xpath:comment()"', {"title": "ghi chú nội bộ"}, id="comment-node"),
])
def test_xpath_fields_read_the_record_xml(fields: str, expected: dict[str, Any]) -> None:
    result = mapped(fields)
    assert result.problems == []
    record = {k: v for k, v in result.record.items() if k not in ("schema_version", "local_id")}
    assert record == expected


def test_the_mapping_prefix_need_not_be_the_documents() -> None:
    result = mapped('title = "xpath:nv:MaSo"', namespaces='nv = "urn:so-khcn:nhiem-vu"')
    assert result.record["title"] == "NV-01"


def test_a_record_without_namespaces_needs_no_namespaces_table() -> None:
    xml = '<task id="T-1"><title>Điều tra rừng</title></task>'
    result = mapped('title = "xpath:title"\ntask_code = "xpath:@id"', xml, namespaces="")
    assert (result.record["title"], result.record["task_code"]) == ("Điều tra rừng", "T-1")


def test_columns_and_xpaths_mix_in_one_mapping() -> None:
    result = mapped('title = "xpath:q:TenNhiemVu"\ntask_code = "Mã"', **{"Mã": "C-7"})
    assert result.record["task_code"] == "C-7"
    assert result.sources == {"title": "xpath:q:TenNhiemVu", "task_code": "Mã"}


def test_sources_name_the_xpath_each_value_came_from() -> None:
    result = mapped('participants = { xpath = "q:ThanhVien", item = { full_name = "q:HoTen" } }')
    assert result.sources["participants"] == "xpath:q:ThanhVien"
    assert result.sources["participants[1].full_name"] == "xpath:q:ThanhVien[2]/q:HoTen"


@pytest.mark.parametrize(("fields", "path", "code", "said"), [
    pytest.param('start_date = "xpath:q:NgayHong"', "start_date", "bad_date",
                 "XPath “q:NgayHong”", id="bad-date-names-the-xpath"),
    pytest.param('title = "xpath:q:TuKhoa/q:Tu"', "title", "many_values", "3 values",
                 id="many-nodes-for-one-value"),
    pytest.param('title = "xpath:boolean(q:MaSo)"', "title", "bad_type", "true/false",
                 id="boolean-is-not-text"),
    pytest.param('task_type = "xpath:q:ChuTri/q:Ten"', "task_type", "unknown_label",
                 "Viện Lúa", id="unknown-code"),
    pytest.param('participants = { xpath = "q:ThanhVien", item = { degree = "q:HoTen" } }',
                 "participants[0].degree", "unknown_label",
                 "XPath “q:ThanhVien[1]/q:HoTen”", id="item-problem-names-the-node"),
])
def test_unreadable_xpath_values_are_problems_naming_the_xpath(fields: str, path: str,
                                                               code: str, said: str) -> None:
    result = mapped(fields)
    problem = next(p for p in result.problems if p.path == path)
    assert problem.code == code
    assert said in problem.message_en
    assert problem.source_field is not None and problem.source_field.startswith("xpath:")


@pytest.mark.parametrize(("payload", "code", "said"), [
    pytest.param({"Mã": "1"}, "missing_xml", "has no XML (key _xml)", id="no-xml-key"),
    pytest.param({"_xml": "<q:NhiemVu><q:MaSo>1</q:NhiemVu>"}, "bad_xml",
                 "is not well-formed XML", id="malformed"),
    pytest.param({"_xml": ""}, "bad_xml", "is not well-formed XML", id="empty-text"),
    pytest.param({"_xml": 42}, "bad_type", "must hold XML text", id="not-text"),
    pytest.param({"_xml": "<a>\ud800</a>"}, "bad_xml", "cannot be encoded", id="surrogate"),
    pytest.param({"_xml": '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'}, "bad_xml",
                 "declares entities", id="entities-refused"),
])
def test_a_record_without_readable_xml_is_one_problem(payload: dict[str, Any], code: str,
                                                       said: str) -> None:
    mapping = parse_mapping(mapping_text('title = "xpath:q:TenNhiemVu"'), name="xml.toml")
    result = map_record(mapping, payload, "1")
    assert [(p.path, p.code) for p in result.problems] == [("$", code)]
    assert said in result.problems[0].message_en
    assert result.problems[0].message_vi
    assert "title" not in result.record


def test_the_record_xml_may_be_bytes_with_its_own_declaration() -> None:
    xml = '<?xml version="1.0" encoding="UTF-16"?><a><t>Sở KH&amp;CN</t></a>'.encode("utf-16")
    mapping = parse_mapping(mapping_text('title = "xpath:t"', ""), name="xml.toml")
    assert map_record(mapping, {"_xml": xml}, "1").record["title"] == "Sở KH&CN"


@pytest.mark.parametrize(("fields", "namespaces", "key", "said"), [
    pytest.param('title = { xpath = "q:Ten[" }', NS, "[fields] title", "does not compile",
                 id="does-not-compile"),
    pytest.param('title = "xpath:p:Ten"', NS, "[fields] title",
                 "Undefined namespace prefix (declare its prefix under [namespaces])",
                 id="undeclared-prefix"),
    pytest.param('title = "xpath:ten-ham(q:Ten)"', NS, "[fields] title", "Unregistered function",
                 id="unknown-function"),
    pytest.param('title = "xpath:$bien"', NS, "[fields] title", "Undefined variable",
                 id="variable"),
    pytest.param('title = { xpath = " " }', NS, "[fields] title", "xpath must be an XPath",
                 id="empty"),
    pytest.param('title = { xpath = 5 }', NS, "[fields] title", "xpath must be an XPath",
                 id="not-text"),
    pytest.param('title = { xpath = "q:Ten", from = "Tên" }', NS, "[fields] title",
                 "exactly one of from, const or concat, or an xpath (got from, xpath)",
                 id="xpath-and-from"),
    pytest.param('participants = { xpath = "q:ThanhVien", item = { full_name = "q:HoTen[" } }',
                 NS, "[fields] participants item.full_name", "does not compile",
                 id="item-xpath"),
    pytest.param('title = "xpath:q:Ten"', '"" = "urn:x"', "[namespaces] ''",
                 "no default namespace", id="default-namespace"),
    pytest.param('title = "xpath:q:Ten"', 'q = 5', "[namespaces] q", "must be a namespace URI",
                 id="uri-not-text"),
    pytest.param('title = "xpath:q:Ten"', '"q r" = "urn:x"', "[namespaces] 'q r'",
                 "is not a prefix", id="prefix-with-space"),
])
def test_a_broken_xpath_mapping_is_refused_at_load_naming_file_and_field(
        fields: str, namespaces: str, key: str, said: str) -> None:
    with pytest.raises(MappingConfigError) as caught:
        parse_mapping(mapping_text(fields, namespaces), name="mappings/xml.toml")
    assert caught.value.file == "mappings/xml.toml"
    assert caught.value.key == key
    assert said in caught.value.message


def test_namespaces_must_be_a_table() -> None:
    text = '[mapping]\nschema_version = "1"\nnamespace = "x"\nnamespaces = 1\n[fields]\ntitle = "A"'
    with pytest.raises(MappingConfigError, match="unknown key 'namespaces'"):
        parse_mapping(text, name="x.toml")
    text = 'namespaces = 1\n' + mapping_text('title = "A"', "")
    with pytest.raises(MappingConfigError, match=r"\[namespaces\]: must be a table"):
        parse_mapping(text, name="x.toml")


def test_a_mapping_without_xpath_does_not_look_for_xml() -> None:
    result = map_record(parse_mapping(mapping_text('title = "Tên"', ""), name="x.toml"),
                        {"Tên": "A"}, "1")
    assert result.problems == [] and result.record["title"] == "A"


def test_the_shipped_fixture_maps_an_xml_export_to_a_valid_record() -> None:
    from schemas.mapping import load_mapping

    mapping = load_mapping(DATA / "nhiem-vu.toml")
    source = XmlConnector("so-khcn", {"path": "nhiem-vu-1.xml", "record": "q:NhiemVu",
                                      "namespaces": {"q": "urn:so-khcn:nhiem-vu"},
                                      "id": "q:MaSo"}, base_dir=DATA)
    first = next(source.records())
    result = map_record(mapping, first.payload, first.record_id, origin=first.origin)
    assert result.problems == []
    assert validate(result.record) == []
    assert result.record["local_id"] == "xml-so-khcn:NV-2023-001"
    assert result.record["participants"][1] == {"full_name": "Lê Văn Cường", "degree": "KS"}


# map_record stays total with XPath fields: whatever `_xml` holds, a result, never a raise.

PROPERTY = parse_mapping(mapping_text("""
title = { concat = ["xpath:q:TenNhiemVu", "xpath:@ten", "Tên"], sep = " - " }
task_code = "xpath:string(q:MaSo)"
task_type = { xpath = "q:Loai", labels = { "X" = "other" }, default = "other" }
principal_investigator = "xpath:q:ChuNhiem"
keywords = { xpath = "//q:Tu | //@tu", split = "," }
start_date = { xpath = "q:BatDau | @bd", partial = "end" }
"budget.total_vnd" = { xpath = "q:KinhPhi", unit = "tỷ" }
"budget.other_vnd" = "xpath:count(//*) div 3"
"field.code" = "xpath:name(*[1])"
[fields.participants]
xpath = "q:ThanhVien | q:TenNhiemVu"
item = { full_name = "q:HoTen | .", degree = "@hv" }
"""), name="property.toml")

TAGS = st.sampled_from(["q:NhiemVu", "q:TenNhiemVu", "q:MaSo", "q:Loai", "q:ChuNhiem",
                        "q:ThanhVien", "q:HoTen", "q:Tu", "q:BatDau", "q:KinhPhi", "khac"])
TEXTS = st.text(max_size=12) | st.sampled_from(
    ["31/02/2023", "tháng 4/2023", "1,25 tỷ", "PGS.TS. Nguyễn Văn A", "X", "-", "2023"])


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> etree._Element:
    tag = draw(TAGS)
    qname = "{urn:so-khcn:nhiem-vu}" + tag[2:] if tag.startswith("q:") else tag
    element = etree.Element(qname, nsmap={"q": "urn:so-khcn:nhiem-vu"})
    for name in draw(st.lists(st.sampled_from(["ten", "tu", "bd", "hv"]), max_size=2)):
        element.set(name, _xml_safe(draw(TEXTS)))
    element.text = _xml_safe(draw(TEXTS))
    if depth < 3:
        element.extend(draw(st.lists(elements(depth + 1), max_size=3)))
    return element


def _xml_safe(text: str) -> str:
    return "".join(c for c in text if c in "\t\n\r" or (" " <= c < "\ud800")
                   or "\ue000" <= c <= "\ufffd")


xml_texts = st.one_of(
    elements().map(lambda e: etree.tostring(e, encoding="unicode")),
    elements().map(lambda e: etree.tostring(e, encoding="unicode")).flatmap(
        lambda s: st.integers(0, len(s)).map(lambda n: s[:n])),           # cut anywhere
    st.text(max_size=60),
    st.binary(max_size=40),
    st.sampled_from(['<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
                     "<a>" * 300 + "</a>" * 300, '<?xml version="1.0" encoding="x"?><a/>']),
    st.none() | st.integers() | st.lists(st.integers(), max_size=2),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(xml_texts, st.dictionaries(st.sampled_from(["Tên", "khac"]), TEXTS, max_size=2))
def test_map_record_never_raises_on_any_record_xml(xml: Any, extra: dict[str, Any]) -> None:
    payload = {"_xml": xml, **extra}
    first = map_record(PROPERTY, payload, "r1")
    again = map_record(PROPERTY, payload, "r1")
    assert repr(first) == repr(again)
    assert all(p.code != "mapping_failed" for p in first.problems), first.problems
    assert all(p.message_vi and p.message_en for p in first.problems)
