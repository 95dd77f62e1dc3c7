"""Validation of a national record v1: every rule of record.md, reported as Problem rows."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from schemas import codelists as cl
from schemas import record as rec
from schemas.problems import Problem
from schemas.record import CHILDREN, FIELD_BY_PATH, SCHEMA_VERSION, FieldSpec

logger = logging.getLogger(__name__)

_NAME = re.compile("[A-Za-z_][A-Za-z0-9_]*")

# (code, reason in Vietnamese, reason in English) for a value that breaks a rule.
Finding = tuple[str, str, str]
Check = Callable[[Any], Finding | None]

_TYPES: dict[str, tuple[type | tuple[type, ...], str, str]] = {
    "string": (str, "chuỗi ký tự", "a string"),
    "integer": (int, "số nguyên", "an integer"),
    "object": (Mapping, "đối tượng JSON", "a JSON object"),
    "array": ((list, tuple), "mảng JSON", "a JSON array"),
}


def validate(record: Mapping[str, Any]) -> list[Problem]:
    """Every problem of `record` against national record v1; an empty list when it is valid."""
    if not isinstance(record, Mapping):
        shown = _show(record)
        return [Problem("$", "bad_type", f"Bản ghi phải là một đối tượng JSON, nhận được {shown}.",
                        f"The record must be a JSON object, got {shown}.", record)]
    run = _Run(record)
    run.members("", "", record)
    run.cross_checks()
    logger.debug("validated record %s: %d problem(s)", _show(record.get("local_id")),
                 len(run.problems))
    return run.problems


def _show(value: Any) -> str:
    if isinstance(value, str):
        text = f"“{value}”"
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
    return _printable(text if len(text) <= 80 else text[:79] + "…")


def _printable(text: str) -> str:
    # A lone surrogate would make the message itself unprintable.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _labels(spec: FieldSpec) -> tuple[str, str]:
    """The field's labels, capitalised to open a sentence."""
    vi, en = spec.label_vi, spec.label_en
    return vi[:1].upper() + vi[1:], en[:1].upper() + en[1:]


def _has_type(value: Any, json_type: str) -> bool:
    # bool is an int to Python but never a number to JSON.
    return isinstance(value, _TYPES[json_type][0]) and not isinstance(value, bool)


def _is_empty(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, (Mapping, list, tuple)) and not value)


def _join(path: str, key: Any) -> str:
    # Keys that are not plain names go in brackets, so that the path stays unambiguous.
    if isinstance(key, str) and _NAME.fullmatch(key):
        return f"{path}.{key}" if path else key
    shown = _printable(json.dumps(key, ensure_ascii=False)) if isinstance(key, str) else _show(key)
    return f"{path}[{shown}]"


def _vnd(amount: int, sep: str) -> str:
    return f"{amount:,}".replace(",", sep)


