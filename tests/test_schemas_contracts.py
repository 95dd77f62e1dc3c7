"""The machine-readable contracts: the record JSON Schema and the national API OpenAPI document."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from importlib.resources import as_file
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from schemas import CONTRACTS, contract, contracts_path
from schemas import codelists as cl
from schemas import record as rec
from schemas.validate import validate
from tests.records import OMIT, changed, valid_record

API_MD = Path(__file__).resolve().parents[1].parent / "shared" / "national" / "api.md"
API_BASE = "https://stisync.example/contracts/national-api-v1.openapi.json"


@pytest.fixture(scope="module")
def record_schema() -> dict[str, Any]:
    return contract("record-v1.schema.json")


@pytest.fixture(scope="module")
def api() -> dict[str, Any]:
    return contract("national-api-v1.openapi.json")


@pytest.fixture(scope="module")
def checker(record_schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(record_schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _node(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """The schema of a field-table path such as participants[].full_name."""
    node = schema
    for part in path.split("."):
        node = node["properties"][part.removesuffix("[]")]
        if part.endswith("[]"):
            node = node["items"]
    return node


def _resolved(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node` merged with the local $defs it refers to."""
    merged = dict(node)
    while "$ref" in merged:
        target = schema["$defs"][merged.pop("$ref").removeprefix("#/$defs/")]
        merged = {**target, **merged}
    return merged


def test_the_record_schema_is_a_valid_json_schema_2020_12(record_schema: dict[str, Any]) -> None:
    assert record_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(record_schema)


def test_the_example_record_is_valid_under_the_schema(checker: Draft202012Validator) -> None:
    assert list(checker.iter_errors(valid_record())) == []


@pytest.mark.parametrize("spec", [f for f in rec.FIELDS if f.code_list],
                         ids=lambda f: f.path)
def test_code_enums_equal_the_code_lists(record_schema: dict[str, Any],
                                         spec: rec.FieldSpec) -> None:
    assert spec.code_list is not None
    assert _node(record_schema, spec.path)["enum"] == cl.code_list(spec.code_list).codes()


def test_field_enums_equal_the_schemes_and_the_2008_table(record_schema: dict[str, Any]) -> None:
    field = record_schema["properties"]["field"]
    assert field["properties"]["scheme"]["enum"] == list(cl.SCHEMES)
    by_scheme = {rule["if"]["properties"]["scheme"]["const"]: rule["then"]["properties"]["code"]
                 for rule in field["allOf"]}
    assert by_scheme["qd12_2008"]["enum"] == [f.code for f in cl.qd12_2008_fields()]
    assert by_scheme["tt24_2025"]["pattern"] == cl.TT24_CODE_PATTERN


@pytest.mark.parametrize("spec", rec.FIELDS, ids=lambda f: f.path)
def test_each_field_has_the_type_length_and_requirement_of_the_field_table(
        record_schema: dict[str, Any], spec: rec.FieldSpec) -> None:
    node = _resolved(record_schema, _node(record_schema, spec.path))
    if "enum" not in node and "const" not in node:
        assert node["type"] == spec.json_type
    max_key = "maxItems" if spec.json_type == "array" else "maxLength"
    assert node.get(max_key) == spec.max_length
    if not spec.path.endswith("[]"):
        parent = (record_schema if spec.parent == "" else
                  _resolved(record_schema, _node(record_schema, spec.parent)))
        assert (spec.key in parent.get("required", [])) == spec.required, spec.path
        assert parent["additionalProperties"] is False


@pytest.mark.parametrize(("check", "pattern"), [
    ("local_id", rec.LOCAL_ID_PATTERN), ("title", rec.TITLE_PATTERN),
    ("timestamp", rec.TIMESTAMP_PATTERN), ("date", rec.DATE_PATTERN),
    ("email", rec.EMAIL_PATTERN), ("socio_economic_objective", cl.SEO_PATTERN),
    ("activity_type", cl.ACTIVITY_TYPE_PATTERN),
])
def test_patterns_are_those_validate_uses(record_schema: dict[str, Any], check: str,
                                          pattern: str) -> None:
    for spec in (f for f in rec.FIELDS if f.check == check):
        assert _resolved(record_schema, _node(record_schema, spec.path))["pattern"] == pattern


