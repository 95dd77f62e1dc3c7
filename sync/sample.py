"""`stisync check`: read a sample of a source, map and validate it, and show the records as
they would be sent — writing nothing anywhere (no state, no national call)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from connectors import ConnectorError, SourceConfigError, make_connector
from schemas.mapping import MappingConfigError, load_mapping
from schemas.mapping.legacy import SourceText
from sync.config import Config, ConfigError
from sync.extract import Checked, check, problem_rows
from sync.texts import error_text


@dataclass
class SampleRecord:
    record_id: str
    where: str
    deleted: bool
    record: dict[str, Any]
    problems: list[dict[str, Any]]
    # source column -> {"value": as read, "encoding": legacy encoding it was converted from}
    originals: dict[str, Any] = field(default_factory=dict)


@dataclass
class SampleResult:
    source: str
    records: list[SampleRecord] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    error: str | None = None
    error_vi: str | None = None  # `error` with a configuration error's detail in Vietnamese

    @property
    def valid(self) -> int:
        return sum(1 for r in self.records if not r.problems)


def sample_source(config: Config, name: str, limit: int = 10) -> SampleResult:
    """The first `limit` records of the source, mapped and validated; never raises for a
    source, mapping or data problem (they are in the result)."""
    src = config.source(name)
    out = SampleResult(name)
    try:
        mapping = load_mapping(src.mapping)
        connector = make_connector(src.kind, src.name, src.connector, base_dir=config.base_dir)
    except (MappingConfigError, SourceConfigError, ConfigError) as exc:
        out.error = f"configuration: {exc}"
        out.error_vi = f"configuration: {error_text(exc, 'vi')}"
        return out
    stream: Iterator[Any] = connector.records(None)
    text = SourceText(src.text_encoding)
    try:
        for rec in islice(stream, limit):
            checked: Checked = check(mapping, rec, text)
            if not out.records and not rec.deleted and "columns" in rec.origin:
                out.missing_columns = mapping.missing_columns(rec.payload.keys())
            out.records.append(
                SampleRecord(
                    rec.record_id,
                    rec.where(),
                    rec.deleted,
                    checked.record,
                    problem_rows(checked.problems, rec),
                    checked.originals or {},
                )
            )
    except ConnectorError as exc:
        out.error = f"source: {exc}"
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
        connector.close()
    return out
