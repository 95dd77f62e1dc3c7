"""OpenAIRE CERIF Projects: their references resolved, and valid national records made of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from lxml import etree

from connectors.base import SourceRecord
from connectors.oaipmh import OaiPmhConnector
from schemas.mapping import load_mapping, map_record
from schemas.mapping.ready import ready_mapping_path
from schemas.validate import validate

DATA = Path(__file__).parent / "data" / "oaipmh"
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
URL = "https://cris.example.edu.vn/oai"
PREFIX = "oai_cerif_openaire"
CERIF = "{https://www.openaire.eu/cerif-profile/1.2/}"

# set or resumptionToken -> the page the repository answers with
CRIS = {"openaire_cris_projects": DATA / "ListRecords-cerif-projects.xml",
        "openaire_cris_orgunits": DATA / "ListRecords-cerif-orgunits.xml",
        "don-vi-2": DATA / "ListRecords-cerif-orgunits-2.xml",
        "openaire_cris_persons": DATA / "ListRecords-cerif-persons.xml",
        "openaire_cris_funding": DATA / "ListRecords-cerif-funding.xml"}


class Cris:
    """A CRIS answering Identify, and ListRecords by set (or resumption token) from `pages`."""

    def __init__(self, pages: Mapping[str, Path | bytes]):
        self.pages = pages
        self.asked: list[dict[str, str]] = []

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        query = dict(parse_qsl(urlsplit(str(request.url)).query))
        self.asked.append(query)
        if query["verb"] == "Identify":
            return 200, {}, (DATA / "Identify-cerif.xml").read_bytes()
        key = query.get("resumptionToken") or query.get("set", "")
        page = self.pages.get(key)
        if page is None:
            return 200, {}, (b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
                             b'<error code="noRecordsMatch"/></OAI-PMH>')
        assert "resumptionToken" in query or query["metadataPrefix"] == PREFIX
        return 200, {}, page if isinstance(page, bytes) else page.read_bytes()

    def sets_listed(self) -> list[str]:
        return [q["set"] for q in self.asked if q["verb"] == "ListRecords" and "set" in q]


@pytest.fixture
def cris() -> Iterator[Callable[[Mapping[str, Path | bytes]], Cris]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        def install(pages: Mapping[str, Path | bytes]) -> Cris:
            server = Cris(pages)
            mock.add_callback(responses.GET, URL, callback=server)
            return server
        yield install


def projects(**options: Any) -> list[SourceRecord]:
    connector = OaiPmhConnector("cris", {"url": URL, "metadata_prefix": PREFIX,
                                         "set": "openaire_cris_projects", "cerif": True,
                                         **options})
    return list(connector.records())


def project_element(record: SourceRecord) -> etree._Element:
    return etree.fromstring(record.payload["_xml"])


def test_references_by_id_are_replaced_by_the_records_they_name(
        cris: Callable[[Mapping[str, Path | bytes]], Cris]) -> None:
    server = cris(CRIS)
    got = projects()
    assert [r.record_id for r in got] == ["oai:cris.example.edu.vn:Projects/501",
                                          "oai:cris.example.edu.vn:Projects/502",
                                          "oai:cris.example.edu.vn:Projects/499"]
    p = project_element(got[0])
    coordinator = p.find(f"{CERIF}Consortium/{CERIF}Coordinator/{CERIF}OrgUnit")
    assert coordinator is not None and coordinator.get("id") == "OrgUnits/1"
    assert [n.text for n in coordinator.findall(f"{CERIF}Name")] == [
        "Provincial Institute of Agricultural Science", "Viện Khoa học Nông nghiệp tỉnh"]
    person = p.find(f"{CERIF}Team/{CERIF}PrincipalInvestigator/{CERIF}Person")
    assert person is not None
    assert person.findtext(f"{CERIF}PersonName/{CERIF}FamilyNames") == "Nguyễn"
    # Two levels deep: the investigator's affiliation is resolved too.
    assert person.findtext(f"{CERIF}Affiliation/{CERIF}OrgUnit/{CERIF}Name[2]") == (
        "Viện Khoa học Nông nghiệp tỉnh")
    amount = p.find(f"{CERIF}Funded/{CERIF}As/{CERIF}Funding/{CERIF}Amount")
    assert amount is not None and (amount.text, amount.get("currency")) == ("850000000", "VND")
    # Each set is read once, whole (the OrgUnits over two pages), however many references.
    assert server.sets_listed() == ["openaire_cris_projects", "openaire_cris_orgunits",
                                    "openaire_cris_persons", "openaire_cris_funding"]


def test_a_partial_reference_is_completed(
        cris: Callable[[Mapping[str, Path | bytes]], Cris]) -> None:
    cris(CRIS)
    partner = project_element(projects()[0]).findall(
        f"{CERIF}Consortium/{CERIF}Partner/{CERIF}OrgUnit")[1]
    # It gave only its acronym; the OrgUnit record has the name.
    assert partner.findtext(f"{CERIF}Name") == "Rice Seed Centre"


def test_a_deleted_project_is_yielded_as_a_deletion(
        cris: Callable[[Mapping[str, Path | bytes]], Cris]) -> None:
    cris(CRIS)
    deleted = projects()[2]
    assert deleted.deleted and "_xml" not in deleted.payload


def test_entities_in_the_same_list_resolve_without_asking_for_their_set(
        cris: Callable[[Mapping[str, Path | bytes]], Cris]) -> None:
    # A repository harvested without a set lists OrgUnits and Persons beside the Projects.
    page = etree.parse(str(DATA / "ListRecords-cerif-projects.xml")).getroot()
    holder = page.find("{*}ListRecords")
    assert holder is not None
    for extra in ("ListRecords-cerif-orgunits.xml", "ListRecords-cerif-orgunits-2.xml",
                  "ListRecords-cerif-persons.xml", "ListRecords-cerif-funding.xml"):
        holder.extend(etree.parse(str(DATA / extra)).getroot().iterfind("{*}ListRecords/{*}record"))
    server = cris({"": etree.tostring(page)})
    got = list(OaiPmhConnector("cris", {"url": URL, "metadata_prefix": PREFIX,
                                        "cerif": True}).records())
    assert [r.record_id.rpartition(":")[2] for r in got] == [
        "Projects/501", "Projects/502", "Projects/499"]
    assert project_element(got[1]).findtext(
        f"{CERIF}Team/{CERIF}PrincipalInvestigator/{CERIF}Person/{CERIF}PersonName/"
        f"{CERIF}FirstNames") == "Minh Châu"
    assert server.sets_listed() == []


def test_an_unresolved_reference_is_logged_and_the_project_yielded(
        cris: Callable[[Mapping[str, Path | bytes]], Cris],
        caplog: pytest.LogCaptureFixture) -> None:
    server = cris({"openaire_cris_projects": DATA / "ListRecords-cerif-projects.xml"})
    got = projects()
    assert len(got) == 3
    assert "Projects/501 refers to Funding Fundings/20, OrgUnit OrgUnits/1" in caplog.text
    # A repository without those sets is asked once for each, not once per reference.
    assert server.sets_listed() == ["openaire_cris_projects", "openaire_cris_orgunits",
                                    "openaire_cris_persons", "openaire_cris_funding"]


def test_a_repository_without_sets_leaves_references_as_they_are(
        cris: Callable[[Mapping[str, Path | bytes]], Cris],
        caplog: pytest.LogCaptureFixture) -> None:
    no_sets = (b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
               b'<error code="noSetHierarchy">no sets here</error></OAI-PMH>')
    cris({"openaire_cris_projects": DATA / "ListRecords-cerif-projects.xml",
          "openaire_cris_orgunits": no_sets, "openaire_cris_persons": no_sets,
          "openaire_cris_funding": no_sets})
    assert len(projects()) == 3
    assert "cannot read set openaire_cris_orgunits to resolve CERIF references" in caplog.text


# The ready mapping ----------------------------------------------------------------------------

def mapped(records: list[SourceRecord]) -> list[tuple[dict[str, Any], list[str]]]:
    mapping = load_mapping(ready_mapping_path("openaire_cerif_project"))
    out = []
    for r in records:
        result = map_record(mapping, r.payload, r.record_id, origin=r.origin)
        problems = [*result.problems, *validate(result.record)]
        out.append((result.record, [f"{p.path}: {p.message_en}" for p in problems]))
    return out


def test_the_ready_mapping_makes_valid_records_of_resolved_projects(
        cris: Callable[[Mapping[str, Path | bytes]], Cris]) -> None:
    cris(CRIS)
    (first, first_problems), (second, second_problems) = mapped(
        [r for r in projects() if not r.deleted])
    assert first_problems == [] and second_problems == []
    assert first["local_id"] == "cerif:oai:cris.example.edu.vn:Projects/501"
    assert first["task_code"] == "ĐTCT.2024-03"
    assert first["title"] == "Chọn tạo giống lúa chịu mặn cho các huyện ven biển"
    assert (first["start_date"], first["end_date"]) == ("2024-01-01", "2025-12-31")
    assert first["host_organization"] == {"name": "Viện Khoa học Nông nghiệp tỉnh"}
    assert first["principal_investigator"] == {"full_name": "Nguyễn Văn An"}
    assert first["participants"] == [{"full_name": "Lê Minh Châu",
                                      "organization": "Trường Đại học Kỹ thuật tỉnh"}]
    assert first["budget"] == {"total_vnd": 850_000_000}
    assert first["keywords"] == ["lúa chịu mặn", "biến đổi khí hậu"]
    # The second shows its investigator's titles, and is funded in USD only: 0 đồng known.
    assert second["principal_investigator"] == {"full_name": "Lê Minh Châu", "degree": "TS"}
    assert second["title"] == "Water-quality sensing for shrimp farms"
    assert second["budget"] == {"total_vnd": 0}


SAMPLE_PROJECTS = {
    "1.2": ("samples", "openaire_cerif_xml_example_projects.xml"),
    "1.1": ("v1.1-validator-samples", "_verb=ListRecords+metadataPrefix=oai_cerif_openaire_v1_1"
            "+set=openaire_cris_projects.xml"),
}


@pytest.mark.samples
@pytest.mark.parametrize("folder,name", SAMPLE_PROJECTS.values(), ids=SAMPLE_PROJECTS.keys())
def test_the_openaire_sample_projects_map_to_valid_records(
        cris: Callable[[Mapping[str, Path | bytes]], Cris], folder: str, name: str) -> None:
    path = SAMPLES / "openaire-cerif" / folder / name
    if not path.is_file():
        pytest.skip("the shared OpenAIRE CERIF samples are not beside this checkout")
    cris({"openaire_cris_projects": path})
    results = mapped(projects())
    assert results and all(problems == [] for _, problems in results)
    by_code = {record["task_code"]: record for record, _ in results}
    assert by_code["OpenAIRE"]["title"] == "Open Access Infrastructure for Research in Europe"
    assert by_code["OpenAIRE"]["host_organization"]["name"] == (
        "NATIONAL AND KAPODISTRIAN UNIVERSITY OF ATHENS")
    assert (by_code["OpenAIRE"]["start_date"], by_code["OpenAIRE"]["end_date"]) == (
        "2009-12-01", "2012-11-30")
    # No coordinator, one partner: the partner hosts it.
    assert by_code["EUFAR"]["host_organization"]["name"] == "NATIONAL RESEARCH COUNCIL"
    assert "open access" in by_code["OpenAIRE"]["keywords"]
