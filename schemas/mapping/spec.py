"""The mapping file: one TOML file per source, read and checked once into a `Mapping`."""

from __future__ import annotations

import contextlib
import difflib
import logging
import sys
from collections.abc import Iterable
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from schemas.codelists import SCHEMES, code_list, code_list_names, fold
from schemas.mapping.errors import MappingConfigError, Refused
from schemas.mapping.sources import Columns, Source, source
from schemas.mapping.targets import OBJECTS, PARTICIPANT_TARGETS, RESERVED, TARGETS, Target
from schemas.mapping.transforms import SCALAR, Options
from schemas.mapping.transforms.ids import NAMESPACE
from schemas.mapping.transforms.money import unit_factor
from schemas.mapping.xpaths import PREFIX, is_prefix, item_as_xpath
from schemas.record import FIELD_BY_PATH, SCHEMA_VERSION

if sys.version_info >= (3, 11):
    import tomllib
else:                                       # pragma: no cover - Python 3.10
    import tomli as tomllib

logger = logging.getLogger(__name__)

_COMMON = {"from", "const", "concat", "xpath", "sep", "default", "transform"}
_BY_KIND = {"code": {"labels"}, "date": {"partial", "period"}, "money": {"unit"},
            "keywords": {"split"}, "persons": {"split", "item"},
            "text": {"part"}, "name": {"part"}, "person": {"part"}}
_PARTS = ("organization", "person")
_MAPPING_KEYS = {"schema_version", "namespace", "decimal_separator", "two_digit_year_pivot",
                 "research_field_scheme", "tt24_2025_from"}
# The day Circular 24/2025/TT-BKHCN's classification replaces Decision 12/2008's.
TT24_2025_FROM = date(2025, 12, 15)
FIELD_SCHEMES = ("by_date", *SCHEMES)


@dataclass(frozen=True)
class Rule:
    """One line of `[fields]`: where a national field's value comes from and how it is read."""

    target: Target
    kind: str
    sources: tuple[Source, ...] = ()        # one for `from`, several for `concat`, none for `const`
    concat: bool = False
    sep: str = " "
    const: Any = None                       # already in national form
    default: Any = None                     # already in national form
    options: Options = field(default_factory=Options)
    item: tuple[Rule, ...] = ()
    item_columns: Columns | None = None

    @cached_property
    def label(self) -> str:
        """The source as the admin wrote it, for messages and `MapResult.sources`."""
        if self.const is not None and not self.sources:
            return "const"
        return " + ".join(s.label for s in self.sources)


@dataclass(frozen=True)
class Mapping:
    """A checked mapping file, with its paths compiled, ready for `map_record`."""

    name: str
    namespace: str
    decimal_separator: str
    two_digit_year_pivot: int
    rules: tuple[Rule, ...]
    columns: Columns
    namespaces: AnyMapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    reads_xml: bool = False                 # some field is an XPath into payload["_xml"]
    # The classification of `field.code` when the mapping does not set `field.scheme`:
    # "by_date" picks tt24_2025 for tasks dated from `tt24_2025_from`, qd12_2008 before.
    research_field_scheme: str = "by_date"
    tt24_2025_from: date = TT24_2025_FROM

    @property
    def file_name(self) -> str:
        """The mapping file as problem messages name it: data owners need not know where it is."""
        return Path(self.name).name or self.name

    def source_columns(self) -> set[str]:
        """The spreadsheet columns (not JSON paths) this mapping reads."""
        return set(self.columns.wanted)

    def missing_columns(self, headers: Iterable[str]) -> list[str]:
        """The mapping's columns that `headers` lacks, even after tolerant matching."""
        found = self.columns.resolve(headers)
        return [c for c in self.columns.wanted if c not in found]


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; MappingConfigError names the file and the key."""
    name = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise MappingConfigError(name, None, f"cannot read the file: {exc.strerror or exc}",
                                 f"không đọc được tệp: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise MappingConfigError(name, None, f"is not UTF-8 text (byte {exc.start})",
                                 f"không phải văn bản UTF-8 (byte {exc.start})") from None
    return parse_mapping(text, name=name)


def parse_mapping(text: str, *, name: str) -> Mapping:
    """Check a mapping file's text; `name` is how messages refer to it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingConfigError(name, None, f"is not valid TOML: {exc}",
                                 f"không phải TOML hợp lệ: {exc}") from None
    return _Reader(name).mapping(data)