# Records both judges must agree on: every rule JSON Schema can state.
AGREED = {
    "valid": valid_record(),
    "valid-registered": changed(("status", "result_registered"), ("result_registration", {
        "certificate_number": "45/2025/ĐKKQ", "date": "2025-07-10", "issuer": "Sở KH&CN"})),
    "valid-tt24": changed(("field", {"scheme": "tt24_2025", "code": "6040799"})),
    "valid-ongoing-without-acceptance": changed(("status", "ongoing"), ("acceptance", OMIT)),
    "missing-title": changed(("title", OMIT)),
    "missing-budget-total": changed(("budget.total_vnd", OMIT)),
    "missing-participant-name": changed(("participants.0.full_name", OMIT)),
    "version-2": changed(("schema_version", "2")),
    "title-as-number": changed(("title", 7)),
    "amount-as-string": changed(("budget.total_vnd", "1")),
    "amount-negative": changed(("budget", {"total_vnd": -1})),
    "amount-beyond-2-53": changed(("budget", {"total_vnd": 2**53})),
    "local-id-too-long": changed(("local_id", "a" * 129)),
    "local-id-space": changed(("local_id", "a b")),
    "title-too-long": changed(("title", "x" * 2001)),
    "title-double-space": changed(("title", "Nghiên  cứu")),
    "title-leading-space": changed(("title", " Nghiên cứu")),
    "unknown-task-type": changed(("task_type", "Đề tài")),
    "unknown-rating": changed(("acceptance.rating", "Khá")),
    "unknown-degree": changed(("participants.1.degree", "PhD")),
    "unknown-scheme": changed(("field.scheme", "oecd")),
    "field-not-in-2008": changed(("field.code", "10104")),
    "field-7-digit-in-2008": changed(("field.code", "1010101")),
    "field-tt24-out-of-range": changed(("field", {"scheme": "tt24_2025", "code": "6040800"})),
    "seo-24": changed(("socio_economic_objective", "24")),
    "activity-103": changed(("activity_type", "103")),
    "bad-email": changed(("host_organization.email", "vien@")),
    "name-with-titles": changed(("principal_investigator.full_name", "PGS.TS. Nguyễn Thị Hoà")),
    "date-dmy": changed(("start_date", "01/04/2023")),
    "date-not-real": changed(("end_date", "2025-02-30")),
    "timestamp-no-offset": changed(("source_updated_at", "2025-06-25T09:30:00")),
    "keywords-repeated": changed(("keywords", ["lúa", "lúa"])),
    "keywords-21": changed(("keywords", [f"từ {i}" for i in range(21)])),
    "empty-string": changed(("task_code", "")),
    "blank-string": changed(("summary", "   ")),
    "null": changed(("governing_agency", None)),
    "empty-object": changed(("approval", {})),
    "empty-array": changed(("participants", [])),
    "unknown-key": changed(("province_code", "52")),
    "unknown-nested-key": changed(("budget.currency", "VND")),
    "accepted-without-acceptance": changed(("acceptance", OMIT)),
    "registered-without-registration": changed(("status", "result_registered")),
}


@pytest.mark.parametrize("name", AGREED)
def test_json_schema_and_validate_judge_the_same_way(checker: Draft202012Validator,
                                                     name: str) -> None:
    record = AGREED[name]
    schema_valid = not list(checker.iter_errors(record))
    assert schema_valid == (validate(record) == []) == name.startswith("valid")


# Rules JSON Schema cannot state: the schema lets these through, validate() does not.
BEYOND_SCHEMA = {
    "not-nfc": changed(("title", unicodedata.normalize("NFD", "Nghiên cứu"))),
    "date-order": changed(("end_date", "2023-01-01")),
    "sum-mismatch": changed(("budget.other_vnd", 1)),
    # JSON Schema counts 1.0 as an integer; Python reads it as a float, never whole đồng.
    "float-amount": changed(("budget.total_vnd", 1_250_000_000.0)),
}


