"""Mapping one source record: payload in, national record v1 out, with problems and sources."""

from __future__ import annotations

import logging
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from typing import Any

from schemas.mapping.errors import Refused, shown
from schemas.mapping.legacy import LEGACY, SourceText
from schemas.mapping.sources import Source, closest
from schemas.mapping.spec import Mapping, Rule
from schemas.mapping.targets import PARTICIPANT_KEYS, PARTICIPANT_TARGETS, PRINCIPAL_KEYS, TARGETS
from schemas.mapping.transforms import SCALAR
from schemas.mapping.transforms.fields import FieldCode
from schemas.mapping.transforms.ids import local_id
from schemas.mapping.transforms.names import parse_person, people
from schemas.mapping.transforms.text import clean, has_controls, normalize, without_controls
from schemas.mapping.xpaths import PREFIX, XML_KEY, XmlPayload, parse_record
from schemas.problems import Problem
from schemas.record import SCHEMA_VERSION, field_label

logger = logging.getLogger(__name__)

_MAX_VALUE = 1000


@dataclass(frozen=True)
class MapResult:
    """A national record v1 (possibly incomplete), what went wrong, and where each field came from.

    `sources` maps national JSON paths (`budget.total_vnd`, `participants[1].degree`) to the
    source column or JSON path they were read from, so that later problems can name the column.
    """

    record: dict[str, Any]
    problems: list[Problem]
    sources: dict[str, str]
    # Source values found in a legacy encoding and converted, as they were:
    # {source column or path: {"value": original, "encoding": "tcvn3"}}. For audit; never sent.
    originals: dict[str, dict[str, str]] = field(default_factory=dict)


def map_record(mapping: Mapping, payload: AnyMapping[str, Any], record_id: str, *,
               origin: AnyMapping[str, Any] | None = None,
               text: SourceText | None = None) -> MapResult:
    """Map one record. Never raises: whatever is wrong with the payload becomes a Problem.

    `origin` is the connector's note of where the record was found; its `columns`
    ({header: column letter}) lets messages point at a spreadsheet column by letter.
    `text` reads the source's strings (legacy encodings converted); pass the same one for
    every record of a read. Without it, each string is detected on its own.
    """
    return _Run(mapping, origin, text or SourceText()).map(payload, record_id)


class _Sink:
    """Values of one object: what the mapping wrote, and what a parsed name implied."""

    def __init__(self) -> None:
        self.explicit: dict[str, Any] = {}
        self.derived: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.explicit[key] if key in self.explicit else self.derived.get(key)


@dataclass(frozen=True)
class _Scope:
    """The object rules read from and write to: the whole payload, or one participant."""

    payload: AnyMapping[Any, Any]
    found: dict[str, Any]               # column -> payload key
    sink: _Sink
    prefix: str = ""                    # "participants[n]." inside a participant
    element: str = ""                   # the participant's source path

    @property
    def in_item(self) -> bool:
        return bool(self.prefix)


