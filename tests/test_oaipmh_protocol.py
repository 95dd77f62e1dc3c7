"""The oaipmh connector on recorded answers: paging, `from`, OAI errors, HTTP faults, laziness."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from lxml import etree

from connectors.base import SourceRecord
from connectors.errors import (
    SourceAuthError,
    SourceConfigError,
    SourceDataError,
    SourceUnavailable,
)
from connectors.oaipmh import OaiPmhConnector

DATA = Path(__file__).parent / "data" / "oaipmh"
URL = "https://kho.example.edu.vn/oai/request"
UTC = timezone.utc

IDENTIFY = {"verb": "Identify"}
FORMATS = {"verb": "ListMetadataFormats"}
LIST = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
PAGE_2 = {"verb": "ListRecords", "resumptionToken": "trang=2&khoa=a1b2"}
PAGE_3 = {"verb": "ListRecords", "resumptionToken": "trang=3&khoa=c3d4"}
CHAIN = {"Identify": (IDENTIFY, "Identify.xml"), "page 1": (LIST, "ListRecords-1.xml"),
         "page 2": (PAGE_2, "ListRecords-2.xml"), "page 3": (PAGE_3, "ListRecords-3.xml")}
ALL_IDS = [f"oai:kho.example.edu.vn:nv/{n}" for n in range(101, 106)]

# An answer: a fixture file, raw XML text, or (status, headers, body).
Answer = str | tuple[int, dict[str, str], bytes]


def error_page(code: str, message: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/'
            f'OAI/2.0/"><responseDate>2025-03-02T08:00:00Z</responseDate><request>{URL}</request>'
            f'<error code="{code}">{message}</error></OAI-PMH>')


class Repository:
    """Answers each request by its query parameters (in any order); a list of answers is
    given one per request, the last one repeating. Records every query it was asked."""

    def __init__(self, routes: Mapping[str, tuple[dict[str, str], Answer | list[Answer]]]):
        self.routes = {frozenset(q.items()): a if isinstance(a, list) else [a]
                       for q, a in routes.values()}
        self.asked: list[dict[str, str]] = []

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        query = dict(parse_qsl(urlsplit(str(request.url)).query))
        self.asked.append(query)
        answers = self.routes.get(frozenset(query.items()))
        if answers is None:
            pytest.fail(f"unexpected request {query}")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, tuple):
            return answer
        body = (DATA / answer).read_bytes() if answer.endswith(".xml") else answer.encode()
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, body


@pytest.fixture
def serve() -> Iterator[Callable[..., Repository]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        def install(routes: Mapping[str, tuple[dict[str, str], Answer | list[Answer]]]
                    ) -> Repository:
            repo = Repository(routes)
            mock.add_callback(responses.GET, URL, callback=repo)
            return repo
        yield install


def harvester(sleeps: list[float] | None = None, **options: Any) -> OaiPmhConnector:
    waits = sleeps if sleeps is not None else []
    return OaiPmhConnector("kho", {"url": URL, **options}, sleep=waits.append)


def read_until_failure(records: Iterator[SourceRecord]) -> tuple[list[str], Exception]:
    got: list[str] = []
    with pytest.raises(Exception) as caught:
        for record in records:
            got.append(record.record_id)
    assert isinstance(caught.value, Exception)
    return got, caught.value


# Paging ---------------------------------------------------------------------------------------

def test_a_list_is_harvested_page_after_page(serve: Callable[..., Repository]) -> None:
    repo = serve(CHAIN)
    got = list(harvester().records())
    assert [r.record_id for r in got] == ALL_IDS
    assert [r.deleted for r in got] == [False, True, False, False, False]
    assert got[0].modified_at == datetime(2025, 1, 5, 2, tzinfo=UTC)
    first = f"{URL}?verb=ListRecords&metadataPrefix=oai_dc"
    assert [dict(r.origin) for r in got[1:4]] == [
        {"url": first, "page": 1, "index": 1, "identifier": ALL_IDS[1]},
        {"url": first, "page": 2, "index": 0, "identifier": ALL_IDS[2]},
        {"url": first, "page": 2, "index": 1, "identifier": ALL_IDS[3]},
    ]
    assert got[2].where() == f"{first}, page 2, record {ALL_IDS[2]}"
    assert repo.asked == [IDENTIFY, LIST, PAGE_2, PAGE_3]


def test_the_payload_is_the_metadata_element_and_the_header(
        serve: Callable[..., Repository]) -> None:
    serve(CHAIN)
    first, deleted = list(harvester().records())[:2]
    assert {k: v for k, v in first.payload.items() if k != "_xml"} == {
        "oai_identifier": "oai:kho.example.edu.vn:nv/101", "datestamp": "2025-01-05T02:00:00Z",
        "sets": ["nhiem-vu", "cap-tinh"]}
    dc = etree.fromstring(first.payload["_xml"])
    assert dc.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    assert dc.findtext("{http://purl.org/dc/elements/1.1/}title") == (
        "Nghiên cứu chọn tạo giống lúa chịu mặn cho vùng ven biển")
    assert "http://www.openarchives.org/OAI/2.0/" not in dc.nsmap.values()
    assert deleted.deleted and "_xml" not in deleted.payload


def test_records_is_lazy(serve: Callable[..., Repository]) -> None:
    repo = serve(CHAIN)
    records = harvester().records()
    assert repo.asked == []
    assert next(records).record_id == ALL_IDS[0]
    assert repo.asked == [IDENTIFY, LIST]
    records.close()


def test_the_same_token_twice_would_loop_and_is_refused(
        serve: Callable[..., Repository]) -> None:
    serve({**CHAIN, "page 2": (PAGE_2, "ListRecords-1.xml")})
    got, error = read_until_failure(harvester().records())
    assert got == ALL_IDS[:2]
    assert isinstance(error, SourceDataError)
    assert "the same resumption token twice" in str(error)


def test_more_pages_than_max_pages_end_the_run(serve: Callable[..., Repository]) -> None:
    serve(CHAIN)
    got, error = read_until_failure(harvester(max_pages=2).records())
    assert got == ALL_IDS[:4]
    assert isinstance(error, SourceDataError)
    assert "past max_pages = 2" in str(error) and "(page 3)" in str(error)


# Incremental harvests ---------------------------------------------------------------------------

SINCE_CASES = {
    "seconds, overlap 1h": ("Identify.xml", datetime(2025, 1, 7, 4, tzinfo=UTC), "1h",
                            "2025-01-07T03:00:00Z"),
    "seconds, local time": ("Identify.xml",
                            datetime(2025, 1, 7, 11, tzinfo=timezone(timedelta(hours=7))), "0s",
                            "2025-01-07T04:00:00Z"),
    "day, overlap crosses midnight": ("Identify-day.xml", datetime(2025, 1, 7, 0, 30, tzinfo=UTC),
                                      "1h", "2025-01-06"),
    "day, overlap in seconds": ("Identify-day.xml", datetime(2025, 1, 7, 12, tzinfo=UTC), 3600,
                                "2025-01-07"),
}


@pytest.mark.parametrize("identify,since,overlap,sent", SINCE_CASES.values(),
                         ids=SINCE_CASES.keys())
def test_since_minus_the_overlap_is_sent_as_from_in_the_granularity(
        serve: Callable[..., Repository], identify: str, since: datetime, overlap: Any,
        sent: str) -> None:
    repo = serve({"Identify": (IDENTIFY, identify),
                  "list": ({**LIST, "from": sent}, "ListRecords-3.xml")})
    got = [r.record_id for r in harvester(overlap=overlap).records(since)]
    assert got == ALL_IDS[4:]
    assert repo.asked[1] == {**LIST, "from": sent}


def test_a_since_before_the_earliest_datestamp_harvests_everything(
        serve: Callable[..., Repository]) -> None:
    repo = serve(CHAIN)
    assert len(list(harvester().records(datetime(2019, 6, 1, tzinfo=UTC)))) == 5
    assert repo.asked[1] == LIST


def test_the_set_is_sent(serve: Callable[..., Repository]) -> None:
    repo = serve({"Identify": (IDENTIFY, "Identify.xml"),
                  "list": ({**LIST, "set": "nhiem-vu"}, "ListRecords-3.xml")})
    assert len(list(harvester(set="nhiem-vu").records())) == 1
    assert repo.asked[1] == {**LIST, "set": "nhiem-vu"}


def test_a_naive_since_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        next(harvester().records(datetime(2025, 1, 1)))  # noqa: DTZ001 - the point of the test


# OAI-PMH errors ---------------------------------------------------------------------------------

def test_no_records_match_is_an_empty_harvest(serve: Callable[..., Repository]) -> None:
    serve({"Identify": (IDENTIFY, "Identify.xml"),
           "list": ({**LIST, "from": "2025-03-01T23:00:00Z"}, error_page("noRecordsMatch"))})
    assert list(harvester().records(datetime(2025, 3, 2, tzinfo=UTC))) == []


def test_a_refused_resumption_token_restarts_once_from_the_last_datestamp(
        serve: Callable[..., Repository], caplog: pytest.LogCaptureFixture) -> None:
    restart = {**LIST, "from": "2025-01-06T03:00:00Z"}
    repo = serve({**CHAIN, "page 2": (PAGE_2, "badResumptionToken.xml"),
                  "restart": (restart, "ListRecords-2.xml")})
    got = [r.record_id for r in harvester().records()]
    assert got == ALL_IDS
    assert repo.asked == [IDENTIFY, LIST, PAGE_2, restart, PAGE_3]
    assert "refused its resumption token" in caplog.text
    assert "khoa=" not in caplog.text


def test_a_restart_that_meets_the_same_refusal_ends_the_run(
        serve: Callable[..., Repository]) -> None:
    restart = {**LIST, "from": "2025-01-06T03:00:00Z"}
    serve({**CHAIN, "page 2": (PAGE_2, "badResumptionToken.xml"),
           "restart": (restart, "ListRecords-2.xml"),
           "page 3": (PAGE_3, "badResumptionToken.xml")})
    got, error = read_until_failure(harvester().records())
    assert got == ALL_IDS[:4]
    assert isinstance(error, SourceDataError)
    assert "refused its own resumption token again" in str(error)


def test_a_list_out_of_datestamp_order_restarts_from_the_beginning(
        serve: Callable[..., Repository]) -> None:
    shuffled = (DATA / "ListRecords-1.xml").read_text(encoding="utf-8").replace(
        "2025-01-06T03:00:00Z", "2025-01-01T03:00:00Z")
    repo = serve({**CHAIN, "page 1": (LIST, [shuffled, "ListRecords-1.xml"]),
                  "page 2": (PAGE_2, ["badResumptionToken.xml", "ListRecords-2.xml"])})
    got = [r.record_id for r in harvester().records()]
    assert got == ALL_IDS
    assert repo.asked == [IDENTIFY, LIST, PAGE_2, LIST, PAGE_2, PAGE_3]


CONFIG_ERRORS = {
    "cannotDisseminateFormat": ("cannotDisseminateFormat", {}, "metadata_prefix",
                                "is not a format this repository disseminates; ask it with "),
    "badArgument with a set": ("badArgument", {"set": "nhiem-vu"}, "set", "badArgument"),
    "badArgument": ("badArgument", {}, "metadata_prefix", "badArgument"),
    "badVerb": ("badVerb", {}, "url", "does not lead to an OAI-PMH 2.0 endpoint"),
    "noSetHierarchy": ("noSetHierarchy", {"set": "nhiem-vu"}, "set",
                       "this repository has no sets"),
}


@pytest.mark.parametrize("code,options,key,says", CONFIG_ERRORS.values(), ids=CONFIG_ERRORS.keys())
def test_oai_errors_about_the_request_are_config_errors(
        serve: Callable[..., Repository], code: str, options: dict[str, Any], key: str,
        says: str) -> None:
    query = {**LIST, **options}
    serve({"Identify": (IDENTIFY, "Identify.xml"),
           "formats": (FORMATS, "ListMetadataFormats.xml"),
           "list": (query, error_page(code, "Không hợp lệ"))})
    with pytest.raises(SourceConfigError) as caught:
        list(harvester(**options).records())
    assert caught.value.key == key
    assert says in str(caught.value)
    assert f"{code}: Không hợp lệ" in str(caught.value)


def test_an_unknown_error_code_is_a_data_error_naming_it(serve: Callable[..., Repository]) -> None:
    serve({"Identify": (IDENTIFY, "Identify.xml"),
           "list": (LIST, error_page("quotaExceeded", "thử lại sau"))})
    with pytest.raises(SourceDataError, match=r"ListRecords with an error: quotaExceeded: thử lại"):
        list(harvester().records())


def test_get_record_of_an_unknown_identifier_is_a_config_error(
        serve: Callable[..., Repository]) -> None:
    query = {"verb": "GetRecord", "identifier": "oai:kho.example.edu.vn:nv/999",
             "metadataPrefix": "oai_dc"}
    serve({"Identify": (IDENTIFY, "Identify.xml"), "get": (query, error_page("idDoesNotExist"))})
    with pytest.raises(SourceConfigError) as caught:
        harvester().get_record("oai:kho.example.edu.vn:nv/999")
    assert caught.value.key == "identifier"


def test_an_oai_error_sent_with_an_http_error_status_is_read_as_oai(
        serve: Callable[..., Repository]) -> None:
    body = error_page("cannotDisseminateFormat").encode()
    serve({"Identify": (IDENTIFY, "Identify.xml"),
           "formats": (FORMATS, "ListMetadataFormats.xml"),
           "list": ({**LIST, "metadataPrefix": "marc"}, (400, {}, body))})
    with pytest.raises(SourceConfigError) as caught:
        list(harvester(metadata_prefix="marc").records())
    assert caught.value.key == "metadata_prefix"
    assert str(caught.value).endswith("; it offers oai_dc, dim")


def test_a_repository_that_cannot_list_its_formats_still_names_the_option(
        serve: Callable[..., Repository]) -> None:
    serve({"Identify": (IDENTIFY, "Identify.xml"),
           "formats": (FORMATS, (500, {}, b"oops")),
           "list": (LIST, error_page("cannotDisseminateFormat"))})
    with pytest.raises(SourceConfigError) as caught:
        list(harvester(retries=1).records())
    assert caught.value.key == "metadata_prefix"
    assert "it offers" not in str(caught.value)


# HTTP faults and flow control ------------------------------------------------------------------

def test_503_with_retry_after_is_flow_control(serve: Callable[..., Repository]) -> None:
    busy = (503, {"Retry-After": "20"}, b"Server busy, come back later")
    serve({**CHAIN, "page 2": (PAGE_2, [busy, busy, "ListRecords-2.xml"])})
    sleeps: list[float] = []
    assert [r.record_id for r in harvester(sleeps).records()] == ALL_IDS
    assert len(sleeps) == 2
    assert all(s >= 20 for s in sleeps)


def test_retry_after_as_an_http_date_is_honoured(serve: Callable[..., Repository]) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=45), usegmt=True)
    serve({**CHAIN, "page 1": (LIST, [(503, {"Retry-After": when}, b""), "ListRecords-1.xml"])})
    sleeps: list[float] = []
    assert len(list(harvester(sleeps).records())) == 5
    assert len(sleeps) == 1 and 30 <= sleeps[0] <= 46


def test_5xx_that_outlasts_the_retries_is_unavailable_after_earlier_pages(
        serve: Callable[..., Repository]) -> None:
    serve({**CHAIN, "page 2": (PAGE_2, (500, {}, b"Internal Server Error"))})
    sleeps: list[float] = []
    got, error = read_until_failure(harvester(sleeps, retries=3).records())
    assert got == ALL_IDS[:2]
    assert isinstance(error, SourceUnavailable)
    assert str(error) == (f"kho: {URL}?verb=ListRecords&metadataPrefix=oai_dc (page 2) answered "
                          "HTTP 500 Internal Server Error: Internal Server Error (3 attempts)")
    assert len(sleeps) == 2


HTTP_FAULTS = {
    "404 on Identify": ((404, {}, b"<html>Not Found</html>"),
                        pytest.raises(SourceConfigError, match=r"'url' is refused: .*HTTP 404 "
                                      r".*is the url right\?")),
    "401": ((401, {}, b"login required"),
            pytest.raises(SourceAuthError, match=r"refused access \(HTTP 401\): login required")),
    "an HTML page": ((200, {"Content-Type": "text/html"}, b"<html><body>Portal</body></html>"),
                     pytest.raises(SourceDataError, match=r"not OAI-PMH \(its root element is "
                                   r"<html>\)")),
    "not XML at all": ((200, {}, b"Service temporarily down"),
                       pytest.raises(SourceDataError,
                                     match=r"\?verb=Identify: the answer is not well-formed XML")),
    "an entity bomb": ((200, {}, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                        b"<OAI-PMH>&a;</OAI-PMH>"),
                       pytest.raises(SourceDataError, match=r"the answer was refused: .*entity")),
    "connection reset": (requests.ConnectionError("reset by peer"),
                         pytest.raises(SourceUnavailable, match=r"cannot reach .*\(4 attempts\)")),
    "read timeout": (requests.ReadTimeout("read timed out"),
                     pytest.raises(SourceUnavailable,
                                   match=r"did not answer within 30 s \(4 attempts\)")),
}


@pytest.mark.parametrize("answer,expected", HTTP_FAULTS.values(), ids=HTTP_FAULTS.keys())
@responses.activate
def test_faults_on_the_first_request(answer: Any, expected: Any) -> None:
    if isinstance(answer, Exception):
        responses.get(URL, body=answer)
    else:
        status, headers, body = answer
        responses.get(URL, status=status, headers=headers, body=body)
    with expected:
        list(harvester().records())


def test_a_malformed_page_ends_the_run_after_the_pages_before_it(
        serve: Callable[..., Repository]) -> None:
    serve({**CHAIN, "page 2": (PAGE_2, "ListRecords-truncated.xml")})
    got, error = read_until_failure(harvester().records())
    assert got == ALL_IDS[:2]
    assert isinstance(error, SourceDataError)
    assert error.where == f"{URL}?verb=ListRecords&metadataPrefix=oai_dc (page 2)"
    assert "not well-formed XML" in str(error)


def test_resumption_tokens_stay_out_of_origins_and_messages(
        serve: Callable[..., Repository], caplog: pytest.LogCaptureFixture) -> None:
    serve({**CHAIN, "page 3": (PAGE_3, (502, {}, b"Bad Gateway"))})
    got: list[SourceRecord] = []
    with pytest.raises(SourceUnavailable) as caught:
        for record in harvester().records():
            got.append(record)
    texts = [str(caught.value), caplog.text, *(str(dict(r.origin)) for r in got)]
    assert not any("khoa=" in t or "resumptionToken" in t for t in texts)


def test_a_record_with_an_unreadable_datestamp_is_passed_on_naming_it(
        serve: Callable[..., Repository], caplog: pytest.LogCaptureFixture) -> None:
    odd = (DATA / "ListRecords-3.xml").read_text(encoding="utf-8").replace(
        "2025-01-09T06:00:00Z", "09/01/2025 06:00")
    serve({"Identify": (IDENTIFY, "Identify.xml"), "list": (LIST, odd)})
    (record,) = harvester().records()
    assert record.record_id == ALL_IDS[4] and record.modified_at is None
    assert record.payload["datestamp"] == "09/01/2025 06:00"
    assert f"record {ALL_IDS[4]!r}" in caplog.text
    assert "'09/01/2025 06:00' is not an OAI-PMH datestamp" in caplog.text


def test_identify_says_what_the_repository_is(serve: Callable[..., Repository]) -> None:
    serve({"Identify": (IDENTIFY, "Identify-day.xml")})
    repo = harvester().identify()
    assert (repo.name, repo.granularity, repo.earliest, repo.deleted_record) == (
        "Kho tài liệu KH&CN tỉnh (theo ngày)", "day", datetime(2020, 1, 1, tzinfo=UTC),
        "transient")


def test_an_unknown_granularity_falls_back_to_days(
        serve: Callable[..., Repository], caplog: pytest.LogCaptureFixture) -> None:
    odd = (DATA / "Identify.xml").read_text(encoding="utf-8").replace(
        "YYYY-MM-DDThh:mm:ssZ", "YYYY-MM-DDThh:mm:ss.sZ")
    repo = serve({"Identify": (IDENTIFY, odd),
                  "list": ({**LIST, "from": "2025-01-06"}, "ListRecords-3.xml")})
    assert len(list(harvester().records(datetime(2025, 1, 7, 0, 30, tzinfo=UTC)))) == 1
    assert repo.asked[1]["from"] == "2025-01-06"
    assert "using days, which every repository supports" in caplog.text
