"""Credentials of the national client: OAuth2 client credentials, static tokens, headers."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import requests
import responses

from sync.national import (
    AuthFailed,
    ClientCredentials,
    NationalClient,
    NationalError,
    RetryBudgetExceeded,
    RetryPolicy,
    StaticToken,
    WriteStatus,
)
from tests import national_fixtures
from tests.national_fixtures import BASE, TASK_URL, FakeClock

TOKEN_URL = f"{BASE}/oauth/token"
SECRET = "s3cr3t-do-not-show"
RECORD = {"local_id": "qlkh:1", "title": "Nghiên cứu giống lúa"}

# The shared fixtures, requested by name below.
api = national_fixtures.api
clock = national_fixtures.clock
no_real_sleep = national_fixtures.no_real_sleep


def oauth_client(clock: FakeClock, **kw: object) -> NationalClient:
    auth = ClientCredentials(TOKEN_URL, "tinh-48", SECRET, clock=clock, **kw)  # type: ignore[arg-type]
    return NationalClient(
        BASE,
        "48",
        auth,
        policy=RetryPolicy(max_attempts=3, jitter=0),
        sleep=clock.sleep,
        clock=clock,
    )


def token_answer(token: str, expires_in: int | None = 3600) -> dict[str, object]:
    body: dict[str, object] = {"access_token": token, "token_type": "Bearer"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    return {"json": body, "status": 200}


def put_ok(api: responses.RequestsMock, status: int = 200) -> None:
    api.put(
        TASK_URL,
        status=status,
        json={
            "local_id": "qlkh:1",
            "status": "updated",
            "national_id": "VN-48-1",
            "revision": 2,
            "content_hash": "ab",
            "errors": [],
        },
    )


def calls_to(api: responses.RequestsMock, url: str) -> list[requests.PreparedRequest]:
    return [c.request for c in api.calls if c.request.url == url]


def bearers(api: responses.RequestsMock) -> list[str | bytes | None]:
    return [r.headers.get("Authorization") for r in calls_to(api, TASK_URL)]


def test_token_is_fetched_once_and_reused(api: responses.RequestsMock, clock: FakeClock) -> None:
    api.post(TOKEN_URL, **token_answer("t1"))
    put_ok(api)
    client = oauth_client(clock)
    for _ in range(3):
        client.put_task("qlkh:1", RECORD)
    assert len(calls_to(api, TOKEN_URL)) == 1
    assert bearers(api) == ["Bearer t1"] * 3


def test_token_request_is_a_client_credentials_form(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.post(TOKEN_URL, **token_answer("t1"))
    put_ok(api)
    oauth_client(clock, scope="tasks.write").put_task("qlkh:1", RECORD)
    request = calls_to(api, TOKEN_URL)[0]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert isinstance(request.body, str)
    assert parse_qs(request.body) == {
        "grant_type": ["client_credentials"],
        "client_id": ["tinh-48"],
        "client_secret": [SECRET],
        "scope": ["tasks.write"],
    }


@pytest.mark.parametrize(
    ("expires_in", "leeway", "still_valid_at", "renewed_at"),
    [
        pytest.param(3600, 60, 3539, 3541, id="hour-token-minus-leeway"),
        pytest.param(60, 60, 29, 31, id="short-token-renewed-at-half-life"),
        pytest.param(3600, 0, 3599, 3600, id="no-leeway"),
    ],
)
def test_token_is_renewed_on_expiry(
    api: responses.RequestsMock,
    clock: FakeClock,
    *,
    expires_in: int,
    leeway: int,
    still_valid_at: float,
    renewed_at: float,
) -> None:
    api.post(TOKEN_URL, **token_answer("t1", expires_in))
    api.post(TOKEN_URL, **token_answer("t2", expires_in))
    put_ok(api)
    client = oauth_client(clock, leeway=leeway)
    start = clock.now
    client.put_task("qlkh:1", RECORD)
    clock.now = start + still_valid_at
    client.put_task("qlkh:1", RECORD)
    clock.now = start + renewed_at
    client.put_task("qlkh:1", RECORD)
    assert bearers(api) == ["Bearer t1", "Bearer t1", "Bearer t2"]


def test_token_without_expiry_is_kept_until_refused(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.post(TOKEN_URL, **token_answer("t1", expires_in=None))
    put_ok(api)
    client = oauth_client(clock)
    client.put_task("qlkh:1", RECORD)
    clock.now += 10 * 86400
    client.put_task("qlkh:1", RECORD)
    assert len(calls_to(api, TOKEN_URL)) == 1


def test_a_401_renews_the_token_once_and_repeats_the_call(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.post(TOKEN_URL, **token_answer("t1"))
    api.post(TOKEN_URL, **token_answer("t2"))
    api.put(TASK_URL, status=401, json={"error": "invalid_token"})
    put_ok(api)
    result = oauth_client(clock).put_task("qlkh:1", RECORD)
    assert result.status is WriteStatus.UPDATED
    assert bearers(api) == ["Bearer t1", "Bearer t2"]
    assert clock.sleeps == []


def test_a_second_401_is_auth_failed(api: responses.RequestsMock, clock: FakeClock) -> None:
    api.post(TOKEN_URL, **token_answer("t1"))
    api.post(TOKEN_URL, **token_answer("t2"))
    api.put(TASK_URL, status=401, json={"error": "invalid_token", "message": "unknown token"})
    with pytest.raises(AuthFailed, match=r"401 invalid_token: unknown token.*freshly fetched"):
        oauth_client(clock).put_task("qlkh:1", RECORD)
    assert len(calls_to(api, TOKEN_URL)) == 2 and len(calls_to(api, TASK_URL)) == 2
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(401, {"error": "invalid_client"}, id="401-invalid-client"),
        pytest.param(400, {"error": "unsupported_grant_type"}, id="400-unsupported-grant"),
        pytest.param(404, "not found", id="404-wrong-token-url"),
    ],
)
def test_token_endpoint_refusal_is_auth_failed_without_retry(
    api: responses.RequestsMock, clock: FakeClock, status: int, body: object
) -> None:
    answer = {"json": body} if isinstance(body, dict) else {"body": str(body)}
    api.post(TOKEN_URL, status=status, **answer)
    with pytest.raises(AuthFailed) as raised:
        oauth_client(clock).put_task("qlkh:1", RECORD)
    assert raised.value.status == status
    assert "tinh-48" in str(raised.value) and "/api/oauth/token" in str(raised.value)
    assert SECRET not in str(raised.value)
    assert len(calls_to(api, TOKEN_URL)) == 1 and calls_to(api, TASK_URL) == []
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"status": 503, "json": {"error": "unavailable"}}, id="503"),
        pytest.param({"status": 429, "json": {"error": "slow_down"}}, id="429"),
        pytest.param({"body": requests.ConnectionError("refused")}, id="connection-error"),
        pytest.param({"body": requests.ReadTimeout("read timed out")}, id="read-timeout"),
        pytest.param({"status": 200, "body": '{"access_tok'}, id="cut-json-body"),
    ],
)
def test_token_endpoint_faults_are_retried_by_the_same_policy(
    api: responses.RequestsMock, clock: FakeClock, fault: dict[str, object]
) -> None:
    api.post(TOKEN_URL, **fault)
    api.post(TOKEN_URL, **token_answer("t1"))
    put_ok(api)
    assert oauth_client(clock).put_task("qlkh:1", RECORD).status is WriteStatus.UPDATED
    assert len(calls_to(api, TOKEN_URL)) == 2 and clock.sleeps == [1.0]


def test_token_endpoint_down_for_good_gives_up(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.post(TOKEN_URL, status=502)
    with pytest.raises(RetryBudgetExceeded, match="502"):
        oauth_client(clock).put_task("qlkh:1", RECORD)
    assert len(calls_to(api, TOKEN_URL)) == 3 and calls_to(api, TASK_URL) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"token_type": "Bearer"}, "no access_token", id="no-token"),
        pytest.param({"access_token": "t1", "token_type": "mac"}, "not Bearer", id="not-bearer"),
        pytest.param({"access_token": "t 1"}, "spaces or control", id="token-with-space"),
        pytest.param({"access_token": "t1", "expires_in": "soon"}, "expires_in", id="bad-expiry"),
        pytest.param(["t1"], "not a JSON object", id="not-an-object"),
    ],
)
def test_token_answer_breaking_the_contract_is_not_retried(
    api: responses.RequestsMock, clock: FakeClock, body: object, message: str
) -> None:
    api.post(TOKEN_URL, json=body)
    with pytest.raises(NationalError, match=message) as raised:
        oauth_client(clock).put_task("qlkh:1", RECORD)
    assert type(raised.value) is NationalError
    assert len(calls_to(api, TOKEN_URL)) == 1 and clock.sleeps == []


def test_static_token_is_sent_and_no_token_endpoint_is_called(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    put_ok(api)
    client = NationalClient(BASE, "48", StaticToken("gateway-key"), sleep=clock.sleep, clock=clock)
    client.put_task("qlkh:1", RECORD)
    assert bearers(api) == ["Bearer gateway-key"]
    assert len(api.calls) == 1


def test_static_token_refused_is_auth_failed_at_once(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.put(TASK_URL, status=401, json={"error": "invalid_token"})
    client = NationalClient(BASE, "48", StaticToken("old-key"), sleep=clock.sleep, clock=clock)
    with pytest.raises(AuthFailed, match="static token was refused"):
        client.put_task("qlkh:1", RECORD)
    assert len(api.calls) == 1 and clock.sleeps == []


def test_extra_headers_go_with_every_call_including_the_token_request(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.post(TOKEN_URL, **token_answer("t1"))
    put_ok(api)
    api.get(f"{BASE}/v1/health", json={"status": "ok"})
    auth = ClientCredentials(TOKEN_URL, "tinh-48", SECRET, clock=clock)
    client = NationalClient(
        BASE,
        "48",
        auth,
        headers={"X-Gateway-Key": "lgsp-123"},
        sleep=clock.sleep,
        clock=clock,
        user_agent="stisync/9.9",
    )
    client.put_task("qlkh:1", RECORD)
    assert client.health()
    assert len(api.calls) == 3
    for call in api.calls:
        assert call.request.headers["X-Gateway-Key"] == "lgsp-123"
        assert call.request.headers["User-Agent"] == "stisync/9.9"


def test_authorization_cannot_be_overridden_by_extra_headers() -> None:
    with pytest.raises(ValueError, match="Authorization is set from the national API credentials"):
        NationalClient(BASE, "48", StaticToken("k"), headers={"authorization": "Basic x"})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda: StaticToken(""), "token is empty", id="empty-static-token"),
        pytest.param(
            lambda: StaticToken("a\nX-Evil: 1"), "control characters", id="header-smuggling"
        ),
        pytest.param(
            lambda: ClientCredentials("ftp://x", "id", "s"), "http", id="token-url-not-http"
        ),
        pytest.param(
            lambda: ClientCredentials(TOKEN_URL, " ", "s"), "client_id", id="no-client-id"
        ),
        pytest.param(
            lambda: ClientCredentials(TOKEN_URL, "id", ""), "client_secret", id="no-secret"
        ),
    ],
)
def test_bad_credentials_settings_are_refused_up_front(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_secrets_do_not_show_in_reprs() -> None:
    assert SECRET not in repr(ClientCredentials(TOKEN_URL, "tinh-48", SECRET))
    assert "gateway-key" not in repr(StaticToken("gateway-key"))


def test_tokens_are_never_logged(
    api: responses.RequestsMock, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    api.post(TOKEN_URL, **token_answer("t1-secret-token"))
    api.put(TASK_URL, status=503)
    put_ok(api)
    with caplog.at_level("DEBUG"):
        oauth_client(clock).put_task("qlkh:1", RECORD)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "retrying" in text
    assert "t1-secret-token" not in text and SECRET not in text
    assert json.dumps(RECORD, ensure_ascii=False) not in text
