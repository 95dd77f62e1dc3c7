"""Connector errors, named by what the caller should do about them."""

from __future__ import annotations


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
