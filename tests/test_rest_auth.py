"""The rest connector's credentials against a provincial API on loopback that checks them."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import SourceAuthError
from connectors.rest import RestConnector
from stisync.provincial_api import ProvincialApi, create_app
from stisync.wsgi import start_background

TOKEN = "eyJhbGciOiJIUzI1NiJ9.qlkh.Zm9v"
PASSWORD = "mật-khẩu-Đà-Nẵng"  # basic auth with a Vietnamese password: sent as UTF-8
RECORDS = [{"id": i, "ten_nhiem_vu": f"Nhiệm vụ {i}"} for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ProvincialApi, str]]:
    app = create_app([])
    with start_background(app) as running:
        yield app, running.url + "/api/nhiem-vu"
        gc.collect()  # failed responses kept by tracebacks hold sockets the server waits for


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """QLKH_TOKEN and QLKH_PASSWORD in the environment, token.txt in the config folder."""
    monkeypatch.setenv("QLKH_TOKEN", TOKEN)
    monkeypatch.setenv("QLKH_PASSWORD", PASSWORD)
    (tmp_path / "token.txt").write_text(TOKEN + "\n", encoding="utf-8")
    return tmp_path


def rest(url: str, base_dir: Path, **options: Any) -> RestConnector:
    return RestConnector("qlkh", {"url": url, "pagination": "none", "records_path": "data.items",
                                  **options}, base_dir=base_dir, sleep=lambda _: None)


# name: (what the server checks, its secret, our options)
AUTH = {
    "bearer-from-env": ("bearer", TOKEN, {"auth": "bearer", "token_env": "QLKH_TOKEN"}),
    "bearer-from-file": ("bearer", TOKEN, {"auth": "bearer", "token_file": "token.txt"}),
    "api-key-header": ("api_key", TOKEN, {"auth": "api_key", "api_key_env": "QLKH_TOKEN",
                                          "api_key_header": "X-Api-Key"}),
    "basic": ("basic", PASSWORD, {"auth": "basic", "username": "dongbo",
                                  "password_env": "QLKH_PASSWORD"}),
}


@pytest.mark.parametrize("kind,secret,options", AUTH.values(), ids=AUTH.keys())
def test_each_auth_kind_is_accepted(server: tuple[ProvincialApi, str], secrets: Path, kind: str,
                                    secret: str, options: dict[str, Any]) -> None:
    app, url = server
    app.reset(RECORDS, auth=kind, token=secret, api_key_header="X-Api-Key", username="dongbo")
    got = [r.record_id for r in rest(url, secrets, **options).records()]
    assert got == ["1", "2", "3"]


@pytest.mark.parametrize("kind,secret,options", AUTH.values(), ids=AUTH.keys())
def test_wrong_credentials_quote_the_server(
        server: tuple[ProvincialApi, str], secrets: Path, kind: str, secret: str,
        options: dict[str, Any]) -> None:
    app, url = server
    app.reset(RECORDS, auth=kind, token="something-else", api_key_header="X-Api-Key",
              username="dongbo")
    with pytest.raises(SourceAuthError) as caught:
        list(rest(url, secrets, **options).records())
    assert str(caught.value) == (f"qlkh: {url} refused our credentials (HTTP 401): "
                                 "Token không hợp lệ hoặc đã hết hạn")
    assert secret not in str(caught.value)
    assert len(app.requests_seen()) == 1  # refused credentials are never retried


def test_no_credentials_for_a_protected_api(server: tuple[ProvincialApi, str],
                                            tmp_path: Path) -> None:
    app, url = server
    app.reset(RECORDS, auth="bearer", token=TOKEN)
    with pytest.raises(SourceAuthError, match="refused our credentials"):
        list(rest(url, tmp_path).records())


def test_forbidden_is_an_auth_error_with_the_message(server: tuple[ProvincialApi, str],
                                                     secrets: Path) -> None:
    app, url = server
    app.reset(RECORDS, auth="bearer", token=TOKEN)
    app.fail_next(1, 403)
    with pytest.raises(SourceAuthError) as caught:
        list(rest(url, secrets, auth="bearer", token_env="QLKH_TOKEN").records())
    assert str(caught.value).endswith(
        "(HTTP 403): Tài khoản không có quyền truy cập dữ liệu nhiệm vụ"
    )


def test_token_pasted_with_its_bearer_prefix(server: tuple[ProvincialApi, str], secrets: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    app, url = server
    app.reset(RECORDS, auth="bearer", token=TOKEN)
    monkeypatch.setenv("QLKH_TOKEN", f"Bearer {TOKEN}")
    got = list(rest(url, secrets, auth="bearer", token_env="QLKH_TOKEN").records())
    assert len(got) == 3


def test_static_headers_go_with_the_credentials(server: tuple[ProvincialApi, str],
                                                secrets: Path) -> None:
    app, url = server
    app.reset(RECORDS, auth="api_key", token=TOKEN, api_key_header="X-Api-Key")
    connector = rest(url, secrets, auth="api_key", api_key_env="QLKH_TOKEN",
                     api_key_header="X-Api-Key", headers={"X-Tenant": "gialai"})
    assert len(list(connector.records())) == 3
    headers = app.requests_seen()[0]["headers"]
    assert (headers["X-Tenant"], headers["X-Api-Key"]) == ("gialai", TOKEN)
    assert headers["Accept"] == "application/json"
    assert TOKEN not in repr(connector.auth)
