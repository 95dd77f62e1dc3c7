"""The oaipmh connector on the shared samples: Sickle, DSpace, HTTP-OAI and OpenAIRE answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from lxml import etree

from connectors.errors import SourceConfigError, SourceDataError
from connectors.oaipmh import OaiPmhConnector

pytestmark = pytest.mark.samples

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
URL = "https://repo.example.org/oai"
UTC = timezone.utc
DC = "{http://purl.org/dc/elements/1.1/}"
CERIF = "{https://www.openaire.eu/cerif-profile/1.2/}"

LIST = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
# What a route serves: a sample file, or bytes built from samples.
Served = Path | bytes


def sample(folder: str) -> Path:
    path = SAMPLES / folder
    if not path.is_dir():
        pytest.skip(f"the shared samples ({path.name}) are not beside this checkout")
    return path


class Replay:
    """Answers each request with the sample file routed to its query (in any order); a list
    of files is given one per request, the last one repeating."""

    def __init__(self, routes: Mapping[frozenset[tuple[str, str]], Served | list[Served]]):
        self.routes = {q: f if isinstance(f, list) else [f] for q, f in routes.items()}
        self.asked: list[dict[str, str]] = []

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        query = dict(parse_qsl(urlsplit(str(request.url)).query))
        self.asked.append(query)
        files = self.routes.get(frozenset(query.items()))
        if files is None:
            pytest.fail(f"unexpected request {query}")
        served = files.pop(0) if len(files) > 1 else files[0]
        body = served if isinstance(served, bytes) else served.read_bytes()
        return 200, {"Content-Type": "text/xml"}, body


def q(**params: str) -> frozenset[tuple[str, str]]:
    return frozenset(params.items())


@pytest.fixture
def replay() -> Iterator[Callable[..., Replay]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        def install(routes: Mapping[frozenset[tuple[str, str]], Served | list[Served]]
                    ) -> Replay:
            server = Replay(routes)
            mock.add_callback(responses.GET, URL, callback=server)
            return server
        yield install


def harvester(**options: Any) -> OaiPmhConnector:
    return OaiPmhConnector("kho", {"url": URL, **options}, sleep=lambda _: None)


# Sickle: the token chain, every error code, a broken page --------------------------------------

def sickle_chain(folder: Path, **changes: Path) -> dict[frozenset[tuple[str, str]], Path]:
    routes = {q(verb="Identify"): folder / "Identify.xml", q(**LIST): folder / "ListRecords.xml"}
    for name in ("ListRecords2.xml", "ListRecords3.xml", "ListRecords4.xml"):
        routes[q(verb="ListRecords", resumptionToken=name)] = changes.get(name, folder / name)
    return routes


def test_the_sickle_token_chain_is_followed_to_its_end(
        replay: Callable[..., Replay], caplog: pytest.LogCaptureFixture) -> None:
    folder = sample("oai-pmh-sickle")
    server = replay(sickle_chain(folder))
    got = list(harvester().records())
    assert [q.get("resumptionToken") for q in server.asked[1:]] == [
        None, "ListRecords2.xml", "ListRecords3.xml", "ListRecords4.xml"]
    # Pages 2 and 3 repeat page 1's records; page 4 has a deleted header without identifier.
    assert [(r.record_id, r.deleted) for r in got] == [
        ("oai:test.example.com:1585310", True), ("oai:test.example.com:1585322", False),
        ("", True)]
    assert got[1].modified_at == datetime(2011, 1, 10, 10, 19, 23, tzinfo=UTC)
    assert got[2].origin["page"] == 4
    assert "has no identifier in its header" in caplog.text


def test_a_broken_page_in_the_chain_fails_after_the_pages_before_it(
        replay: Callable[..., Replay]) -> None:
    folder = sample("oai-pmh-sickle")
    replay(sickle_chain(folder, **{"ListRecords3.xml": folder / "ListRecordsBroken.xml"}))
    got: list[str] = []
    with pytest.raises(SourceDataError) as caught:
        for record in harvester().records():
            got.append(record.record_id)
    assert got == ["oai:test.example.com:1585310", "oai:test.example.com:1585322"]
    assert caught.value.where == f"{URL}?verb=ListRecords&metadataPrefix=oai_dc (page 3)"
    assert "not well-formed XML" in str(caught.value) and "broken xml" in str(caught.value)


def test_sickles_bad_resumption_token_restarts_once_then_fails(
        replay: Callable[..., Replay]) -> None:
    folder = sample("oai-pmh-sickle")
    server = replay(sickle_chain(folder, **{"ListRecords2.xml": folder /
                                            "badResumptionToken.xml"}))
    with pytest.raises(SourceDataError, match="refused its own resumption token again"):
        list(harvester().records())
    # Page 1 is not in datestamp order, so the restart is from the beginning, not a datestamp.
    lists = [a for a in server.asked if a["verb"] == "ListRecords"]
    assert lists == [LIST, {"verb": "ListRecords", "resumptionToken": "ListRecords2.xml"}] * 2


ERROR_CODES: dict[str, tuple[dict[str, str], Any]] = {
    "badArgument": ({}, pytest.raises(SourceConfigError, match="'metadata_prefix'")),
    "cannotDisseminateFormat": ({}, pytest.raises(
        SourceConfigError, match=r"'metadata_prefix' .*; it offers epicur, xMetaDissPlus, oai_dc, "
        r"mods, swepub_mods$")),
    "noSetHierarchy": ({"set": "nhiem-vu"}, pytest.raises(SourceConfigError, match="'set'")),
    "badResumptionToken": ({}, pytest.raises(SourceDataError, match="badResumptionToken: This "
                                             "resumptionToken is invalid")),
    "undefinedError": ({}, pytest.raises(SourceDataError, match="with an error: undefinedError")),
}


@pytest.mark.parametrize("code,options,expected", [(c, *v) for c, v in ERROR_CODES.items()],
                         ids=ERROR_CODES.keys())
def test_every_sickle_error_code_on_the_first_list_request(
        replay: Callable[..., Replay], code: str, options: dict[str, str], expected: Any) -> None:
    folder = sample("oai-pmh-sickle")
    replay({q(verb="Identify"): folder / "Identify.xml",
            q(verb="ListMetadataFormats"): folder / "ListMetadataFormats.xml",
            q(**LIST, **options): folder / f"{code}.xml"})
    with expected:
        list(harvester(**options).records())


def test_sickles_no_records_match_is_an_empty_harvest(replay: Callable[..., Replay]) -> None:
    folder = sample("oai-pmh-sickle")
    replay({q(verb="Identify"): folder / "Identify.xml",
            q(**LIST, **{"from": "2013-02-26"}): folder / "noRecordsMatch.xml"})
    assert list(harvester().records(datetime(2013, 2, 27, 0, 30, tzinfo=UTC))) == []


def test_sickles_id_does_not_exist_names_the_identifier(replay: Callable[..., Replay]) -> None:
    folder = sample("oai-pmh-sickle")
    replay({q(verb="Identify"): folder / "Identify.xml",
            q(verb="GetRecord", identifier="oai:x:1", metadataPrefix="oai_dc"):
                folder / "idDoesNotExist.xml"})
    with pytest.raises(SourceConfigError) as caught:
        harvester().get_record("oai:x:1")
    assert caught.value.key == "identifier"
    assert "maps to no known item" in str(caught.value)


@pytest.mark.parametrize("name", ["GetRecord.xml", "GetRecord_utf8test.xml"])
def test_sickles_get_record(replay: Callable[..., Replay], name: str) -> None:
    folder = sample("oai-pmh-sickle")
    ident = "oai:test.example.com:1996652"
    replay({q(verb="Identify"): folder / "Identify.xml",
            q(verb="GetRecord", identifier=ident, metadataPrefix="oai_dc"): folder / name})
    record = harvester().get_record(ident)
    assert record is not None and record.record_id == ident
    creators = etree.fromstring(record.payload["_xml"]).findall(f"{DC}creator")
    assert creators
    if name == "GetRecord_utf8test.xml":
        assert creators[0].text == "某人"


# DSpace: real answers from 2003-2006, replayed by the query that produced them ----------------

def dspace_routes(folder: Path) -> dict[frozenset[tuple[str, str]], Path]:
    lines = (folder / "mapping.txt").read_text(encoding="utf-8").split()
    return {frozenset(parse_qsl(query)): folder / name
            for query, name in zip(lines[::2], lines[1::2], strict=True)}


def test_a_dspace_list_from_a_datestamp(replay: Callable[..., Replay]) -> None:
    folder = sample("oai-pmh-dspace-recorded")
    replay(dspace_routes(folder / "fake1"))
    got = list(harvester().records(datetime(2003, 4, 10, 1, 0, tzinfo=UTC)))
    assert len(got) == 16
    assert got[0].record_id == "hdl:1765/308"
    assert got[0].modified_at == datetime(2003, 4, 15, 10, 18, 51, tzinfo=UTC)
    assert got[0].payload["sets"] == ["1:2"]
    assert all(etree.fromstring(r.payload["_xml"]).find(f"{DC}title") is not None for r in got)


def test_a_large_dspace_page_with_deletions(replay: Callable[..., Replay]) -> None:
    folder = sample("oai-pmh-dspace-recorded")
    routes = {**dspace_routes(folder / "fake2"),
              q(verb="Identify"): folder / "fake1" / "00001.xml"}
    replay(routes)
    got = list(harvester(overlap="2h").records(datetime(2004, 1, 1, 2, 0, tzinfo=UTC)))
    assert len(got) == 81
    assert sum(r.deleted for r in got) == 2
    assert all(r.modified_at is not None for r in got)


def test_a_dspace_deleted_record_by_identifier(replay: Callable[..., Replay]) -> None:
    folder = sample("oai-pmh-dspace-recorded")
    replay({**dspace_routes(folder / "fake2"), q(verb="Identify"): folder / "fake1" / "00001.xml"})
    record = harvester().get_record("hdl:1765/1160")
    assert record is not None and record.deleted
    assert record.payload["sets"] == ["1:1"]        # given twice in the header, kept once


@pytest.mark.parametrize("fake,says", [
    ("fake3", "not well-formed XML"),
    ("fake4", "not well-formed XML"),
], ids=["stray-element", "undefined-entity"])
def test_a_malformed_dspace_identify_fails_naming_it(
        replay: Callable[..., Replay], fake: str, says: str) -> None:
    folder = sample("oai-pmh-dspace-recorded")
    replay(dspace_routes(folder / fake))
    with pytest.raises(SourceDataError) as caught:
        list(harvester().records())
    assert caught.value.where == f"{URL}?verb=Identify"
    assert says in str(caught.value)


def test_an_unreadable_earliest_datestamp_is_forgiven(
        replay: Callable[..., Replay], caplog: pytest.LogCaptureFixture) -> None:
    folder = sample("oai-pmh-dspace-recorded")
    replay({**dspace_routes(folder / "fake1"), **dspace_routes(folder / "fake5")})
    got = list(harvester().records(datetime(2003, 4, 10, 1, 0, tzinfo=UTC)))
    assert len(got) == 16
    assert "earliestDatestamp 'aaaa-bb-cc' is not an OAI-PMH datestamp" in caplog.text


# HTTP-OAI: illegal bytes in a field, a static repository ----------------------------------------

def test_illegal_characters_are_taken_out_and_the_record_named(
        replay: Callable[..., Replay], caplog: pytest.LogCaptureFixture) -> None:
    folder = sample("oai-pmh-http-oai")
    ident = "oai:arXiv.org:hep-th/0001001"
    replay({q(verb="Identify"): folder / "identify.xml",
            q(verb="GetRecord", identifier=ident, metadataPrefix="oai_dc"):
                folder / "badbytes.xml"})
    record = harvester().get_record(ident)
    assert record is not None
    description = etree.fromstring(record.payload["_xml"]).findtext(f"{DC}description") or ""
    assert "moduli space of N=2 theories" in description and "\x06" not in description
    assert f"record {ident!r}" in caplog.text and "XML 1.0 forbids" in caplog.text


def test_illegal_characters_inside_a_list_page_spare_the_harvest(
        replay: Callable[..., Replay], caplog: pytest.LogCaptureFixture) -> None:
    folder = sample("oai-pmh-http-oai")
    record = etree.tostring(etree.fromstring((folder / "getrecord.xml").read_bytes()).find(
        ".//{*}record")).replace(b"hep-th/0001001", b"hep-th/0001002")
    bad = (folder / "badbytes.xml").read_bytes()
    bad_record = bad[bad.index(b"<record>"):bad.index(b"</record>") + len(b"</record>")]
    page = (b'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/'
            b'OAI/2.0/"><responseDate>2005-02-25T16:37:50Z</responseDate><request>x</request>'
            b"<ListRecords>\n" + record + b"\n" + bad_record + b"\n</ListRecords></OAI-PMH>")
    replay({q(verb="Identify"): folder / "identify.xml", q(**LIST): page})
    got = list(harvester().records())
    assert len(got) == 2
    warned = [r.getMessage() for r in caplog.records if "XML 1.0 forbids" in r.getMessage()]
    assert any(got[1].record_id in m for m in warned)
    assert not any(f"record {got[0].record_id!r}" in m for m in warned)


def test_a_static_repository_file_is_not_an_endpoint(replay: Callable[..., Replay]) -> None:
    folder = sample("oai-pmh-http-oai")
    replay({q(verb="Identify"): folder / "repository.xml"})
    with pytest.raises(SourceDataError, match=r"not OAI-PMH \(its root element is <Repository>\)"):
        list(harvester().records())


# OpenAIRE CERIF: Projects with their organisations embedded, profiles 1.2 and 1.1 --------------

CERIF_LISTS = {
    "1.2": ("samples", "openaire_cerif_xml_example_projects.xml", 4),
    "1.1": ("v1.1-validator-samples",
            "_verb=ListRecords+metadataPrefix=oai_cerif_openaire_v1_1+set=openaire_cris_projects"
            ".xml", 3),
}


@pytest.mark.parametrize("folder,name,count", CERIF_LISTS.values(), ids=CERIF_LISTS.keys())
def test_openaire_projects_are_yielded_in_the_current_profile(
        replay: Callable[..., Replay], folder: str, name: str, count: int) -> None:
    root = sample("openaire-cerif")
    server = replay({
        q(verb="Identify"): root / "samples" / "openaire_oaipmh_example_Identify.xml",
        q(verb="ListRecords", metadataPrefix="oai_cerif_openaire", set="openaire_cris_projects"):
            root / folder / name})
    got = list(harvester(metadata_prefix="oai_cerif_openaire", set="openaire_cris_projects",
                         cerif=True).records())
    assert len(got) == count
    project = etree.fromstring(got[0].payload["_xml"])
    assert project.tag == f"{CERIF}Project"
    names = project.findall(f"{CERIF}Consortium/{CERIF}Coordinator/{CERIF}OrgUnit/{CERIF}Name")
    assert "NATIONAL AND KAPODISTRIAN UNIVERSITY OF ATHENS" in [n.text for n in names]
    # Everything was embedded: no set was harvested to resolve references.
    assert [a.get("set") for a in server.asked if a["verb"] == "ListRecords"] == [
        "openaire_cris_projects"]


def test_other_cerif_entities_are_not_yielded(replay: Callable[..., Replay]) -> None:
    root = sample("openaire-cerif") / "samples"
    replay({q(verb="Identify"): root / "openaire_oaipmh_example_Identify.xml",
            q(verb="ListRecords", metadataPrefix="oai_cerif_openaire",
              set="openaire_cris_orgunits"): root / "openaire_cerif_xml_example_orgunits.xml"})
    assert list(harvester(metadata_prefix="oai_cerif_openaire", set="openaire_cris_orgunits",
                          cerif=True).records()) == []


def test_without_cerif_every_record_is_yielded_as_published(
        replay: Callable[..., Replay]) -> None:
    root = sample("openaire-cerif") / "samples"
    replay({q(verb="Identify"): root / "openaire_oaipmh_example_Identify.xml",
            q(verb="ListRecords", metadataPrefix="oai_cerif_openaire",
              set="openaire_cris_orgunits"): root / "openaire_cerif_xml_example_orgunits.xml"})
    got = list(harvester(metadata_prefix="oai_cerif_openaire",
                         set="openaire_cris_orgunits").records())
    assert got and all(r.payload["_xml"].startswith("<OrgUnit") for r in got)

