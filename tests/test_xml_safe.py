"""connectors.xmlsafe on ordinary and awkward documents: parsers, limits, streaming, errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from connectors.xmlsafe import (
    XmlMalformed,
    XmlRefused,
    check_encoding,
    iterparse,
    parse_bytes,
    safe_parser,
)

PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <ListRecords>
    <record><header><identifier>oai:so:1</identifier></header></record>
    <record><header status="deleted"><identifier>oai:so:2</identifier></header></record>
  </ListRecords>
</OAI-PMH>"""
OAI = "{http://www.openarchives.org/OAI/2.0/}"


def test_parse_bytes_returns_the_root_of_a_sound_page() -> None:
    root = parse_bytes(PAGE, where="https://so.example/oai?verb=ListRecords")
    assert root.tag == f"{OAI}OAI-PMH"
    assert len(root.findall(f".//{OAI}record")) == 2


def test_a_doctype_without_entities_is_read() -> None:
    root = parse_bytes(b"<!DOCTYPE ds [<!ELEMENT ds ANY>]><ds><nv/></ds>", where="x")
    assert root[0].tag == "nv"


@pytest.mark.parametrize(("data", "error", "found"), [
    pytest.param(b"<a><b></a>", XmlMalformed, "line 1: is not well-formed XML: Opening and "
                 "ending tag mismatch", id="tag-mismatch"),
    pytest.param(b"<a>\n\n<b>\x02</b></a>", XmlMalformed, "line 3: is not well-formed XML",
                 id="control-character"),
    pytest.param(b"", XmlMalformed, "no element found", id="empty"),
    pytest.param(b'<?xml version="1.0" encoding="TCVN"?><a/>', XmlMalformed,
                 "encoding that cannot be read (unknown encoding: TCVN); only UTF-8",
                 id="unknown-encoding"),
    pytest.param(b'<?xml version="1.0" encoding="Shift_JIS"?><a/>', XmlMalformed,
                 "only UTF-8, UTF-16 and single-byte encodings", id="multibyte-encoding"),
    pytest.param(b"<a>" + b"x" * 10_500_000 + b"</a>", XmlRefused,
                 "exceeds a parser limit: Resource limit exceeded", id="huge-text-node"),
    pytest.param(b"<a>" * 257 + b"</a>" * 257, XmlRefused,
                 "elements nest deeper than 256 levels", id="deeper-than-libxml2"),
])
def test_parse_bytes_errors_name_the_page_and_line(data: bytes, error: type[Exception],
                                                   found: str) -> None:
    with pytest.raises(error, match=r"^ListRecords page 2") as caught:
        parse_bytes(data, where="ListRecords page 2")
    assert found in str(caught.value)


def test_parse_bytes_keeps_the_limits_it_is_given() -> None:
    with pytest.raises(XmlRefused, match="is 31 bytes, over the limit of 30"):
        parse_bytes(b"<a>" + b"x" * 24 + b"</a>", where="p", max_bytes=30)
    assert parse_bytes(b"<a><b><c/></b></a>", where="p", max_depth=3).tag == "a"
    with pytest.raises(XmlRefused, match="deeper than 2 levels"):
        parse_bytes(b"<a><b><c/></b></a>", where="p", max_depth=2)


@pytest.mark.parametrize(("key", "value"), [
    ("resolve_entities", True), ("resolve_entities", "internal"), ("load_dtd", True),
    ("no_network", False), ("huge_tree", True), ("dtd_validation", True),
    ("attribute_defaults", True), ("decompress", True),
])
def test_safe_parser_cannot_be_weakened(key: str, value: Any) -> None:
    with pytest.raises(ValueError, match=f"{key}={value!r} would weaken"):
        safe_parser(**{key: value})


def test_safe_parser_leaves_entities_unexpanded() -> None:
    parser = safe_parser(remove_blank_text=True, resolve_entities=False)
    root = etree.fromstring(b'<!DOCTYPE a [<!ENTITY e "expanded">]><a> <b>&e;</b> </a>', parser)
    assert etree.tostring(root) == b"<a><b>&e;</b></a>"


def stream(data: bytes, **options: Any) -> list[tuple[str, str]]:
    return [(event, el.get("id") or el.tag) for event, el in
            iterparse(io.BytesIO(data), where="xuat.xml", **options)]


