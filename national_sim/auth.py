"""Who may call the simulator: client credentials, static tokens and the access tokens it issues."""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from schemas.codelists import current_provinces

STAFF = "*"


def check_province_code(code: str, *, what: str) -> str:
    """`code` if it is a current province code or `*` (national staff); ValueError otherwise."""
    if code == STAFF or code in current_provinces():
        return code
    raise ValueError(f"{what}: {code!r} is not one of the 34 current province codes "
                     "(Decision 19/2025/QĐ-TTg) nor '*' for national staff")


@dataclass(frozen=True)
class Client:
    """An OAuth2 client registered with the simulator, bound to one province (or `*`)."""

    client_id: str
    client_secret: str
    province: str

    @classmethod
    def parse(cls, text: str) -> Client:
        """`ID:SECRET:PROVINCE`; the secret may itself hold colons."""
        client_id, sep, rest = text.partition(":")
        secret, sep2, province = rest.rpartition(":")
        if not (sep and sep2 and client_id and secret and province):
            raise ValueError(f"client {text!r} is not ID:SECRET:PROVINCE")
        return cls(client_id, secret, check_province_code(province, what=f"client {client_id!r}"))


def parse_static_token(text: str) -> tuple[str, str]:
    """`TOKEN:PROVINCE` -> (token, province)."""
    token, sep, province = text.rpartition(":")
    if not (sep and token and province):
        raise ValueError("static token is not TOKEN:PROVINCE")
    return token, check_province_code(province, what="static token")


@dataclass(frozen=True)
class Principal:
    """The caller behind a valid token."""

    name: str
    province: str

    @property
    def is_staff(self) -> bool:
        return self.province == STAFF


class AuthError(Exception):
    """A credential or token was refused; `code` is the OAuth2 / RFC 6750 error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Issued:
    principal: Principal
    expires_at: float


class Authenticator:
    """Checks client credentials, issues access tokens and resolves bearer tokens.

    Issued tokens live in memory only: after a restart clients fetch new ones, as they would
    from a real gateway that rotated its keys.
    """

    def __init__(self, clients: Iterable[Client], static_tokens: Mapping[str, str], *,
                 ttl: int, clock: Callable[[], float]):
        self._clients = {c.client_id: c for c in clients}
        self._static = {t: Principal(f"static-token-{i + 1}", p)
                        for i, (t, p) in enumerate(static_tokens.items())}
        self._ttl = ttl
        self._clock = clock
        self._issued: dict[str, _Issued] = {}
        self._lock = threading.Lock()

    @property
    def ttl(self) -> int:
        return self._ttl

    def issue(self, client_id: str, client_secret: str) -> str:
        """A new access token for valid credentials; AuthError("invalid_client") otherwise."""
        client = self._clients.get(client_id)
        # compare_digest even for unknown ids, so timing does not tell which ids exist
        expected = client.client_secret if client else secrets.token_hex(16)
        if not hmac.compare_digest(expected.encode(), client_secret.encode()) or client is None:
            raise AuthError("invalid_client", f"unknown client {client_id!r} or wrong secret")
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._issued = {t: i for t, i in self._issued.items() if i.expires_at > now}
            self._issued[token] = _Issued(Principal(client.client_id, client.province),
                                          now + self._ttl)
        return token

    def principal(self, token: str | None) -> Principal:
        """The caller behind `token`; AuthError when it is missing, unknown or expired."""
        if not token:
            raise AuthError("invalid_request", "missing 'Authorization: Bearer <token>' header")
        static = self._static.get(token)
        if static is not None:
            return static
        with self._lock:
            issued = self._issued.get(token)
        if issued is None:
            raise AuthError("invalid_token", "the access token is unknown")
        if self._clock() >= issued.expires_at:
            raise AuthError("invalid_token", "the access token has expired")
        return issued.principal

    def identify(self, token: str | None) -> str | None:
        """The name of the caller behind `token`, expired or not, for statistics."""
        if not token:
            return None
        if token in self._static:
            return self._static[token].name
        with self._lock:
            issued = self._issued.get(token)
        return issued.principal.name if issued else None
