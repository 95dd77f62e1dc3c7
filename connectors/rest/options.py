"""The `rest` connector's settings, parsed and checked once, before any request is made."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from connectors.errors import SourceConfigError
from connectors.rest.paths import DottedPath, NotAPath
from connectors.rest.timestamps import SINCE_FORMATS

AUTH_KINDS = ("none", "bearer", "api_key", "basic")
PAGINATIONS = ("none", "page", "offset", "next_link")

KNOWN_OPTIONS = frozenset({
    "url", "auth", "api_key_header", "username", "records_path", "id_field", "modified_field",
    "pagination", "page_param", "page_size_param", "page_size", "first_page", "offset_param",
    "limit_param", "next_link_path", "total_path", "since_param", "since_format",
    "success_path", "message_path", "params", "headers", "timeout", "retries", "verify_tls",
    "ca_bundle", "max_pages",
    # The bare secret names are known so that Connector.secret can say where secrets go instead.
    *(f"{s}{suffix}" for s in ("token", "api_key", "password") for suffix in ("", "_env", "_file")),
})


@dataclass(frozen=True)
class RestSettings:
    """Everything `[sources.NAME.connector]` says about a provincial JSON API, except secrets."""

    url: str
    auth: str
    api_key_header: str
    username: str | None
    records_path: DottedPath
    id_field: DottedPath
    modified_field: DottedPath | None
    pagination: str
    page_param: str
    page_size_param: str | None
    page_size: int
    first_page: int
    offset_param: str
    limit_param: str
    next_link_path: DottedPath | None
    next_link_header: str | None
    total_path: DottedPath | None
    since_param: str | None
    since_format: str
    success_path: DottedPath | None
    message_path: DottedPath | None
    params: Mapping[str, str]
    headers: Mapping[str, str]
    timeout: float
    retries: int
    verify: bool | str
    max_pages: int


def read_settings(source: str, options: Mapping[str, Any], base_dir: Path) -> RestSettings:
    """Check every option; the first wrong one raises SourceConfigError naming its key."""
    r = _Reader(source, options)
    r.reject_unknown()
    next_link = r.text("next_link_path", "links.next")
    header = next_link[len("header:"):].strip() if next_link.startswith("header:") else None
    settings = RestSettings(
        url=r.url("url"),
        auth=r.choice("auth", AUTH_KINDS, "none"),
        api_key_header=r.header_name("api_key_header", "X-API-Key"),
        username=r.text("username", None),
        records_path=r.path("records_path", ""),
        id_field=r.path("id_field", "id", allow_empty=False),
        modified_field=r.path_or_none("modified_field"),
        pagination=r.choice("pagination", PAGINATIONS, None),
        page_param=r.text("page_param", "page"),
        page_size_param=r.text("page_size_param", "page_size") or None,
        page_size=r.integer("page_size", 100, minimum=1),
        first_page=r.integer("first_page", 1, minimum=0),
        offset_param=r.text("offset_param", "offset"),
        limit_param=r.text("limit_param", "limit"),
        next_link_path=None if header is not None else r.path("next_link_path", next_link),
        next_link_header=header,
        total_path=r.path_or_none("total_path"),
        since_param=r.text("since_param", None) or None,
        since_format=r.choice("since_format", SINCE_FORMATS, "iso"),
        success_path=r.path_or_none("success_path", "success"),
        message_path=r.path_or_none("message_path", "message"),
        params=r.table("params"),
        headers=r.table("headers", headers=True),
        timeout=r.number("timeout", 30.0),
        retries=r.integer("retries", 4, minimum=1),
        verify=r.verify(base_dir),
        max_pages=r.integer("max_pages", 100_000, minimum=1),
    )
    if header == "":
        raise SourceConfigError(source, "next_link_path", "names no header after 'header:'",
                                "không ghi tên header nào sau 'header:'")
    if settings.auth == "basic" and not settings.username:
        raise SourceConfigError(source, "username", "is required when auth = \"basic\"",
                                "là bắt buộc khi auth = \"basic\"")
    _check_param_clashes(source, settings)
    return settings


def _check_param_clashes(source: str, s: RestSettings) -> None:
    # A static parameter with the name the connector sends would be silently overwritten.
    owned = {"since_param": s.since_param}
    if s.pagination == "page":
        owned |= {"page_param": s.page_param, "page_size_param": s.page_size_param}
    elif s.pagination == "offset":
        owned |= {"offset_param": s.offset_param, "limit_param": s.limit_param}
    elif s.pagination == "next_link":
        owned |= {"page_size_param": s.page_size_param}
    for key, name in owned.items():
        if name and name in s.params:
            raise SourceConfigError(
                source, "params", f"sets {name!r}, which the connector sends itself ({key})",
                f"đặt {name!r}, là tham số mà bộ kết nối tự gửi ({key})",
            )


class _Reader:
    """Typed access to one source's options; every failure names the key."""

    def __init__(self, source: str, options: Mapping[str, Any]):
        self.source = source
        self.options = options

    def fail(self, key: str, message: str, message_vi: str) -> SourceConfigError:
        """The error naming `key`, in English and Vietnamese side by side."""
        return SourceConfigError(self.source, key, message, message_vi)

    def reject_unknown(self) -> None:
        for key in self.options:
            if key not in KNOWN_OPTIONS:
                close = difflib.get_close_matches(key, sorted(KNOWN_OPTIONS), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                hint_vi = f"; có phải ý bạn là {close[0]!r}?" if close else ""
                raise self.fail(key, f"is not an option of the rest connector{hint}",
                                f"không phải là tuỳ chọn của bộ kết nối rest{hint_vi}")

    def raw(self, key: str, default: Any) -> Any:
        return self.options.get(key, default)

    def text(self, key: str, default: str | None) -> Any:
        value = self.raw(key, default)
        if value is not None and not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {value!r}",
                            f"phải là một chuỗi văn bản, không phải {value!r}")
        return value.strip() if isinstance(value, str) else value

    def url(self, key: str) -> str:
        value = self.text(key, None)
        if not value:
            raise self.fail(key, "is required (the list endpoint, e.g. https://host/api/nhiem-vu)",
                            "là bắt buộc (địa chỉ trả về danh sách nhiệm vụ, ví dụ "
                            "https://host/api/nhiem-vu)")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.fail(key, f"must be an http:// or https:// URL with a host, not {value!r}",
                            f"phải là một URL http:// hoặc https:// có tên máy chủ, không phải "
                            f"{value!r}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str | None) -> str:
        value = self.text(key, default)
        if value not in choices:
            said, said_vi = (("is required", "là bắt buộc") if value is None
                             else (f"is {value!r}", f"đang là {value!r}"))
            listed = ", ".join(choices)
            raise self.fail(key, f"{said}; choose one of {listed}",
                            f"{said_vi}; hãy chọn một trong: {listed}")
        return str(value)

    def path(self, key: str, default: str, *, allow_empty: bool = True) -> DottedPath:
        value = self.text(key, default) or ""
        if not value and not allow_empty:
            raise self.fail(key, "must not be empty", "không được để trống")
        try:
            return DottedPath(value)
        except NotAPath as exc:
            raise self.fail(key, str(exc), exc.vi) from None

    def path_or_none(self, key: str, default: str = "") -> DottedPath | None:
        path = self.path(key, default)
        return path if path.keys else None

    def integer(self, key: str, default: int, *, minimum: int) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be a whole number >= {minimum}, not {value!r}",
                            f"phải là một số nguyên >= {minimum}, không phải {value!r}")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.fail(key, f"must be a number of seconds > 0, not {value!r}",
                            f"phải là một số giây > 0, không phải {value!r}")
        return float(value)

    def header_name(self, key: str, default: str) -> str:
        value = self.text(key, default)
        if not value or any(c.isspace() or c == ":" for c in value) or not value.isascii():
            raise self.fail(key, f"must be an HTTP header name, not {value!r}",
                            f"phải là tên một header HTTP, không phải {value!r}")
        return str(value)

    def table(self, key: str, *, headers: bool = False) -> Mapping[str, str]:
        value = self.raw(key, {})
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be a table of names and values, not {value!r}",
                            f"phải là một bảng gồm các tên và giá trị, không phải {value!r}")
        out: dict[str, str] = {}
        for name, item in value.items():
            if not isinstance(item, (str, int, float)):
                raise self.fail(f"{key}.{name}", f"must be a string or number, not {item!r}",
                                f"phải là một chuỗi hoặc một số, không phải {item!r}")
            text = str(item).lower() if isinstance(item, bool) else str(item)
            if headers and not _header_safe(text):
                raise self.fail(f"{key}.{name}", "must be Latin-1 text on one line (HTTP headers)",
                                "phải là văn bản Latin-1 trên một dòng (header HTTP)")
            out[str(name)] = text
        return MappingProxyType(out)

    def verify(self, base_dir: Path) -> bool | str:
        verify = self.raw("verify_tls", True)
        if not isinstance(verify, bool):
            raise self.fail("verify_tls", f"must be true or false, not {verify!r}",
                            f"phải là true hoặc false, không phải {verify!r}")
        bundle = self.text("ca_bundle", None)
        if not bundle:
            return verify
        if not verify:
            raise self.fail("ca_bundle", "is set while verify_tls = false; keep one of them",
                            "được đặt trong khi verify_tls = false; chỉ giữ một trong hai")
        path = Path(bundle).expanduser()
        return str(path if path.is_absolute() else base_dir / path)


def _header_safe(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return "\r" not in text and "\n" not in text
