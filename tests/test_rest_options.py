"""The rest connector's options: every bad value stops it at construction, before any request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import responses

from connectors import connector_class, make_connector
from connectors.errors import SourceConfigError
from connectors.rest import RestConnector

URL = "https://qlkh.example.gov.vn/api/nhiem-vu"
BASE = {"url": URL, "pagination": "page"}

# name: (options over BASE, the key named, the message after "option 'key' ")
BAD_OPTIONS = {
    "url-missing": ({"url": None}, "url", "is required"),
    "url-not-http": ({"url": "ftp://qlkh.example.gov.vn/x"}, "url",
                     "must be an http:// or https:// URL with a host"),
    "url-no-host": ({"url": "https:///api"}, "url", "must be an http:// or https:// URL"),
    "pagination-missing": ({"pagination": None}, "pagination",
                           "is required; choose one of none, page, offset, next_link"),
    "pagination-unknown": ({"pagination": "cursor"}, "pagination",
                           "is 'cursor'; choose one of none, page, offset, next_link"),
    "auth-unknown": ({"auth": "oauth2"}, "auth",
                     "is 'oauth2'; choose one of none, bearer, api_key, basic"),
    "page-size-zero": ({"page_size": 0}, "page_size", "must be a whole number >= 1, not 0"),
    "page-size-text": ({"page_size": "100"}, "page_size", "must be a whole number >= 1"),
    "retries-bool": ({"retries": True}, "retries", "must be a whole number >= 1, not True"),
    "timeout-negative": ({"timeout": -1}, "timeout", "must be a number of seconds > 0"),
    "max-pages-zero": ({"max_pages": 0}, "max_pages", "must be a whole number >= 1"),
    "since-format": ({"since_format": "yyyy-mm-dd"}, "since_format",
                     "is 'yyyy-mm-dd'; choose one of iso, dd/mm/yyyy, epoch"),
    "records-path-empty-step": ({"records_path": "data..items"}, "records_path",
                                "'data..items' is not a dotted path"),
    "id-field-empty": ({"id_field": ""}, "id_field", "must not be empty"),
    "records-path-number": ({"records_path": 3}, "records_path", "must be a string, not 3"),
    "params-not-table": ({"params": "nam=2024"}, "params", "must be a table"),
    "params-nested": ({"params": {"nam": [2023, 2024]}}, "params.nam",
                      "must be a string or number"),
    "params-clash": ({"params": {"page": "2"}}, "params",
                     "sets 'page', which the connector sends itself (page_param)"),
    "since-param-clash": ({"since_param": "tu_ngay", "params": {"tu_ngay": "1"}}, "params",
                          "sets 'tu_ngay', which the connector sends itself (since_param)"),
    "header-vietnamese": ({"headers": {"X-Don-Vi": "Sở KH&CN"}}, "headers.X-Don-Vi",
                          "must be Latin-1 text on one line"),
    "header-newline": ({"headers": {"X-Tenant": "a\r\nX-Evil: 1"}}, "headers.X-Tenant",
                       "must be Latin-1 text on one line"),
    "api-key-header-bad": ({"api_key_header": "X API Key"}, "api_key_header",
                           "must be an HTTP header name"),
    "next-link-header-empty": ({"next_link_path": "header:"}, "next_link_path",
                               "names no header"),
    "verify-text": ({"verify_tls": "no"}, "verify_tls", "must be true or false"),
    "ca-bundle-without-verify": ({"verify_tls": False, "ca_bundle": "ca.pem"}, "ca_bundle",
                                 "is set while verify_tls = false"),
    "basic-without-username": ({"auth": "basic", "password_env": "X"}, "username",
                               "is required when auth = \"basic\""),
    "typo": ({"record_path": "data.items"}, "record_path",
             "is not an option of the rest connector; did you mean 'records_path'?"),
    "secret-in-config": ({"auth": "bearer", "token": "abc"}, "token",
                         "secrets are not read from the config; use token_env or token_file"),
    "token-env-unset": ({"auth": "bearer", "token_env": "STISYNC_TEST_UNSET"}, "token_env",
                        "environment variable STISYNC_TEST_UNSET is not set"),
    "token-missing": ({"auth": "bearer"}, "token_env", "is required (or token_file)"),
    "token-file-missing": ({"auth": "api_key", "api_key_file": "nowhere.txt"}, "api_key_file",
                           "cannot read"),
}


@pytest.mark.parametrize("options,key,message", BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_bad_option_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             options: dict[str, Any], key: str, message: str) -> None:
    monkeypatch.delenv("STISYNC_TEST_UNSET", raising=False)
    given = {k: v for k, v in {**BASE, **options}.items() if v is not None}
    with responses.RequestsMock() as wire, pytest.raises(SourceConfigError) as caught:
        RestConnector("qlkh", given, base_dir=tmp_path)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"qlkh: option {key!r} {message}")
    assert len(wire.calls) == 0


@pytest.mark.parametrize("secret", ["", "  \n", "tok\u00e9n"], ids=["empty", "blank", "non-ascii"])
def test_unusable_secret_file(tmp_path: Path, secret: str) -> None:
    (tmp_path / "token.txt").write_text(secret, encoding="utf-8")
    with pytest.raises(SourceConfigError) as caught:
        RestConnector("qlkh", {**BASE, "auth": "bearer", "token_file": "token.txt"},
                      base_dir=tmp_path)
    assert caught.value.key == "token_file"


def test_defaults_and_registry(tmp_path: Path) -> None:
    assert connector_class("rest") is RestConnector
    connector = make_connector("rest", "qlkh", BASE, base_dir=tmp_path)
    assert isinstance(connector, RestConnector)
    s = connector.settings
    assert (s.auth, s.page_size, s.retries, s.timeout, s.verify, s.max_pages) == (
        "none", 100, 4, 30.0, True, 100_000)
    assert (s.records_path.text, s.id_field.text, s.modified_field, s.since_param) == (
        "", "id", None, None)


def test_relative_ca_bundle_is_beside_the_config(tmp_path: Path) -> None:
    connector = RestConnector("qlkh", {**BASE, "ca_bundle": "certs/so-khcn.pem"},
                              base_dir=tmp_path)
    assert connector.settings.verify == str(tmp_path / "certs" / "so-khcn.pem")


def test_constructing_and_starting_a_stream_make_no_request(tmp_path: Path) -> None:
    with responses.RequestsMock() as wire:
        connector = RestConnector("qlkh", BASE, base_dir=tmp_path)
        connector.records()
        assert len(wire.calls) == 0