def _required_leaves() -> list[str]:
    """Fields every record needs: required, and inside a required object if nested."""
    leaves = []
    for path, target in TARGETS.items():
        spec = FIELD_BY_PATH[path]
        parent = FIELD_BY_PATH.get(spec.parent)
        if spec.required and target.kind != "person" and (parent is None or parent.required):
            leaves.append(path)
    return leaves


class _Reader:
    def __init__(self, name: str):
        self.name = name
        # Problem messages reach data owners: they name the mapping file, not where it lives.
        self.file_name = Path(name).name or name
        self.settings = Options(mapping_name=self.file_name)
        self.namespaces: dict[str, str] = {}

    def fail(self, key: str | None, message: str, message_vi: str) -> MappingConfigError:
        """The error naming `key`, said in English and Vietnamese side by side, so that a
        message without its translation shows where it is written."""
        return MappingConfigError(self.name, key, message, message_vi)

    def mapping(self, data: dict[str, Any]) -> Mapping:
        for key in data:
            if key not in ("mapping", "fields", "namespaces"):
                raise self.fail(f"[{key}]", "unknown table; a mapping file has [mapping], "
                                "[fields] and, for XPath fields, [namespaces]",
                                "bảng không hợp lệ; tệp ánh xạ có [mapping], [fields] và, cho "
                                "các trường đọc bằng XPath, [namespaces]")
        head = self.table(data, "mapping", "[mapping]")
        for key in head:
            if key not in _MAPPING_KEYS:
                raise self.unknown(f"[mapping] {key}", ("key", "khoá"), key, _MAPPING_KEYS)
        if head.get("schema_version") != SCHEMA_VERSION:
            got = head.get("schema_version")
            raise self.fail("[mapping] schema_version", f'must be "{SCHEMA_VERSION}", got {got!r}',
                            f'phải là "{SCHEMA_VERSION}", nhận được {got!r}')
        namespace = head.get("namespace")
        if not isinstance(namespace, str) or not NAMESPACE.fullmatch(namespace):
            raise self.fail("[mapping] namespace",
                            "is required: 1-64 characters of A-Z a-z 0-9 . _ - "
                            f"(it prefixes every local_id), got {namespace!r}",
                            "là bắt buộc: 1-64 ký tự trong A-Z a-z 0-9 . _ - "
                            f"(là tiền tố của mọi local_id), nhận được {namespace!r}")
        sep = head.get("decimal_separator", ",")
        if sep not in (",", "."):
            raise self.fail("[mapping] decimal_separator", f'must be "," or ".", got {sep!r}',
                            f'phải là "," hoặc ".", nhận được {sep!r}')
        pivot = head.get("two_digit_year_pivot", 50)
        if isinstance(pivot, bool) or not isinstance(pivot, int) or not 0 <= pivot <= 100:
            raise self.fail("[mapping] two_digit_year_pivot",
                            f"must be a whole number from 0 to 100, got {pivot!r}",
                            f"phải là số nguyên từ 0 đến 100, nhận được {pivot!r}")
        scheme = head.get("research_field_scheme", "by_date")
        if scheme not in FIELD_SCHEMES:
            raise self.fail("[mapping] research_field_scheme",
                            f"must be one of {', '.join(FIELD_SCHEMES)}, got {scheme!r}",
                            f"phải là một trong {', '.join(FIELD_SCHEMES)}, nhận được {scheme!r}")
        cutover = head.get("tt24_2025_from", TT24_2025_FROM)
        if isinstance(cutover, str):
            with contextlib.suppress(ValueError):
                cutover = date.fromisoformat(cutover)
        if not isinstance(cutover, date) or isinstance(cutover, datetime):
            raise self.fail("[mapping] tt24_2025_from",
                            f"must be a date such as 2025-12-15, got {cutover!r}",
                            f"phải là một ngày, ví dụ 2025-12-15, nhận được {cutover!r}")
        self.settings = Options(mapping_name=self.file_name, decimal_separator=sep,
                                two_digit_year_pivot=pivot)
        self.namespaces = self.read_namespaces(data.get("namespaces", {}))
        fields = self.flatten(self.table(data, "fields", "[fields]"))
        if not fields:
            raise self.fail("[fields]", "maps no field", "không ánh xạ trường nào")
        rules = tuple(self.rule(TARGETS, path, spec, f"[fields] {path}") for path, spec in
                      fields.items())
        unmapped = [p for p in _required_leaves() if p not in fields
                    and not (p.endswith(".full_name") and p.removesuffix(".full_name") in fields)
                    and not (p == "field.scheme" and "field.code" in fields)]
        if unmapped:
            logger.warning("%s maps no source to required field(s) %s: every record will lack them",
                           self.name, ", ".join(unmapped))
        columns = Columns(s.label for r in rules for s in r.sources if s.is_column)
        reads_xml = any(s.xpath is not None for r in rules for one in (r, *r.item)
                        for s in one.sources)
        return Mapping(self.name, namespace, sep, pivot, rules, columns,
                       MappingProxyType(dict(self.namespaces)), reads_xml,
                       research_field_scheme=scheme, tt24_2025_from=cutover)

    def read_namespaces(self, table: Any) -> dict[str, str]:
        if not isinstance(table, dict):
            raise self.fail("[namespaces]", "must be a table of prefix = \"namespace URI\"",
                            "phải là một bảng dạng tiền_tố = \"URI của không gian tên\"")
        for prefix, uri in table.items():
            if not is_prefix(prefix):
                raise self.fail(f"[namespaces] {prefix!r}", "is not a prefix; XPath 1.0 has no "
                                "default namespace, so give each one a prefix such as q",
                                "không phải tiền tố; XPath 1.0 không có không gian tên mặc "
                                "định, nên hãy đặt cho mỗi không gian tên một tiền tố, ví dụ q")
            if not isinstance(uri, str) or not uri.strip():
                raise self.fail(f"[namespaces] {prefix}", f"must be a namespace URI, got {uri!r}",
                                f"phải là URI của một không gian tên, nhận được {uri!r}")
        return {prefix: uri.strip() for prefix, uri in table.items()}

    def flatten(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Unquoted dotted keys (`budget.total_vnd = ...`, `[fields.budget]`) nest in TOML;
        read them like the quoted form."""
        flat: dict[str, Any] = {}
        for path, spec in fields.items():
            parts = {t.removeprefix(path + ".") for t in TARGETS if t.startswith(path + ".")}
            nested = isinstance(spec, dict) and spec and set(spec) <= parts
            for sub, value in (spec.items() if nested else [("", spec)]):
                key = f"{path}.{sub}" if sub else path
                if key in flat:
                    raise self.fail(f"[fields] {key}", "is mapped twice",
                                    "được ánh xạ hai lần")
                flat[key] = value
        return flat

    def table(self, data: dict[str, Any], key: str, shown: str) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            raise self.fail(shown, "is required (a TOML table)", "là bắt buộc (một bảng TOML)")
        if not isinstance(value, dict):
            raise self.fail(shown, "must be a table", "phải là một bảng")
        return value

    def unknown(self, key: str, what: tuple[str, str], name: str,
                known: Iterable[str]) -> MappingConfigError:
        """`name` is no `what` (English, Vietnamese) that stisync knows: the closest known
        one, else them all."""
        en, vi = what
        close = difflib.get_close_matches(name, list(known), n=1)
        if close:
            return self.fail(key, f"unknown {en} {name!r}; did you mean {close[0]!r}?",
                             f"{vi} không hợp lệ {name!r}; có phải {close[0]!r}?")
        listed = ", ".join(sorted(known))
        return self.fail(key, f"unknown {en} {name!r}; known: {listed}",
                         f"{vi} không hợp lệ {name!r}; các {vi} hợp lệ: {listed}")

    def target(self, targets: dict[str, Target], path: str, key: str) -> Target:
        if path in targets:
            return targets[path]
        if path in RESERVED:
            why, why_vi = RESERVED[path]
            raise self.fail(key, f"{path} {why}; remove this line",
                            f"{path} {why_vi}; hãy xoá dòng này")
        if path in OBJECTS:
            parts = ", ".join(f"{path}.{p}" for p in OBJECTS[path])
            raise self.fail(key, f"{path} is an object; map its parts instead: {parts}",
                            f"{path} là một đối tượng; hãy ánh xạ từng phần của nó: {parts}")
        raise self.unknown(key, ("national field", "trường quốc gia"), path, targets)

    def rule(self, targets: dict[str, Target], path: str, spec: Any, key: str,
             shown: str | None = None) -> Rule:
        """One field's rule; `shown` is how hints name the field (items: "participants item.x")."""
        target = self.target(targets, path, key)
        if isinstance(spec, str):
            spec = {"from": spec}
        if not isinstance(spec, dict):
            raise self.fail(key, "must be a column name, a JSON path starting with $, an "
                            "\"xpath:...\", or a table such as { from = ... }",
                            "phải là tên cột, đường dẫn JSON bắt đầu bằng $, một "
                            "\"xpath:...\", hoặc một bảng như { from = ... }")
        kind = spec.get("transform", target.kind)
        if not isinstance(kind, str):
            raise self.fail(key, f"transform must be a name such as \"text\", got {kind!r}",
                            f"transform phải là một tên, ví dụ \"text\", nhận được {kind!r}")
        if kind not in target.kinds():
            allowed = ", ".join(repr(k) for k in target.kinds())
            if kind not in SCALAR and kind not in ("keywords", "persons"):
                raise self.fail(key, f"unknown transform {kind!r} (this field takes {allowed})",
                                f"transform {kind!r} không hợp lệ (trường này nhận {allowed})")
            raise self.fail(key, f"transform {kind!r} does not fit {path} (it takes {allowed})",
                            f"transform {kind!r} không hợp với {path} (trường này nhận {allowed})")
        allowed_keys = _COMMON | _BY_KIND.get(kind, set())
        for option in spec:
            if option not in allowed_keys:
                raise self.bad_option(key, option, kind, allowed_keys)
        given = [k for k in ("from", "const", "concat", "xpath") if k in spec]
        if len(given) > 1:
            raise self.fail(key, "needs exactly one of from, const or concat, or an xpath "
                            f"(got {', '.join(given)})", "cần đúng một trong from, const hoặc "
                            f"concat, hoặc một xpath (đang có {', '.join(given)})")
        if not given:
            raise self.fail(key, "needs exactly one of from, const or concat, or an xpath",
                            "cần đúng một trong from, const hoặc concat, hoặc một xpath")
        if "sep" in spec and "concat" not in spec:
            raise self.fail(key, "sep only goes with concat", "sep chỉ dùng cùng concat")
        opts = self.options(target, kind, spec, key, shown or path)
        sources, sep = self.sources(spec, kind, key)
        item: tuple[Rule, ...] = ()
        if "item" in spec:
            in_xml = any(s.xpath is not None for s in sources)
            item = self.item_rules(spec["item"], f"{key} item", in_xml=in_xml)
        return Rule(
            target, kind, sources, "concat" in spec, sep,
            const=self.fixed(spec, "const", kind, opts, key),
            default=self.fixed(spec, "default", kind, opts, key),
            options=opts, item=item,
            item_columns=Columns(s.label for r in item for s in r.sources if s.is_column)
            if item else None,
        )

    def bad_option(self, key: str, option: str, kind: str,
                   allowed: set[str]) -> MappingConfigError:
        for other, extra in _BY_KIND.items():
            if option in extra:
                return self.fail(key,
                                 f"{option} only applies to {other} fields; this field is read "
                                 f"as {kind}", f"{option} chỉ dùng cho trường kiểu {other}; "
                                 f"trường này được đọc theo kiểu {kind}")
        return self.unknown(key, ("option", "tuỳ chọn"), option, allowed)

    def sources(self, spec: dict[str, Any], kind: str, key: str) -> tuple[tuple[Source, ...], str]:
        if "const" in spec:
            return (), " "
        if "xpath" in spec:
            if not isinstance(spec["xpath"], str) or not spec["xpath"].strip():
                raise self.fail(key, "xpath must be an XPath such as \"q:TenNhiemVu\"",
                                "xpath phải là một biểu thức XPath, ví dụ \"q:TenNhiemVu\"")
            spec = {**spec, "from": PREFIX + spec["xpath"]}
        texts = spec["concat"] if "concat" in spec else [spec["from"]]
        what = "concat" if "concat" in spec else "from"
        if not isinstance(texts, list) or not texts or not all(
                isinstance(t, str) and t.strip() for t in texts):
            if what == "concat":
                raise self.fail(key, "concat must be a list of column names or $ paths",
                                "concat phải là danh sách tên cột hoặc đường dẫn $")
            raise self.fail(key, "from must be a column name or a $ path",
                            "from phải là tên cột hoặc đường dẫn $")
        try:
            found = tuple(source(t, self.namespaces, nodes="item" in spec) for t in texts)
        except ValueError as exc:
            # The parser's own words (lxml, jsonpath) are English; they name the path too.
            raise self.fail(key, str(exc), f"đường dẫn không đọc được: {exc}") from None
        sep = spec.get("sep", "\n" if kind == "long_text" else " ")
        if not isinstance(sep, str):
            raise self.fail(key, f"sep must be a string, got {sep!r}",
                            f"sep phải là một chuỗi, nhận được {sep!r}")
        return found, sep

    def options(self, target: Target, kind: str, spec: dict[str, Any], key: str,
                shown: str) -> Options:
        partial = spec.get("partial", target.partial)
        if partial not in ("start", "end"):
            raise self.fail(key, f'partial must be "start" or "end", got {partial!r}',
                            f'partial phải là "start" hoặc "end", nhận được {partial!r}')
        period = spec.get("period")
        if period is not None and period not in ("start", "end"):
            raise self.fail(key, f'period must be "start" or "end", got {period!r}',
                            f'period phải là "start" hoặc "end", nhận được {period!r}')
        if period is not None and "partial" in spec:
            raise self.fail(key, "partial does not go with period: a period's start is its "
                            "first day and its end its last",
                            "partial không dùng cùng period: đầu một kỳ là ngày đầu tiên của "
                            "kỳ, cuối kỳ là ngày cuối cùng")
        part = spec.get("part")
        if part is not None and part not in _PARTS:
            raise self.fail(key, f'part must be "organization" or "person", got {part!r}',
                            f'part phải là "organization" hoặc "person", nhận được {part!r}')
        unit = 1
        if "unit" in spec:
            factor = unit_factor(spec["unit"]) if isinstance(spec["unit"], str) else None
            if factor is None:
                raise self.fail(key, f"unknown unit {spec['unit']!r}; use đồng, nghìn, triệu or tỷ",
                                f"đơn vị {spec['unit']!r} không hợp lệ; hãy dùng đồng, nghìn, "
                                "triệu hoặc tỷ")
            unit = factor
        split = spec.get("split")
        if split is not None and (not isinstance(split, str) or not split):
            raise self.fail(key, f"split must be a non-empty string, got {split!r}",
                            f"split phải là một chuỗi không rỗng, nhận được {split!r}")
        if kind == "code" and target.code_list:
            try:
                code_list(target.code_list)
            except LookupError as exc:
                raise self.fail(key, str(exc), f"không có danh sách mã {target.code_list!r}; "
                                f"các danh sách mã: {', '.join(code_list_names())}") from None
        labels, loose = self.labels(target, spec.get("labels"), key)
        return Options(
            path=shown, mapping_name=self.file_name,
            decimal_separator=self.settings.decimal_separator,
            two_digit_year_pivot=self.settings.two_digit_year_pivot,
            partial=partial, unit=unit, code_list=target.code_list if kind == "code" else None,
            labels=labels, loose_labels=loose, split=split, period=period, part=part,
        )

    def labels(self, target: Target, table: Any, key: str) -> tuple[Any, Any]:
        if table is None:
            return MappingProxyType({}), MappingProxyType({})
        if not isinstance(table, dict) or not target.code_list:
            raise self.fail(key, "labels must be a table of { \"source label\" = \"code\" }",
                            "labels phải là một bảng dạng { \"nhãn trong nguồn\" = \"mã\" }")
        codes = code_list(target.code_list)
        exact: dict[str, str] = {}
        loose: dict[str, str | None] = {}
        for label, code in table.items():
            if not isinstance(code, str) or code not in codes:
                guess = codes.match_label(code) if isinstance(code, str) else None
                listed = ", ".join(codes.codes())
                hint, hint_vi = ((f'; did you mean "{guess}"?', f'; có phải "{guess}"?') if guess
                                 else (f"; codes: {listed}", f"; các mã: {listed}"))
                raise self.fail(f"{key} labels {label!r}",
                                f"{code!r} is not a code of list {target.code_list}{hint}",
                                f"{code!r} không phải mã của danh sách {target.code_list}"
                                f"{hint_vi}")
            folded = fold(label)
            if exact.get(folded, code) != code:
                raise self.fail(f"{key} labels {label!r}",
                                f"reads the same as another label mapped to {exact[folded]!r}",
                                f"đọc giống một nhãn khác đã ánh xạ sang {exact[folded]!r}")
            exact[folded] = code
            bare = fold(label, accents=False)
            # Labels that differ only in tone marks but mean different codes match exactly only.
            loose[bare] = code if loose.get(bare, code) == code else None
        return (MappingProxyType(exact),
                MappingProxyType({k: v for k, v in loose.items() if v is not None}))

    def fixed(self, spec: dict[str, Any], option: str, kind: str, opts: Options, key: str) -> Any:
        """A `const` or `default`, turned into national form now so that mistakes show at load."""
        if option not in spec:
            return None
        raw = spec[option]
        if kind not in SCALAR:
            raise self.fail(key, f"{option} is not supported for list fields",
                            f"{option} không dùng được cho trường dạng danh sách")
        try:
            value = SCALAR[kind](raw, opts)
        except Refused as exc:
            raise self.fail(key, f"{option} {raw!r}: {exc.reason_en}",
                            f"{option} {raw!r}: {exc.reason_vi}") from None
        if value is None:
            raise self.fail(key, f"{option} {raw!r} is empty", f"{option} {raw!r} rỗng")
        return value

    def item_rules(self, table: Any, key: str, *, in_xml: bool = False) -> tuple[Rule, ...]:
        """The rules of `item`; under an XPath their plain paths are XPaths from each node."""
        if not isinstance(table, dict) or not table:
            raise self.fail(key, "item must be a table such as { full_name = \"$.ho_ten\" }",
                            "item phải là một bảng như { full_name = \"$.ho_ten\" }")
        return tuple(self.rule(PARTICIPANT_TARGETS, sub, item_as_xpath(spec) if in_xml else spec,
                               f"{key}.{sub}", f"participants item.{sub}")
                     for sub, spec in table.items())
