"""Mapping files: how one source's records become national records v1, declared in TOML.

An admin writes one file per source. Its whole format::

    [mapping]
    schema_version = "1"          # required; the version of this format and of the record
    namespace = "qlkh"            # required; local_id = "qlkh:" + the source's record id
    decimal_separator = ","       # how amounts write decimals: "," (default) or "."
    two_digit_year_pivot = 50     # d/m/yy: yy < pivot -> 20yy, else 19yy (default 50)
    research_field_scheme = "by_date"   # or "qd12_2008" / "tt24_2025" for every record
    tt24_2025_from = 2025-12-15   # by_date: tasks dated from this day use Circular 24/2025

    [fields]                      # national field (dotted path) = where its value comes from
    title = "Tên nhiệm vụ"                          # a column, or a JSON path when it starts with $
    task_code = { from = "Mã số" }
    task_type = { from = "Loại hình", labels = { "ĐT cấp tỉnh" = "research_topic" } }
    management_level = { from = "$.cap_quan_ly.ten" }
    "field.code" = "Lĩnh vực"                       # "10101", "Toán học cơ bản", or both
    principal_investigator = { from = "Chủ nhiệm" }         # "PGS.TS. Nguyễn Văn A" -> parts
    end_date = { from = "Thời gian kết thúc" }              # "tháng 12/2024" -> 2024-12-31
    "budget.total_vnd" = { from = "Tổng kinh phí (triệu đồng)", unit = "triệu" }
    summary = { concat = ["Mục tiêu", "Nội dung"], sep = "\\n" }
    keywords = { from = "Từ khoá", split = ";" }
    participants = { from = "$.thanh_vien[*]",
                     item = { full_name = "$.ho_ten", degree = "$.hoc_vi" } }
    "acceptance.rating" = { from = "Xếp loại", default = "pass" }

Dotted national fields may be quoted (`"budget.total_vnd" = ...`) or written as TOML nesting
(`budget.total_vnd = ...`, `[fields.budget]`); both mean the same.

Each field takes exactly one of `from` (a column or `$` path), `const` (a fixed value) or
`concat` (a list of columns or paths joined by `sep`, empty parts skipped; `sep` defaults to a
newline for long text, a space otherwise), or `xpath` (below). Further options:

- `default`: the value when the source cell is empty (never when it holds something unreadable).
- `transform`: read the field another way than its type says, keeping the JSON shape
  (`text`, `long_text`, `date`, `timestamp`; `code` on coded fields).
- `labels` (coded fields): the source's own labels -> codes, tried before the code list.
- `partial` (dates): `"start"` or `"end"`; a month, quarter or year alone becomes its first
  or its last day. `end_date` defaults to "end", every other date to "start".
- `period` (dates): `"start"` or `"end"`; the cell holds a whole period ("01/2023 - 12/2024",
  "2023-2025", "Quý III/2024", a start and "09 tháng") and this field takes that end; it does
  not go with `partial`. The forms and the duration rule are in
  `schemas.mapping.transforms.periods`.
- `part` (text, name, person): `"organization"` or `"person"`, for a cell holding the host unit
  and then the investigator ("Viện X" on one line, "KS. Nguyễn Văn A" on the next).
- `unit` (amounts): what a bare number counts: đồng, nghìn, triệu or tỷ.
- `split` (keywords, participants): a separator between items besides line breaks.
- `item` (participants): a table of the participant's keys (full_name, degree,
  organization, role), each read from the participant object like a field.

`field.code` reads a code ("10101", "1.01.01"), a Decision 12/2008 name at any level, both
("10101 - Toán học cơ bản", which must agree) or a path of them on several lines; see
`schemas.mapping.transforms.fields`. Without a `field.scheme` line the scheme is `tt24_2025` for
7-digit codes, else `research_field_scheme`, whose default `by_date` compares the approval
decision date (else the start date) with `tt24_2025_from`. A name under `tt24_2025` is refused.

Columns are matched to the payload's keys exactly, then ignoring case, spacing and Unicode
form, then ignoring tone marks. A column missing from the payload is a `missing_column`
problem on every record; a `$` path that finds nothing is just an empty value.

Amounts: with both "." and "," the last one is the decimal mark; a single separator followed by
exactly three digits groups thousands when it is not the decimal mark ("1.250" is 1250 when
`decimal_separator` is ","), and when it is ("1,250") the amount reads two ways and is refused as
`ambiguous_amount`; any other single separator is the decimal mark; repeated separators group
thousands. Units in the text (đồng, đ, VNĐ, nghìn, ngàn, triệu, tr, tỷ, tỉ) win over `unit`, and
compound amounts ("1 tỷ 250 triệu") add up, their units falling.

Dates are read day first. An impossible date (31/02/2023) is a `bad_date` problem, one that can
be read two ways ("05/04", "01/2023 - 12/2024") an `ambiguous_date` problem; neither is guessed.
A whole number from 1945 to 2100 in a date cell is a year; other numbers are Excel day numbers.

XPath fields read records whose payload holds their XML under "_xml" (the xml connector's)::

    [namespaces]                  # the prefixes the paths use; XPath 1.0 has no default one
    q = "urn:so-khcn:nhiem-vu"
    [fields]
    title = { xpath = "q:TenNhiemVu" }              # relative to the record element
    task_code = "xpath:q:MaSo"                      # the short form; also in from and concat
    "field.code" = "xpath:q:LinhVuc/@ma"            # attributes and string() results are text
    keywords = { xpath = "q:TuKhoa/q:Tu" }          # several nodes -> a list
    participants = { xpath = "q:ThanhVien", item = { full_name = "q:HoTen", degree = "q:HocVi" } }

Inside `item` under an XPath, plain paths are XPaths from each node. A node's value is its text,
each line trimmed and spaces collapsed; every option and transform then applies as to a column.
Paths are compiled and tried when the file is loaded, so a path that does not compile or uses an
undeclared prefix is a MappingConfigError. A record without readable XML is one `missing_xml`,
`bad_xml` or `bad_type` problem at "$"; its XPath fields read nothing. The XML is parsed without
DTDs, entity expansion or network access, and one that declares entities is refused.

How record ids become `local_id` is documented in `schemas.mapping.transforms.ids`.
"""

from schemas.mapping.errors import MappingConfigError
from schemas.mapping.mapper import MapResult, map_record
from schemas.mapping.spec import Mapping, load_mapping, parse_mapping

__all__ = ["MapResult", "Mapping", "MappingConfigError", "load_mapping", "map_record",
           "parse_mapping"]
