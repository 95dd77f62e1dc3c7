"""Mapping files: the examples load; every mistake names the file, the key and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.mapping import Mapping, MappingConfigError, load_mapping, parse_mapping
from schemas.mapping.targets import TARGETS, Target

MAPPINGS = Path(__file__).parent / "data" / "mappings"
HEAD = '[mapping]\nschema_version = "1"\nnamespace = "qlkh"\n'


def parse(fields: str, head: str = HEAD) -> Mapping:
    return parse_mapping(f"{head}\n[fields]\n{fields}\n", name="mappings/qlkh.toml")


@pytest.mark.parametrize("name", ["qlkh.toml", "portal-api.toml"])
def test_example_mappings_load(name: str) -> None:
    mapping = load_mapping(MAPPINGS / name)
    assert mapping.namespace in ("qlkh", "portal")
    assert mapping.name.endswith(name)
    assert mapping.rules


def test_settings_and_defaults() -> None:
    mapping = parse('title = "Tên"')
    assert (mapping.decimal_separator, mapping.two_digit_year_pivot) == (",", 50)
    dotted = parse('title = "Tên"', HEAD + 'decimal_separator = "."\ntwo_digit_year_pivot = 30\n')
    assert (dotted.decimal_separator, dotted.two_digit_year_pivot) == (".", 30)


def test_dotted_keys_may_be_written_unquoted() -> None:
    quoted = parse('"budget.total_vnd" = "KP"\n"principal_investigator.degree" = "HV"')
    unquoted = parse('budget.total_vnd = "KP"\nprincipal_investigator.degree = "HV"')
    table = parse('title = "T"\n[fields.budget]\ntotal_vnd = "KP"')
    paths = [r.target.path for r in unquoted.rules]
    assert paths == [r.target.path for r in quoted.rules]
    assert paths == ["budget.total_vnd", "principal_investigator.degree"]
    assert [r.target.path for r in table.rules] == ["title", "budget.total_vnd"]
    with pytest.raises(MappingConfigError, match=r"\[fields\] budget.total_vnd: is mapped twice"):
        parse('"budget.total_vnd" = "A"\nbudget.total_vnd = "B"')


def test_source_columns_are_the_spreadsheet_columns_only() -> None:
    mapping = load_mapping(MAPPINGS / "qlkh.toml")
    columns = mapping.source_columns()
    assert {"Tên nhiệm vụ", "Mục tiêu", "Nội dung", "Chủ nhiệm"} <= columns
    assert not any(c.startswith("$") for c in columns)
    assert load_mapping(MAPPINGS / "portal-api.toml").source_columns() == set()


def test_missing_columns_tolerate_case_spacing_and_tone_placement() -> None:
    mapping = parse('title = "Tên nhiệm vụ"\nkeywords = "Từ khoá"\ntask_code = "Mã số"')
    assert mapping.missing_columns(["TÊN  NHIỆM VỤ", "Từ khóa", "Mã"]) == ["Mã số"]
    assert mapping.missing_columns([]) == ["Tên nhiệm vụ", "Từ khoá", "Mã số"]


BAD = [
    ("invalid-toml", 'title = "Tên', "mappings/qlkh.toml: is not valid TOML", "at line 6"),
    ("unknown-table", 'title = "x"\n[extra]\na = 1', "[extra]", "unknown table"),
    ("no-fields", "", "[fields]", "maps no field"),
    ("unknown-field", 'titel = "Tên"', "[fields] titel", "did you mean 'title'"),
    ("local-id-reserved", 'local_id = "Mã"', "[fields] local_id", "namespace"),
    ("object-field", 'budget = "Kinh phí"', "[fields] budget", "budget.total_vnd"),
    ("unknown-transform", 'start_date = { from = "Ngày", transform = "dat" }',
     "[fields] start_date", "unknown transform 'dat'"),
    ("transform-wrong-shape", 'title = { from = "Tên", transform = "money" }',
     "[fields] title", "does not fit title"),
    ("labels-on-text", 'title = { from = "Tên", labels = { "a" = "b" } }',
     "[fields] title", "labels only applies to code fields"),
    ("unit-on-date", 'start_date = { from = "Ngày", unit = "triệu" }',
     "[fields] start_date", "unit only applies to money fields"),
    ("unknown-option", 'title = { from = "Tên", defualt = "x" }',
     "[fields] title", "did you mean 'default'"),
    ("from-and-const", 'title = { from = "Tên", const = "x" }', "[fields] title",
     "exactly one of from, const or concat"),
    ("neither", 'title = { default = "x" }', "[fields] title", "exactly one"),
    ("sep-without-concat", 'title = { from = "Tên", sep = ";" }', "[fields] title",
     "sep only goes with concat"),
    ("empty-from", 'title = ""', "[fields] title", "a column name or a $ path"),
    ("bad-spec-type", "title = 5", "[fields] title", "must be a column name"),
    ("bad-json-path", 'title = "$.a[["', "[fields] title", "not a valid JSON path"),
    ("concat-not-list", 'summary = { concat = "Mục tiêu" }', "[fields] summary",
     "concat must be a list"),
    ("label-typo", 'task_type = { from = "Loại", labels = { "ĐT" = "research_topics" } }',
     "[fields] task_type labels 'ĐT'", "not a code of list task_type"),
    ("label-is-a-label", 'task_type = { from = "Loại", labels = { "ĐT" = "Đề tài" } }',
     "[fields] task_type labels 'ĐT'", 'did you mean "research_topic"'),
    ("labels-clash", 'status = { from = "TT", labels = { "Xong" = "accepted", " xong " = '
     '"terminated" } }', "[fields] status labels", "reads the same as another label"),
    ("unknown-unit", '"budget.total_vnd" = { from = "KP", unit = "USD" }',
     "[fields] budget.total_vnd", "unknown unit 'USD'"),
    ("bad-partial", 'end_date = { from = "Ngày", partial = "middle" }', "[fields] end_date",
     'partial must be "start" or "end"'),
    ("impossible-default", 'start_date = { from = "Ngày", default = "31/02/2023" }',
     "[fields] start_date", "default '31/02/2023': 31/2/2023 does not exist"),
    ("unknown-const-label", 'status = { const = "Xong rồi" }', "[fields] status",
     "const 'Xong rồi': label not in code list status"),
    ("empty-const", 'title = { const = "  " }', "[fields] title", "const '  ' is empty"),
    ("empty-split", 'keywords = { from = "Từ khoá", split = "" }', "[fields] keywords",
     "split must be a non-empty string"),
    ("default-on-list", 'keywords = { from = "Từ khoá", default = "x" }', "[fields] keywords",
     "not supported for list fields"),
    ("item-elsewhere", 'principal_investigator = { from = "CN", item = { full_name = "a" } }',
     "[fields] principal_investigator", "item only applies to persons fields"),
    ("item-unknown-key", 'participants = { from = "$.tv[*]", item = { name = "$.ten" } }',
     "[fields] participants item.name", "unknown national field 'name'"),
    ("item-not-table", 'participants = { from = "$.tv[*]", item = "x" }',
     "[fields] participants item", "item must be a table"),
]


@pytest.mark.parametrize(("fields", "key", "says"),
                         [pytest.param(f, k, s, id=i) for i, f, k, s in BAD])
def test_mapping_mistakes_name_file_and_key(fields: str, key: str, says: str) -> None:
    with pytest.raises(MappingConfigError) as err:
        parse(fields)
    message = str(err.value)
    assert message.startswith("mappings/qlkh.toml: ")
    assert key in message
    assert says in message


HEAD_BAD = [
    ("no-mapping-table", "", "[mapping]", "is required"),
    ("unknown-setting", HEAD + "namespaec = 'x'\n", "[mapping] namespaec",
     "did you mean 'namespace'"),
    ("no-namespace", '[mapping]\nschema_version = "1"\n', "[mapping] namespace", "is required"),
    ("bad-namespace", HEAD.replace("qlkh", "qlkh:2"), "[mapping] namespace", "'qlkh:2'"),
    ("wrong-version", HEAD.replace('"1"', '"2"'), "[mapping] schema_version", 'must be "1"'),
    ("bad-separator", HEAD + 'decimal_separator = ";"\n', "[mapping] decimal_separator",
     'must be "," or "."'),
    ("bad-pivot", HEAD + "two_digit_year_pivot = 150\n", "[mapping] two_digit_year_pivot",
     "0 to 100"),
]


@pytest.mark.parametrize(("head", "key", "says"),
                         [pytest.param(h, k, s, id=i) for i, h, k, s in HEAD_BAD])
def test_mapping_settings_mistakes(head: str, key: str, says: str) -> None:
    with pytest.raises(MappingConfigError) as err:
        parse('title = "Tên"', head)
    assert err.value.file == "mappings/qlkh.toml"
    assert key in str(err.value)
    assert says in str(err.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(MappingConfigError, match="cannot read the file"):
        load_mapping(tmp_path / "absent.toml")
    legacy = tmp_path / "legacy.toml"
    legacy.write_bytes(HEAD.encode() + "[fields]\ntitle = \"Tên\"\n".encode("utf-16"))
    with pytest.raises(MappingConfigError, match="is not UTF-8"):
        load_mapping(legacy)


def test_unmapped_required_fields_are_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    parse('title = "Tên"')
    assert "start_date" in caplog.text
    assert "mappings/qlkh.toml" in caplog.text


def test_a_code_list_the_service_lacks_stops_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(TARGETS, "status", Target("status", "code", "statuses"))
    with pytest.raises(MappingConfigError, match=r"\[fields\] status: unknown code list"):
        parse('status = "Tình trạng"')


SPECS = st.sampled_from([
    '"Tên"', '"$.a.b"', '"$.a[*]"', '"$["', '""', "1", "true", "[1, 2]", '{ from = "A" }',
    '{ const = "Đề tài" }', '{ const = 3 }', '{ concat = ["A", "$.b"], sep = "-" }',
    '{ from = "A", labels = { "x" = "accepted" } }', '{ from = "A", unit = "triệu" }',
    '{ from = "A", partial = "end" }', '{ from = "A", default = "01/2024" }',
    '{ from = "A", transform = "date" }', '{ from = "A", split = ";" }',
    '{ from = "$.t[*]", item = { full_name = "$.n", degree = { from = "$.d" } } }',
    '{ from = "A", item = { x = 1 } }', "{ }", '{ from = "A", labels = 5 }',
])
KEYS = st.sampled_from([*TARGETS, "budget", "local_id", "field", "x", '"a.b"', "titel"])


@given(st.lists(st.tuples(KEYS, SPECS), max_size=6, unique_by=lambda kv: kv[0]))
def test_any_fields_table_loads_or_names_its_mistake(lines: list[tuple[str, str]]) -> None:
    text = "\n".join(f'"{k}" = {v}' if not k.startswith('"') else f"{k} = {v}" for k, v in lines)
    try:
        parse(text)
    except MappingConfigError as exc:
        assert str(exc).startswith("mappings/qlkh.toml: ")


@given(st.text(max_size=200))
def test_any_text_loads_or_names_its_mistake(text: str) -> None:
    try:
        parse_mapping(text, name="m.toml")
    except MappingConfigError as exc:
        assert exc.file == "m.toml"
