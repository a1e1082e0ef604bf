"""Every intake rule answers a problem+json naming the field, and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.tips.helpers import (
    LONG_DESCRIPTION,
    SAI_GON,
    TIPS,
    counts,
    field_names,
    identified,
    jpeg_bytes,
    payload,
    post_multipart,
)

REPORTER = {"full_name": "Nguyễn Văn A", "phone": "0912345678"}

CASES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    # (name, body, code, fields)
    ("description too short", payload(description="ngắn"), "validation_error", ["description"]),
    (
        "description too long",
        payload(description="x" * 5001),
        "validation_error",
        ["description"],
    ),
    ("description blank", payload(description=" " * 20), "validation_error", ["description"]),
    (
        "description missing",
        {"category_code": "drugs", "location": {"commune_code": SAI_GON}},
        "validation_error",
        ["description"],
    ),
    (
        "category missing",
        {"description": "Mô tả đủ dài để hợp lệ.", "location": {"commune_code": SAI_GON}},
        "validation_error",
        ["category_code"],
    ),
    ("unknown category", payload(category_code="aliens"), "unknown_category", ["category_code"]),
    ("unknown field", payload(colour="red"), "validation_error", ["colour"]),
    (
        "unknown location field",
        payload(location={"commune_code": SAI_GON, "street": "x"}),
        "validation_error",
        ["location.street"],
    ),
    ("description not text", payload(description=12345678901), "validation_error", ["description"]),
    ("urgent not a boolean", payload(urgent="maybe"), "validation_error", ["urgent"]),
    ("location not an object", payload(location="Sài Gòn"), "validation_error", ["location"]),
    (
        "lat not a number",
        payload(location={"lat": "north", "lon": 106.7}),
        "validation_error",
        ["location.lat"],
    ),
    (
        "lat out of range",
        payload(location={"lat": 91, "lon": 106.7}),
        "validation_error",
        ["location.lat"],
    ),
    (
        "lon out of range",
        payload(location={"lat": 10.7, "lon": -181}),
        "validation_error",
        ["location.lon"],
    ),
    ("lat without lon", payload(location={"lat": 10.7}), "validation_error", ["location.lon"]),
    ("no place", payload(location={"address": "Hẻm 12"}), "validation_error", ["location"]),
    (
        "commune code malformed",
        payload(location={"commune_code": "abc"}),
        "validation_error",
        ["location.commune_code"],
    ),
    (
        "commune code unknown",
        payload(location={"commune_code": "99999"}),
        "unknown_commune",
        ["location.commune_code"],
    ),
    (
        "point in no commune",
        payload(location={"lat": 12.0, "lon": 112.0}),
        "location_not_found",
        ["location"],
    ),
    (
        "commune code and legacy code",
        payload(location={"commune_code": SAI_GON, "legacy_commune_code": "26734"}),
        "validation_error",
        ["location.legacy_commune_code"],
    ),
    (
        "province disagrees with commune",
        payload(location={"commune_code": SAI_GON, "province_code": "01"}),
        "validation_error",
        ["location.province_code"],
    ),
    (
        "location unknown without province, files or long description",
        payload(description="Không nhớ địa điểm cụ thể.", location={}, location_unknown=True),
        "validation_error",
        ["location.province_code", "files", "description"],
    ),
    (
        "location unknown with a commune",
        payload(
            description=LONG_DESCRIPTION,
            location={"province_code": "79", "commune_code": SAI_GON},
            location_unknown=True,
        ),
        "validation_error",
        ["location.commune_code", "files"],
    ),
    (
        "anonymous with reporter",
        payload(reporter=REPORTER),
        "validation_error",
        ["reporter"],
    ),
    (
        "identified without reporter",
        payload(anonymous=False),
        "validation_error",
        ["reporter.full_name", "reporter.phone"],
    ),
    (
        "identified without phone or email",
        payload(anonymous=False, reporter={"full_name": "Nguyễn Văn A"}),
        "validation_error",
        ["reporter.phone"],
    ),
    (
        "email malformed",
        payload(anonymous=False, reporter={"full_name": "A", "email": "not-an-email"}),
        "validation_error",
        ["reporter.email"],
    ),
    (
        "phone malformed",
        payload(anonymous=False, reporter={"full_name": "A", "phone": "call me"}),
        "validation_error",
        ["reporter.phone"],
    ),
    (
        "organisation without its name",
        identified(on_behalf_of_organization=True),
        "validation_error",
        ["organization_name"],
    ),
    (
        "anonymous organisation",
        payload(on_behalf_of_organization=True, organization_name="Công ty A"),
        "validation_error",
        ["anonymous"],
    ),
    (
        "organisation name without on_behalf_of_organization",
        identified(organization_name="Công ty A"),
        "validation_error",
        ["organization_name"],
    ),
    (
        "tax code malformed",
        identified(
            on_behalf_of_organization=True, organization_name="A", organization_tax_code="12"
        ),
        "validation_error",
        ["organization_tax_code"],
    ),
    ("unknown channel", payload(channel="fax"), "validation_error", ["channel"]),
    (
        "occurred_at without offset",
        payload(occurred_at="2026-11-20T21:00:00"),
        "validation_error",
        ["occurred_at"],
    ),
    (
        "occurred_at in the future",
        payload(occurred_at="2099-01-01T00:00:00+07:00"),
        "validation_error",
        ["occurred_at"],
    ),
    (
        "intake record from a citizen",
        payload(intake_record={"place": "Trụ sở"}),
        "validation_error",
        ["intake_record"],
    ),
]


@pytest.mark.parametrize(
    ("body", "code", "fields"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_rule_breaches_answer_422_and_write_nothing(
    client: httpx.AsyncClient, db: AsyncSession, body: dict[str, Any], code: str, fields: list[str]
) -> None:
    response = await client.post(TIPS, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    assert problem["status"] == 422
    assert {"type", "title", "detail"} <= problem.keys()
    assert field_names(problem) == fields
    assert set((await counts(db)).values()) == {0}


async def test_location_unknown_rules_also_apply_to_multipart(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    body = payload(
        description="Không nhớ chỗ, mô tả ngắn.",
        location={"province_code": "99"},
        location_unknown=True,
    )
    response = await post_multipart(client, body, [("a.jpg", jpeg_bytes(), "image/jpeg")])
    assert response.status_code == 422
    assert field_names(response.json()) == ["description"]
    body["description"] = LONG_DESCRIPTION
    response = await post_multipart(client, body, [("a.jpg", jpeg_bytes(), "image/jpeg")])
    assert response.status_code == 422
    assert field_names(response.json()) == ["location.province_code"]  # no province 99
    assert set((await counts(db)).values()) == {0}


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b'{"category_code": "drugs",', 422, "malformed_json"),
        (b"\xff\xfe\x00", 400, "invalid_encoding"),
    ],
)
async def test_malformed_json(
    client: httpx.AsyncClient, db: AsyncSession, content: bytes, status: int, code: str
) -> None:
    response = await client.post(
        TIPS, content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    assert set((await counts(db)).values()) == {0}


async def test_a_json_array_is_not_a_tip(client: httpx.AsyncClient) -> None:
    response = await client.post(TIPS, json=[payload()])
    assert response.status_code == 422
    assert field_names(response.json()) == ["body"]


async def test_malformed_json_in_the_tip_part(client: httpx.AsyncClient) -> None:
    response = await post_multipart(client, "{not json", [("a.jpg", jpeg_bytes(), "image/jpeg")])
    assert response.status_code == 422
    assert response.json()["code"] == "malformed_json"


async def test_multipart_without_the_tip_part(client: httpx.AsyncClient) -> None:
    response = await client.post(TIPS, files=[("files", ("a.jpg", jpeg_bytes(), "image/jpeg"))])
    assert response.status_code == 422
    assert field_names(response.json()) == ["tip"]


async def test_multipart_with_an_unexpected_part(client: httpx.AsyncClient) -> None:
    response = await client.post(
        TIPS,
        data={"tip": '{"category_code": "drugs"}', "extra": "x"},
        files=[("files", ("a.jpg", jpeg_bytes(), "image/jpeg"))],
    )
    assert response.status_code == 422
    assert "extra" in field_names(response.json())


async def test_oversize_json_body(client: httpx.AsyncClient, db: AsyncSession) -> None:
    response = await client.post(TIPS, json=payload(persons_involved="x" * 300_000))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert set((await counts(db)).values()) == {0}


async def test_other_content_types_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        TIPS, content=b"category_code=drugs", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    response = await client.post(TIPS, content=b"{}")
    assert response.status_code == 415


async def test_idempotency_key_longer_than_128(client: httpx.AsyncClient, db: AsyncSession) -> None:
    response = await client.post(TIPS, json=payload(), headers={"Idempotency-Key": "k" * 129})
    assert response.status_code == 422
    assert field_names(response.json()) == ["Idempotency-Key"]
    assert set((await counts(db)).values()) == {0}
    ok = await client.post(TIPS, json=payload(), headers={"Idempotency-Key": "k" * 128})
    assert ok.status_code == 201
