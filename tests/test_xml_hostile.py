"""Hostile XML at every entry point: XXE, external DTDs, entity bombs, parameter entities and
deep nesting are refused, read no local file, contact no host and return at once.

Entry points: an XML export file and download (the xml connector), `iterparse` and
`parse_bytes` (what OAI-PMH pages go through), a record's `_xml` in a mapping, and the sheets of
an .xlsx workbook (zip archives of XML, read by openpyxl through defusedxml).
"""

from __future__ import annotations

import gc
import logging
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from defusedxml import EntitiesForbidden
from flask import Flask, Response, request

from connectors.errors import SourceDataError
from connectors.spreadsheet import SpreadsheetConnector
from connectors.xml import XmlConnector
from connectors.xmlsafe import XmlRefused, iterparse, parse_bytes
from schemas.mapping import map_record, parse_mapping
from stisync.wsgi import start_background

SECRET = "BI-MAT-3f9c1e-KHONG-DUOC-LO"
BODY = '<ds><nv id="1"><ten>{}</ten></nv></ds>'
LOL = '<!ENTITY lol0 "lol">' + "".join(
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
)


def corpus(secret_uri: str, url: str) -> dict[str, bytes]:
    """Each hostile document; `secret_uri` names a local file, `url` a loopback server."""
    big = "A" * 50_000
    docs = {
        "xxe-local-file": f'<!DOCTYPE ds [<!ENTITY bi_mat SYSTEM "{secret_uri}">]>'
        + BODY.format("&bi_mat;"),
        "xxe-over-http": f'<!DOCTYPE ds [<!ENTITY bi_mat SYSTEM "{url}/bi-mat.txt">]>'
        + BODY.format("&bi_mat;"),
        "external-dtd": f'<!DOCTYPE ds SYSTEM "{url}/evil.dtd">' + BODY.format("&leak;"),
        "external-dtd-public": f'<!DOCTYPE ds PUBLIC "-//SO KHCN//DTD NV//VI" "{url}/evil.dtd">'
        + BODY.format("x"),
        "parameter-entity-file": f'<!DOCTYPE ds [<!ENTITY % p SYSTEM "{secret_uri}"> %p;]>'
        + BODY.format("x"),
        "parameter-entity-http": f'<!DOCTYPE ds [<!ENTITY % p SYSTEM "{url}/evil.dtd"> %p;]>'
        + BODY.format("&leak;"),
        "parameter-entity-internal": "<!DOCTYPE ds [<!ENTITY % d \"<!ENTITY x 'y'>\"> %d;]>"
        + BODY.format("&x;"),
        "billion-laughs": f"<!DOCTYPE ds [{LOL}]>" + BODY.format("&lol9;"),
        "billion-laughs-in-attribute": f"<!DOCTYPE ds [{LOL}]>"
        + '<ds><nv id="&lol9;"><ten>x</ten></nv></ds>',
        "quadratic-blowup": f'<!DOCTYPE ds [<!ENTITY a "{big}">]>' + BODY.format("&a;" * 50_000),
        "unparsed-entity": f'<!DOCTYPE ds [<!NOTATION n SYSTEM "x"><!ENTITY u SYSTEM '
        f'"{url}/u.bin" NDATA n>]>' + '<ds><nv id="1" anh="u"/></ds>',
        "deep-nesting": BODY.format("<a>" * 5000 + "</a>" * 5000),
    }
    data = {
        name: ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode()
        for name, text in docs.items()
    }
    data["xxe-utf16"] = (
        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE ds [<!ENTITY '
        f'bi_mat SYSTEM "{secret_uri}">]>' + BODY.format("&bi_mat;")
    ).encode("utf-16")
    return data


NAMES = list(corpus("file:///x", "http://x"))


class Attacker:
    """A loopback server that would hand out the DTDs and files the documents point at."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.documents: dict[str, bytes] = {}
        self.app = Flask(__name__)
        self.app.add_url_rule("/doc/<name>", view_func=self.document)
        self.app.add_url_rule("/<path:anything>", view_func=self.bait)

    def document(self, name: str) -> Response:
        return Response(self.documents[name], mimetype="application/xml")

    def bait(self, anything: str) -> Response:
        self.requests.append(request.path)
        return Response(f'<!ENTITY leak "{SECRET}">' if anything.endswith(".dtd") else SECRET)


@pytest.fixture(scope="module")
def attacker() -> Iterator[tuple[Attacker, str]]:
    state = Attacker()
    with start_background(state.app) as running:
        yield state, running.url
        gc.collect()


@pytest.fixture
def hostile(
    attacker: tuple[Attacker, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[dict[str, Any]]:
    """The corpus pointed at a secret in tmp_path and at the attacker; afterwards, checks that
    the secret was never read and the attacker never asked."""
    state, url = attacker
    secret = tmp_path / "bi-mat.txt"
    secret.write_text(SECRET, encoding="utf-8")
    docs = corpus(secret.as_uri(), url)
    state.documents = docs
    state.requests.clear()
    caplog.set_level(logging.DEBUG)
    yield {"docs": docs, "url": url, "dir": tmp_path}
    assert state.requests == [], "a hostile document made us contact a host"
    assert SECRET not in caplog.text


def refused_by(run: Callable[[], Any], error: type[Exception], match: str) -> Exception:
    with pytest.raises(error, match=match) as caught:
        run()
    assert SECRET not in str(caught.value)
    return caught.value


@pytest.mark.timeout(5)
@pytest.mark.parametrize("name", NAMES)
def test_an_xml_export_file_is_refused(hostile: dict[str, Any], name: str) -> None:
    (hostile["dir"] / "xuat.xml").write_bytes(hostile["docs"][name])
    source = XmlConnector(
        "so-khcn", {"path": "xuat.xml", "record": "nv", "id": "@id"}, base_dir=hostile["dir"]
    )
    got: list[Any] = []
    error = refused_by(
        lambda: got.extend(source.records()),
        SourceDataError,
        r"^so-khcn: xuat\.xml, line \d+: refused: ",
    )
    assert got == []
    assert isinstance(error, SourceDataError)


@pytest.mark.timeout(5)
@pytest.mark.parametrize("name", NAMES)
def test_an_xml_download_is_refused(hostile: dict[str, Any], name: str) -> None:
    url = f"{hostile['url']}/doc/{name}"
    source = XmlConnector("so-khcn", {"url": url, "record": "nv", "id": "@id"})
    refused_by(lambda: list(source.records()), SourceDataError, f"{url}, line \\d+: refused: ")


@pytest.mark.timeout(5)
@pytest.mark.parametrize("name", NAMES)
def test_parse_bytes_refuses_it(hostile: dict[str, Any], name: str) -> None:
    error = refused_by(
        lambda: parse_bytes(hostile["docs"][name], where="ListRecords page 3"),
        XmlRefused,
        "^ListRecords page 3, line \\d+: ",
    )
    assert isinstance(error, XmlRefused) and error.line


@pytest.mark.timeout(5)
@pytest.mark.parametrize("name", NAMES)
def test_iterparse_refuses_it(hostile: dict[str, Any], name: str) -> None:
    path = hostile["dir"] / "xuat.xml"
    path.write_bytes(hostile["docs"][name])
    refused_by(lambda: list(iterparse(path, tag="nv")), XmlRefused, f"^{path}, line \\d+: ")


XPATH_MAPPING = parse_mapping(
    """
[mapping]
schema_version = "1"
namespace = "x"
[fields]
title = { xpath = "ten" }
task_code = "xpath:@id"
""",
    name="x.toml",
)


@pytest.mark.timeout(5)
@pytest.mark.parametrize("name", NAMES)
def test_a_record_xml_in_a_mapping_is_a_problem_not_an_expansion(
    hostile: dict[str, Any], name: str
) -> None:
    raw = hostile["docs"][name]
    text = raw.decode("utf-16" if name.endswith("utf16") else "utf-8")
    result = map_record(XPATH_MAPPING, {"_xml": text}, "1")
    assert [(p.path, p.code) for p in result.problems] == [("$", "bad_xml")]
    assert "title" not in result.record and "task_code" not in result.record
    assert SECRET not in repr(result)


def hostile_workbook(
    folder: Path, part: str, doctype: str, more: dict[str, str] | None = None
) -> Path:
    """An .xlsx whose `part` carries `doctype`, its id cell referring to the entity `e`;
    `more` gives other parts a doctype too (`more={"xl/styles.xml": "<!DOCTYPE …>"}`)."""
    path = folder / "nhiem-vu.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Mã số", "Kinh phí"])
    book.active.append(["NV-1", 5])
    book.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    for name, declared in {part: doctype, **(more or {})}.items():
        xml = parts[name].decode("utf-8")
        start = xml.index("?>") + 2 if xml.startswith("<?xml") else 0
        parts[name] = (
            (xml[:start] + declared + xml[start:])
            .replace("<t>NV-1</t>", "<t>&e;</t>")
            .encode("utf-8")
        )
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return path


@pytest.mark.timeout(5)
@pytest.mark.parametrize(
    ("doctype", "declared", "said"),
    [
        pytest.param(
            '<!DOCTYPE worksheet [<!ENTITY e SYSTEM "{secret}">]>',
            "name='e'",
            "its DTD declares the entity 'e' (SYSTEM '{secret}')",
            id="xxe-local-file",
        ),
        pytest.param(
            '<!DOCTYPE worksheet [<!ENTITY e SYSTEM "{url}/bi-mat.txt">]>',
            "name='e'",
            "its DTD declares the entity 'e' (SYSTEM '{url}/bi-mat.txt')",
            id="xxe-over-http",
        ),
        pytest.param(
            f'<!DOCTYPE worksheet [{LOL}<!ENTITY e "&lol9;">]>',
            "name='lol0'",
            "its DTD declares the entity 'lol0';",
            id="billion-laughs",
        ),
        pytest.param(
            '<!DOCTYPE worksheet [<!ENTITY e "' + "A" * 50_000 + '">]>',
            "name='e'",
            "its DTD declares the entity 'e';",
            id="quadratic-blowup",
        ),
        pytest.param(
            '<!DOCTYPE worksheet [<!ENTITY % p SYSTEM "{url}/evil.dtd"> %p;]>',
            "name='p'",
            "its DTD declares the parameter entity 'p' (SYSTEM '{url}/evil.dtd')",
            id="parameter-entity",
        ),
    ],
)
def test_an_xlsx_sheet_with_entities_is_refused(
    hostile: dict[str, Any], doctype: str, declared: str, said: str
) -> None:
    secret = (hostile["dir"] / "bi-mat.txt").as_uri()
    path = hostile_workbook(
        hostile["dir"],
        "xl/worksheets/sheet1.xml",
        doctype.replace("{secret}", secret).replace("{url}", hostile["url"]),
    )
    source = SpreadsheetConnector("so-khcn", {"path": str(path), "id_column": "Mã số"})
    error = refused_by(
        lambda: list(source.records()),
        SourceDataError,
        "^so-khcn: nhiem-vu.xlsx: is not a readable .xlsx workbook",
    )
    # The message says what was refused and in which part of the workbook, not openpyxl's
    # "could not read worksheets".
    said = said.replace("{secret}", secret).replace("{url}", hostile["url"])
    assert str(error).startswith(
        "so-khcn: nhiem-vu.xlsx: is not a readable .xlsx workbook "
        f"(refused: part xl/worksheets/sheet1.xml, line 1: {said}"
    )
    assert "nothing in this one was expanded or fetched" in str(error)
    assert "more part(s)" not in str(error)
    # openpyxl wraps the refusal in its own ValueError; defusedxml's is underneath.
    causes = []
    cause: BaseException | None = error
    while cause is not None:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    assert any(isinstance(c, EntitiesForbidden) and declared in str(c) for c in causes)


@pytest.mark.timeout(5)
def test_an_xlsx_with_several_hostile_parts_names_the_first_and_counts_the_rest(
    hostile: dict[str, Any],
) -> None:
    # openpyxl reads styles.xml without refusing it; the sheet is what it refuses.
    path = hostile_workbook(
        hostile["dir"],
        "xl/worksheets/sheet1.xml",
        '<!DOCTYPE worksheet [<!ENTITY e "x">]>',
        more={"xl/styles.xml": '<!DOCTYPE styleSheet [<!ENTITY s "x">]>'},
    )
    source = SpreadsheetConnector("so-khcn", {"path": str(path), "id_column": "Mã số"})
    error = refused_by(
        lambda: list(source.records()),
        SourceDataError,
        r"\(refused: part xl/worksheets/sheet1\.xml, line 1: its DTD declares "
        r"the entity 'e';.*; 1 more part\(s\) refused too\)$",
    )
    assert "styles.xml" not in str(error)


def test_openpyxl_reads_workbooks_through_defusedxml() -> None:
    # The guard above holds only while defusedxml is installed and not switched off.
    assert openpyxl.DEFUSEDXML is True


@pytest.mark.timeout(5)
@pytest.mark.parametrize(
    "doctype",
    [
        pytest.param('<!DOCTYPE workbook [<!ENTITY e SYSTEM "{secret}">]>', id="xxe-local-file"),
        pytest.param('<!DOCTYPE workbook SYSTEM "{url}/evil.dtd">', id="external-dtd"),
    ],
)
def test_an_xlsx_workbook_part_with_a_dtd_reads_and_fetches_nothing(
    hostile: dict[str, Any], doctype: str
) -> None:
    # openpyxl parses this part with lxml (resolve_entities=False): the entity is left
    # unexpanded rather than refused, so what matters is what leaks, and nothing does.
    secret = (hostile["dir"] / "bi-mat.txt").as_uri()
    path = hostile_workbook(
        hostile["dir"],
        "xl/workbook.xml",
        doctype.replace("{secret}", secret).replace("{url}", hostile["url"]),
    )
    source = SpreadsheetConnector("so-khcn", {"path": str(path), "id_column": "Mã số"})
    try:
        got = [(r.record_id, dict(r.payload)) for r in source.records()]
    except SourceDataError as exc:
        got = [("error", {"message": str(exc)})]
    assert SECRET not in repr(got)
