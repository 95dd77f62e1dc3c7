"""Connector errors, named by what the caller should do about them."""

from __future__ import annotations

import re


class ConnectorError(Exception):
    """Base of every error a connector raises. `source` is the configured source name.

    `str(err)` is English (`message`): logs and run records are read by the national agency's
    staff too. The province's admin reads `text("vi")`, the same facts in Vietnamese
    (`message_vi`); an error raised without a Vietnamese text is said in English in both.
    """

    retriable = False

    def __init__(self, source: str, message: str, message_vi: str | None = None):
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message
        self.message_vi = message_vi

    def text(self, lang: str = "vi") -> str:
        """The whole error, source included, in `lang` ("vi" or "en")."""
        if lang == "en" or self.message_vi is None:
            return str(self)
        return f"{self.source}: {self.message_vi}"


class SourceConfigError(ConnectorError):
    """The source's settings are wrong: fix the config. Never retried."""

    def __init__(self, source: str, key: str, message: str, message_vi: str | None = None):
        super().__init__(
            source,
            f"option {key!r} {message}",
            f"tuỳ chọn {key!r} {message_vi}" if message_vi is not None else None,
        )
        self.key = key


class SourceAuthError(ConnectorError):
    """The source refused our credentials. Never retried."""


class SourceUnavailable(ConnectorError):
    """The source could not be reached, timed out or answered 5xx, after retries. Try next run."""

    retriable = True


class SourceDataError(ConnectorError):
    """The source answered with something we cannot read (malformed file, bad JSON, an
    error envelope). `where` names the file/sheet/row or URL/page; `where_vi` says the same
    in Vietnamese ("trang tính", "dòng") when it differs."""

    def __init__(
        self,
        source: str,
        message: str,
        *,
        where: str | None = None,
        message_vi: str | None = None,
        where_vi: str | None = None,
    ):
        place_vi = where_vi or where
        super().__init__(
            source,
            f"{where}: {message}" if where else message,
            (f"{place_vi}: {message_vi}" if place_vi else message_vi)
            if message_vi is not None
            else None,
        )
        self.where = where


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def network_reason(exc: BaseException) -> str:
    """What went wrong on the network, in a few words ("Connection refused"), instead of the
    three nested wrappers that requests and urllib3 put around it."""
    deepest: BaseException = exc
    for _ in range(10):
        inner = getattr(deepest, "reason", None)
        if not isinstance(inner, BaseException):
            first = deepest.args[0] if deepest.args else None
            inner = first if isinstance(first, BaseException) else deepest.__cause__
        if not isinstance(inner, BaseException) or inner is deepest:
            break
        deepest = inner
    text = str(deepest)
    m = _ERRNO.search(text)
    if m:
        return m.group(1).strip()
    if "timed out" in text.lower():
        return "timed out"
    return text if len(text) <= 200 else text[:197] + "..."


_NETWORK_REASONS_VI = {
    "timed out": "hết thời gian chờ",
    "Connection refused": "máy chủ từ chối kết nối",
    "Connection reset by peer": "máy chủ cắt ngang kết nối",
    "Name or service not known": "không tìm thấy tên máy chủ",
    "Temporary failure in name resolution": "tạm thời không phân giải được tên máy chủ",
    "No route to host": "không có đường mạng tới máy chủ",
    "Network is unreachable": "không vào được mạng",
}


def network_reason_vi(exc: BaseException) -> str:
    """`network_reason(exc)` in Vietnamese: the common reasons translated (the system's words
    kept in brackets), any other text as the system or library said it."""
    reason = network_reason(exc)
    said = _NETWORK_REASONS_VI.get(reason)
    if said is None:
        return reason
    return said if reason == "timed out" else f"{said} ({reason})"