@pytest.mark.parametrize("name", BEYOND_SCHEMA)
def test_rules_beyond_json_schema_are_left_to_validate(checker: Draft202012Validator,
                                                       name: str) -> None:
    record = BEYOND_SCHEMA[name]
    assert list(checker.iter_errors(record)) == []
    assert validate(record) != []


@pytest.fixture(scope="module")
def api_file() -> Iterator[Path]:
    with as_file(contracts_path("national-api-v1.openapi.json")) as path:
        yield path


def test_the_openapi_document_is_valid_openapi_3_1(api: dict[str, Any], api_file: Path) -> None:
    assert api["openapi"].startswith("3.1")
    # base_uri lets the validator follow the $ref into record-v1.schema.json beside it.
    validate_openapi(api, base_uri=api_file.as_uri())


ENDPOINTS = [
    ("post", "/oauth/token"),
    ("put", "/v1/provinces/{province}/tasks/{local_id}"),
    ("get", "/v1/provinces/{province}/tasks/{local_id}"),
    ("delete", "/v1/provinces/{province}/tasks/{local_id}"),
    ("post", "/v1/provinces/{province}/tasks:batch"),
    ("get", "/v1/provinces/{province}/tasks"),
    ("post", "/v1/provinces/{province}/sync-reports"),
    ("get", "/v1/sync-reports"),
    ("get", "/v1/health"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_every_endpoint_of_api_md_is_described(api: dict[str, Any], method: str,
                                               path: str) -> None:
    operation = api["paths"][path][method]
    assert operation["responses"] and operation["operationId"]


def test_the_endpoint_list_matches_api_md_itself() -> None:
    if not API_MD.is_file():
        pytest.skip("the shared api.md is not beside this checkout")
    text = API_MD.read_text(encoding="utf-8")
    found = {(m.lower(), p) for m, p in re.findall(r"`(GET|PUT|POST|DELETE) (/[^`?\s]+)", text)}
    assert found == set(ENDPOINTS)


@pytest.mark.parametrize(("method", "path", "codes"), [
    ("post", "/oauth/token", {"200", "401"}),
    ("put", "/v1/provinces/{province}/tasks/{local_id}",
     {"200", "201", "401", "403", "413", "422", "429", "503"}),
    ("post", "/v1/provinces/{province}/tasks:batch", {"200", "401", "403", "413", "429", "503"}),
    ("delete", "/v1/provinces/{province}/tasks/{local_id}", {"204", "404", "429", "503"}),
    ("get", "/v1/provinces/{province}/tasks", {"200", "429", "503"}),
    ("post", "/v1/provinces/{province}/sync-reports", {"201", "422", "429", "503"}),
    ("get", "/v1/health", {"200"}),
], ids=["token", "put", "batch", "delete", "list", "report", "health"])
def test_the_answers_of_api_md_are_described(api: dict[str, Any], method: str, path: str,
                                             codes: set[str]) -> None:
    assert codes <= set(api["paths"][path][method]["responses"])


@pytest.mark.parametrize("name", ["TooManyRequests", "ServiceUnavailable"])
def test_429_and_503_carry_retry_after(api: dict[str, Any], name: str) -> None:
    assert "Retry-After" in api["components"]["responses"][name]["headers"]


def test_security_is_oauth2_client_credentials_or_a_static_bearer_token(
        api: dict[str, Any]) -> None:
    schemes = api["components"]["securitySchemes"]
    assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"
    assert (schemes["staticToken"]["type"], schemes["staticToken"]["scheme"]) == ("http", "bearer")
    assert api["security"] == [{"oauth2": []}, {"staticToken": []}]
    assert api["paths"]["/v1/health"]["get"]["security"] == []
    assert api["paths"]["/oauth/token"]["post"]["security"] == []


def test_the_api_writes_the_record_schema(api: dict[str, Any]) -> None:
    assert api["components"]["schemas"]["TaskRecord"]["$ref"] == "record-v1.schema.json"


@pytest.fixture(scope="module")
def api_validator(api: dict[str, Any], record_schema: dict[str, Any]) -> Any:
    # The OpenAPI document sits at a made-up base beside the record schema's $id, so that
    # its relative $ref resolves in memory and nothing is fetched.
    registry: Registry = Registry().with_resources([
        (API_BASE, DRAFT202012.create_resource(api)),
        (record_schema["$id"], Resource.from_contents(record_schema)),
    ])

    def check(component: str, instance: Any) -> list[str]:
        validator = Draft202012Validator({"$ref": f"{API_BASE}#/components/schemas/{component}"},
                                         registry=registry)
        return [e.message for e in validator.iter_errors(instance)]
    return check


REPORT = {
    "run_id": "r1", "source": "binhdinh-qlkh", "trigger": "schedule",
    "started_at": "2025-06-25T02:00:00Z", "finished_at": "2025-06-25T02:01:00Z",
    "status": "partial",
    "counts": {"fetched": 3, "created": 1, "updated": 0, "unchanged": 1, "deleted": 0,
               "rejected": 1, "failed": 0},
    "errors": [{"local_id": "x:1", "field": "title", "code": "required",
                "message": "Thiếu tên nhiệm vụ (title)."}],
    "errors_truncated": 0,
    "client": "stisync/0.1.0",
}


@pytest.mark.parametrize(("component", "instance"), [
    ("WriteResult", {"local_id": "binhdinh-qlkh:1234", "status": "created",
                     "national_id": "VN-52-000017", "revision": 1, "content_hash": "a" * 64,
                     "errors": []}),
    ("WriteResult", {"local_id": "x:1", "status": "rejected", "national_id": None,
                     "revision": None, "content_hash": None,
                     "errors": [{"field": "title", "code": "required",
                                 "message": "Thiếu tên nhiệm vụ (title)."}]}),
    ("BatchRequest", {"records": [valid_record()]}),
    ("TaskPage", {"items": [{"local_id": "x:1", "revision": 2, "content_hash": "b" * 64,
                             "updated_at": "2025-06-25T02:30:00+00:00"}],
                  "next_page_token": "abc"}),
    ("TokenResponse", {"access_token": "t", "token_type": "Bearer", "expires_in": 3600}),
    ("SyncReport", REPORT),
    ("StoredSyncReport", {**REPORT, "report_id": "rep-1", "province": "52",
                          "received_at": "2025-06-25T02:01:05+00:00"}),
    ("Error", {"error": "forbidden", "message": "this client may only write province 52"}),
], ids=["write-created", "write-rejected", "batch", "task-page", "token", "sync-report",
        "stored-sync-report", "error"])
def test_api_md_examples_fit_their_schemas(api_validator: Any, component: str,
                                           instance: Any) -> None:
    assert api_validator(component, instance) == []


@pytest.mark.parametrize(("component", "instance"), [
    ("WriteResult", {"local_id": "x:1", "status": "stored"}),
    ("BatchRequest", {"records": [valid_record()] * 201}),
    ("BatchRequest", {"records": [valid_record(title="")]}),
    ("SyncReport", {"run_id": "r1"}),
    ("SyncReport", {**REPORT, "province": "52"}),
    ("SyncReport", {**REPORT, "errors": [{"code": "x", "message": "y"}] * 101}),
    ("TaskPage", {"items": [{"local_id": "x:1"}]}),
], ids=["unknown-write-status", "batch-over-200", "invalid-record-in-batch",
        "report-without-counts", "report-with-unknown-key", "report-with-101-errors",
        "page-item-without-hash"])
def test_shapes_api_md_forbids_do_not_fit(api_validator: Any, component: str,
                                          instance: Any) -> None:
    assert api_validator(component, instance) != []


def test_contracts_are_packaged_and_named() -> None:
    assert set(CONTRACTS) == {"record-v1.schema.json", "national-api-v1.openapi.json"}
    for name in CONTRACTS:
        assert contracts_path(name).is_file()


def test_an_unknown_contract_name_raises_lookup_error_listing_the_known_ones() -> None:
    with pytest.raises(LookupError, match=r"'record-v2.schema.json'.*record-v1\.schema\.json"):
        contracts_path("record-v2.schema.json")