class _Run:
    """One validation pass: walks the record along the field table, then checks across fields."""

    def __init__(self, record: Mapping[str, Any]):
        self.record = record
        self.problems: list[Problem] = []
        # Concrete path -> value that passed its own checks; cross-field rules read only these.
        self.good: dict[str, Any] = {}

    def add(self, path: str, code: str, vi: str, en: str, value: Any = None) -> None:
        self.problems.append(Problem(path, code, vi, en, value))

    def finding(self, spec: FieldSpec, path: str, value: Any, found: Finding) -> None:
        (vi, en), (code, why_vi, why_en) = _labels(spec), found
        self.add(path, code, f"{vi} ({path}) là {_show(value)}: {why_vi}.",
                 f"{en} ({path}) is {_show(value)}: {why_en}.", value)

    def members(self, spec_path: str, path: str, obj: Mapping[Any, Any]) -> None:
        specs = CHILDREN.get(spec_path, ())
        known = {s.key for s in specs}
        for key in obj:
            if key not in known:
                self.unknown(_join(path, key), key, obj[key])
        for spec in specs:
            sub = f"{path}.{spec.key}" if path else spec.key
            if spec.key in obj:
                self.value(spec, sub, obj[spec.key])
            elif spec.required:
                self.add(sub, "required", f"Thiếu {spec.label_vi} ({sub}).",
                         f"{_labels(spec)[1]} ({sub}) is missing.")

    def unknown(self, path: str, key: Any, value: Any) -> None:
        vi = f"Trường {_show(key)} ({path}) không thuộc bản ghi quốc gia phiên bản {SCHEMA_VERSION}"
        en = f"Field {_show(key)} ({path}) is not part of national record version {SCHEMA_VERSION}"
        if path == "province_code":
            vi += "; mã tỉnh nằm trong đường dẫn URL, không nằm trong nội dung bản ghi"
            en += "; the province code goes in the URL, not in the record body"
        self.add(path, "unknown_field", vi + ".", en + ".", value)

    def value(self, spec: FieldSpec, path: str, value: Any) -> None:
        vi, en = _labels(spec)
        if _is_empty(value):
            if spec.path.endswith("[]"):
                why = "hãy bỏ mục trống khỏi danh sách", "leave the empty item out of the list"
            elif spec.required:
                why = "trường này bắt buộc phải có giá trị", "this field needs a value"
            else:
                why = "không có giá trị thì bỏ hẳn trường", "omit the field when it has no value"
            self.add(path, "empty", f"{vi} ({path}) để trống; {why[0]}.",
                     f"{en} ({path}) is empty; {why[1]}.", value)
            return
        if not _has_type(value, spec.json_type):
            type_vi, type_en = _TYPES[spec.json_type][1:]
            shown = _show(value)
            self.add(path, "bad_type", f"{vi} ({path}) phải là {type_vi}, nhận được {shown}.",
                     f"{en} ({path}) must be {type_en}, got {shown}.", value)
            return
        if spec.json_type == "object":
            self.members(spec.path, path, value)
            ok = True
        elif spec.json_type == "array":
            ok = self.array(spec, path, value)
        else:
            ok = self.scalar(spec, path, value)
        if ok:
            self.good[path] = value

    def array(self, spec: FieldSpec, path: str, items: list[Any] | tuple[Any, ...]) -> bool:
        vi, en = _labels(spec)
        ok = spec.max_length is None or len(items) <= spec.max_length
        if not ok:
            self.add(path, "too_long",
                     f"{vi} ({path}) có {len(items)} mục, vượt giới hạn {spec.max_length} mục.",
                     f"{en} ({path}) has {len(items)} items, over the limit of {spec.max_length}.",
                     len(items))
        item_spec = FIELD_BY_PATH[spec.path + "[]"]
        seen: set[str] = set()
        for i, item in enumerate(items):
            self.value(item_spec, f"{path}[{i}]", item)
            if spec.check == "distinct" and isinstance(item, str):
                if item in seen:
                    ok = False
                    self.finding(item_spec, f"{path}[{i}]", item, (
                        "bad_format", "trùng với một mục trước", "a repeat of an earlier item"))
                seen.add(item)
        return ok

    def scalar(self, spec: FieldSpec, path: str, value: str | int) -> bool:
        vi, en = _labels(spec)
        ok = True
        if isinstance(value, str):
            if not _encodable(value):
                self.finding(spec, path, value, ("bad_format", "chứa ký tự Unicode không hợp lệ "
                             "(surrogate lẻ)", "it holds an invalid lone surrogate"))
                return False
            if not unicodedata.is_normalized("NFC", value):
                self.add(path, "not_nfc",
                         f"{vi} ({path}) chưa chuẩn hoá Unicode dạng dựng sẵn NFC: {_show(value)}.",
                         f"{en} ({path}) is not in Unicode normalisation form NFC: {_show(value)}.",
                         value)
            if spec.max_length is not None and len(value) > spec.max_length:
                ok = False
                self.add(path, "too_long",
                         f"{vi} ({path}) dài {len(value)} ký tự, vượt giới hạn {spec.max_length}.",
                         f"{en} ({path}) is {len(value)} characters long, over the limit of "
                         f"{spec.max_length}.", value)
            found = _code_finding(spec.code_list, value) if spec.code_list else None
            if found is not None:
                ok = False
                self.finding(spec, path, value, found)
        check = _CHECKS.get(spec.check or "")
        found = check(value) if check is not None else None
        if found is not None:
            self.finding(spec, path, value, found)
        return ok and found is None

    def cross_checks(self) -> None:
        good, record = self.good, self.record
        scheme, code = good.get("field.scheme"), good.get("field.code")
        if scheme is not None and code is not None and cl.research_field(scheme, code) is None:
            act_vi, act_en = cl.SCHEME_TITLES[scheme]
            why_vi = f"không có trong bảng {scheme} ({act_vi})"
            why_en = f"not in the {scheme} table ({act_en})"
            if scheme == "qd12_2008" and len(code) == 7:
                why_vi += "; mã 7 chữ số chỉ có trong tt24_2025"
                why_en += "; 7-digit codes exist only in tt24_2025"
            self.finding(FIELD_BY_PATH["field.code"], "field.code", code,
                         ("unknown_code", why_vi, why_en))
        start, end = good.get("start_date"), good.get("end_date")
        if start is not None and end is not None and end < start:
            self.add("end_date", "date_order", f"Thời gian kết thúc (end_date) là “{end}”, trước "
                     f"thời gian bắt đầu (start_date) “{start}”.", f"End date (end_date) is "
                     f"“{end}”, before the start date (start_date) “{start}”.", end)
        self.budget_sum()
        status = good.get("status")
        if status in rec.STATUSES_WITH_ACCEPTANCE and "acceptance" not in record:
            self.conditional("acceptance", status)
        if status == rec.STATUS_WITH_REGISTRATION and "result_registration" not in record:
            self.conditional("result_registration", status)

    def budget_sum(self) -> None:
        total = self.good.get("budget.total_vnd")
        state = self.good.get("budget.state_budget_vnd")
        other = self.good.get("budget.other_vnd")
        if total is None or (state is None and other is None):
            return
        if state is not None and other is not None:
            if total == state + other:
                return
            vi = (f"ngân sách nhà nước {_vnd(state, '.')} + nguồn khác {_vnd(other, '.')} "
                  f"= {_vnd(state + other, '.')} đồng")
            en = (f"state budget {_vnd(state, ',')} + other sources {_vnd(other, ',')} "
                  f"= {_vnd(state + other, ',')} dong")
        else:
            # One part alone cannot exceed the total: the missing part would be negative.
            part = state if state is not None else other
            if part is None or part <= total:
                return
            vi = f"riêng một phần kinh phí đã là {_vnd(part, '.')} đồng"
            en = f"one part alone is {_vnd(part, ',')} dong"
        self.add("budget.total_vnd", "sum_mismatch",
                 f"Tổng kinh phí (budget.total_vnd) là {_vnd(total, '.')} đồng nhưng {vi}.",
                 f"Total budget (budget.total_vnd) is {_vnd(total, ',')} dong but {en}.", total)

    def conditional(self, key: str, status: str) -> None:
        spec = FIELD_BY_PATH[key]
        self.add(key, "conditional_required",
                 f"Thiếu {spec.label_vi} ({key}): bắt buộc khi tình trạng (status) là “{status}”.",
                 f"{_labels(spec)[1]} ({key}) is required when the status is “{status}”.")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _code_finding(list_name: str, value: str) -> Finding | None:
    codes = cl.code_list(list_name)
    if value in codes:
        return None
    valid = ", ".join(codes.codes())
    why_vi = f"không có trong danh mục {codes.label_vi}; các mã hợp lệ: {valid}"
    why_en = f"not in the {codes.label_en} code list; valid codes: {valid}"
    meant = codes.match_label(value)
    if meant is not None:
        why_vi += f". Đây là nhãn của mã “{meant}”: hãy gửi mã, không gửi nhãn"
        why_en += f". This is a label of code “{meant}”: send the code, not the label"
    return "unknown_code", why_vi, why_en


