"""JSON bodies mean the types their schema declares (app.core.validation's ``JsonBool``,
``JsonInt``, ``JsonNumber``, ``TimeText``, ``DayText``): ``{"notify_new_tips": 0}`` was taken as
false, and lax pydantic takes ``"1"`` for 1 and ``1700000000`` for a moment of 2023.

Walked from the OpenAPI document, so a field added later with a lax type is caught: for every
boolean, integer, number, date-time and date field of every JSON body (and of the JSON part of
an upload), a value of another JSON type is refused with a 422 naming that field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from app.openapi_export import generate
from tests.accounts.helpers import auth_headers, make_user
from tests.tips.helpers import payload

DOCUMENT = generate()
_SCHEMAS = DOCUMENT["components"]["schemas"]

# Values of another JSON type that lax pydantic would coerce, per declared type.
LAX: dict[str, list[Any]] = {
    "boolean": [0, 1, "true", "no"],
    "integer": ["1", True, 1.5],
    "number": ["1.5", True],
    "date-time": [1_700_000_000, "1700000000"],
    "date": [20_000, "1700006400"],
}
CODES = {
    "boolean": "invalid_type",
    "integer": "invalid_type",
    "number": "invalid_type",
    "date-time": "invalid_format",
    "date": "invalid_format",
}


def _leaves(schema: dict[str, Any], path: tuple[str | int, ...]) -> Iterator[tuple[Any, str]]:
    """(path, declared type) of each scalar field the checks above apply to."""
    if "$ref" in schema:
        schema = _SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    for option in schema.get("anyOf", []):
        yield from _leaves(option, path)
    kind = schema.get("format") if schema.get("format") in ("date", "date-time") else None
    kind = kind or (schema.get("type") if schema.get("type") in LAX else None)
    if kind:
        yield path, kind
    for name, sub in schema.get("properties", {}).items():
        yield from _leaves(sub, (*path, name))
    if isinstance(schema.get("items"), dict):
        yield from _leaves(schema["items"], (*path, 0))


def _cases() -> Iterator[Any]:
    for template, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            seen = set()
            for path, kind in _leaves(content["application/json"]["schema"], ()):
                if path not in seen:
                    seen.add(path)
                    dotted = ".".join(map(str, path))
                    yield pytest.param(
                        method, template, path, kind, id=f"{method} {template} {dotted}"
                    )


CASES = list(_cases())


def test_the_walk_finds_the_fields_of_every_kind() -> None:
    found = {(c.values[0], c.values[1], ".".join(map(str, c.values[2]))) for c in CASES}
    assert ("patch", "/api/v1/auth/me", "notify_new_tips") in found
    assert ("post", "/api/v1/tips", "location.lat") in found
    assert ("post", "/api/v1/categories", "sort_order") in found
    assert ("put", "/api/v1/calendar/{year}", "days.0.date") in found
    assert ("post", "/api/v1/admin-units/change-sets", "effective_at") in found
    assert {c.values[3] for c in CASES} == set(LAX)


def _body(path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    return [_body(rest, value)] if isinstance(head, int) else {head: _body(rest, value)}


@pytest.mark.parametrize(("method", "template", "path", "kind"), CASES)
async def test_a_value_of_another_json_type_is_refused(
    app: Any, client: Any, db: Any, method: str, template: str, path: tuple[Any, ...], kind: str
) -> None:
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)
    url = template.replace("{year}", "2026")
    if "{tip_id}" in url:
        r = await client.post("/api/v1/tips", json=payload())
        assert r.status_code == 201, r.text
        url = url.replace("{tip_id}", r.json()["id"])
    url = url.replace("{code}", "drugs").replace("{user_id}", admin.id)
    field = ".".join(map(str, path))
    for value in LAX[kind]:
        r = await client.request(method, url, json=_body(path, value), headers=headers)
        assert r.status_code == 422, (value, r.status_code, r.text)
        errors = {e["field"]: e["code"] for e in r.json().get("errors", [])}
        assert errors.get(field) == CODES[kind], (value, errors)


async def test_the_json_part_of_an_upload_is_as_strict(client: Any) -> None:
    for field, value in (("urgent", 1), ("anonymous", "false"), ("occurred_at", 1_700_000_000)):
        document = json.dumps(payload(**{field: value}))
        r = await client.post("/api/v1/tips", files={"tip": (None, document, "application/json")})
        assert r.status_code == 422, (field, r.text)
        assert {e["field"] for e in r.json()["errors"]} == {field}


async def test_form_and_query_booleans_stay_text(app: Any, client: Any, db: Any) -> None:
    """What is text on the wire keeps its text spelling: ``?urgent=true`` filters."""
    admin = await make_user(db, role="admin")
    r = await client.get("/api/v1/tips?urgent=true", headers=auth_headers(app, admin))
    assert r.status_code == 200, r.text
