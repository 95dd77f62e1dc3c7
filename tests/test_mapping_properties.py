"""map_record is total, deterministic and idempotent: any payload gives a result, never a raise."""

from __future__ import annotations

from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from schemas.mapping import Mapping, map_record, parse_mapping
from schemas.mapping.targets import TARGETS

# Every national field, each read from a column named after it, so that mapping a record's
# own values again must give the same record.
IDENTITY_FIELDS = "\n".join(
    f'"{path}" = "{path}"' for path, t in TARGETS.items() if t.kind not in ("person", "persons")
) + (
    '\nparticipants = { from = "participants", split = ";", item = { full_name = "full_name", '
    'degree = "degree", organization = "organization", role = "role" } }\n'
)
IDENTITY: Mapping = parse_mapping(
    '[mapping]\nschema_version = "1"\nnamespace = "p"\n[fields]\n' + IDENTITY_FIELDS, name="id.toml"
)

# The same fields read the other ways a mapping can: JSON paths, concat, labels, defaults.
PATHS: Mapping = parse_mapping(
    """
[mapping]
schema_version = "1"
namespace = "p"
decimal_separator = "."
[fields]
title = { concat = ["$.a", "title", "$.b.c"], sep = " - " }
task_type = { from = "$.b.c", labels = { "X" = "other" }, default = "other" }
principal_investigator = "$.a"
participants = { from = "$.list[*]", item = { full_name = "$.a", degree = "$.b.c" } }
keywords = { from = "$..c", split = "," }
start_date = { from = "$.list[0]", partial = "end" }
"budget.total_vnd" = { from = "$.b", unit = "tỷ" }
""",
    name="paths.toml",
)

# The transforms that read one cell into two fields: a period's ends, a unit and its person,
# a start date and a duration.
SPLITS: Mapping = parse_mapping(
    """
[mapping]
schema_version = "1"
namespace = "p"
[fields]
start_date = { from = "a", period = "start" }
end_date = { from = "a", period = "end" }
"acceptance.date" = { concat = ["b", "c"], period = "end" }
"host_organization.name" = { from = "c", part = "organization" }
principal_investigator = { from = "c", part = "person" }
"budget.total_vnd" = { from = "b", unit = "triệu" }
""",
    name="splits.toml",
)

COLUMNS = [*IDENTITY.source_columns(), "a", "b", "c", "list", "full_name", "degree"]

ZONES = st.sampled_from(
    [None, timezone.utc, timezone(timedelta(hours=7)), timezone(timedelta(seconds=-30))]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.sampled_from(
        [
            "",
            "-",
            "31/02/2023",
            "tháng 4/2023",
            "1,25 tỷ",
            "PGS.TS. Nguyễn Văn A",
            "Đã nghiệm thu",
            "Khá",
            "2023",
            "45017",
            "a;b;;a",
            "Ông",
            "\ud800",
            "01/2023 - 12/2024",
            "2023-2021",
            "09 tháng",
            "01/03/2023 9 tháng",
            "Quý III/2024",
            "Viện Lúa\nKS. Nguyễn Văn A",
            "Trường ĐH X - TS. Lê B",
            "1 tỷ 250 triệu",
            "1,250",
            "Tiến sĩ Hà C",
        ]
    ),
    st.decimals(allow_nan=True),
    st.dates(),
    st.datetimes(timezones=ZONES),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(COLUMNS) | st.text(max_size=5), inner, max_size=3),
    ),
    max_leaves=8,
)
payloads = st.dictionaries(st.sampled_from(COLUMNS) | st.text(max_size=8), values, max_size=12)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(payloads, st.text(max_size=40) | st.integers())
def test_map_record_never_raises_and_is_deterministic(
    payload: dict[str, Any], record_id: Any
) -> None:
    for mapping in (IDENTITY, PATHS):
        first = map_record(mapping, payload, record_id)
        again = map_record(mapping, payload, record_id)
        assert repr(first) == repr(again)
        assert first.record["schema_version"] == "1"
        assert all(p.code != "mapping_failed" for p in first.problems), first.problems
        assert all(p.message_vi and p.message_en for p in first.problems)
        _assert_no_empties(first.record)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(payloads)
def test_one_cell_into_two_fields_is_total_and_idempotent(payload: dict[str, Any]) -> None:
    first = map_record(SPLITS, payload, "r1")
    assert repr(first) == repr(map_record(SPLITS, payload, "r1"))
    assert all(p.code != "mapping_failed" for p in first.problems), first.problems
    assert all(p.message_vi and p.message_en for p in first.problems)
    _assert_no_empties(first.record)
    record = first.record
    if "start_date" in record and "end_date" in record:
        assert record["start_date"] <= record["end_date"]
    # what the splits wrote reads back as itself, field by field
    again = map_record(IDENTITY, _flatten(record), "r1")
    assert again.record == record
    assert again.problems == []


@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.integers())))
def test_a_payload_that_is_not_an_object_is_a_problem(payload: Any) -> None:
    result = map_record(IDENTITY, payload, "1")
    assert [p.code for p in result.problems] == ["bad_type"]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(payloads)
# A stray control byte beside a Latin-1 symbol: "µ" alone reads as TCVN3 "à", "\x17µ" does not.
@example(payload={"keywords": "\x17µ"})
def test_mapping_is_idempotent(payload: dict[str, Any]) -> None:
    first = map_record(IDENTITY, payload, "r1").record
    second = map_record(IDENTITY, _flatten(first), "r1")
    assert second.record == first
    assert second.problems == []


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    """A record's values as a payload for the identity mapping."""
    flat: dict[str, Any] = dict.fromkeys(IDENTITY.source_columns())
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        elif key == "participants":
            flat[key] = value
        else:
            flat[key] = value
    return flat


def _assert_no_empties(node: Any) -> None:
    if isinstance(node, dict):
        assert node, "an empty object was kept"
        for value in node.values():
            _assert_no_empties(value)
    elif isinstance(node, list):
        assert node, "an empty list was kept"
        for value in node:
            _assert_no_empties(value)
    else:
        assert node is not None and node != ""
        assert not isinstance(node, (float, Decimal))
