"""Credentials for a provincial API: bearer token, API key header or HTTP basic."""

from __future__ import annotations

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from connectors.base import Connector
from connectors.errors import SourceConfigError
from connectors.rest.options import RestSettings


class HeaderAuth(AuthBase):
    """Puts one secret header on every request; its repr never shows the secret."""

    def __init__(self, header: str, value: str):
        self.header = header
        self.value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.header] = self.value
        return request

    def __repr__(self) -> str:
        return f"HeaderAuth({self.header!r}, <hidden>)"


def build_auth(connector: Connector, settings: RestSettings) -> AuthBase | None:
    """The requests auth for `settings.auth`, reading its secret now so that a missing one
    stops the source before its first request."""
    if settings.auth == "bearer":
        token = _header_secret(connector, "token")
        # Admins often paste the whole header value; "Bearer Bearer ..." would be refused.
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        return HeaderAuth("Authorization", f"Bearer {token}")
    if settings.auth == "api_key":
        return HeaderAuth(settings.api_key_header, _header_secret(connector, "api_key"))
    if settings.auth == "basic":
        password = connector.secret("password", required=True) or ""
        # requests would encode str credentials as Latin-1; Vietnamese passwords need UTF-8.
        return HTTPBasicAuth(str(settings.username).encode(), password.encode())
    return None


def _header_secret(connector: Connector, key: str) -> str:
    text = (connector.secret(key, required=True) or "").strip()
    where = f"{key}_env" if connector.options.get(f"{key}_env") else f"{key}_file"
    if not text:
        raise SourceConfigError(connector.name, where, "gives an empty secret",
                                "cho một giá trị bí mật rỗng")
    if not text.isascii() or any(c in text for c in "\r\n"):
        raise SourceConfigError(
            connector.name, where,
            "gives a secret that cannot go in an HTTP header (a line break or non-ASCII text)",
            "cho một giá trị bí mật không đặt được vào header HTTP (có dấu xuống dòng hoặc ký tự "
            "không phải ASCII)",
        )
    return text
