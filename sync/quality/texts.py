"""Every word of the data-quality report, in Vietnamese and English (`sync.texts` describes the
catalogs; what `stisync validate` prints around the report is in `stisync.texts`).

The report is read by the people who keep the source data, so Vietnamese is the default and
English is there for a reader who asks for it (`--lang en`).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sync.texts import Catalog, pick

# key -> (Vietnamese, English); `{name}` placeholders are filled by `t`.
_TEXTS: Catalog = {
    "title": ("Báo cáo chất lượng dữ liệu", "Data-quality report"),
    "source": ("Nguồn", "Source"),
    "location": ("Tệp / địa chỉ", "File / address"),
    "generated": ("Lập lúc", "Made at"),
    "accepted_share": (
        "bản ghi sẽ được cơ sở dữ liệu quốc gia chấp nhận",
        "of the records would be accepted by the national database",
    ),
    "accepted_of": (
        "{accepted} trên {read} bản ghi đọc được; {rejected} bản ghi có lỗi cần sửa",
        "{accepted} of {read} records read; {rejected} records have problems to fix",
    ),
    "deleted": (
        "{n} bản ghi được đánh dấu đã xoá (không tính)",
        "{n} records are marked deleted (not counted)",
    ),
    "no_records": ("Nguồn không có bản ghi nào.", "The source has no records."),
    "converted": (
        "{cells} ô được gõ bằng bảng mã cũ ({found}) được đọc và gửi đi bằng Unicode",
        "{cells} cells typed in an old font encoding ({found}) are read and sent as Unicode",
    ),
    "incomplete": (
        "Nguồn chưa được đọc hết: {error}. Các con số dưới đây chỉ tính phần đã đọc.",
        "The source was not read to its end: {error}. The figures below count only what was read.",
    ),
    "missing_columns": (
        "Tệp ánh xạ đọc những cột mà nguồn không có: {columns}.",
        "The mapping reads columns the source does not have: {columns}.",
    ),
    "summary": ("Tóm tắt theo loại lỗi", "Summary by kind of problem"),
    "problems": ("Danh sách lỗi", "Problems"),
    "how_to": (
        "Mỗi dòng là một lỗi: mở tệp nguồn, tìm ô theo trang tính, dòng và cột, sửa giá trị "
        "theo nội dung lỗi, rồi chạy lại kiểm tra. Lỗi “nhãn không có trong danh mục” cũng có "
        "thể do quản trị viên thêm nhãn vào tệp ánh xạ.",
        "Each row is one problem: open the source file, find the cell by sheet, row and column, "
        "correct the value as the message says, and run the check again. A “label not in the "
        "code list” can also be fixed by the admin adding the label to the mapping file.",
    ),
    "omitted": (
        "… và {n} lỗi khác không được liệt kê (báo cáo giữ tối đa {cap} lỗi); số đếm ở bảng "
        "tóm tắt là đầy đủ.",
        "… and {n} more problems not listed (the report keeps at most {cap}); the counts in "
        "the summary are complete.",
    ),
    "none_found": ("Không có lỗi nào.", "No problems found."),
    # Column headings of the summary table.
    "col_code": ("Mã lỗi", "Code"),
    "col_kind": ("Loại lỗi", "Kind of problem"),
    "col_count": ("Số lỗi", "Count"),
    "col_example": ("Ví dụ", "Example"),
    # Column headings of the problem table.
    "col_sheet": ("Trang tính", "Sheet"),
    "col_row": ("Dòng", "Row"),
    "col_column": ("Cột", "Column"),
    "col_header": ("Tên cột", "Column name"),
    "col_record": ("Mã hồ sơ", "Record id"),
    "col_value": ("Giá trị gốc", "Original value"),
    "col_field": ("Trường quốc gia", "National field"),
    "col_message": ("Nội dung lỗi", "Message"),
    "col_where": ("Vị trí trong nguồn", "Place in the source"),
    # Sheet names of the workbook report.
    "sheet_summary": ("Tóm tắt", "Summary"),
    "sheet_problems": ("Lỗi", "Problems"),
    "err_config": ("lỗi cấu hình", "configuration error"),
    "err_source": ("không đọc được nguồn", "cannot read the source"),
    "err_format": (
        "không biết định dạng báo cáo “{suffix}” của {path}; dùng .xlsx, .html hoặc .csv",
        "unknown report format “{suffix}” of {path}; use .xlsx, .html or .csv",
    ),
    "err_overwrite": (
        "{path} là tệp dữ liệu của chính nguồn này; hãy ghi báo cáo vào một tệp khác",
        "{path} is this source's own data file; write the report to another file",
    ),
    "none": ("—", "—"),
}

# code -> (Vietnamese, English): what a kind of problem means, for the summary table. Codes
# not listed here are shown with the message of their first example.
CODES: Catalog = {
    "required": ("Thiếu thông tin bắt buộc", "A required value is missing"),
    "conditional_required": (
        "Thiếu thông tin bắt buộc với tình trạng của nhiệm vụ",
        "A value the task's status requires is missing",
    ),
    "bad_date": (
        "Ngày không đọc được hoặc không có thật",
        "A date that cannot be read or does not exist",
    ),
    "ambiguous_date": (
        "Ngày đọc được nhiều cách (ghi rõ ngày, tháng, năm)",
        "A date that reads more than one way (write day, month and year)",
    ),
    "date_order": ("Ngày kết thúc trước ngày bắt đầu", "The end date is before the start date"),
    "bad_format": ("Giá trị sai định dạng", "A value in the wrong format"),
    "bad_type": ("Giá trị sai kiểu (cần một văn bản, số hoặc ngày)", "A value of the wrong kind"),
    "bad_amount": ("Số tiền không đọc được", "An amount that cannot be read"),
    "ambiguous_amount": (
        "Số tiền đọc được hai cách (dấu phân cách không rõ)",
        "An amount that reads two ways (an unclear separator)",
    ),
    "sum_mismatch": (
        "Các khoản kinh phí lớn hơn tổng kinh phí",
        "The parts of the budget exceed the total",
    ),
    "bad_name": ("Họ tên không đọc được", "A person's name that cannot be read"),
    "unknown_label": (
        "Nhãn không có trong danh mục (sửa trong tệp nguồn, hoặc thêm vào tệp ánh xạ)",
        "A label not in the code list (fix it in the source, or add it to the mapping file)",
    ),
    "unknown_code": ("Mã không có trong danh mục quốc gia", "A code not in the national code list"),
    "too_long": ("Văn bản quá dài", "Text that is too long"),
    "not_nfc": ("Văn bản chưa chuẩn hoá Unicode (NFC)", "Text not in Unicode NFC form"),
    "missing_column": (
        "Nguồn thiếu cột mà tệp ánh xạ khai báo",
        "The source lacks a column that the mapping reads",
    ),
    "duplicate_id": (
        "Mã hồ sơ bị trùng (chỉ bản đầu tiên được gửi)",
        "A record id that occurs more than once (only the first is sent)",
    ),
    "many_values": ("Nhiều giá trị ở chỗ chỉ cần một", "Several values where one is expected"),
    "unknown_field": (
        "Trường không có trong bản ghi quốc gia",
        "A field the national record lacks",
    ),
    "mapping_failed": ("Lỗi nội bộ khi ánh xạ", "An internal error while mapping"),
    "empty": ("Giá trị để trống", "An empty value"),
    "missing_xml": ("Bản ghi nguồn không có XML để đọc", "The source record has no XML to read"),
    "bad_xml": ("XML của bản ghi không đọc được", "The record's XML cannot be read"),
    "bad_field_code": (
        "Mã lĩnh vực KH&CN sai số chữ số (cần 1, 3, 5 hoặc 7)",
        "An S&T field code with the wrong number of digits (1, 3, 5 or 7)",
    ),
    "unknown_research_field": (
        "Lĩnh vực KH&CN không có trong QĐ 12/2008 (sửa tên hoặc ghi mã)",
        "An S&T field not in Decision 12/2008 (correct the name or write the code)",
    ),
    "ambiguous_research_field": (
        "Tên lĩnh vực có ở nhiều cấp (ghi mã thay cho tên)",
        "A field name printed at several levels (write the code instead)",
    ),
    "research_field_mismatch": (
        "Mã và tên lĩnh vực KH&CN không khớp nhau",
        "An S&T field code that does not match the name beside it",
    ),
    "field_name_needs_code": (
        "Lĩnh vực ghi bằng tên cho nhiệm vụ theo Thông tư 24/2025 (cần ghi mã)",
        "A field given by name on a Circular 24/2025 task (write the code)",
    ),
}


def t(key: str, lang: str, **values: Any) -> str:
    """The report's text `key` in `lang` ("vi" or "en"), with its placeholders filled."""
    return pick(_TEXTS, key, lang, **values)


def code_text(code: str, lang: str) -> str | None:
    return pick(CODES, code, lang) if code in CODES else None


def share_text(share: float | None, lang: str) -> str:
    """83.3% in English, 83,3% in Vietnamese (a comma before the decimals); "—" for no records."""
    if share is None:
        return t("none", lang)
    text = f"{share * 100:.1f}".removesuffix(".0")
    return (text if lang == "en" else text.replace(".", ",")) + "%"


def value_text(value: Any) -> str:
    """A source value as its owner reads it in the sheet: dates as dd/mm/yyyy, whole floats
    without ".0", nothing for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y" if value.time() == time() else "%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
