"""Connector errors, named by what the caller should do about them."""

from __future__ import annotations

import re


class ConnectorError(Exception):
    """Base of every error a connector raises. `source` is the configured source name."""

    retriable = False

    def __init__(self, source: str, message: str):
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class SourceConfigError(ConnectorError):
    """The source's settings are wrong: fix the config. Never retried."""

    def __init__(self, source: str, key: str, message: str):
        super().__init__(source, f"option {key!r} {message}")
        self.key = key


class SourceAuthError(ConnectorError):
    """The source refused our credentials. Never retried."""


class SourceUnavailable(ConnectorError):
    """The source could not be reached, timed out or answered 5xx, after retries. Try next run."""

    retriable = True


class SourceDataError(ConnectorError):
    """The source answered with something we cannot read (malformed file, bad JSON, an
    error envelope). `where` names the file/sheet/row or URL/page."""

    def __init__(self, source: str, message: str, *, where: str | None = None):
        super().__init__(source, f"{where}: {message}" if where else message)
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