def _pattern(pattern: str, why_vi: str, why_en: str, *, found: bool = False) -> Check:
    """A bad_format check: the value must match `pattern` (or, with found=True, must not)."""
    compiled = re.compile(pattern)
    match = compiled.search if found else compiled.fullmatch
    return lambda v: ("bad_format", why_vi, why_en) if (match(v) is not None) == found else None


def _check_date(value: str) -> Finding | None:
    if not re.fullmatch(rec.DATE_PATTERN, value):
        return "bad_format", "không đúng dạng YYYY-MM-DD", "not in the form YYYY-MM-DD"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "bad_format", "không phải một ngày có thật", "not a real calendar date"
    return None


def _check_timestamp(value: str) -> Finding | None:
    # Python 3.10 reads neither "Z", lowercase separators nor more than six decimals,
    # all of which RFC 3339 allows.
    text = re.sub(r"([.][0-9]{6})[0-9]+", r"\1", value.upper().replace("Z", "+00:00"))
    try:
        if re.fullmatch(rec.TIMESTAMP_PATTERN, value):
            datetime.fromisoformat(text)
            return None
    except ValueError:
        pass
    return ("bad_format",
            "không phải thời điểm RFC 3339 có múi giờ (ví dụ 2025-03-01T08:30:00+07:00)",
            "not an RFC 3339 timestamp with an offset (e.g. 2025-03-01T08:30:00+07:00)")


