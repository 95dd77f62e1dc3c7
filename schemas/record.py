"""The national S&T task record, version 1: its field table, patterns and typed shape."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypedDict

SCHEMA_VERSION = "1"

# The largest integer every JSON reader holds exactly (and the bound of RFC 8785 numbers).
MAX_SAFE_INTEGER = 2**53 - 1

# Patterns are written in the subset shared by Python `re` and ECMA-262, so that the JSON
# Schema says the same as `validate`; Python code matches them with `re.fullmatch`.
LOCAL_ID_PATTERN = "^[A-Za-z0-9._:/-]+$"
TITLE_PATTERN = r"^\S+(?: \S+)*$"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIMESTAMP_PATTERN = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.][0-9]+)?"
    "(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
EMAIL_PATTERN = r"^[^@\s]+@[^@\s.]+(?:[.][^@\s.]+)+$"
# "PGS.TS. Nguyễn Văn A": a title or degree written into the name instead of its own field.
TITLED_NAME_PATTERN = (
    r"^(?:GS|PGS|TSKH|TS|ThS|Ths|BSCKII|BSCKI|BSCK|BS|CN|KS|DS|KTS|NCS)\s*[.]"
    r"|^(?:GS|PGS|TSKH|TS|ThS)\s"
)

# Statuses that mean the task went through acceptance, and the one that also registered it.
STATUSES_WITH_ACCEPTANCE = ("accepted", "result_registered")
STATUS_WITH_REGISTRATION = "result_registered"

JsonType = Literal["string", "integer", "object", "array"]


@dataclass(frozen=True)
class FieldSpec:
    """One row of the field table. `path` is generic (`participants[].full_name`); `required`
    holds inside the parent object; `max_length` counts characters, or items for arrays;
    `check` names a value rule beyond type and length (see `validate`)."""

    path: str
    json_type: JsonType
    required: bool
    label_vi: str
    label_en: str
    max_length: int | None = None
    code_list: str | None = None
    check: str | None = None

    @property
    def parent(self) -> str:
        """The generic path of the object or array holding this field ("" for the record)."""
        if self.path.endswith("[]"):
            return self.path[:-2]
        return self.path.rpartition(".")[0]

    @property
    def key(self) -> str:
        return self.path.rpartition(".")[2]


def _f(path: str, json_type: JsonType, required: bool, vi: str, en: str,  # noqa: PLR0917
       max_length: int | None = None, *, code_list: str | None = None,
       check: str | None = None) -> FieldSpec:
    return FieldSpec(path, json_type, required, vi, en, max_length, code_list, check)


_S: JsonType = "string"
_I: JsonType = "integer"
_O: JsonType = "object"
_A: JsonType = "array"

FIELDS: tuple[FieldSpec, ...] = (
    _f("schema_version", _S, True, "phiên bản lược đồ", "schema version", check="schema_version"),
    _f("local_id", _S, True, "mã hồ sơ nội bộ", "internal record id", 128, check="local_id"),
    _f("task_code", _S, False, "mã số nhiệm vụ", "task code", 100),
    _f("title", _S, True, "tên nhiệm vụ", "task title", 2000, check="title"),
    _f("task_type", _S, True, "loại hình nhiệm vụ", "task type", code_list="task_type"),
    _f("management_level", _S, True, "cấp quản lý", "management level",
       code_list="management_level"),
    _f("field", _O, True, "lĩnh vực KH&CN", "S&T field"),
    _f("field.scheme", _S, True, "bảng phân loại lĩnh vực KH&CN", "S&T field scheme",
       check="field_scheme"),
    _f("field.code", _S, True, "mã lĩnh vực KH&CN", "S&T field code", check="field_code"),
    _f("socio_economic_objective", _S, False, "mục tiêu KT-XH", "socio-economic objective",
       check="socio_economic_objective"),
    _f("activity_type", _S, False, "dạng hoạt động", "activity type", check="activity_type"),
    _f("host_organization", _O, True, "tổ chức chủ trì", "host organisation"),
    _f("host_organization.name", _S, True, "tên tổ chức chủ trì", "host organisation name"),
    _f("host_organization.address", _S, False, "địa chỉ tổ chức chủ trì",
       "host organisation address"),
    _f("host_organization.phone", _S, False, "điện thoại tổ chức chủ trì",
       "host organisation phone"),
    _f("host_organization.email", _S, False, "thư điện tử tổ chức chủ trì",
       "host organisation email", check="email"),
    _f("host_organization.tax_code", _S, False, "mã số thuế tổ chức chủ trì",
       "host organisation tax code"),
    _f("governing_agency", _S, False, "cơ quan chủ quản", "governing agency"),
    _f("principal_investigator", _O, True, "chủ nhiệm nhiệm vụ", "principal investigator"),
    _f("principal_investigator.full_name", _S, True, "họ và tên chủ nhiệm nhiệm vụ",
       "principal investigator's full name", check="person_name"),
    _f("principal_investigator.academic_title", _S, False, "học hàm của chủ nhiệm nhiệm vụ",
       "principal investigator's academic title", code_list="academic_title"),
    _f("principal_investigator.degree", _S, False, "học vị của chủ nhiệm nhiệm vụ",
       "principal investigator's degree", code_list="degree"),
    _f("principal_investigator.gender", _S, False, "giới tính của chủ nhiệm nhiệm vụ",
       "principal investigator's gender", code_list="gender"),
    _f("principal_investigator.email", _S, False, "thư điện tử của chủ nhiệm nhiệm vụ",
       "principal investigator's email", check="email"),
    _f("principal_investigator.phone", _S, False, "điện thoại của chủ nhiệm nhiệm vụ",
       "principal investigator's phone"),
    _f("participants", _A, False, "cán bộ tham gia", "participants"),
    _f("participants[]", _O, True, "cán bộ tham gia", "participant"),
    _f("participants[].full_name", _S, True, "họ và tên cán bộ tham gia",
       "participant's full name", check="person_name"),
    _f("participants[].degree", _S, False, "học vị của cán bộ tham gia", "participant's degree",
       code_list="degree"),
    _f("participants[].organization", _S, False, "tổ chức công tác của cán bộ tham gia",
       "participant's organisation"),
    _f("participants[].role", _S, False, "vai trò của cán bộ tham gia", "participant's role"),
    _f("objectives", _S, False, "mục tiêu", "objectives", 20000),
    _f("summary", _S, False, "nội dung chính / tóm tắt", "main content / summary", 20000),
    _f("expected_products", _S, False, "sản phẩm dự kiến", "expected products", 20000),
    _f("keywords", _A, False, "từ khoá", "keywords", 20, check="distinct"),
    _f("keywords[]", _S, True, "từ khoá", "keyword"),
    _f("approval", _O, False, "quyết định phê duyệt", "approval decision"),
    _f("approval.decision_number", _S, False, "số quyết định phê duyệt",
       "approval decision number"),
    _f("approval.decision_date", _S, False, "ngày quyết định phê duyệt",
       "approval decision date", check="date"),
    _f("start_date", _S, True, "thời gian bắt đầu", "start date", check="date"),
    _f("end_date", _S, True, "thời gian kết thúc", "end date", check="date"),
    _f("budget", _O, True, "kinh phí", "budget"),
    _f("budget.total_vnd", _I, True, "tổng kinh phí", "total budget", check="amount"),
    _f("budget.state_budget_vnd", _I, False, "kinh phí từ ngân sách nhà nước",
       "state budget share", check="amount"),
    _f("budget.other_vnd", _I, False, "kinh phí từ nguồn khác", "funding from other sources",
       check="amount"),
    _f("funding_method", _S, False, "phương thức khoán chi", "funding method",
       code_list="funding_method"),
    _f("status", _S, True, "tình trạng", "status", code_list="status"),
    _f("acceptance", _O, False, "nghiệm thu", "acceptance"),
    _f("acceptance.date", _S, True, "ngày nghiệm thu", "acceptance date", check="date"),
    _f("acceptance.rating", _S, True, "kết quả xếp loại nghiệm thu", "acceptance rating",
       code_list="rating"),
    _f("result_registration", _O, False, "đăng ký kết quả", "result registration"),
    _f("result_registration.certificate_number", _S, True,
       "số giấy chứng nhận đăng ký kết quả", "result registration certificate number"),
    _f("result_registration.date", _S, True, "ngày cấp giấy chứng nhận đăng ký kết quả",
       "result registration date", check="date"),
    _f("result_registration.issuer", _S, False, "cơ quan cấp giấy chứng nhận đăng ký kết quả",
       "result registration issuer"),
    _f("source_updated_at", _S, False, "thời điểm cập nhật tại nguồn", "last update at the source",
       check="timestamp"),
)

FIELD_BY_PATH: dict[str, FieldSpec] = {f.path: f for f in FIELDS}


def _children() -> dict[str, tuple[FieldSpec, ...]]:
    children: dict[str, list[FieldSpec]] = {}
    for f in FIELDS:
        if not f.path.endswith("[]"):
            children.setdefault(f.parent, []).append(f)
    return {parent: tuple(specs) for parent, specs in children.items()}


# Members of each object by its generic path; "" is the record itself.
CHILDREN: dict[str, tuple[FieldSpec, ...]] = _children()

# JSON path -> (Vietnamese label, English label), for messages; see `field_label` for indices.
FIELD_LABELS: dict[str, tuple[str, str]] = {f.path: (f.label_vi, f.label_en) for f in FIELDS}

_INDEX = re.compile(r"\[[0-9]+\]")


def generic_path(path: str) -> str:
    """`participants[2].full_name` -> `participants[].full_name`."""
    return _INDEX.sub("[]", path)


def field_label(path: str) -> tuple[str, str] | None:
    """The labels of a concrete JSON path such as `participants[2].full_name`."""
    return FIELD_LABELS.get(generic_path(path))


# The record's typed shape. Written with total=False subclasses so that Python 3.10 can
# express optional keys without typing_extensions.

class ResearchFieldRef(TypedDict):
    scheme: str
    code: str


class _HostOrganizationRequired(TypedDict):
    name: str


class HostOrganization(_HostOrganizationRequired, total=False):
    address: str
    phone: str
    email: str
    tax_code: str


class _PersonRequired(TypedDict):
    full_name: str


class PrincipalInvestigator(_PersonRequired, total=False):
    academic_title: str
    degree: str
    gender: str
    email: str
    phone: str


class Participant(_PersonRequired, total=False):
    degree: str
    organization: str
    role: str


class Approval(TypedDict, total=False):
    decision_number: str
    decision_date: str


class _BudgetRequired(TypedDict):
    total_vnd: int


class Budget(_BudgetRequired, total=False):
    state_budget_vnd: int
    other_vnd: int


class Acceptance(TypedDict):
    date: str
    rating: str


class _ResultRegistrationRequired(TypedDict):
    certificate_number: str
    date: str


class ResultRegistration(_ResultRegistrationRequired, total=False):
    issuer: str


class _TaskRecordRequired(TypedDict):
    schema_version: Literal["1"]
    local_id: str
    title: str
    task_type: str
    management_level: str
    field: ResearchFieldRef
    host_organization: HostOrganization
    principal_investigator: PrincipalInvestigator
    start_date: str
    end_date: str
    budget: Budget
    status: str


class TaskRecord(_TaskRecordRequired, total=False):
    """A national record v1 as sent in a request body (the province code is in the URL)."""

    task_code: str
    socio_economic_objective: str
    activity_type: str
    governing_agency: str
    participants: list[Participant]
    objectives: str
    summary: str
    expected_products: str
    keywords: list[str]
    approval: Approval
    funding_method: str
    acceptance: Acceptance
    result_registration: ResultRegistration
    source_updated_at: str
