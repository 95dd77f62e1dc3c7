"""The national fields a mapping may write, and the transform each one takes by default."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.record import FIELDS, FieldSpec

# Transform kinds grouped by the JSON shape they produce: an override must keep the shape,
# so that `transform = "date"` on a text field is fine but `transform = "money"` is not.
STRING_KINDS = ("text", "long_text", "date", "timestamp")
KINDS = (*STRING_KINDS, "code", "research_field", "name", "money", "person", "keywords",
         "persons")
_FIXED_SHAPE = ("money", "person", "keywords", "persons")
# Free text this long keeps its line breaks; shorter strings are single lines.
_LONG_TEXT = 20000
_END_DATES = {"end_date"}


@dataclass(frozen=True)
class Target:
    """One national field: its dotted path, default transform and, for codes, the code list."""

    path: str
    kind: str
    code_list: str | None = None
    partial: str = "start"          # how a month or a year alone becomes a day

    def kinds(self) -> tuple[str, ...]:
        """The transforms this field accepts, its default first."""
        if self.kind in _FIXED_SHAPE:
            return (self.kind,)
        extra = ("code",) if self.code_list else ()
        return tuple(dict.fromkeys((self.kind, *extra, *STRING_KINDS)))


def _kind(spec: FieldSpec) -> str | None:
    if spec.path == "principal_investigator":
        return "person"
    if spec.json_type == "object":
        return None                 # written through its parts
    if spec.json_type == "array":
        return "persons" if spec.path == "participants" else "keywords"
    if spec.json_type == "integer":
        return "money"
    if spec.code_list:
        return "code"
    if spec.check == "field_code":
        return "research_field"
    if spec.check in ("date", "timestamp"):
        return spec.check
    if spec.check == "person_name":
        return "name"
    if spec.max_length and spec.max_length >= _LONG_TEXT:
        return "long_text"
    return "text"


def _targets(prefix: str) -> dict[str, Target]:
    found: dict[str, Target] = {}
    for spec in FIELDS:
        if spec.path in ("schema_version", "local_id") or spec.path.endswith("[]"):
            continue
        inside = spec.path.startswith(prefix) if prefix else "[]" not in spec.path
        kind = _kind(spec)
        if not inside or kind is None:
            continue
        path = spec.path[len(prefix):]
        found[path] = Target(path, kind, spec.code_list,
                             "end" if spec.path in _END_DATES else "start")
    return found


# In record order, which is also the key order of the records we build.
TARGETS: dict[str, Target] = _targets("")
# The keys of one `participants` item, addressed inside `item = {...}`.
PARTICIPANT_TARGETS: dict[str, Target] = _targets("participants[].")

# What to say (English, Vietnamese) when a mapping names a field that is not written directly.
RESERVED = {
    "schema_version": ("is set by the service", "do dịch vụ tự đặt"),
    "local_id": ("is built from [mapping] namespace and the record id",
                 "được tạo từ [mapping] namespace và mã bản ghi"),
}
OBJECTS: dict[str, tuple[str, ...]] = {
    spec.path: tuple(t.removeprefix(spec.path + ".") for t in TARGETS
                     if t.startswith(spec.path + "."))
    for spec in FIELDS if spec.json_type == "object" and "[]" not in spec.path
    and spec.path not in TARGETS
}

# The keys a name such as "PGS.TS. Nguyễn Văn A" fills in each kind of person object.
PRINCIPAL_KEYS = ("full_name", "academic_title", "degree", "gender")
PARTICIPANT_KEYS = tuple(k for k in PRINCIPAL_KEYS if k in PARTICIPANT_TARGETS)
