"""Helpers for the Open311 tests: schema validation against the GeoReport v2 JSON Schemas
(copied into ./schemas), XML parsing, and filing service requests."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "/open311/v2"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
SCHEMA_FILES = ("services.json", "service.json", "service-definition.json", "requests.json")
SCHEMA_FILES += ("request.json",)

# Phường Sài Gòn (HCMC, province 79), a point inside it, and a Hà Nội commune (Ba Đình).
SAI_GON = "26740"
SAI_GON_POINT = ("10.779947", "106.702495")
BA_DINH = "00004"
DESCRIPTION = "Nhóm thanh niên tụ tập sử dụng ma túy ở cuối hẻm 12 mỗi tối."


@cache
def _registry() -> Registry:
    resources = [
        (
            name,
            Resource.from_contents(
                json.loads((SCHEMAS / name).read_text(encoding="utf-8")),
                default_specification=DRAFT202012,
            ),
        )
        for name in SCHEMA_FILES
    ]
    return Registry().with_resources(resources)


def validate(document: Any, schema_name: str) -> None:
    """Raise jsonschema.ValidationError unless ``document`` matches the named schema."""
    schema = _registry().contents(schema_name)
    validator = Draft202012Validator(
        schema,  # type: ignore[arg-type]
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(document)


def parse_xml(response: httpx.Response) -> ElementTree.Element:
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(response.content)


def assert_open311_error(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    """The answer is an Open311 error list (JSON), never problem+json."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list) and body
    for error in body:
        assert set(error) == {"code", "description"}
        assert error["code"] == status
        assert isinstance(error["description"], str) and error["description"]
    return body


def assert_open311_xml_error(response: httpx.Response, status: int) -> ElementTree.Element:
    assert response.status_code == status, response.text
    root = parse_xml(response)
    assert root.tag == "errors"
    errors = root.findall("error")
    assert errors
    for error in errors:
        assert error.findtext("code") == str(status)
        assert error.findtext("description")
    return root


def request_form(key: str | None, **overrides: Any) -> dict[str, str]:
    """A POST service request: an anonymous drug tip at a point in Phường Sài Gòn."""
    form: dict[str, Any] = {
        "api_key": key,
        "service_code": "drugs",
        "description": DESCRIPTION,
        "lat": SAI_GON_POINT[0],
        "long": SAI_GON_POINT[1],
    }
    form.update(overrides)
    return {k: str(v) for k, v in form.items() if v is not None}


async def submit(client: httpx.AsyncClient, key: str, **overrides: Any) -> str:
    """File a service request and return its service_request_id."""
    r = await client.post(f"{BASE}/requests.json", data=request_form(key, **overrides))
    assert r.status_code == 201, r.text
    return str(r.json()[0]["service_request_id"])
