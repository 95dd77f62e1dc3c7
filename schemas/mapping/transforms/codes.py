"""Coded fields: a province's own wording ("ĐT cấp tỉnh") as a national code ("research_topic")."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from schemas.codelists import code_list, fold
from schemas.mapping.errors import Refused, shown
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.text import clean


@lru_cache(maxsize=4096)
def _match(list_name: str, text: str) -> str | None:
    # A column holds a handful of distinct labels, repeated over thousands of rows.
    return code_list(list_name).match_label(text)


def to_code(value: Any, opts: Options) -> str | None:
    """The mapping's own `labels` first, then the code list's codes, labels and synonyms."""
    text = clean(value)
    if text is None:
        return None
    code = opts.labels.get(fold(text)) if opts.labels else None
    if code is None and opts.loose_labels:
        code = opts.loose_labels.get(fold(text, accents=False))
    if code is None and opts.code_list:
        code = _match(opts.code_list, text)
    if code is not None:
        return code
    raise unknown_label(text, opts)


def unknown_label(text: str, opts: Options) -> Refused:
    name = opts.code_list or "?"
    listed = ", ".join(code_list(name).codes()) if opts.code_list else ""
    label = shown(text, 40)
    return Refused(
        "unknown_label",
        f"nhãn không có trong danh mục {name} (mã: {listed}); thêm nhãn này vào labels của "
        f'{opts.path} trong tệp ánh xạ {opts.mapping_name}: labels = {{ "{label}" = "<mã>" }}',
        f"label not in code list {name} (codes: {listed}); add it under labels of "
        f'{opts.path} in mapping file {opts.mapping_name}: labels = {{ "{label}" = "<code>" }}',
        text,
    )
