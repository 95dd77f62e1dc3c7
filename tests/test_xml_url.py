"""The xml connector's url form, against a loopback server: downloads, retries and hangs."""

from __future__ import annotations

import gc
import gzip
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response

from connectors.errors import SourceConfigError, SourceDataError, SourceUnavailable
from connectors.xml import XmlConnector
from stisync.wsgi import start_background

DATA = Path(__file__).parent / "data" / "xml"
EXPORT = (DATA / "nhiem-vu-1.xml").read_bytes()
IDS = ["NV-2023-001", "NV-2023-002", "NV-2024-003"]
OPTIONS = {"record": "q:NhiemVu", "namespaces": {"q": "urn:so-khcn:nhiem-vu"}, "id": "q:MaSo"}


class Export:
    """A provincial server publishing an XML export, with the faults a test asks for."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.release = threading.Event()
        self.app = Flask(__name__)
        self.app.add_url_rule("/<name>", view_func=self.serve)

    def serve(self, name: str) -> Any:
        self.hits[name] = self.hits.get(name, 0) + 1
        if name == "nhiem-vu.xml":
            return Response(EXPORT, mimetype="application/xml")
        if name == "nen.xml":
            return Response(gzip.compress(EXPORT), mimetype="application/xml",
                            headers={"Content-Encoding": "gzip"})
        if name == "ban.xml" and self.hits[name] == 1:
            return Response("bận", status=503, headers={"Retry-After": "1"})
        if name == "ban.xml":
            return Response(EXPORT, mimetype="application/xml")
        if name == "luon-ban.xml":
            return Response("bảo trì", status=503)
        if name == "treo.xml":
            self.release.wait(10)
            return Response(EXPORT, mimetype="application/xml")
        if name == "dung-giua-chung.xml":
            return Response(self.stalling(), mimetype="application/xml")
        if name == "hong.xml":
            return Response(EXPORT.replace(b"</q:MaSo>", b"</q:Ma>", 2)[:-40],
                            mimetype="application/xml")
        return Response("không có", status=404)

    def stalling(self) -> Iterator[bytes]:
        cut = EXPORT.index(b"<q:NhiemVu", EXPORT.index(b"NV-2023-002"))
        yield EXPORT[:cut]
        self.release.wait(10)
        yield EXPORT[cut:]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Export, str]]:
    export = Export()
    with start_background(export.app) as running:
        yield export, running.url
        export.release.set()
        gc.collect()


@pytest.fixture
def export(server: tuple[Export, str]) -> Iterator[tuple[Export, str]]:
    state, url = server
    state.hits.clear()
    state.release.clear()
    yield state, url
    state.release.set()        # lets a hanging handler finish before the server stops


def xml_url(url: str, sleeps: list[float] | None = None, **options: Any) -> XmlConnector:
    waits = sleeps if sleeps is not None else []
    return XmlConnector("so-khcn", {"url": url, **OPTIONS, **options}, sleep=waits.append)


def test_a_download_yields_the_same_records_as_the_file(export: tuple[Export, str]) -> None:
    _, url = export
    got = list(xml_url(f"{url}/nhiem-vu.xml").records())
    assert [r.record_id for r in got] == IDS
    assert dict(got[0].origin) == {"url": f"{url}/nhiem-vu.xml", "line": 4, "index": 1}
    assert got[0].where() == f"{url}/nhiem-vu.xml, line 4"


def test_a_compressed_download_is_inflated(export: tuple[Export, str]) -> None:
    _, url = export
    assert [r.record_id for r in xml_url(f"{url}/nen.xml").records()] == IDS


def test_a_compressed_download_counts_inflated_bytes_against_max_bytes(
        export: tuple[Export, str]) -> None:
    _, url = export
    with pytest.raises(SourceDataError, match="over the limit of 1,000 bytes"):
        list(xml_url(f"{url}/nen.xml", max_bytes=1000).records())


def test_nothing_is_requested_before_the_first_record(export: tuple[Export, str]) -> None:
    state, url = export
    stream = xml_url(f"{url}/nhiem-vu.xml").records()
    assert state.hits == {}
    next(stream)
    assert state.hits == {"nhiem-vu.xml": 1}


def test_a_503_is_retried_after_its_retry_after(export: tuple[Export, str]) -> None:
    state, url = export
    sleeps: list[float] = []
    assert [r.record_id for r in xml_url(f"{url}/ban.xml", sleeps).records()] == IDS
    assert state.hits == {"ban.xml": 2}
    assert len(sleeps) == 1 and sleeps[0] >= 1


def test_a_server_that_stays_down_is_unavailable_after_the_retries(
        export: tuple[Export, str]) -> None:
    state, url = export
    sleeps: list[float] = []
    with pytest.raises(SourceUnavailable, match=r"HTTP 503 .*bảo trì.*\(3 attempts\)"):
        list(xml_url(f"{url}/luon-ban.xml", sleeps, retries=3).records())
    assert state.hits == {"luon-ban.xml": 3}
    assert len(sleeps) == 2


def test_a_wrong_url_is_a_configuration_error(export: tuple[Export, str]) -> None:
    _, url = export
    with pytest.raises(SourceConfigError, match="HTTP 404") as caught:
        list(xml_url(f"{url}/khong-co.xml").records())
    assert caught.value.key == "url"


@pytest.mark.timeout(10)
def test_a_server_that_hangs_times_out_as_unavailable(export: tuple[Export, str]) -> None:
    state, url = export
    sleeps: list[float] = []
    with pytest.raises(SourceUnavailable, match=r"did not answer within 0.3 s \(2 attempts\)"):
        list(xml_url(f"{url}/treo.xml", sleeps, timeout=0.3, retries=2).records())
    assert state.hits == {"treo.xml": 2}


@pytest.mark.timeout(10)
def test_a_download_that_stalls_keeps_the_records_before_the_stall(
        export: tuple[Export, str]) -> None:
    _, url = export
    got: list[str] = []
    with pytest.raises(SourceUnavailable, match=r"sent nothing for 0.3 s after [\d,]+ bytes"):
        got.extend(r.record_id for r in xml_url(f"{url}/dung-giua-chung.xml",
                                                timeout=0.3).records())
    assert got == IDS[:2]


def test_a_broken_download_is_a_data_error_naming_the_url_and_line(
        export: tuple[Export, str]) -> None:
    _, url = export
    with pytest.raises(SourceDataError, match=r"hong.xml, line 5: is not well-formed XML"):
        list(xml_url(f"{url}/hong.xml").records())


def test_an_unreachable_server_is_unavailable() -> None:
    with pytest.raises(SourceUnavailable, match="cannot reach"):
        list(xml_url("http://127.0.0.1:9/x.xml", retries=1).records())


@pytest.mark.parametrize(("options", "key"), [
    pytest.param({"timeout": 0}, "timeout", id="zero-timeout"),
    pytest.param({"timeout": "30"}, "timeout", id="timeout-as-text"),
    pytest.param({"retries": 0}, "retries", id="no-attempt"),
])
def test_bad_download_options_are_configuration_errors(options: dict[str, Any],
                                                       key: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        xml_url("https://so.example/x.xml", **options)
    assert caught.value.key == key
