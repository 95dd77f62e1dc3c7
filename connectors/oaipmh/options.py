"""The `oaipmh` connector's settings, parsed and checked once, before any request is made."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.errors import SourceConfigError

KNOWN_OPTIONS = frozenset({
    "url", "metadata_prefix", "set", "overlap", "cerif", "timeout", "retries", "max_pages",
    "verify_tls", "ca_bundle",
})

# OAI-PMH 2.0 §3.4: a metadataPrefix is made of these characters only; a setSpec is a
# colon-separated list of the same.
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*")
_DURATION = re.compile(r"\s*(\d+)\s*(s|m|h|d)\s*")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class OaiSettings:
    """Everything `[sources.NAME.connector]` says about an OAI-PMH repository."""

    url: str
    metadata_prefix: str
    set_spec: str | None
    overlap: timedelta
    cerif: bool
    timeout: float
    retries: int
    max_pages: int
    verify: bool | str


def read_settings(source: str, options: Mapping[str, Any], base_dir: Path) -> OaiSettings:
    """Check every option; the first wrong one raises SourceConfigError naming its key."""
    for key in options:
        if key not in KNOWN_OPTIONS:
            close = difflib.get_close_matches(key, sorted(KNOWN_OPTIONS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            hint_vi = f"; có phải ý bạn là {close[0]!r}?" if close else ""
            raise SourceConfigError(source, key, f"is not an option of the oaipmh connector{hint}",
                                    f"không phải là tuỳ chọn của bộ kết nối oaipmh{hint_vi}")
    return OaiSettings(
        url=_url(source, options.get("url")),
        metadata_prefix=_prefix(source, options.get("metadata_prefix", "oai_dc")),
        set_spec=_set_spec(source, options.get("set")),
        overlap=parse_duration(source, "overlap", options.get("overlap", "1h")),
        cerif=_flag(source, "cerif", options.get("cerif", False)),
        timeout=_seconds(source, "timeout", options.get("timeout", 30.0)),
        retries=_whole(source, "retries", options.get("retries", 4)),
        max_pages=_whole(source, "max_pages", options.get("max_pages", 100_000)),
        verify=_verify(source, options, base_dir),
    )


def parse_duration(source: str, key: str, value: Any) -> timedelta:
    """"90s", "30m", "1h", "2d", or a whole number of seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=value)
    m = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise SourceConfigError(source, key, f"must be a duration such as \"1h\", \"30m\", "
                                f"\"2d\" or a number of seconds, not {value!r}",
                                f"phải là một khoảng thời gian như \"1h\", \"30m\", \"2d\" "
                                f"hoặc một số giây, không phải {value!r}")
    return timedelta(**{_UNITS[m[2]]: int(m[1])})


def _url(source: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SourceConfigError(source, "url", "is required (the repository's base URL, e.g. "
                                "https://repo.example.edu.vn/oai/request)",
                                "là bắt buộc (URL gốc của kho dữ liệu, ví dụ "
                                "https://repo.example.edu.vn/oai/request)")
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceConfigError(source, "url",
                                f"must be an http:// or https:// URL with a host, not {text!r}",
                                f"phải là một URL http:// hoặc https:// có tên máy chủ, không "
                                f"phải {text!r}")
    if parts.query or parts.fragment:
        # The harvester sends verb, metadataPrefix and the rest itself; a second verb in the
        # base URL makes the repository answer badArgument on every request.
        raise SourceConfigError(source, "url", f"must be the base URL without ?query or "
                                f"#fragment (the harvester adds verb=...), not {text!r}",
                                f"phải là URL gốc, không có ?query hay #fragment (trình thu "
                                f"thập tự thêm verb=...), không phải {text!r}")
    return text


def _prefix(source: str, value: Any) -> str:
    if not isinstance(value, str) or not _PREFIX.fullmatch(value.strip()):
        raise SourceConfigError(source, "metadata_prefix", "must be a metadataPrefix such as "
                                f"\"oai_dc\" or \"oai_cerif_openaire\", not {value!r}",
                                "phải là một metadataPrefix như \"oai_dc\" hoặc "
                                f"\"oai_cerif_openaire\", không phải {value!r}")
    return value.strip()


def _set_spec(source: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _SET_SPEC.fullmatch(value.strip()):
        raise SourceConfigError(source, "set", f"must be a setSpec such as \"nhiem-vu\" or "
                                f"\"hub:sub\", not {value!r}",
                                f"phải là một setSpec như \"nhiem-vu\" hoặc \"hub:sub\", không "
                                f"phải {value!r}")
    return value.strip()


def _flag(source: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SourceConfigError(source, key, f"must be true or false, not {value!r}",
                                f"phải là true hoặc false, không phải {value!r}")
    return value


def _seconds(source: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise SourceConfigError(source, key, f"must be a number of seconds > 0, not {value!r}",
                                f"phải là một số giây > 0, không phải {value!r}")
    return float(value)


def _whole(source: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SourceConfigError(source, key, f"must be a whole number >= 1, not {value!r}",
                                f"phải là một số nguyên >= 1, không phải {value!r}")
    return value


def _verify(source: str, options: Mapping[str, Any], base_dir: Path) -> bool | str:
    verify = _flag(source, "verify_tls", options.get("verify_tls", True))
    bundle = options.get("ca_bundle")
    if bundle is None:
        return verify
    if not isinstance(bundle, str) or not bundle.strip():
        raise SourceConfigError(source, "ca_bundle", f"must be a file path, not {bundle!r}",
                                f"phải là đường dẫn tới một tệp, không phải {bundle!r}")
    if not verify:
        raise SourceConfigError(source, "ca_bundle",
                                "is set while verify_tls = false; keep one of them",
                                "được đặt trong khi verify_tls = false; chỉ giữ một trong hai")
    path = Path(bundle.strip()).expanduser()
    return str(path if path.is_absolute() else base_dir / path)
