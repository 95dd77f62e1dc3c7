"""Credentials for the national API: a static gateway key, or OAuth2 client credentials."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

import requests

from sync.national.errors import AuthFailed, NationalError
from sync.national.retry import classify, describe, error_body

logger = logging.getLogger(__name__)

Timeout = float | tuple[float, float]


class TokenAuth(Protocol):
    """What the client needs from credentials: a bearer token now, and a way to drop it."""

    @property
    def renewable(self) -> bool:
        """Whether `invalidate()` then `bearer()` can yield a different token."""
        ...

    def bearer(
        self, session: requests.Session, *, timeout: Timeout, headers: Mapping[str, str]
    ) -> str: ...

    def invalidate(self) -> None: ...


def _token_fault(token: object) -> tuple[str, str] | None:
    """What makes `token` unusable, in English and in Vietnamese; None when it is usable."""
    if not isinstance(token, str) or not token.strip():
        return "is empty", "rỗng"
    # A newline or space would corrupt the Authorization header (or smuggle another one).
    if re.search(r"[\s\x00-\x1f\x7f]", token.strip()):
        return "holds spaces or control characters", "chứa khoảng trắng hoặc ký tự điều khiển"
    return None


def _check_token(token: object, what: str) -> str:
    fault = _token_fault(token)
    if fault is not None:
        raise ValueError(f"{what} {fault[0]}")
    assert isinstance(token, str)
    return token.strip()


class StaticToken:
    """A long-lived bearer key issued by a gateway. A 401 cannot be cured by renewing it."""

    renewable = False

    def __init__(self, token: str) -> None:
        self._token = _check_token(token, "the national API token")

    def bearer(
        self, session: requests.Session, *, timeout: Timeout, headers: Mapping[str, str]
    ) -> str:
        return self._token

    def invalidate(self) -> None:
        """Nothing to drop: the same key is all there is."""

    def __repr__(self) -> str:
        return "StaticToken(<hidden>)"


class ClientCredentials:
    """OAuth 2.0 client credentials (RFC 6749 §4.4), the token cached until `expires_in`
    minus `leeway` seconds. Thread-safe: concurrent callers share one fetch."""

    renewable = True

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        leeway: float = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not re.match(r"^https?://", token_url or ""):
            raise ValueError(f"token_url must be an http(s) URL, not {token_url!r}")
        if not isinstance(client_id, str) or not client_id.strip():
            raise ValueError("the national API client_id is empty")
        if not isinstance(client_secret, str) or not client_secret:
            raise ValueError("the national API client_secret is empty")
        if leeway < 0:
            raise ValueError(f"leeway must not be negative, not {leeway}")
        self.token_url = token_url
        self.client_id = client_id.strip()
        self._secret = client_secret
        self.scope = scope
        self.leeway = leeway
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: float | None = None

    def __repr__(self) -> str:
        return f"ClientCredentials({self.token_url!r}, {self.client_id!r}, <hidden>)"

    def bearer(
        self, session: requests.Session, *, timeout: Timeout, headers: Mapping[str, str]
    ) -> str:
        with self._lock:
            if self._token is not None and (
                self._expires_at is None or self._clock() < self._expires_at
            ):
                return self._token
            self._token, self._expires_at = self._fetch(session, timeout, headers)
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = self._expires_at = None

    def _fetch(
        self, session: requests.Session, timeout: Timeout, headers: Mapping[str, str]
    ) -> tuple[str, float | None]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret,
        }
        if self.scope:
            form["scope"] = self.scope
        url = self.token_url
        what = describe("POST", url)
        try:
            response = session.post(
                url, data=form, timeout=timeout, headers={**headers, "Accept": "application/json"}
            )
        except requests.RequestException as exc:
            raise _must(classify(None, exc, url=url, method="POST")) from exc
        status = response.status_code
        if 400 <= status < 500 and status != 429:
            code, message, _ = error_body(response)
            said = ": ".join(p for p in (code, message) if p) or response.reason
            detail = said or "no detail"
            raise AuthFailed(
                f"national API token endpoint {what}: {status} {detail}: check "
                f"client_id {self.client_id!r}, its secret and token_url",
                text_vi=f"nơi cấp mã truy cập của API quốc gia {what}: {status} "
                f"{said or 'không có chi tiết'}: hãy kiểm tra client_id {self.client_id!r}, "
                "client_secret của nó và token_url",
                status=status,
                code=code,
                message=message or detail,
                url=url,
                method="POST",
            )
        error = classify(response, None, url=url, method="POST")
        if error is not None:
            raise error
        try:
            data = response.json()
        except ValueError as exc:
            raise _must(classify(response, exc, url=url, method="POST")) from exc
        return self._read(data, what, url)

    def _read(self, data: object, what: str, url: str) -> tuple[str, float | None]:
        def broken(why: str, why_vi: str) -> NationalError:
            return NationalError(
                f"national API token endpoint {what}: {why}",
                text_vi=f"nơi cấp mã truy cập của API quốc gia {what}: {why_vi}",
                status=200,
                url=url,
                method="POST",
            )

        if not isinstance(data, dict):
            raise broken("the answer is not a JSON object",
                         "câu trả lời không phải một đối tượng JSON")
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise broken("the answer has no access_token", "câu trả lời không có access_token")
        fault = _token_fault(token)
        if fault is not None:
            raise broken(f"access_token {fault[0]}", f"access_token {fault[1]}")
        token = token.strip()
        kind = data.get("token_type", "Bearer")
        if not isinstance(kind, str) or kind.lower() != "bearer":
            raise broken(f"token_type is {kind!r}, not Bearer",
                         f"token_type là {kind!r}, không phải Bearer")
        expires_in = data.get("expires_in")
        if expires_in is None:  # RFC 6749 makes it optional: keep the token until a 401
            logger.debug("national API token fetched, no expiry given")
            return token, None
        if (
            isinstance(expires_in, bool)
            or not isinstance(expires_in, (int, float))
            or expires_in <= 0
        ):
            raise broken(f"expires_in is {expires_in!r}, not a positive number of seconds",
                         f"expires_in là {expires_in!r}, không phải một số giây dương")
        # A short-lived token would otherwise be renewed on every call.
        lifetime = expires_in - min(self.leeway, expires_in / 2)
        logger.debug("national API token fetched, renewing in %.0f s", lifetime)
        return token, self._clock() + lifetime


def _must(error: NationalError | None) -> NationalError:
    assert error is not None  # classify() always names an error for an exception
    return error
