"""Errors of the service connectors (REST APIs, OAI-PMH repositories, databases) as the
province's admin reads them: `text("vi")` says the same facts in Vietnamese, with the same
option, place and values, while `str()` stays the English that logs and the national agency
read. Faults are real: loopback servers, SQLite files in tmp_path, and the test databases
where they are set.
"""

from __future__ import annotations

import gc
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from connectors.errors import (
    ConnectorError,
    SourceAuthError,
    SourceConfigError,
    SourceDataError,
    SourceUnavailable,
)
from connectors.oaipmh import OaiPmhConnector
from connectors.rest import RestConnector
from connectors.sql import SqlConnector
from stisync.provincial_api import ProvincialApi, create_app
from stisync.wsgi import start_background
from sync.texts import error_text
from tests import oai_fixtures
from tests.connector_texts import raises_without_vietnamese

pytest_plugins = ["tests.db_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
SERVICE_CONNECTORS = [ROOT / "connectors" / name for name in ("rest", "oaipmh", "sql")]


def vietnamese(err: ConnectorError, *said: str) -> str:
    """`err` as the admin reads it, checked to be other than its English and to hold each
    of `said`."""
    vi = err.text("vi")
    assert vi.startswith(f"{err.source}: ")
    assert vi != str(err)
    for text in said:
        assert text in vi, f"{text!r} is not in {vi!r}"
    assert error_text(err, "vi") == vi and error_text(err, "en") == str(err)
    return vi


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@contextmanager
def answering(status: str, body: bytes, content_type: str = "text/xml") -> Iterator[str]:
    """A loopback server that answers every request with `status` and `body`; yields its URL."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", content_type)])
        return [body]

    with start_background(app) as running:
        yield running.url + "/oai"
        gc.collect()  # failed responses kept by tracebacks hold sockets the server waits for


def test_every_raise_of_the_service_connectors_has_its_vietnamese_text() -> None:
    assert raises_without_vietnamese(SERVICE_CONNECTORS) == []


def test_the_check_finds_an_error_made_without_vietnamese_in_a_subfolder(tmp_path: Path) -> None:
    folder = tmp_path / "nguon" / "rest"
    folder.mkdir(parents=True)
    (folder / "trang.py").write_text(
        "from connectors.errors import SourceDataError\n"
        "def doc(source):\n"
        "    raise SourceDataError(source, 'bad page', where='page 2')\n"
        "def doc_vi(source):\n"
        "    raise SourceDataError(source, 'bad page', message_vi='trang hỏng')\n",
        encoding="utf-8",
    )
    assert raises_without_vietnamese([tmp_path / "nguon"]) == [
        f"{folder / 'trang.py'}:3: SourceDataError"]


# REST ------------------------------------------------------------------------------------------

RECORDS = [{"id": i, "ten_nhiem_vu": f"Nhiệm vụ {i}"} for i in range(1, 6)]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ProvincialApi, str]]:
    app = create_app([])
    with start_background(app) as running:
        yield app, running.url + "/api/nhiem-vu"
        gc.collect()


@pytest.fixture
def api(server: tuple[ProvincialApi, str]) -> tuple[ProvincialApi, str]:
    app, url = server
    app.reset(RECORDS, page_size=2, token=None)
    return app, url


def rest(url: str, **options: Any) -> RestConnector:
    return RestConnector("qlkh", {"url": url, "pagination": "page", "page_size": 2,
                                  "records_path": "data.items", **options},
                         sleep=lambda _: None)


REST_OPTIONS = {
    "a choice": (
        {"pagination": "trang"}, "pagination",
        "qlkh: option 'pagination' is 'trang'; choose one of none, page, offset, next_link",
        "qlkh: tuỳ chọn 'pagination' đang là 'trang'; hãy chọn một trong: none, page, offset, "
        "next_link"),
    "a misspelt option": (
        {"id_feild": "ma"}, "id_feild",
        "qlkh: option 'id_feild' is not an option of the rest connector; did you mean "
        "'id_field'?",
        "qlkh: tuỳ chọn 'id_feild' không phải là tuỳ chọn của bộ kết nối rest; có phải ý bạn "
        "là 'id_field'?"),
    "a dotted path": (
        {"records_path": "data..items"}, "records_path",
        "qlkh: option 'records_path' 'data..items' is not a dotted path (an empty step between "
        "dots)",
        "qlkh: tuỳ chọn 'records_path' 'data..items' không phải là đường dẫn phân cách bằng "
        "dấu chấm (có một bước rỗng giữa hai dấu chấm)"),
    "a page size": (
        {"page_size": 0}, "page_size",
        "qlkh: option 'page_size' must be a whole number >= 1, not 0",
        "qlkh: tuỳ chọn 'page_size' phải là một số nguyên >= 1, không phải 0"),
    "a parameter the connector sends": (
        {"params": {"page": "2"}}, "params",
        "qlkh: option 'params' sets 'page', which the connector sends itself (page_param)",
        "qlkh: tuỳ chọn 'params' đặt 'page', là tham số mà bộ kết nối tự gửi (page_param)"),
}


@pytest.mark.parametrize("options,key,english,said", REST_OPTIONS.values(),
                         ids=REST_OPTIONS.keys())
def test_rest_bad_options(options: dict[str, Any], key: str, english: str, said: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        rest("https://qlkh.example.gov.vn/api/nhiem-vu", **options)
    assert caught.value.key == key
    assert str(caught.value) == english
    assert vietnamese(caught.value) == said


def test_rest_a_secret_that_cannot_go_in_a_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QLKH_TOKEN", "mã-bí-mật")
    with pytest.raises(SourceConfigError) as caught:
        rest("https://qlkh.example.gov.vn/api/nhiem-vu", auth="bearer", token_env="QLKH_TOKEN")
    assert str(caught.value) == ("qlkh: option 'token_env' gives a secret that cannot go in an "
                                 "HTTP header (a line break or non-ASCII text)")
    vietnamese(caught.value, "tuỳ chọn 'token_env' cho một giá trị bí mật không đặt được vào "
                             "header HTTP", "không phải ASCII")


def test_rest_refused_credentials(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    app.reset(token="dung-ma-nay")
    with pytest.raises(SourceAuthError) as caught:
        list(RestConnector("qlkh", {"url": url, "pagination": "none"}).records())
    assert str(caught.value) == (f"qlkh: {url} refused our credentials (HTTP 401): "
                                 "Token không hợp lệ hoặc đã hết hạn")
    assert vietnamese(caught.value) == (
        f"qlkh: {url} từ chối thông tin đăng nhập đã gửi (HTTP 401): "
        "Token không hợp lệ hoặc đã hết hạn")


def test_rest_a_first_page_refused_is_the_url(api: tuple[ProvincialApi, str]) -> None:
    _, url = api
    with pytest.raises(SourceConfigError) as caught:
        list(rest(url, pagination="none", params={"page": "tư"}).records())
    assert caught.value.key == "url"
    assert str(caught.value).startswith(f"qlkh: option 'url' is refused: {url}?page=")
    vietnamese(caught.value, f"tuỳ chọn 'url' bị từ chối: {url}?page=", "trả lời HTTP 400",
               "Tham số page không hợp lệ: 'tư'")


def test_rest_an_error_envelope_names_the_page(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    app.fail_next(1, 200, message="Phiên đăng nhập hết hạn")
    with pytest.raises(SourceDataError) as caught:
        list(rest(url).records())
    assert str(caught.value) == (
        f"qlkh: {url}?page=1&page_size=2 (page 1): the server reports a failure "
        "(success = false): Phiên đăng nhập hết hạn")
    assert vietnamese(caught.value) == (
        f"qlkh: {url}?page=1&page_size=2 (trang 1): máy chủ báo lỗi (success = false): "
        "Phiên đăng nhập hết hạn")


def test_rest_an_error_after_the_first_page_names_its_page(
        api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    records = rest(url).records()
    assert [next(records).record_id, next(records).record_id] == ["1", "2"]
    app.fail_next(1, 404)
    with pytest.raises(SourceDataError) as caught:
        next(records)
    assert str(caught.value).startswith(f"qlkh: {url}?page=2&page_size=2 (page 2): HTTP 404 ")
    assert "needs total_path or next_link pagination" in str(caught.value)
    vi = vietnamese(caught.value, f"{url}?page=2&page_size=2 (trang 2): HTTP 404 ",
                    "máy chủ trả lời 404 khi đã qua trang cuối thì cần total_path hoặc phân "
                    "trang next_link")
    assert "(page 2)" not in vi


def test_rest_a_list_path_that_is_not_there(api: tuple[ProvincialApi, str]) -> None:
    _, url = api
    with pytest.raises(SourceDataError) as caught:
        list(rest(url, records_path="data.rows").records())
    assert str(caught.value) == (
        f"qlkh: {url}?page=1&page_size=2 (page 1): records_path 'data.rows' is not in the "
        "answer; 'data' has keys 'items', 'total', 'page'")
    assert vietnamese(caught.value) == (
        f"qlkh: {url}?page=1&page_size=2 (trang 1): records_path 'data.rows' không có trong "
        "câu trả lời; 'data' có các khoá 'items', 'total', 'page'")


def test_rest_an_answer_that_is_not_json() -> None:
    page = "<html><title>Cổng đăng nhập</title></html>".encode()
    with (answering("200 OK", page, "text/html; charset=utf-8") as url,
          pytest.raises(SourceDataError) as caught):
        list(rest(url, pagination="none").records())
    assert str(caught.value) == (f"qlkh: {url} (page 1): the answer is not JSON (text/html; "
                                 "charset=utf-8): <html><title>Cổng đăng nhập</title></html>")
    assert vietnamese(caught.value) == (
        f"qlkh: {url} (trang 1): câu trả lời không phải JSON (text/html; charset=utf-8): "
        "<html><title>Cổng đăng nhập</title></html>")


def test_rest_an_empty_answer_is_said_to_be_empty() -> None:
    with (answering("200 OK", b"", "application/json") as url,
          pytest.raises(SourceDataError) as caught):
        list(rest(url, pagination="none").records())
    assert str(caught.value).endswith("the answer is not JSON (application/json): an empty body")
    assert vietnamese(caught.value).endswith(
        "câu trả lời không phải JSON (application/json): nội dung trống")


def test_rest_an_unreachable_server() -> None:
    url = f"http://127.0.0.1:{closed_port()}/api"
    with pytest.raises(SourceUnavailable) as caught:
        list(rest(url, retries=1).records())
    assert str(caught.value).startswith(f"qlkh: cannot reach {url}?page=1&page_size=2 "
                                        "(1 attempt): ")
    vi = vietnamese(caught.value, f"{url}?page=1&page_size=2")
    assert "cannot reach" not in vi


# OAI-PMH ---------------------------------------------------------------------------------------

oai_repository = oai_fixtures.oai_repository


def harvester(url: str, **options: Any) -> OaiPmhConnector:
    return OaiPmhConnector("kho", {"url": url, **options}, sleep=lambda _: None)


def error_page(code: str, message: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/'
            f'OAI/2.0/"><responseDate>2025-03-02T08:00:00Z</responseDate><request>x</request>'
            f'<error code="{code}">{message}</error></OAI-PMH>').encode()


OAI_OPTIONS = {
    "a url with a query": (
        {"url": "https://kho.example.edu.vn/oai?verb=Identify"}, "url",
        "kho: option 'url' must be the base URL without ?query or #fragment (the harvester adds "
        "verb=...), not 'https://kho.example.edu.vn/oai?verb=Identify'",
        "kho: tuỳ chọn 'url' phải là URL gốc, không có ?query hay #fragment (trình thu thập tự "
        "thêm verb=...), không phải 'https://kho.example.edu.vn/oai?verb=Identify'"),
    "an overlap": (
        {"url": "https://kho.example.edu.vn/oai", "overlap": "một giờ"}, "overlap",
        "kho: option 'overlap' must be a duration such as \"1h\", \"30m\", \"2d\" or a number "
        "of seconds, not 'một giờ'",
        "kho: tuỳ chọn 'overlap' phải là một khoảng thời gian như \"1h\", \"30m\", \"2d\" hoặc "
        "một số giây, không phải 'một giờ'"),
    "a set": (
        {"url": "https://kho.example.edu.vn/oai", "set": "nhiệm vụ"}, "set",
        "kho: option 'set' must be a setSpec such as \"nhiem-vu\" or \"hub:sub\", not "
        "'nhiệm vụ'",
        "kho: tuỳ chọn 'set' phải là một setSpec như \"nhiem-vu\" hoặc \"hub:sub\", không phải "
        "'nhiệm vụ'"),
}


@pytest.mark.parametrize("options,key,english,said", OAI_OPTIONS.values(),
                         ids=OAI_OPTIONS.keys())
def test_oaipmh_bad_options(options: dict[str, Any], key: str, english: str, said: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        OaiPmhConnector("kho", options)
    assert caught.value.key == key
    assert str(caught.value) == english
    assert vietnamese(caught.value) == said


def test_oaipmh_a_format_the_repository_does_not_have(
        oai_repository: tuple[oai_fixtures.Repository, str]) -> None:
    _, url = oai_repository
    with pytest.raises(SourceConfigError) as caught:
        list(harvester(url, metadata_prefix="marc").records())
    english = str(caught.value)
    assert caught.value.key == "metadata_prefix"
    assert english.startswith("kho: option 'metadata_prefix' is not a format this repository "
                              "disseminates;")
    assert f"({url}?verb=ListRecords&metadataPrefix=marc (page 1) answered " \
           "cannotDisseminateFormat" in english
    assert english.endswith("; it offers oai_dc")
    vi = vietnamese(caught.value,
                    "kho: tuỳ chọn 'metadata_prefix' không phải định dạng mà kho dữ liệu này "
                    "cung cấp; hãy hỏi kho bằng verb=ListMetadataFormats",
                    f"({url}?verb=ListRecords&metadataPrefix=marc (trang 1) trả lời "
                    "cannotDisseminateFormat")
    assert vi.endswith("; kho cung cấp oai_dc")


def test_oaipmh_an_identifier_the_repository_does_not_know(
        oai_repository: tuple[oai_fixtures.Repository, str]) -> None:
    _, url = oai_repository
    with pytest.raises(SourceConfigError) as caught:
        harvester(url).get_record("oai:kho.test:nv/999")
    assert caught.value.key == "identifier"
    assert "names no record of this repository" in str(caught.value)
    vietnamese(caught.value, "tuỳ chọn 'identifier' không ứng với bản ghi nào của kho dữ liệu "
                             "này", "idDoesNotExist")


def test_oaipmh_a_broken_page_names_its_page(
        oai_repository: tuple[oai_fixtures.Repository, str]) -> None:
    repo, url = oai_repository
    repo.break_page_once(2)
    got: list[str] = []
    with pytest.raises(SourceDataError) as caught:
        for record in harvester(url).records():
            got.append(record.record_id)
    assert len(got) == oai_fixtures.PAGE_SIZE
    page = f"{url}?verb=ListRecords&metadataPrefix=oai_dc"
    assert str(caught.value).startswith(f"kho: {page} (page 2): the answer is not well-formed "
                                        "XML (line ")
    vi = vietnamese(caught.value, f"kho: {page} (trang 2): câu trả lời không phải XML đúng cú "
                                  "pháp (dòng ")
    assert "(page 2)" not in vi


OAI_FAULTS = {
    "401": (
        "401 Unauthorized", b"login required", SourceAuthError,
        "kho: {url}?verb=Identify refused access (HTTP 401): login required",
        "kho: {url}?verb=Identify từ chối truy cập (HTTP 401): login required"),
    "404": (
        "404 Not Found", b"<html>Not Found</html>", SourceConfigError,
        "kho: option 'url' is refused: {url}?verb=Identify answered HTTP 404 Not Found: "
        "<html>Not Found</html>; is the url right?",
        "kho: tuỳ chọn 'url' bị từ chối: {url}?verb=Identify trả lời HTTP 404 Not Found: "
        "<html>Not Found</html>; url có đúng không?"),
    "an unknown error code": (
        "200 OK", error_page("quotaExceeded", "thử lại sau"), SourceDataError,
        "kho: {url}?verb=Identify: the repository answered Identify with an error: "
        "quotaExceeded: thử lại sau",
        "kho: {url}?verb=Identify: kho dữ liệu trả lời Identify bằng một lỗi: quotaExceeded: "
        "thử lại sau"),
    "an HTML page": (
        "200 OK", b"<html><body>Portal</body></html>", SourceDataError,
        "kho: {url}?verb=Identify: the answer is not OAI-PMH (its root element is <html>): "
        "<html><body>Portal</body></html>",
        "kho: {url}?verb=Identify: câu trả lời không phải OAI-PMH (phần tử gốc của nó là "
        "<html>): <html><body>Portal</body></html>"),
}


@pytest.mark.parametrize("status,body,kind,english,said", OAI_FAULTS.values(),
                         ids=OAI_FAULTS.keys())
def test_oaipmh_faults_of_the_repository(status: str, body: bytes, kind: type[ConnectorError],
                                         english: str, said: str) -> None:
    with answering(status, body) as url, pytest.raises(kind) as caught:
        list(harvester(url).records())
    assert str(caught.value) == english.format(url=url)
    assert vietnamese(caught.value) == said.format(url=url)


def test_oaipmh_an_answer_that_is_not_xml() -> None:
    with (answering("200 OK", b"Service temporarily down") as url,
          pytest.raises(SourceDataError) as caught):
        list(harvester(url).records())
    assert str(caught.value).startswith(
        f"kho: {url}?verb=Identify: the answer is not well-formed XML (line 1: ")
    vi = vietnamese(caught.value, f"kho: {url}?verb=Identify: câu trả lời không phải XML đúng "
                                  "cú pháp (dòng 1: ", "Service temporarily down")
    assert "line 1" not in vi


def test_oaipmh_an_entity_bomb_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><OAI-PMH>&a;</OAI-PMH>'
    with answering("200 OK", bomb) as url, pytest.raises(SourceDataError) as caught:
        list(harvester(url).records())
    assert "the answer was refused: " in str(caught.value)
    vietnamese(caught.value, f"kho: {url}?verb=Identify: câu trả lời bị từ chối: ")


def test_oaipmh_an_unreachable_repository() -> None:
    url = f"http://127.0.0.1:{closed_port()}/oai"
    with pytest.raises(SourceUnavailable) as caught:
        list(harvester(url, retries=1).records())
    assert str(caught.value).startswith(f"kho: cannot reach {url}?verb=Identify (1 attempt): ")
    vi = vietnamese(caught.value, f"{url}?verb=Identify")
    assert "cannot reach" not in vi


# SQL -------------------------------------------------------------------------------------------

TABLE: dict[str, Any] = {"table": "nhiem_vu", "id_column": "ma_so"}
PG = "postgresql+psycopg://dongbo@127.0.0.1:5432/qlkh"


def sql(url: str, **options: Any) -> SqlConnector:
    return SqlConnector("qlkh", {"url": url, **options})


def database(path: Path) -> Path:
    """A SQLite file with a two-row nhiem_vu table whose `tep` column holds a file's bytes."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE nhiem_vu (ma_so TEXT PRIMARY KEY, ten TEXT, tep BLOB)")
        db.executemany("INSERT INTO nhiem_vu VALUES (?, ?, ?)",
                       [("NV-1", "Lúa", None), ("NV-2", "Cà phê", b"PK\x03")])
    db.close()
    return path


SQL_OPTIONS = {
    "a batch size": (
        {**TABLE, "batch_size": 0}, "batch_size",
        "qlkh: option 'batch_size' must be a whole number >= 1, not 0",
        "qlkh: tuỳ chọn 'batch_size' phải là một số nguyên >= 1, không phải 0"),
    "a password in the url": (
        {**TABLE, "url": "postgresql+psycopg://dongbo:bi-mat@db/qlkh"}, "url",
        "qlkh: option 'url' has a password in it; put the whole URL in an environment variable "
        "(url_env) or a file (url_file) instead",
        "qlkh: tuỳ chọn 'url' có chứa mật khẩu; hãy đặt cả URL vào một biến môi trường "
        "(url_env) hoặc một tệp (url_file)"),
    "not a url": (
        {**TABLE, "url": "khong phai url"}, "url",
        "qlkh: option 'url' is no SQLAlchemy URL (dialect+driver://user@host:port/database, "
        "e.g. postgresql+psycopg://dongbo@db/qlkh)",
        "qlkh: tuỳ chọn 'url' không phải là một URL SQLAlchemy "
        "(dialect+driver://user@host:port/database, ví dụ postgresql+psycopg://dongbo@db/qlkh)"),
    "table and query": (
        {**TABLE, "query": "SELECT * FROM nv WHERE m >= :since"}, "table",
        "qlkh: option 'table' or 'query' must be set, not both (both are set)",
        "qlkh: tuỳ chọn 'table' hoặc 'query' phải được đặt, nhưng không đặt cả hai (cả hai đều "
        "được đặt)"),
    "a misspelt option": (
        {**TABLE, "id_col": "ma_so"}, "id_col",
        "qlkh: option 'id_col' is not an option of the sql connector; did you mean "
        "'id_column'?",
        "qlkh: tuỳ chọn 'id_col' không phải là tuỳ chọn của bộ kết nối sql; có phải ý bạn là "
        "'id_column'?"),
    "a three-part table name": (
        {**TABLE, "table": "qlkh.dbo.nhiem_vu"}, "table",
        "qlkh: option 'table' must be a table or view name, optionally schema-qualified "
        "(qlkh.nhiem_vu), not 'qlkh.dbo.nhiem_vu'",
        "qlkh: tuỳ chọn 'table' phải là tên một bảng hoặc view, có thể kèm tên schema "
        "(qlkh.nhiem_vu), không phải 'qlkh.dbo.nhiem_vu'"),
    "a driver that is not installed": (
        {**TABLE, "url": "postgresql+pg8000://dongbo@db/qlkh"}, "url",
        "qlkh: option 'url' needs the pg8000 driver, which is not installed "
        "(pip install 'stisync[postgres]'): ",
        "qlkh: tuỳ chọn 'url' cần driver pg8000, driver này chưa được cài đặt "
        "(pip install 'stisync[postgres]'): "),
}


@pytest.mark.parametrize("options,key,english,said", SQL_OPTIONS.values(),
                         ids=SQL_OPTIONS.keys())
def test_sql_bad_options(options: dict[str, Any], key: str, english: str, said: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        sql(**{"url": PG, **options})
    assert caught.value.key == key
    # The driver's own ImportError text, quoted at the end, is left out of the comparison.
    assert str(caught.value).startswith(english)
    assert vietnamese(caught.value).startswith(said)


QUERIES = {
    "a delete": (
        "DELETE FROM nhiem_vu WHERE ngay_cap_nhat >= :since",
        "it is a DELETE statement", "câu truy vấn là một câu lệnh DELETE"),
    "two statements": (
        "SELECT * FROM nhiem_vu WHERE ngay_cap_nhat >= :since; DROP TABLE nhiem_vu",
        "it holds 2 statements", "câu truy vấn có 2 câu lệnh"),
    "select into": (
        "SELECT * INTO sao_luu FROM nhiem_vu WHERE ngay_cap_nhat >= :since",
        "it contains SELECT … INTO (it creates a table or writes a file)",
        "câu truy vấn chứa SELECT … INTO (lệnh này tạo bảng hoặc ghi ra tệp)"),
    "no since": (
        "SELECT * FROM nhiem_vu",
        "it has no :since parameter (e.g. WHERE ngay_cap_nhat >= :since)",
        "câu truy vấn không có tham số :since (ví dụ WHERE ngay_cap_nhat >= :since)"),
}


@pytest.mark.parametrize("query,why,why_vi", QUERIES.values(), ids=QUERIES.keys())
def test_sql_a_query_that_is_not_one_select(query: str, why: str, why_vi: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        sql(PG, query=query, id_column="ma_so")
    assert str(caught.value) == ("qlkh: option 'query' must be exactly one SELECT (or WITH … "
                                 f"SELECT) with a :since parameter; {why}")
    assert vietnamese(caught.value) == (
        "qlkh: tuỳ chọn 'query' phải là đúng một câu lệnh SELECT (hoặc WITH … SELECT) có tham "
        f"số :since; {why_vi}")


def test_sql_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "qlkh.sqlite"
    with pytest.raises(SourceUnavailable) as caught:
        list(sql(f"sqlite:///{missing}", **TABLE).records())
    assert str(caught.value) == f"qlkh: file {missing} does not exist"
    assert vietnamese(caught.value) == f"qlkh: tệp {missing} không tồn tại"


def test_sql_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "qlkh.sqlite"
    path.write_text("Mã số,Tên\nNV-1,Lúa\n", encoding="utf-8")
    with pytest.raises(SourceDataError) as caught:
        list(sql(f"sqlite:///{path}", **TABLE).records())
    assert str(caught.value) == f"qlkh: {path}: file is not a database"
    assert vietnamese(caught.value) == (
        f"qlkh: {path}: không đọc được dữ liệu: file is not a database")


def test_sql_a_binary_column_names_its_row(tmp_path: Path) -> None:
    path = database(tmp_path / "qlkh.sqlite")
    got: list[str] = []
    with pytest.raises(SourceDataError) as caught:
        for record in sql(f"sqlite:///{path}", **TABLE).records():
            got.append(record.record_id)
    assert got == ["NV-1"]
    assert str(caught.value) == (
        "qlkh: nhiem_vu, row 2: column 'tep' holds 3 bytes of binary data; leave binary "
        "columns out (a query or a view without them)")
    assert vietnamese(caught.value) == (
        "qlkh: nhiem_vu, dòng 2: cột 'tep' chứa 3 byte dữ liệu nhị phân; hãy bỏ các cột nhị "
        "phân ra (dùng một query hoặc view không có chúng)")


def test_sql_a_table_the_file_does_not_have(tmp_path: Path) -> None:
    path = database(tmp_path / "qlkh.sqlite")
    with pytest.raises(SourceConfigError) as caught:
        list(sql(f"sqlite:///{path}", **{**TABLE, "table": "nhiem_vu_cu"}).records())
    assert str(caught.value) == (f"qlkh: option 'table' names 'nhiem_vu_cu', which {path} does "
                                 "not have; its tables and views: nhiem_vu")
    assert vietnamese(caught.value) == (
        f"qlkh: tuỳ chọn 'table' ghi 'nhiem_vu_cu', nhưng {path} không có bảng này; các bảng "
        "và view hiện có: nhiem_vu")


def test_sql_a_column_the_table_does_not_have(tmp_path: Path) -> None:
    path = database(tmp_path / "qlkh.sqlite")
    with pytest.raises(SourceConfigError) as caught:
        list(sql(f"sqlite:///{path}", **{**TABLE, "id_column": "ma"}).records())
    assert str(caught.value) == ("qlkh: option 'id_column' names 'ma', which is not a column of "
                                 "the table; it has: ma_so, ten, tep")
    assert vietnamese(caught.value) == (
        "qlkh: tuỳ chọn 'id_column' ghi 'ma', nhưng đó không phải là một cột của bảng; các cột "
        "hiện có: ma_so, ten, tep")


def test_sql_a_query_on_a_missing_table(tmp_path: Path) -> None:
    path = database(tmp_path / "qlkh.sqlite")
    query = "SELECT ma_so FROM nhiem_vu_cu WHERE ngay_cap_nhat >= :since"
    with pytest.raises(SourceConfigError) as caught:
        list(sql(f"sqlite:///{path}", query=query, id_column="ma_so").records())
    assert str(caught.value) == (f"qlkh: option 'query' cannot be read from {path}: no such "
                                 "table: nhiem_vu_cu")
    assert vietnamese(caught.value) == (
        f"qlkh: tuỳ chọn 'query' không đọc được từ {path}: no such table: nhiem_vu_cu")


def test_sql_a_file_locked_by_its_writer(tmp_path: Path) -> None:
    path = database(tmp_path / "qlkh.sqlite")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(SourceUnavailable) as caught:
            list(sql(f"sqlite:///{path}", **TABLE, timeout=0.5).records())
    finally:
        writer.close()
    assert str(caught.value) == (
        f"qlkh: {path} stayed locked by another program past the 0.5 s timeout "
        "(database is locked); the next run tries again")
    assert vietnamese(caught.value) == (
        f"qlkh: {path} bị một chương trình khác khoá quá thời gian chờ 0.5 s "
        "(database is locked); lần chạy sau sẽ thử lại")


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"],
                         ids=["postgresql", "mariadb"])
def test_sql_an_unreachable_server(scheme: str) -> None:
    port = closed_port()
    with pytest.raises(SourceUnavailable) as caught:
        list(sql(f"{scheme}://dongbo@127.0.0.1:{port}/qlkh", **TABLE).records())
    assert f"qlkh: cannot read from 127.0.0.1:{port}/qlkh: " in str(caught.value)
    vietnamese(caught.value, f"qlkh: không đọc được từ 127.0.0.1:{port}/qlkh: ",
               "Connection refused")


def test_sql_a_server_that_never_answers(silent_port: int) -> None:
    url = f"mysql+pymysql://dongbo@127.0.0.1:{silent_port}/qlkh"
    with pytest.raises(SourceUnavailable) as caught:
        list(sql(url, **TABLE, connect_timeout=1, timeout=1).records())
    assert (f"qlkh: 127.0.0.1:{silent_port}/qlkh did not answer in time (connect_timeout 1 s, "
            "timeout 1 s): ") in str(caught.value)
    vietnamese(caught.value, f"qlkh: hết thời gian chờ mà 127.0.0.1:{silent_port}/qlkh vẫn "
                             "không trả lời (connect_timeout 1 s, timeout 1 s): ")


def test_sql_postgresql_an_unknown_login(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_url(pg_url).set(username="khong_co_ai", password="bi-mat")
    monkeypatch.setenv("QLKH_DB_URL", url.render_as_string(hide_password=False))
    with pytest.raises(SourceAuthError) as caught:
        list(SqlConnector("qlkh", {"url_env": "QLKH_DB_URL", **TABLE}).records())
    where = f"127.0.0.1:5432/{url.database}"
    assert str(caught.value).startswith(f"qlkh: {where} refused the login of 'khong_co_ai': ")
    vi = vietnamese(caught.value, f"qlkh: {where} từ chối đăng nhập của 'khong_co_ai': ",
                    'role "khong_co_ai" does not exist')
    assert "bi-mat" not in vi


def test_sql_postgresql_an_unknown_database(pg_url: str) -> None:
    url = make_url(pg_url).set(database="khong_co_csdl").render_as_string(hide_password=False)
    with pytest.raises(SourceConfigError) as caught:
        list(sql(url, **TABLE).records())
    assert caught.value.key == "url"
    assert "names database 'khong_co_csdl', which 127.0.0.1 does not have: " in str(caught.value)
    vietnamese(caught.value, "tuỳ chọn 'url' ghi cơ sở dữ liệu 'khong_co_csdl', nhưng "
                             "127.0.0.1 không có cơ sở dữ liệu này: ")


def test_sql_postgresql_a_read_past_its_timeout(pg_url: str) -> None:
    query = "SELECT 'NV-001' AS ma_so, pg_sleep(5) AS ngu WHERE CAST(:since AS DATE) IS NOT NULL"
    with pytest.raises(SourceUnavailable) as caught:
        list(sql(pg_url, query=query, id_column="ma_so", timeout=0.5).records())
    assert "the read ran past the 0.5 s timeout and was cancelled" in str(caught.value)
    vietnamese(caught.value, "việc đọc kéo dài quá thời gian chờ 0.5 s nên đã bị huỷ; hãy tăng "
                             "`timeout` nếu nguồn chỉ chậm")


def test_sql_postgresql_a_write_in_the_read_only_transaction(pg_url: str) -> None:
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SEQUENCE so_thu_tu")
    engine.dispose()
    query = "SELECT nextval('so_thu_tu') AS ma_so WHERE CAST(:since AS DATE) IS NOT NULL"
    with pytest.raises(SourceConfigError) as caught:
        list(sql(pg_url, query=query, id_column="ma_so").records())
    where = f"127.0.0.1:5432/{make_url(pg_url).database}"
    assert f"tried to write, which {where} refused in the read-only transaction: " \
        in str(caught.value)
    vietnamese(caught.value, f"tuỳ chọn 'query' đã tìm cách ghi dữ liệu, và {where} đã từ chối "
                             "việc ghi trong giao dịch chỉ đọc: ",
               "cannot execute nextval() in a read-only transaction")


# A server that keeps failing: the words of ours inside its error are Vietnamese too ---------


def test_a_server_failing_with_an_empty_body_is_said_in_vietnamese() -> None:
    with (answering("503 Service Unavailable", b"", "text/plain") as url,
          pytest.raises(SourceUnavailable) as rest_caught):
        list(rest(url, pagination="none", retries=1).records())
    assert "(empty body)" in str(rest_caught.value)
    vi = vietnamese(rest_caught.value, "HTTP 503 Service Unavailable: (nội dung trống)")
    assert "empty body" not in vi

    with (answering("503 Service Unavailable", b"", "text/plain") as url,
          pytest.raises(SourceUnavailable) as oai_caught):
        list(harvester(url, retries=1).records())
    assert "(empty body)" in str(oai_caught.value)
    vi = vietnamese(oai_caught.value, "HTTP 503 Service Unavailable: (nội dung trống)")
    assert "empty body" not in vi and "(page" not in vi
