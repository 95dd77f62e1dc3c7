"""The `sql` connector's settings, parsed and checked once, before any connection is made."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from connectors.base import text_option
from connectors.errors import SourceConfigError

KNOWN_OPTIONS = frozenset(
    {
        "url",
        "url_env",
        "url_file",
        "table",
        "query",
        "id_column",
        "modified_column",
        "deleted_column",
        "batch_size",
        "timeout",
        "connect_timeout",
        # The source's own table names the kind; tolerate it when a config repeats it.
        "kind",
    }
)
_URL_SHAPE = "dialect+driver://user@host:port/database, e.g. postgresql+psycopg://dongbo@db/qlkh"
_URL_SHAPE_VI = ("dialect+driver://user@host:port/database, ví dụ "
                 "postgresql+psycopg://dongbo@db/qlkh")


@dataclass(frozen=True)
class SqlSettings:
    """Everything `[sources.NAME.connector]` says about a database source.

    Exactly one of `table` and `query` is set; `query` has passed the single-SELECT check.
    """

    url: URL
    url_key: str  # url, url_env or url_file: where messages about the URL point
    table: str | None
    query: str | None
    id_column: str
    modified_column: str | None
    deleted_column: str | None
    batch_size: int
    timeout: float
    connect_timeout: float

    @property
    def where(self) -> str:
        """The database as messages name it: host, port and database, never the password;
        for SQLite, its file."""
        return self.place()

    @property
    def where_vi(self) -> str:
        """`where` as Vietnamese messages say it."""
        return self.place("vi")

    def place(self, lang: str = "en") -> str:
        """The database as messages in `lang` ("en" or "vi") name it."""
        if self.url.get_backend_name() == "sqlite":
            memory = "(cơ sở dữ liệu trong bộ nhớ)" if lang == "vi" else "(an in-memory database)"
            return self.url.database or memory
        host = self.url.host or "localhost"
        port = f":{self.url.port}" if self.url.port else ""
        return f"{host}{port}/{self.url.database or ''}"


def read_settings(source: str, options: Mapping[str, Any], url_text: str) -> SqlSettings:
    """Check every option; `url_text` is the URL the connector read from url, url_env or
    url_file."""
    unknown = sorted(set(options) - KNOWN_OPTIONS)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(KNOWN_OPTIONS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        hint_vi = f"; có phải ý bạn là {close[0]!r}?" if close else ""
        raise SourceConfigError(source, unknown[0], f"is not an option of the sql connector{hint}",
                                f"không phải là tuỳ chọn của bộ kết nối sql{hint_vi}")
    table, query = text_option(source, options, "table"), text_option(source, options, "query")
    if (table is None) == (query is None):
        said, said_vi = ("both are set", "cả hai đều được đặt") if table \
            else ("neither is set", "chưa đặt cái nào")
        raise SourceConfigError(source, "table", f"or 'query' must be set, not both ({said})",
                                f"hoặc 'query' phải được đặt, nhưng không đặt cả hai ({said_vi})")
    id_column = text_option(source, options, "id_column")
    if id_column is None:
        raise SourceConfigError(
            source, "id_column", "is required: the column holding the source's record id",
            "là bắt buộc: cột chứa mã bản ghi của nguồn",
        )
    url_key = next((k for k in ("url", "url_env", "url_file") if k in options), "url")
    return SqlSettings(
        url=parse_url(source, url_text, url_key),
        url_key=url_key,
        table=table,
        query=query,
        id_column=id_column,
        modified_column=text_option(source, options, "modified_column"),
        deleted_column=text_option(source, options, "deleted_column"),
        batch_size=_integer(source, options, "batch_size", 1000),
        timeout=_seconds(source, options, "timeout", 300.0),
        connect_timeout=_seconds(source, options, "connect_timeout", 10.0),
    )


def url_from_config(source: str, options: Mapping[str, Any]) -> str | None:
    """The plain `url` option, accepted only without a password in it; None when absent."""
    raw = options.get("url")
    if raw is None:
        return None
    if "url_env" in options or "url_file" in options:
        raise SourceConfigError(
            source, "url", "is set together with url_env or url_file; keep one of them",
            "được đặt cùng với url_env hoặc url_file; chỉ giữ một trong số đó",
        )
    if not isinstance(raw, str) or not raw.strip():
        raise SourceConfigError(source, "url", f"must be a SQLAlchemy URL ({_URL_SHAPE})",
                                f"phải là một URL SQLAlchemy ({_URL_SHAPE_VI})")
    if parse_url(source, raw, "url").password is not None:
        raise SourceConfigError(
            source,
            "url",
            "has a password in it; put the whole URL in an "
            "environment variable (url_env) or a file (url_file) instead",
            "có chứa mật khẩu; hãy đặt cả URL vào một biến môi trường (url_env) hoặc một tệp "
            "(url_file)",
        )
    return raw


def parse_url(source: str, text: str, key: str) -> URL:
    # The text is never quoted back: it may hold a password.
    said, said_vi, not_vi = (("holds", "chứa", "không chứa") if key != "url"
                             else ("is", "là", "không phải là"))
    try:
        url = make_url(text.strip())
    except (ArgumentError, ValueError):
        raise SourceConfigError(source, key, f"{said} no SQLAlchemy URL ({_URL_SHAPE})",
                                f"{not_vi} một URL SQLAlchemy ({_URL_SHAPE_VI})") from None
    if not url.database and url.get_backend_name() != "sqlite":
        raise SourceConfigError(source, key, f"{said} a URL that names no database ({_URL_SHAPE})",
                                f"{said_vi} một URL không ghi tên cơ sở dữ liệu nào "
                                f"({_URL_SHAPE_VI})")
    return url


def _integer(source: str, options: Mapping[str, Any], key: str, default: int) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SourceConfigError(source, key, f"must be a whole number >= 1, not {value!r}",
                                f"phải là một số nguyên >= 1, không phải {value!r}")
    return value


def _seconds(source: str, options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not (math.isfinite(value) and value > 0)
    ):
        raise SourceConfigError(source, key, f"must be a number of seconds > 0, not {value!r}",
                                f"phải là một số giây > 0, không phải {value!r}")
    return float(value)
