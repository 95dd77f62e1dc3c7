"""The simulator's OAuth2 token endpoint, bearer tokens, static tokens and province checks."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from national_sim import Client
from national_sim.auth import parse_static_token
from tests import sim_fixtures
from tests.records import valid_record
from tests.sim_fixtures import FakeClock, RunningSim, running_sim

national_sim = sim_fixtures.national_sim  # the shared fixture, requested by name below

T = 10  # request timeout, seconds


def _token_form(sim: RunningSim, **changes: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": sim.client_id,
            "client_secret": sim.client_secret, **changes}


def _put(sim: RunningSim, token: str, province: str | None = None,
         local_id: str = "so-khcn:1") -> requests.Response:
    url = f"{sim.url}/v1/provinces/{province or sim.province}/tasks/{quote(local_id, safe='')}"
    return requests.put(url, json=valid_record(local_id=local_id), timeout=T,
                        headers={"Authorization": f"Bearer {token}"})


def test_token_flow_issues_a_bearer_token_that_opens_the_api(national_sim: RunningSim) -> None:
    r = requests.post(f"{national_sim.url}/oauth/token", data=_token_form(national_sim), timeout=T)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 32
    assert r.headers["Cache-Control"] == "no-store"
    assert _put(national_sim, body["access_token"]).status_code == 201


def test_each_token_request_gets_a_new_token(national_sim: RunningSim) -> None:
    assert national_sim.token() != national_sim.token()


def test_client_secret_by_http_basic_is_accepted(national_sim: RunningSim) -> None:
    r = requests.post(f"{national_sim.url}/oauth/token", timeout=T,
                      data={"grant_type": "client_credentials"},
                      auth=(national_sim.client_id, national_sim.client_secret))
    assert r.status_code == 200


@pytest.mark.parametrize(("changes", "status", "error"), [
    ({"client_secret": "wrong"}, 401, "invalid_client"),
    ({"client_id": "tinh-99-nobody"}, 401, "invalid_client"),
    ({"client_secret": ""}, 401, "invalid_client"),
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ({"grant_type": ""}, 400, "invalid_request"),
], ids=["wrong-secret", "unknown-client", "empty-secret", "password-grant", "no-grant"])
def test_token_endpoint_refuses_bad_requests(national_sim: RunningSim, changes: dict[str, str],
                                             status: int, error: str) -> None:
    r = requests.post(f"{national_sim.url}/oauth/token", timeout=T,
                      data=_token_form(national_sim, **changes))
    assert r.status_code == status
    assert r.json()["error"] == error
    assert r.json()["message"]
    assert "access_token" not in r.json()


@pytest.mark.parametrize("header", [
    None, "Bearer not-a-token-we-issued", "Basic dXNlcjpwYXNz", "Bearer",
], ids=["missing", "unknown", "basic-scheme", "empty-bearer"])
def test_calls_without_a_valid_token_are_401(national_sim: RunningSim, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    r = requests.get(f"{national_sim.url}/v1/provinces/52/tasks", headers=headers, timeout=T)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.json()["message"]


def test_expired_token_is_401_and_a_new_one_works(tmp_path: Path) -> None:
    clock = FakeClock()
    with running_sim(tmp_path, clock=clock, token_ttl=60) as sim:
        token = sim.token()
        assert _put(sim, token).status_code == 201
        clock.advance(60)
        r = _put(sim, token)
        assert r.status_code == 401
        assert "expired" in r.json()["message"]
        assert _put(sim, sim.token()).status_code == 200


def test_token_lifetime_is_configurable(tmp_path: Path) -> None:
    with running_sim(tmp_path, token_ttl=120) as sim:
        r = requests.post(f"{sim.url}/oauth/token", data=_token_form(sim), timeout=T)
        assert r.json()["expires_in"] == 120


def test_another_province_is_403_and_an_unknown_one_404(national_sim: RunningSim) -> None:
    token = national_sim.token()
    other = _put(national_sim, token, province="01")
    assert other.status_code == 403
    assert other.json()["error"] == "forbidden"
    unknown = _put(national_sim, token, province="99")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "unknown_province"
    assert national_sim.tasks() == {}


def test_static_token_writes_its_own_province_only(tmp_path: Path) -> None:
    with running_sim(tmp_path, static_tokens={"gateway-key-52": "52"}) as sim:
        assert _put(sim, "gateway-key-52").status_code == 201
        assert _put(sim, "gateway-key-52", province="79").status_code == 403


def test_national_staff_may_read_but_not_write(national_sim: RunningSim) -> None:
    assert _put(national_sim, national_sim.token()).status_code == 201
    staff = {"Authorization": f"Bearer {national_sim.staff_token}"}
    assert _put(national_sim, national_sim.staff_token).status_code == 403
    listed = requests.get(f"{national_sim.url}/v1/provinces/52/tasks", headers=staff, timeout=T)
    assert [i["local_id"] for i in listed.json()["items"]] == ["so-khcn:1"]


def test_a_second_client_of_another_province_is_kept_apart(tmp_path: Path) -> None:
    other = Client("tinh-01-test", "secret-01", "01")
    with running_sim(tmp_path, clients=(other,)) as sim:
        r = requests.post(f"{sim.url}/oauth/token", timeout=T, data={
            "grant_type": "client_credentials", "client_id": "tinh-01-test",
            "client_secret": "secret-01"})
        token01 = r.json()["access_token"]
        assert _put(sim, token01, province="01").status_code == 201
        assert _put(sim, token01, province="52").status_code == 403
        assert sim.tasks("01").keys() == {"so-khcn:1"}
        assert sim.tasks() == {}


@pytest.mark.parametrize(("text", "expected"), [
    ("ID:SECRET:52", Client("ID", "SECRET", "52")),
    ("ID:SE:CR:ET:52", Client("ID", "SE:CR:ET", "52")),
    ("staff:pw:*", Client("staff", "pw", "*")),
    ("ID:SECRET:99", pytest.raises(ValueError, match="'99' is not one of the 34")),
    ("ID:52", pytest.raises(ValueError, match="ID:SECRET:PROVINCE")),
    ("::52", pytest.raises(ValueError, match="ID:SECRET:PROVINCE")),
], ids=["plain", "secret-with-colons", "staff", "unknown-province", "no-secret", "empty"])
def test_client_parse(text: str, expected: object) -> None:
    if isinstance(expected, Client):
        assert Client.parse(text) == expected
    else:
        with expected:  # type: ignore[attr-defined]
            Client.parse(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("abc:52", ("abc", "52")),
    ("a:b:c:*", ("a:b:c", "*")),
    ("abc", pytest.raises(ValueError, match="TOKEN:PROVINCE")),
    ("abc:00", pytest.raises(ValueError, match="'00' is not one of the 34")),
], ids=["plain", "colons-in-token", "no-province", "unknown-province"])
def test_static_token_parse(text: str, expected: object) -> None:
    if isinstance(expected, tuple):
        assert parse_static_token(text) == expected
    else:
        with expected:  # type: ignore[attr-defined]
            parse_static_token(text)