RECORDS = b"<ds>" + b"".join(b'<nv id="%d"><t>%d</t></nv>' % (i, i) for i in range(50)) + b"</ds>"


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 1 << 16])
def test_records_come_out_whole_whatever_the_chunk_size(chunk_size: int) -> None:
    got = stream(RECORDS, tag="nv", chunk_size=chunk_size)
    assert got == [("end", str(i)) for i in range(50)]


def test_start_and_end_events_and_several_tags() -> None:
    data = b'<ds><nv id="1"/><khac id="k"/><nv id="2"/></ds>'
    assert stream(data, tag=["nv", "khac"], events=("start", "end")) == [
        ("start", "1"), ("end", "1"), ("start", "k"), ("end", "k"), ("start", "2"), ("end", "2")]


def test_records_are_cleared_once_the_next_is_asked_for() -> None:
    events = iterparse(io.BytesIO(RECORDS), tag="nv")
    for _, element in events:
        before = element.getprevious()
        # The record before is emptied, and the ones before it dropped.
        assert before is None or (len(before) == 0 and before.getprevious() is None)
        assert element.findtext("t") == element.get("id")
    assert events.root is not None and events.root.tag == "ds"
    assert len(events.root) == 1 and len(events.root[0]) == 0


def test_clear_false_keeps_the_tree() -> None:
    events = iterparse(io.BytesIO(RECORDS), tag="nv", clear=False)
    assert len(list(events)) == 50
    assert events.root is not None and len(events.root) == 50


def test_a_path_is_opened_and_named_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "xuat.xml"
    path.write_bytes(b'<ds>\n<nv id="1"/>\n<nv id="2">\n</ds>')
    events = iterparse(path, tag="nv")
    assert next(events)[1].get("id") == "1"
    with pytest.raises(XmlMalformed, match=f"^{path}, line 4: is not well-formed XML"):
        next(events)


def test_a_dtd_split_across_chunks_is_still_refused() -> None:
    padding = "".join(f"<!ELEMENT e{i} ANY>" for i in range(3000))     # ~60 KB of declarations
    data = f'<!DOCTYPE ds [{padding}<!ENTITY e SYSTEM "file:///etc/passwd">]><ds><nv/></ds>'
    with pytest.raises(XmlRefused, match="declares the entity 'e'"):
        stream(data.encode(), tag="nv", chunk_size=4096)


def test_the_size_cap_counts_bytes_read() -> None:
    got: list[tuple[str, str]] = []
    with pytest.raises(XmlRefused, match="over the limit of 100 bytes"):
        for event, element in iterparse(io.BytesIO(RECORDS), tag="nv", max_bytes=100,
                                        chunk_size=10):
            got.append((event, element.get("id") or ""))
    assert 0 < len(got) < 50


@pytest.mark.parametrize(("options", "message"), [
    pytest.param({"max_depth": 0}, "max_depth must be from 1 to 256", id="depth-zero"),
    pytest.param({"max_depth": 300}, "max_depth must be from 1 to 256", id="depth-needs-huge"),
    pytest.param({"max_bytes": -1}, "max_bytes must be a positive", id="negative-size"),
    pytest.param({"events": ("start-ns",)}, "events must be", id="namespace-events"),
    pytest.param({"encoding": "shift_jis"}, "cannot be checked before parsing",
                 id="multibyte-encoding"),
])
def test_bad_arguments_fail_before_reading(options: dict[str, Any], message: str) -> None:
    source = io.BytesIO(RECORDS)
    with pytest.raises(ValueError, match=message):
        iterparse(source, tag="nv", **options)
    assert source.tell() == 0


@pytest.mark.parametrize(("name", "expected"), [
    ("utf-8", "utf-8"), ("UTF-16", "UTF-16"), ("windows-1258", "windows-1258"),
    ("cp1258", "cp1258"), ("latin-1", "iso8859-1"),
])
def test_check_encoding_gives_a_name_libxml2_knows(name: str, expected: str) -> None:
    assert check_encoding(name) == expected


def test_a_forced_single_byte_encoding_reads_vietnamese() -> None:
    text = "<ds><nv>Vi\u00ea\u0323t Nam</nv></ds>"          # cp1258 writes tones as marks
    data = text.encode("cp1258")
    [(_, element)] = list(iterparse(io.BytesIO(data), tag="nv", encoding="windows-1258",
                                    clear=False))
    assert element.text == "Vi\u1ec7t Nam"               # and libxml2 composes them
