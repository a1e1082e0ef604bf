"""POST /api/v1/tips: what citizens, Front members and staff get, and what is stored."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiKeyRole
from app.media.models import Attachment
from app.tips.dependencies import get_now
from app.tips.models import (
    IntakeRecord,
    RegisterEntry,
    ReporterIdentity,
    Tip,
    TipEvent,
    TipWatcher,
)
from tests.accounts.helpers import auth_headers, make_api_key, make_organization, make_user
from tests.tips.helpers import (
    LONG_DESCRIPTION,
    SAI_GON,
    SAI_GON_POINT,
    TAN_DINH_POINT,
    TIPS,
    counts,
    field_names,
    identified,
    jpeg_bytes,
    payload,
    post_multipart,
)

VN = "+07:00"


async def _tip(db: AsyncSession, tip_id: str) -> Tip:
    tip = await db.get(Tip, tip_id, populate_existing=True)
    assert tip is not None
    return tip


async def _events(db: AsyncSession, tip_id: str) -> list[TipEvent]:
    rows = await db.scalars(select(TipEvent).where(TipEvent.tip_id == tip_id).order_by(TipEvent.id))
    return list(rows)


async def _watchers(db: AsyncSession, tip_id: str) -> dict[str, str]:
    rows = await db.scalars(select(TipWatcher).where(TipWatcher.tip_id == tip_id))
    return {w.unit_code: w.reason for w in rows}


def _utc(value: datetime | None) -> datetime:
    assert value is not None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _pin(app: Any, local: str) -> datetime:
    now = datetime.fromisoformat(local).astimezone(UTC)
    app.dependency_overrides[get_now] = lambda: now
    return now


async def test_anonymous_tip_is_received_routed_and_registered(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    response = await client.post(TIPS, json=payload())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["reference"].startswith("TB-") and len(body["reference"]) == 12
    groups = body["receipt"].split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4, 4]
    assert body["status"] == "received" and body["public_status"] == "received"
    assert body["assigned_unit"] == {"code": "CAX-26740", "name": "Công an phường Sài Gòn"}
    assert [u["code"] for u in body["watching_units"]] == ["CAT-79-PC04"]
    assert re.fullmatch(r"CAX-26740/20\d\d/000001", body["register_number"])
    assert body["acknowledge_by"].endswith("T23:59:59+07:00")
    assert body["created_at"].endswith(VN)
    assert (body["kind"], body["tip_type"]) == ("crime", "to_giac")

    tip = await _tip(db, body["id"])
    assert tip.reference == body["reference"]
    assert body["receipt"] not in tip.receipt_hash and len(tip.receipt_hash) == 64
    assert (tip.channel, tip.anonymous, tip.status) == ("mobile", True, "received")
    assert tip.register_number == body["register_number"]
    assert tip.commune_code == SAI_GON and tip.province_code == "79"
    assert await db.get(ReporterIdentity, tip.id) is None
    entries = list(await db.scalars(select(RegisterEntry).where(RegisterEntry.tip_id == tip.id)))
    assert [(e.unit_code, e.seq, e.register_number) for e in entries] == [
        ("CAX-26740", 1, body["register_number"])
    ]
    events = await _events(db, tip.id)
    assert [(e.type, e.public, e.public_status) for e in events] == [
        ("tip.created", True, "received")
    ]
    assert events[0].data["register_number"] == body["register_number"]
    assert await _watchers(db, tip.id) == {"CAT-79-PC04": "routing"}


async def test_identified_reporter_is_stored_encrypted_and_never_returned(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    reporter = {
        "full_name": "Nguyễn Văn An",
        "phone": "0912 345 678",
        "email": "an@example.vn",
        "address": "12 Lê Lợi",
    }
    response = await client.post(TIPS, json=payload(anonymous=False, reporter=reporter))
    assert response.status_code == 201, response.text
    for secret in reporter.values():
        assert secret not in response.text

    row = await db.get(ReporterIdentity, response.json()["id"])
    assert row is not None and row.ciphertext is not None
    for secret in (b"0912 345 678", b"an@example.vn", "Nguyễn".encode()):
        assert secret not in row.ciphertext
    tip = await _tip(db, response.json()["id"])
    assert "0912" not in json.dumps([e.data for e in await _events(db, tip.id)])
    plain = app.state.cipher.decrypt(row.key_id, row.ciphertext, aad=tip.id.encode())
    assert json.loads(plain) == reporter
    assert tip.anonymous is False


async def test_security_order_report_and_organisation_tip_types(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    report = await client.post(TIPS, json=payload(category_code="neighbour_dispute"))
    assert report.status_code == 201, report.text
    assert (report.json()["kind"], report.json()["tip_type"]) == ("security_order", "phan_anh")
    assert report.json()["transfer_due_at"] is None
    assert report.json()["watching_units"] == []

    on_behalf = await client.post(
        TIPS,
        json=identified(
            on_behalf_of_organization=True,
            organization_name="Công ty TNHH Ánh Dương",
            organization_tax_code="0301234567",
        ),
    )
    assert on_behalf.status_code == 201, on_behalf.text
    assert on_behalf.json()["tip_type"] == "tin_bao"
    tip = await _tip(db, on_behalf.json()["id"])
    assert tip.on_behalf_of_organization is True
    row = await db.get(ReporterIdentity, tip.id)
    assert row is not None and row.ciphertext is not None
    identity = json.loads(app.state.cipher.decrypt(row.key_id, row.ciphertext, aad=tip.id.encode()))
    assert identity["organization_name"] == "Công ty TNHH Ánh Dương"
    assert identity["organization_tax_code"] == "0301234567"


async def test_location_unknown_goes_to_the_provincial_duty_desk(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    body = payload(
        description=LONG_DESCRIPTION,
        location={"province_code": "79", "address": "gần chợ"},
        location_unknown=True,
    )
    response = await post_multipart(client, body, [("anh.jpg", jpeg_bytes(), "image/jpeg")])
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["assigned_unit"]["code"] == "CAT-79"
    assert created["register_number"].startswith("CAT-79/")
    assert created["commune_code"] is None and created["province_code"] == "79"
    assert created["transfer_due_at"] is None  # not a commune unit
    assert len(created["attachments"]) == 1
    tip = await _tip(db, created["id"])
    assert tip.location_unknown is True and tip.commune_code is None


async def test_urgent_tip_alerts_the_provincial_duty_desk(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    response = await client.post(TIPS, json=payload(urgent=True))
    assert response.status_code == 201, response.text
    tip_id = response.json()["id"]
    assert await _watchers(db, tip_id) == {"CAT-79-PC04": "routing", "CAT-79": "urgent"}
    events = await _events(db, tip_id)
    urgent = [e for e in events if e.type == "tip.urgent"]
    assert len(urgent) == 1 and urgent[0].public is False
    assert urgent[0].data["alerted_unit_code"] == "CAT-79"
    tip = await _tip(db, tip_id)
    assert tip.urgent is True and tip.priority > 0
    assert {u["code"] for u in response.json()["watching_units"]} == {"CAT-79", "CAT-79-PC04"}


async def test_front_member_files_under_their_name_and_organisation(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    organization = await make_organization(
        db, name="Hội Phụ nữ phường Sài Gòn", kind="member_org", province_code="79"
    )
    member = await make_user(
        db,
        role="front_member",
        province_code="79",
        organization_id=organization.id,
        full_name="Trần Thị Bình",
    )
    response = await client.post(
        TIPS,
        json=payload(anonymous=True, channel="web", movement_model="camera_an_ninh"),
        headers=auth_headers(app, member),
    )
    assert response.status_code == 201, response.text
    assert response.json()["tip_type"] == "tin_bao"
    tip = await _tip(db, response.json()["id"])
    assert (tip.channel, tip.anonymous, tip.organization_id) == ("front", False, organization.id)
    assert tip.movement_model == "camera_an_ninh"
    assert tip.submitted_by_id is None  # the person is only in the encrypted identity
    row = await db.get(ReporterIdentity, tip.id)
    assert row is not None and row.ciphertext is not None
    identity = json.loads(app.state.cipher.decrypt(row.key_id, row.ciphertext, aad=tip.id.encode()))
    assert identity["full_name"] == "Trần Thị Bình"
    assert identity["organization_name"] == "Hội Phụ nữ phường Sài Gòn"


async def test_movement_model_is_for_front_members_only(client: httpx.AsyncClient) -> None:
    response = await client.post(TIPS, json=payload(movement_model="camera_an_ninh"))
    assert response.status_code == 422
    assert field_names(response.json()) == ["movement_model"]


async def test_staff_walk_in_writes_the_intake_record(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    officer = await make_user(db, role="officer", unit_code="CAX-26740", province_code="79")
    now = _pin(app, "2026-11-23T10:00:00+07:00")
    received = "2026-11-23T08:30:00+07:00"
    response = await client.post(
        TIPS,
        json=identified(
            channel="walk_in",
            intake_record={"received_at": received, "recorded": True, "notes": "Có ghi âm."},
        ),
        headers=auth_headers(app, officer),
    )
    assert response.status_code == 201, response.text
    tip = await _tip(db, response.json()["id"])
    assert tip.channel == "walk_in" and tip.submitted_by_id == officer.id
    record = await db.get(IntakeRecord, tip.id)
    assert record is not None
    assert record.receiving_officer_id == officer.id
    assert record.recorded is True and record.notes == "Có ghi âm."
    assert record.place == "Công an phường Sài Gòn"
    expected = datetime.fromisoformat(received)
    assert tip.received_at.replace(tzinfo=UTC) == expected.astimezone(UTC).replace(tzinfo=UTC)
    assert response.json()["created_at"] == now.astimezone(expected.tzinfo).isoformat()

    hotline = await client.post(
        TIPS, json=payload(channel="hotline"), headers=auth_headers(app, officer)
    )
    assert hotline.status_code == 201, hotline.text
    record = await db.get(IntakeRecord, hotline.json()["id"])
    assert record is not None and record.place == "Đường dây nóng"


@pytest.mark.parametrize("channel", ["hotline", "walk_in", "front", "open311"])
async def test_channels_a_citizen_may_not_use(
    client: httpx.AsyncClient, db: AsyncSession, channel: str
) -> None:
    response = await client.post(TIPS, json=payload(channel=channel))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"
    assert (await counts(db))["tips"] == 0


async def test_machine_clients_use_the_open311_adapter(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _, key = await make_api_key(db, app, role=ApiKeyRole.open311_client, province_code="79")
    response = await client.post(TIPS, json=payload(), headers={"X-API-Key": key})
    assert response.status_code == 403
    response = await client.post(TIPS, json=payload(channel="open311"), headers={"X-API-Key": key})
    assert response.status_code == 403  # the endpoint is not the adapter
    assert (await counts(db))["tips"] == 0


async def test_intake_record_needs_a_staff_walk_in(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    officer = await make_user(db, role="officer", unit_code="CAX-26740")
    response = await client.post(
        TIPS,
        json=payload(channel="web", intake_record={"place": "Trụ sở"}),
        headers=auth_headers(app, officer),
    )
    assert response.status_code == 422
    assert field_names(response.json()) == ["intake_record"]


async def test_pre_2025_commune_code_is_mapped(client: httpx.AsyncClient, db: AsyncSession) -> None:
    # 26734 was Phường Tân Định (Quận 1) before 2025; today it is part of 26737.
    response = await client.post(TIPS, json=payload(location={"commune_code": "26734"}))
    assert response.status_code == 201, response.text
    assert response.json()["commune_code"] == "26737"
    assert response.json()["assigned_unit"]["code"] == "CAX-26737"
    tip = await _tip(db, response.json()["id"])
    assert tip.legacy_commune_code == "26734"


async def test_split_pre_2025_code_answers_the_candidates(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    response = await client.post(TIPS, json=payload(location={"commune_code": "26746"}))
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "ambiguous_commune"
    assert [c["code"] for c in problem["candidates"]] == ["26740", "26743"]
    assert field_names(problem) == ["location.commune_code"]
    assert set((await counts(db)).values()) == {0}

    # A point inside one of the candidates decides.
    decided = await client.post(
        TIPS,
        json=payload(
            location={"commune_code": "26746", "lat": SAI_GON_POINT[0], "lon": SAI_GON_POINT[1]}
        ),
    )
    assert decided.status_code == 201, decided.text
    assert decided.json()["commune_code"] == "26740"


async def test_a_point_alone_and_a_point_that_disagrees(client: httpx.AsyncClient) -> None:
    only_point = await client.post(
        TIPS, json=payload(location={"lat": TAN_DINH_POINT[0], "lon": TAN_DINH_POINT[1]})
    )
    assert only_point.status_code == 201, only_point.text
    assert only_point.json()["commune_code"] == "26737"
    assert only_point.json()["location_mismatch"] is False

    disagree = await client.post(
        TIPS,
        json=payload(
            location={"commune_code": SAI_GON, "lat": TAN_DINH_POINT[0], "lon": TAN_DINH_POINT[1]}
        ),
    )
    assert disagree.status_code == 201, disagree.text
    assert disagree.json()["commune_code"] == SAI_GON  # the code wins
    assert disagree.json()["location_mismatch"] is True


async def test_deadlines_from_a_sunday_receipt(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _pin(app, "2026-11-22T10:00:00+07:00")  # a Sunday
    response = await client.post(TIPS, json=payload(occurred_at="2026-11-20T21:00:00+07:00"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["acknowledge_by"] == "2026-11-25T23:59:59+07:00"
    assert body["created_at"] == "2026-11-22T10:00:00+07:00"
    assert body["transfer_due_at"] == "2026-11-23T10:00:00+07:00"  # commune police: 24 h
    assert body["due_at"] == "2026-12-12T10:00:00+07:00"  # crime: 20 days
    assert body["register_number"] == "CAX-26740/2026/000001"

    # Stored in UTC, read back the same on SQLite and PostgreSQL.
    stored = await _tip(db, body["id"])
    assert _utc(stored.acknowledge_by) == datetime(2026, 11, 25, 16, 59, 59, tzinfo=UTC)
    assert _utc(stored.due_at) == datetime(2026, 12, 12, 3, 0, tzinfo=UTC)
    assert _utc(stored.occurred_at) == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)

    report = await client.post(TIPS, json=payload(category_code="public_disorder"))
    assert report.json()["due_at"] == "2026-12-07T10:00:00+07:00"  # 15 days


async def test_remote_commune_gets_48_hours_to_forward(app: Any, client: httpx.AsyncClient) -> None:
    _pin(app, "2026-11-23T09:00:00+07:00")
    response = await client.post(TIPS, json=payload(location={"commune_code": "07192"}))  # Cô Tô
    assert response.status_code == 201, response.text
    assert response.json()["transfer_due_at"] == "2026-11-25T09:00:00+07:00"


async def test_register_year_is_the_local_year(app: Any, client: httpx.AsyncClient) -> None:
    _pin(app, "2027-01-01T00:30:00+07:00")  # still 2026 in UTC
    response = await client.post(TIPS, json=payload())
    assert response.json()["register_number"] == "CAX-26740/2027/000001"


async def test_future_occurrence_is_refused(app: Any, client: httpx.AsyncClient) -> None:
    now = _pin(app, "2026-11-23T09:00:00+07:00")
    later = (now + timedelta(hours=2)).isoformat()
    response = await client.post(TIPS, json=payload(occurred_at=later))
    assert response.status_code == 422
    assert field_names(response.json()) == ["occurred_at"]


async def test_english_problem_with_accept_language(client: httpx.AsyncClient) -> None:
    response = await client.post(
        TIPS, json=payload(description="ngắn"), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert response.json()["title"] == "Invalid request data"
    assert response.headers["content-language"] == "en"
    vi = await client.post(TIPS, json=payload(description="ngắn"))
    assert vi.json()["title"] == "Dữ liệu không hợp lệ"


async def test_english_rule_messages(client: httpx.AsyncClient) -> None:
    response = await client.post(
        TIPS,
        json=payload(anonymous=False),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    messages = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert messages["reporter.full_name"] == "full_name is required."


async def test_intake_with_files_lists_them(client: httpx.AsyncClient, db: AsyncSession) -> None:
    response = await post_multipart(
        client,
        payload(),
        [("ảnh 1.jpg", jpeg_bytes(), "image/jpeg"), ("b.jpeg", jpeg_bytes(color="blue"), "")],
    )
    assert response.status_code == 201, response.text
    listed = response.json()["attachments"]
    assert [a["filename"] for a in listed] == ["ảnh 1.jpg", "b.jpeg"]
    assert {a["content_type"] for a in listed} == {"image/jpeg"}
    rows = list(await db.scalars(select(Attachment).order_by(Attachment.created_at)))
    assert {r.tip_id for r in rows} == {response.json()["id"]}
    assert all(r.message_id is None and not r.uploaded_by_staff for r in rows)


async def test_kien_nghi_khoi_to_is_set_only_by_staff_intake(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    officer = await make_user(db, role="officer", unit_code="CAX-26740", province_code="79")
    staff = auth_headers(app, officer)
    response = await client.post(
        TIPS, json=payload(channel="walk_in", tip_type="kien_nghi_khoi_to"), headers=staff
    )
    assert response.status_code == 201, response.text
    assert (await _tip(db, response.json()["id"])).tip_type == "kien_nghi_khoi_to"
    # Not for citizens, and it must fit the kind.
    citizen = await client.post(TIPS, json=payload(tip_type="kien_nghi_khoi_to"))
    assert citizen.status_code == 422 and field_names(citizen.json()) == ["tip_type"]
    wrong = await client.post(
        TIPS,
        json=payload(channel="hotline", category_code="public_disorder", tip_type="to_giac"),
        headers=staff,
    )
    assert wrong.status_code == 422 and field_names(wrong.json()) == ["tip_type"]
