"""/openapi.json documents what every /api route returns: a JSON route names a
response model (api/schemas/), a route that sends a file names its media
types; and real responses carry no key their documented schema lacks."""

from __future__ import annotations

import time

import pytest
from conftest import login
from dangan.api.app import create_app
from dangan.catalog.record_json import record_json
from fastapi.testclient import TestClient
from records import file_record
from test_disposal import PASSWORD, RECORDS, _add, _register_people

from dangan.archive import Archive
from dangan.config import Settings

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> dict:
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path_factory.mktemp("spec") / "h")})
    return create_app(settings).openapi()


def _resolve(schema: dict, spec: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _documents_a_shape(schema: dict, spec: dict) -> bool:
    """A named model (an object with properties) or a list of them; a bare
    `dict` (`{"type": "object"}` without properties) documents nothing."""
    schema = _resolve(schema, spec)
    if schema.get("type") == "array":
        return _documents_a_shape(schema.get("items", {}), spec)
    return bool(schema.get("properties"))


def _success(operation: dict) -> dict:
    codes = [c for c in operation["responses"] if c.startswith("2")]
    assert codes, operation["operationId"]
    return operation["responses"][codes[0]]


def _json_schema(spec: dict, method: str, path: str) -> dict:
    content = _success(spec["paths"][path][method]).get("content", {})
    return content["application/json"]["schema"]


def test_every_api_route_documents_its_response(spec):
    undocumented = []
    for path, item in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method in METHODS:
            if method not in item:
                continue
            content = _success(item[method]).get("content", {})
            if "application/json" in content:
                ok = _documents_a_shape(content["application/json"]["schema"], spec)
            else:  # a file: its media types, each a binary body
                ok = bool(content) and all(
                    c.get("schema", {}).get("format") == "binary" for c in content.values()
                )
            if not ok:
                undocumented.append(f"{method.upper()} {path}")
    assert undocumented == []


def _properties(spec: dict, method: str, path: str, *inner: str) -> set[str]:
    schema = _resolve(_json_schema(spec, method, path), spec)
    for key in inner:  # into a property that is a list of objects (or an object)
        schema = _resolve(schema["properties"][key], spec)
        schema = _resolve(schema.get("items", schema), spec)
    return set(schema["properties"])


def test_documented_shapes_name_what_clients_read(spec):
    record = _properties(spec, "get", "/api/records/{record_id}")
    assert {
        "record_id", "title", "filename", "page_count", "security_level", "archival_code",
        "doc_type", "retention", "disposal_date", "needs_review", "id_numbers", "person_name",
        "business_date", "metadata", "files", "pages",
    } <= record  # fmt: skip
    assert {"page_no", "text"} <= _properties(spec, "get", "/api/records/{record_id}", "pages")
    assert {"role", "page_no", "sha256", "media_type"} <= _properties(
        spec, "get", "/api/records/{record_id}", "files"
    )
    # what the viewer (api/static/viewer.js) and the upload desk (upload.js) read
    hits = "/api/records/{record_id}/pages/{page_no}/hits"
    assert {"x", "y", "w", "h", "text"} <= _properties(spec, "get", hits, "boxes")
    progress = "/api/intake/{batch}"
    assert {"batch", "total", "done", "jobs"} <= _properties(spec, "get", progress)
    assert {
        "id", "filename", "state", "stage", "stage_label", "pages", "pages_done", "status",
        "record_id", "error", "archival_code", "needs_review",
    } <= _properties(spec, "get", progress, "jobs")  # fmt: skip
    assert {"query", "total", "hits"} <= _properties(spec, "get", "/api/search")
    # files say what they are
    pdf = _success(spec["paths"]["/api/records/{record_id}/pdf"]["get"])["content"]
    assert list(pdf) == ["application/pdf"]
    register = _success(spec["paths"]["/api/retention/batches/{batch_id}/{name}"]["get"])
    assert {"application/pdf", "text/csv; charset=utf-8"} == set(register["content"])


def _undocumented(value, schema: dict, spec: dict, where: str = "") -> list[str]:
    """Keys in `value` that `schema` (with its references) does not name."""
    schema = _resolve(schema, spec)
    for option in schema.get("anyOf", []):
        if value is not None and _resolve(option, spec).get("type") != "null":
            return _undocumented(value, option, spec, where)
    if isinstance(value, list):
        return [
            k for n, v in enumerate(value) for k in _undocumented(v, schema.get("items", {}),
                                                                  spec, f"{where}[{n}]")
        ]  # fmt: skip
    if not isinstance(value, dict) or "properties" not in schema:
        return []
    out = []
    for key, v in value.items():
        if key not in schema["properties"]:
            out.append(f"{where}.{key}")
        else:
            out += _undocumented(v, schema["properties"][key], spec, f"{where}.{key}")
    return out


def test_responses_carry_only_documented_keys(tmp_path):
    """Every response model lets unnamed keys through (so none is ever dropped);
    this walks the routes on real data and fails on a key the schema lacks."""
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    for rid in RECORDS:
        _add(archive, rid)
    _register_people(archive)
    file_record(archive, "q1", None, {"person_name": "赵一"}, confidence=0.2)  # to review
    archive.sync_index()
    archive.close()
    seen: list[str] = []

    with TestClient(create_app(settings)) as client:
        spec = client.get("/openapi.json").json()

        def call(method: str, template: str, path: str | None = None, **kwargs):
            response = client.request(method, path or template, **kwargs)
            assert response.status_code == 200, (template, response.text)
            body = response.json()
            schema = _json_schema(spec, method.lower(), template)
            assert _undocumented(body, schema, spec) == [], template
            seen.append(f"{method} {template}")
            return body

        login(client, "clerk")
        record = call("GET", "/api/records/{record_id}", "/api/records/p1")
        assert record == record_json(client.app.state.archive.catalog.get("p1"))  # nothing lost
        assert record["id_numbers"] == ["11010519491231002X"]
        call("GET", "/api/search", params={"q": "档案"})
        call("GET", "/api/persons/{id_number}/records", "/api/persons/11010519491231002X/records")
        call("GET", "/api/cases/{serial}/records", "/api/cases/AB-1234/records")
        call("GET", "/api/volumes")
        call("GET", "/api/units/{code}/records", "/api/units/91350100MA2YQ/records")
        assert call("GET", "/api/review")["total"] == 1
        call("POST", "/api/records/{record_id}/confirm", "/api/records/q1/confirm",
             json={"doc_type": "payment_proof", "business_date": "2011-01-01"})  # fmt: skip
        call("GET", "/api/stats/intake")
        empty = [("files", ("empty.pdf", b"", "application/pdf"))]
        (rejected,) = call("POST", "/api/records", files=empty)
        assert rejected["status"] == "rejected" and "doc_type" not in rejected  # as before
        call("POST", "/api/cases/{serial}/records", "/api/cases/AB-1234/records", files=empty)
        submitted = call("POST", "/api/intake", files=empty)
        assert set(submitted) == {"batch", "jobs", "rejected"}  # refused at once: none here
        assert submitted["rejected"] == []
        batch = submitted["batch"]
        deadline = time.monotonic() + 60
        while True:
            progress = call("GET", "/api/intake/{batch}", f"/api/intake/{batch}")
            if progress["done"] == progress["total"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert progress["jobs"][0]["state"] == "done"
        call("PUT", "/api/records/{record_id}/security", "/api/records/p1/security",
             json={"level": "internal", "reason": "核定"})  # fmt: skip

        login(client, "compliance")
        call("GET", "/api/retention/due", params={"as_of": "2026-01-01"})
        hold = call("POST", "/api/retention/holds",
                    json={"kind": "petition", "reason": "信访", "owner": "周",
                          "person": "110105195203030018"})["hold"]  # fmt: skip
        call("GET", "/api/retention/holds")
        batch_id = call("POST", "/api/retention/batches", json={"as_of": "2026-01-01"})["id"]
        call("GET", "/api/retention/batches")
        call("POST", "/api/retention/batches/{batch_id}/appraisals",
             f"/api/retention/batches/{batch_id}/appraisals",
             json={"decision": "destroy", "reason": "到期无保存价值"})  # fmt: skip
        call("POST", "/api/retention/holds/{hold_id}/lift", f"/api/retention/holds/{hold}/lift",
             json={"reason": "已办结"})  # fmt: skip
        call("GET", "/api/retention/holds", params={"all": "true"})
        login(client, "head")
        call("POST", "/api/retention/batches/{batch_id}/approve",
             f"/api/retention/batches/{batch_id}/approve", json={"note": "同意"})  # fmt: skip
        login(client, "compliance")
        supervisors = [{"username": u, "password": PASSWORD} for u in ("wu", "lin")]
        done = call("POST", "/api/retention/batches/{batch_id}/execute",
                    f"/api/retention/batches/{batch_id}/execute",
                    json={"supervisors": supervisors, "method": "粉碎"})  # fmt: skip
        assert done["destroyed"] >= 1
        executed = call("GET", "/api/retention/batches/{batch_id}",
                        f"/api/retention/batches/{batch_id}")  # fmt: skip
        assert executed["status"] == "executed" and len(executed["supervision"]) == 2

        login(client, "auditor")
        call("GET", "/api/audit")
        call("GET", "/api/audit/verify")

        login(client, "admin")
        call("GET", "/api/users")
        call("POST", "/api/users", json={"username": "new1", "roles": ["clerk"],
                                          "password": "new-password-1234"})  # fmt: skip
        call("POST", "/api/users/{username}/disable", "/api/users/new1/disable")
        call("POST", "/api/users/{username}/enable", "/api/users/new1/enable")
        token_id = call("POST", "/api/tokens", json={"name": "业务系统"})["id"]
        call("GET", "/api/tokens")
        call("POST", "/api/tokens/{token_id}/revoke", f"/api/tokens/{token_id}/revoke")

        login(client, "secadmin")
        call("PUT", "/api/users/{username}/roles", "/api/users/new1/roles",
             json={"roles": ["caseworker"]})  # fmt: skip
        reset = call("POST", "/api/users/{username}/password-reset",
                     "/api/users/new1/password-reset", json={})  # fmt: skip
        assert set(reset) == {"username", "password"}
        chosen = call("POST", "/api/users/{username}/password-reset",
                      "/api/users/new1/password-reset",
                      json={"password": "chosen-password-1234"})  # fmt: skip
        assert chosen == {"username": "new1"}  # a chosen password is not sent back
        call("POST", "/api/users/{username}/unlock", "/api/users/new1/unlock")
        call("POST", "/api/account/password", json={"old_password": "test-password-1234",
                                                     "new_password": "another-password-5678"})  # fmt: skip
    assert len(seen) > 30