class _Run:
    def __init__(self, mapping: Mapping, origin: AnyMapping[str, Any] | None, text: SourceText):
        self.mapping = mapping
        self.text = text
        self.originals: dict[str, dict[str, str]] = {}
        letters = origin.get("columns") if isinstance(origin, AnyMapping) else None
        self.letters: AnyMapping[Any, Any] = letters if isinstance(letters, AnyMapping) else {}
        self.problems: list[Problem] = []
        self.sources: dict[str, str] = {}
        self.found: dict[str, Any] = {}
        self.field_by_name = False

    def map(self, payload: Any, record_id: Any) -> MapResult:
        record: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        rid = normalize(record_id if isinstance(record_id, str) else str(record_id or ""))
        if rid:
            record["local_id"] = local_id(self.mapping.namespace, rid)
        else:
            self.problems.append(Problem(
                "local_id", "required", "Bản ghi không có mã hồ sơ (mã trong nguồn trống).",
                "The record has no id (its id in the source is empty).", record_id))
        if not isinstance(payload, AnyMapping):
            self.problems.append(Problem(
                "$", "bad_type",
                f"Bản ghi nguồn phải là một đối tượng, nhận được {shown(payload)}.",
                f"The source record must be an object, got {shown(payload)}.", shown(payload)))
            return MapResult(record, self.problems, self.sources)
        self.text.start_record(payload)
        if self.mapping.reads_xml:
            payload = self.xml_payload(payload)
        sink = _Sink()
        self.found = self.mapping.columns.resolve(payload.keys())
        scope = _Scope(payload, self.found, sink)
        for rule in self.mapping.rules:
            self.apply(rule, scope)
        self.field_scheme(sink)
        for path in TARGETS:
            value = sink.get(path)
            if value is not None:
                _put(record, path, value)
        return MapResult(record, self.problems, self.sources, self.originals)

    def xml_payload(self, payload: AnyMapping[Any, Any]) -> AnyMapping[Any, Any]:
        """The payload with its record element parsed once for every XPath; as it was, with a
        problem, when it has no readable XML (its XPath fields then read nothing)."""
        if XML_KEY not in payload:
            self.problems.append(Problem(
                "$", "missing_xml",
                f"Bản ghi nguồn không có XML (khoá {XML_KEY}) mà các trường XPath của tệp ánh "
                f"xạ {self.mapping.name} đọc.",
                f"The source record has no XML (key {XML_KEY}), which the XPath fields of "
                f"mapping {self.mapping.name} read.", source_field=XML_KEY))
            return payload
        try:
            return XmlPayload(parse_record(payload[XML_KEY]), payload)
        except Refused as exc:
            self.problems.append(Problem("$", exc.code, _cap(exc.reason_vi) + ".",
                                         _cap(exc.reason_en) + ".", exc.value, XML_KEY))
            return payload

    def apply(self, rule: Rule, scope: _Scope) -> None:
        """Read one rule from the scope's payload into its sink."""
        path = scope.prefix + rule.target.path
        label = _rebase(rule.label, scope.element) if scope.element else rule.label
        if rule.sources:
            self.sources[path] = label
        try:
            if rule.kind == "keywords":
                self.keywords(rule, self.read_all(rule, scope, path), path, label, scope.sink)
            elif rule.kind == "persons":
                self.persons(rule, self.read_all(rule, scope, path), path, scope.sink)
            else:
                self.scalar(rule, scope, path, label)
        except Refused as exc:
            self.refused(path, exc, label)
        except Exception:                   # totality: one odd value must not stop a run
            logger.exception("mapping %s failed on %s", self.mapping.name, path)
            self.problems.append(Problem(
                path, "mapping_failed", f"{path}: lỗi nội bộ khi ánh xạ giá trị này.",
                f"{path}: internal error while mapping this value.", source_field=label))

    def read_all(self, rule: Rule, scope: _Scope, path: str) -> list[Any]:
        """Every value the rule's sources hold (lists flattened one level); [] when none.

        Inside a participant a key may be absent; a column of the record may not."""
        values: list[Any] = []
        for src in rule.sources:
            got = self.read(src, scope)
            if got is None:
                if not scope.in_item:
                    self.missing(path, src.label, scope.payload)
                continue
            for value in got:
                values.extend(value if isinstance(value, (list, tuple)) else [value])
        if rule.concat:
            parts = [t for t in (clean(v, keep_newlines=True) for v in values) if t]
            return [rule.sep.join(parts)] if parts else []
        return values

    def read(self, src: Source, scope: _Scope) -> list[Any] | None:
        """What `src` finds in the scope's payload, its text converted from legacy encodings
        (the originals kept); None when the column is missing."""
        got = src.read(scope.payload, scope.found)
        if not got:
            return got
        where = _rebase(src.label, scope.element) if scope.element else src.label
        return [self.converted(v, where if len(got) == 1 else f"{where}[{i}]")
                for i, v in enumerate(got)]

    def converted(self, value: Any, where: str) -> Any:
        if isinstance(value, (list, tuple)):
            return [self.converted(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if not isinstance(value, str) or not value:
            return value
        found = self.text.read(value)
        if found.encoding not in LEGACY and has_controls(found.text):
            # Stray control bytes the legacy reading did not use are dropped later on; read
            # what is left, so that mapping the result again changes nothing.
            found = self.text.read(without_controls(found.text))
        if found.encoding in LEGACY:
            self.originals[where] = {"value": _stored(value), "encoding": found.encoding}
        return found.text

    def scalar(self, rule: Rule, scope: _Scope, path: str, label: str) -> None:
        out = rule.const
        if rule.sources:
            if rule.concat:
                raw = self.read_all(rule, scope, path)
            else:
                src = rule.sources[0]
                got = self.read(src, scope)
                if got is None and not scope.in_item:
                    self.missing(path, src.label, scope.payload)
                    return
                raw = got or []
                if len(raw) > 1:
                    raise Refused("many_values", f"đường dẫn tìm thấy {len(raw)} giá trị, cần một",
                                  f"the path finds {len(raw)} values where one is needed", raw)
            out = SCALAR[rule.kind](raw[0], rule.options) if raw else None
        if out is None:
            out = rule.default
        if out is None:
            return
        key, sink = rule.target.path, scope.sink
        if isinstance(out, FieldCode):
            sink.explicit[key] = out.code
            self.field_by_name = out.by_name
            return
        if rule.kind in ("person", "name"):
            owner = key if rule.kind == "person" else key.rpartition(".")[0]
            allowed = PARTICIPANT_KEYS if scope.in_item else PRINCIPAL_KEYS
            for part in allowed:
                if part in out:
                    sub = f"{owner}.{part}" if owner else part
                    sink.derived[sub] = out[part]
                    if rule.sources:
                        self.sources.setdefault(path.removesuffix(key) + sub, label)
            if rule.kind == "name":
                sink.explicit[key] = out["full_name"]
            return
        sink.explicit[key] = out

    def keywords(self, rule: Rule, values: list[Any], path: str, label: str, sink: _Sink) -> None:
        kept: list[str] = []
        seen: set[str] = set()
        for value in values:
            try:
                text = clean(value, keep_newlines=True)
            except Refused as exc:
                self.refused(f"{path}[{len(kept)}]", exc, label)
                continue
            for piece in _split(text or "", rule.options.split):
                word = clean(piece)
                if word and word.casefold() not in seen:
                    seen.add(word.casefold())
                    kept.append(word)
        if kept:
            sink.explicit[rule.target.path] = kept

    def persons(self, rule: Rule, values: list[Any], path: str, sink: _Sink) -> None:
        found: list[dict[str, Any]] = []
        base = rule.sources[0].label if rule.sources else rule.label
        for i, value in enumerate(values):
            # XPath counts from 1, JSON paths from 0.
            element = (f"{base}[{i + 1}]" if base.startswith(PREFIX)
                       else f"{base.removesuffix('[*]')}[{i}]")
            if isinstance(value, AnyMapping):
                person = self.person_object(rule, value, f"{path}[{len(found)}]", element)
                found.extend([person] if person else [])
            else:
                # One cell of names is named by its column; a list of names item by item.
                element = element if len(values) > 1 else base
                found.extend(self.person_text(rule, value, path, len(found), element))
        if found:
            sink.explicit[rule.target.path] = found

    def person_object(self, rule: Rule, value: AnyMapping[Any, Any], here: str,
                      element: str) -> dict[str, Any] | None:
        """A participant given as an object, read through the rule's `item` table."""
        if not rule.item or rule.item_columns is None:
            self.refused(here, Refused(
                "bad_type", "mỗi người là một đối tượng; hãy khai báo item = { ... }",
                "each person is an object; declare item = { full_name = ... }",
                shown(value)), element)
            return None
        sink = _Sink()
        scope = _Scope(value, rule.item_columns.resolve(value.keys()), sink, here + ".", element)
        for sub in rule.item:
            self.apply(sub, scope)
        person = {k: sink.get(k) for k in PARTICIPANT_TARGETS if sink.get(k) is not None}
        return person or None

    def person_text(self, rule: Rule, value: Any, path: str, start: int,
                    element: str) -> list[dict[str, Any]]:
        """The participants written as names in one cell ("ThS. A; KS. B")."""
        try:
            text = clean(value, keep_newlines=True)
        except Refused as exc:
            self.refused(f"{path}[{start}]", exc, element)
            return []
        found: list[dict[str, Any]] = []
        for one in people(text or "", rule.options.split):
            here = f"{path}[{start + len(found)}].full_name"
            try:
                parsed = parse_person(one)
            except Refused as exc:
                self.refused(here, exc, element)
                continue
            self.sources[here] = element
            found.append({k: parsed[k] for k in PARTICIPANT_KEYS if k in parsed})
        return found

    def field_scheme(self, sink: _Sink) -> None:
        """`field.scheme`, when the mapping does not set it: by the code's length, the mapping's
        choice, or the task's date (its approval decision, else its start)."""
        code = sink.get("field.code")
        if not isinstance(code, str):
            return
        m = self.mapping
        cutover = m.tt24_2025_from.isoformat()
        cutover_vi = m.tt24_2025_from.strftime("%d/%m/%Y")
        when = sink.get("approval.decision_date") or sink.get("start_date")
        if sink.get("field.scheme") is not None:
            scheme = sink.get("field.scheme")
        elif len(code) == 7:                # only Circular 24/2025 has a fourth level
            scheme = "tt24_2025"
        elif m.research_field_scheme != "by_date":
            scheme = m.research_field_scheme
        elif isinstance(when, str):
            scheme = "tt24_2025" if when >= cutover else "qd12_2008"
        else:
            return                          # no date: the missing start_date is the problem
        if scheme == "tt24_2025" and self.field_by_name:
            self.problems.append(Problem(
                "field.code", "field_name_needs_code",
                f"Lĩnh vực KH&CN (field.code) được ghi bằng tên (mã {code} theo QĐ 12/2008), "
                "nhưng bản ghi theo Thông tư 24/2025 (nhiệm vụ từ ngày "
                f"{cutover_vi}, hoặc do tệp ánh xạ chọn), mà tên trong bảng của Thông tư chưa có ở "
                "đây: ghi mã lĩnh vực theo Thông tư 24/2025 trong nguồn, hoặc "
                f'đặt research_field_scheme = "qd12_2008" trong [mapping] của {m.file_name}.',
                f"The S&T field (field.code) is written as a name (code {code} in Decision "
                f"12/2008), but the record falls under Circular 24/2025 (a task from {cutover}, "
                "or the mapping's choice), whose names are not available here: write the "
                "Circular 24/2025 code at the source, or set "
                f'research_field_scheme = "qd12_2008" under [mapping] in {m.file_name}.',
                code, self.sources.get("field.code")))
            sink.explicit.pop("field.code", None)     # a refused value is not sent
            return
        if sink.get("field.scheme") is None:
            sink.derived["field.scheme"] = scheme

    # Problems ---------------------------------------------------------------------------------

    def where(self, label: str) -> tuple[str, str]:
        if label.startswith(PREFIX):
            path = label[len(PREFIX):]
            return f"XPath “{path}”", f"XPath “{path}”"
        if label.startswith("$"):
            return f"đường dẫn JSON “{label}”", f"JSON path “{label}”"
        letter = self.letters.get(label, self.letters.get(self.found.get(label)))
        at = f" (cột {letter})" if isinstance(letter, str) else ""
        at_en = f" (column {letter})" if isinstance(letter, str) else ""
        return f"cột “{label}”{at}", f"column “{label}”{at_en}"

    def refused(self, path: str, exc: Refused, label: str) -> None:
        what_vi, what_en = field_label(path) or (path, path)
        where_vi, where_en = self.where(label)
        value = exc.value
        self.problems.append(Problem(
            path, exc.code,
            f"{_cap(what_vi)} ({path}), {where_vi}: “{shown(value)}” — {exc.reason_vi}.",
            f"{_cap(what_en)} ({path}), {where_en}: “{shown(value)}” — {exc.reason_en}.",
            _stored(value), label))

    def missing(self, path: str, column: str, payload: AnyMapping[Any, Any]) -> None:
        what_vi, what_en = field_label(path) or (path, path)
        hint = closest(column, tuple(payload.keys()))
        near_vi = f"; có phải cột “{hint}”?" if hint else ""
        near_en = f"; did you mean “{hint}”?" if hint else ""
        self.problems.append(Problem(
            path, "missing_column",
            f"{_cap(what_vi)} ({path}): nguồn không có cột “{column}” mà tệp ánh xạ "
            f"{self.mapping.name} khai báo{near_vi}.",
            f"{_cap(what_en)} ({path}): the source has no column “{column}”, which mapping "
            f"{self.mapping.name} reads{near_en}.",
            column, column))


def _put(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = record
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _split(text: str, sep: str | None) -> list[str]:
    parts = text.split("\n")
    return [p for line in parts for p in line.split(sep)] if sep else parts


def _rebase(label: str, element: str) -> str:
    """An item's source path, as seen from the whole payload."""
    if label.startswith(PREFIX):
        return f"{element}/{label[len(PREFIX):]}"
    if label.startswith("$"):
        return element + label[1:]
    return f"{element}.{label}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _stored(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _MAX_VALUE:
        return value[: _MAX_VALUE - 1] + "…"
    return value
