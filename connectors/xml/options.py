"""The `xml` connector's settings: checked, and their XPaths compiled, once before any I/O."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from connectors.base import text_option
from connectors.errors import SourceConfigError
from connectors.xmlsafe import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    EncodingRefused,
    check_encoding,
)

KNOWN_OPTIONS = frozenset({
    "path", "url", "record", "namespaces", "id", "modified", "deleted", "encoding",
    "max_bytes", "max_depth", "timeout", "retries",
    # The source's own table names the kind; tolerate it here when a config repeats it.
    "kind",
})
_URL_ONLY = ("timeout", "retries")
_GLOB = frozenset("*?[")
# An element that cannot occur in a record, to try every XPath once at load time: undefined
# prefixes, functions and variables only show when an expression is evaluated.
_PROBE = etree.Element("{urn:stisync:probe}probe")


@dataclass(frozen=True)
class XmlSettings:
    """Where the XML comes from, which element is a record and how its id, time and deletion
    are read. Exactly one of `path` (one file, made absolute), `glob` (a pattern as written,
    relative to `base_dir` unless absolute) and `url` is set."""

    path: Path | None
    glob: str | None
    base_dir: Path
    url: str | None
    record: str                         # the record element's Clark name, {uri}local
    record_label: str                   # as the admin wrote it
    namespaces: Mapping[str, str]
    id: etree.XPath
    id_label: str
    modified: etree.XPath | None
    modified_label: str | None
    deleted: etree.XPath | None
    encoding: str | None                # None: as the file declares
    max_bytes: int
    max_depth: int
    timeout: float
    retries: int


def read_settings(source: str, options: Mapping[str, Any], base_dir: Path) -> XmlSettings:
    """Check every option; the first wrong one raises SourceConfigError naming its key."""
    r = _Reader(source, options)
    r.reject_unknown()
    path, pattern, url = r.where(base_dir)
    namespaces = r.namespaces()
    record_label = r.required("record")
    id_label = r.required("id")
    modified_label = r.text("modified")
    deleted = r.text("deleted")
    if url is None:
        for key in _URL_ONLY:
            if key in options:
                raise SourceConfigError(source, key, "applies to url sources only",
                                        "chỉ dùng cho nguồn tải về qua url")
    return XmlSettings(
        path=path, glob=pattern, base_dir=base_dir, url=url,
        record=r.clark("record", record_label, namespaces), record_label=record_label,
        namespaces=MappingProxyType(namespaces),
        id=r.xpath("id", f"normalize-space({id_label})", id_label, namespaces),
        id_label=id_label,
        modified=r.xpath("modified", f"normalize-space({modified_label})", modified_label,
                         namespaces) if modified_label else None,
        modified_label=modified_label,
        deleted=r.xpath("deleted", f"boolean({deleted})", deleted, namespaces)
        if deleted else None,
        encoding=r.encoding(),
        max_bytes=r.integer("max_bytes", DEFAULT_MAX_BYTES, 1, None),
        max_depth=r.integer("max_depth", DEFAULT_MAX_DEPTH, 1, DEFAULT_MAX_DEPTH),
        timeout=r.number("timeout", 30.0),
        retries=r.integer("retries", 4, 1, 20),
    )


class _Reader:
    def __init__(self, source: str, options: Mapping[str, Any]):
        self.source = source
        self.options = options

    def fail(self, key: str, message: str, message_vi: str) -> SourceConfigError:
        return SourceConfigError(self.source, key, message, message_vi)

    def reject_unknown(self) -> None:
        for key in self.options:
            if key not in KNOWN_OPTIONS:
                close = difflib.get_close_matches(key, KNOWN_OPTIONS, n=1)
                known = ", ".join(sorted(KNOWN_OPTIONS - {"kind"}))
                hint, hint_vi = (f"did you mean {close[0]!r}?", f"có phải là {close[0]!r} không?") \
                    if close else (f"known: {known}", f"các tuỳ chọn có: {known}")
                raise self.fail(key, f"is not an xml option; {hint}",
                                f"không phải tuỳ chọn của nguồn xml; {hint_vi}")

    def required(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise self.fail(key, "is required", "là bắt buộc")
        return value

    def text(self, key: str) -> str | None:
        return text_option(self.source, self.options, key)

    def where(self, base_dir: Path) -> tuple[Path | None, str | None, str | None]:
        path, url = self.text("path"), self.text("url")
        if path is None and url is None:
            raise self.fail("path", "or url is required (one of them, not both)",
                            "hoặc url là bắt buộc (một trong hai, không phải cả hai)")
        if path is not None and url is not None:
            raise self.fail("path", "and url cannot both be given; choose one",
                            "và url không được đặt cùng lúc; hãy chọn một")
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise self.fail("url", f"must be an http:// or https:// address, not {url!r}",
                                f"phải là một địa chỉ http:// hoặc https://, không phải "
                                f"{url!r}")
            return None, None, url
        written = str(Path(str(path)).expanduser())
        if _GLOB & set(written):
            return None, written, None
        p = Path(written)
        return (p if p.is_absolute() else base_dir / p), None, None

    def namespaces(self) -> dict[str, str]:
        table = self.options.get("namespaces", {})
        if not isinstance(table, Mapping):
            raise self.fail("namespaces", "must be a table such as { q = \"urn:so-khcn\" }",
                            "phải là một bảng, ví dụ { q = \"urn:so-khcn\" }")
        found: dict[str, str] = {}
        for prefix, uri in table.items():
            if not isinstance(prefix, str) or not prefix.strip():
                raise self.fail("namespaces", "cannot give a default namespace: XPath 1.0 has "
                                "none; give it a prefix such as q and write q:Element",
                                "không khai báo được namespace mặc định vì XPath 1.0 không có "
                                "namespace mặc định; hãy đặt cho nó một tiền tố như q và viết "
                                "q:Element")
            if not isinstance(uri, str) or not uri.strip():
                raise self.fail(f"namespaces.{prefix}", f"must be a namespace URI, not {uri!r}",
                                f"phải là URI của một namespace, không phải {uri!r}")
            found[prefix] = uri.strip()
        return found

    def clark(self, key: str, name: str | None, namespaces: Mapping[str, str]) -> str:
        prefix, _, local = str(name).rpartition(":")
        try:
            etree.QName(local)          # raises for what cannot be an element name
        except ValueError:
            raise self.fail(key, f"{name!r} is not an element name such as q:NhiemVu",
                            f"có giá trị {name!r}, không phải tên phần tử (như q:NhiemVu)"
                            ) from None
        if not prefix:
            return local
        if prefix not in namespaces:
            raise self.fail(key, f"uses the prefix {prefix!r}, which namespaces does not declare",
                            f"dùng tiền tố {prefix!r} nhưng namespaces không khai báo tiền tố "
                            "này")
        return f"{{{namespaces[prefix]}}}{local}"

    def xpath(self, key: str, expression: str, written: str | None,
              namespaces: Mapping[str, str]) -> etree.XPath:
        try:
            compiled = etree.XPath(expression, namespaces=dict(namespaces))
            compiled(_PROBE)
        except (etree.XPathError, TypeError, ValueError) as exc:
            raise self.fail(key, f"{written!r} is not a usable XPath: {exc}",
                            f"có giá trị {written!r}, không phải XPath dùng được: {exc}"
                            ) from None
        return compiled

    def encoding(self) -> str | None:
        value = self.text("encoding") or "auto"
        if value.lower() == "auto":
            return None
        try:
            return check_encoding(value)
        except EncodingRefused as exc:
            raise self.fail("encoding", f"{exc}; use auto, utf-8, utf-16, windows-1258 or "
                            "another single-byte encoding",
                            f"có giá trị {exc.reason_vi}; hãy dùng auto, utf-8, utf-16, "
                            "windows-1258 hoặc một bảng mã một byte khác") from None

    def integer(self, key: str, default: int, low: int, high: int | None) -> int:
        value = self.options.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low or \
                (high is not None and value > high):
            span, span_vi = (f"from {low} to {high}", f"từ {low} đến {high}") \
                if high is not None else (f"of at least {low}", f"từ {low} trở lên")
            raise self.fail(key, f"must be a whole number {span}, not {value!r}",
                            f"phải là số nguyên {span_vi}, không phải {value!r}")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.options.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise self.fail(key, f"must be a number of seconds above 0, not {value!r}",
                            f"phải là số giây lớn hơn 0, không phải {value!r}")
        return float(value)