def _check_amount(value: int) -> Finding | None:
    if value < 0:
        return "bad_format", "số tiền không được âm", "an amount cannot be negative"
    if value > rec.MAX_SAFE_INTEGER:
        return ("bad_format", "vượt quá số nguyên lớn nhất JSON giữ được chính xác (2^53 − 1)",
                "beyond the largest integer JSON holds exactly (2^53 − 1)")
    return None


def _check_digits(lengths: tuple[int, ...], table_vi: str, table_en: str,
                  ok: Callable[[str], bool] | None = None) -> Check:
    """Codes by structure: only digits, of the lengths the table's levels use."""
    *head, last = (str(n) for n in lengths)
    why = (f"phải gồm {', '.join(head)} hoặc {last} chữ số ({table_vi})",
           f"must be {', '.join(head)} or {last} digits ({table_en})")

    def check(value: str) -> Finding | None:
        if not (value.isascii() and value.isdigit()) or len(value) not in lengths:
            return "bad_format", *why
        if ok is not None and not ok(value):
            return "unknown_code", f"không có trong {table_vi}", f"not in {table_en}"
        return None
    return check


_CHECKS: dict[str, Check] = {
    "schema_version": lambda v: None if v == SCHEMA_VERSION else (
        "unknown_code", f"không được hỗ trợ, chỉ có phiên bản “{SCHEMA_VERSION}”",
        f"not supported, only version “{SCHEMA_VERSION}” is"),
    "local_id": _pattern(rec.LOCAL_ID_PATTERN,
                         "chỉ được gồm chữ Latinh không dấu, chữ số và các dấu . _ : / -",
                         "only unaccented Latin letters, digits and . _ : / - are allowed"),
    "title": _pattern(rec.TITLE_PATTERN,
                      "có khoảng trắng thừa ở đầu, cuối, giữa các từ hoặc xuống dòng",
                      "it has leading, trailing, doubled or non-space whitespace"),
    "person_name": _pattern(rec.TITLED_NAME_PATTERN, "họ tên không được kèm học hàm, học vị; "
                            "hãy ghi chúng vào academic_title và degree", "a name never carries "
                            "titles or degrees; put them in academic_title and degree", found=True),
    "email": _pattern(rec.EMAIL_PATTERN, "không phải địa chỉ thư điện tử hợp lệ",
                      "not a valid email address"),
    "field_scheme": lambda v: None if v in cl.SCHEMES else (
        "unknown_code", f"không phải bảng phân loại đã biết ({', '.join(cl.SCHEMES)})",
        f"not a known scheme ({', '.join(cl.SCHEMES)})"),
    # Whether the code exists in its scheme is checked across fields: it needs field.scheme.
    "field_code": _check_digits((1, 3, 5, 7), "bảng lĩnh vực KH&CN", "the S&T field tables"),
    "socio_economic_objective": _check_digits(
        (2, 4), "Bảng 2 của Quyết định 12/2008/QĐ-BKHCN",
        "table 2 of Decision 12/2008/QĐ-BKHCN", cl.socio_economic_objective_ok),
    "activity_type": _check_digits(
        (1, 3), "Bảng 3 của Quyết định 12/2008/QĐ-BKHCN",
        "table 3 of Decision 12/2008/QĐ-BKHCN", cl.activity_type_ok),
    "date": _check_date,
    "timestamp": _check_timestamp,
    "amount": _check_amount,
}
