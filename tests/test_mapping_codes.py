"""Coded fields: the mapping's own labels first, then the code list; unknown labels are named."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from schemas.codelists import fold
from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.codes import to_code

TASK_TYPE = Options(
    path="task_type", mapping_name="mappings/qlkh.toml", code_list="task_type",
    labels=MappingProxyType({fold("ĐT cấp tỉnh"): "research_topic"}),
    loose_labels=MappingProxyType({fold("ĐT cấp tỉnh", accents=False): "research_topic"}),
)
RATING = Options(path="acceptance.rating", mapping_name="m.toml", code_list="rating")
DEGREE = Options(path="principal_investigator.degree", mapping_name="m.toml", code_list="degree")


@pytest.mark.parametrize(("value", "opts", "expected"), [
    pytest.param("ĐT cấp tỉnh", TASK_TYPE, "research_topic", id="mapping-label"),
    pytest.param("  đt   CẤP TỈNH ", TASK_TYPE, "research_topic", id="mapping-label-folded"),
    pytest.param("DT cap tinh", TASK_TYPE, "research_topic", id="mapping-label-no-marks"),
    pytest.param("Đề tài", TASK_TYPE, "research_topic", id="code-list-label"),
    pytest.param("Dự án SXTN", TASK_TYPE, "pilot_production_project", id="code-list-synonym"),
    pytest.param("research_topic", TASK_TYPE, "research_topic", id="code-itself"),
    pytest.param("Khá", RATING, "good", id="kha-is-never-folded"),
    pytest.param("Đạt", RATING, "pass", id="dat"),
    pytest.param("Tiến sỹ", DEGREE, "TS", id="degree-synonym"),
    pytest.param("", RATING, None, id="empty"),
])
def test_codes_read(value: str, opts: Options, expected: str | None) -> None:
    assert to_code(value, opts) == expected


@pytest.mark.parametrize(("value", "opts"), [
    pytest.param("Đề tài cấp tỉnh loại A", TASK_TYPE, id="unknown-task-type"),
    pytest.param("Trung bình", RATING, id="unknown-rating"),
    pytest.param(3, RATING, id="number"),
])
def test_unknown_label_is_named_with_a_hint(value: object, opts: Options) -> None:
    with pytest.raises(Refused) as err:
        to_code(value, opts)
    problem = err.value
    assert problem.code == "unknown_label"
    assert problem.value == str(value)
    for message in (problem.reason_en, problem.reason_vi):
        assert opts.path in message
        assert opts.mapping_name in message
        assert f'labels = {{ "{value}"' in message
        assert opts.code_list is not None and opts.code_list in message
