"""Provincial sources: one explicit registry of connector kinds."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from connectors.base import Connector, SourceRecord
from connectors.errors import (
    ConnectorError,
    SourceAuthError,
    SourceConfigError,
    SourceDataError,
    SourceUnavailable,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

# kind -> "module:Class", imported on first use so that a missing optional driver only hurts
# the sources that need it.
REGISTRY: dict[str, str] = {
    "spreadsheet": "connectors.spreadsheet:SpreadsheetConnector",
    "rest": "connectors.rest:RestConnector",
    "xml": "connectors.xml:XmlConnector",
    "oaipmh": "connectors.oaipmh:OaiPmhConnector",
    "sql": "connectors.sql:SqlConnector",
}


def connector_class(kind: str) -> type[Connector]:
    try:
        target = REGISTRY[kind]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise LookupError(f"unknown connector kind {kind!r}; known kinds: {known}") from None
    module_name, _, class_name = target.partition(":")
    cls: type[Connector] = getattr(import_module(module_name), class_name)
    return cls


def make_connector(
    kind: str, name: str, options: Mapping[str, Any], *, base_dir: Path | None = None
) -> Connector:
    return connector_class(kind)(name, options, base_dir=base_dir)


__all__ = [
    "REGISTRY",
    "Connector",
    "ConnectorError",
    "SourceAuthError",
    "SourceConfigError",
    "SourceDataError",
    "SourceRecord",
    "SourceUnavailable",
    "connector_class",
    "make_connector",
]
