"""Open311 service requests: api_key, filing tips, reading them within the key's province,
and personal data that never comes back."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiKey
from app.tips.models import ReporterIdentity, Tip
from tests.accounts.helpers import make_api_key
from tests.open311.helpers import (
    BA_DINH,
    BASE,
    DESCRIPTION,
    SAI_GON,
    assert_open311_error,
    assert_open311_xml_error,
    parse_xml,
    request_form,
    submit,
    validate,
)
from tests.tips.helpers import TIPS, payload

VN = timezone(timedelta(hours=7))
REFERENCE = re.compile(r"^TB-[0-9A-Z]{4}-[0-9A-Z]{4}$")


@pytest.fixture
async def key(db, app) -> str:
    _, value = await make_api_key(db, app, role="open311_client", province_code="79", name="hcm")
    return value


@pytest.fixture
async def hanoi_key(db, app) -> str:
    _, value = await make_api_key(db, app, role="open311_client", province_code="01", name="hn")
    return value


async def _tip(db: AsyncSession, reference: str) -> Tip:
    db.expire_all()
    tip = await db.scalar(select(Tip).where(Tip.reference == reference))
    assert tip is not None
    return tip


async def _tip_count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Tip)) or 0)


# --- api_key -----------------------------------------------------------------------------


async def test_requests_need_an_api_key(client, db):
    for url in (f"{BASE}/requests.json", f"{BASE}/requests/TB-0000-0000.json"):
        errors = assert_open311_error(await client.get(url), 400)
        assert errors[0]["description"].startswith("api_key:")
    assert_open311_xml_error(await client.get(f"{BASE}/requests.xml"), 400)
    assert_open311_error(await client.post(f"{BASE}/requests.json", data=request_form(None)), 400)
    assert await _tip_count(db) == 0


async def test_wrong_revoked_or_other_role_keys_answer_403(client, db, app, key):
    _, analyst_key = await make_api_key(db, app, role="analyst", province_code="79")
    revoked, revoked_key = await make_api_key(db, app, role="open311_client", province_code="79")
    await db.execute(
        update(ApiKey).where(ApiKey.id == revoked.id).values(revoked_at=datetime.now(UTC))
    )
    await db.commit()
    for bad in ("tbk_not-a-key", analyst_key, revoked_key):
        r = await client.get(f"{BASE}/requests.json", params={"api_key": bad})
        assert_open311_error(r, 403)
        r = await client.post(f"{BASE}/requests.json", data=request_form(bad))
        assert_open311_error(r, 403)
        assert_open311_xml_error(
            await client.post(f"{BASE}/requests.xml", data=request_form(bad)), 403
        )
    assert await _tip_count(db) == 0
    # The good key works in the query, the form, or the X-API-Key header.
    r = await client.get(f"{BASE}/requests.json", params={"api_key": key})
    assert r.status_code == 200
    r = await client.get(f"{BASE}/requests.json", headers={"X-API-Key": key})
    assert r.status_code == 200
    r = await client.post(f"{BASE}/requests.json", params={"api_key": key}, data=request_form(None))
    assert r.status_code == 201, r.text


async def test_open311_keys_cannot_use_the_regular_intake(client, key):
    r = await client.post(TIPS, json=payload(channel="open311"), headers={"X-API-Key": key})
    assert r.status_code == 403


# --- filing ------------------------------------------------------------------------------


async def test_post_files_an_anonymous_tip_and_answers_its_reference(client, db, key):
    r = await client.post(f"{BASE}/requests.json", data=request_form(key))
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body) == 1
    assert set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    assert REFERENCE.match(body[0]["service_request_id"])
    assert body[0]["account_id"] is None
    assert "Công an phường Sài Gòn" in body[0]["service_notice"]
    assert "receipt" not in r.text and "token" not in r.text

    tip = await _tip(db, body[0]["service_request_id"])
    assert tip.channel == "open311"
    assert tip.anonymous is True
    assert tip.commune_code == SAI_GON
    assert tip.assigned_unit_code == f"CAX-{SAI_GON}"
    assert await db.get(ReporterIdentity, tip.id) is None


async def test_post_with_commune_code_attributes_and_xml_answer(client, db, key):
    form = request_form(
        key,
        lat=None,
        long=None,
        address_string="Hẻm 12 Lê Lợi",
        **{
            "attribute[commune_code]": SAI_GON,
            "attribute[urgent]": "true",
            "attribute[occurred_at]": "2026-01-10T21:00:00+07:00",
        },
    )
    r = await client.post(f"{BASE}/requests.xml", data=form)
    assert r.status_code == 201, r.text
    root = parse_xml(r)
    assert root.tag == "service_requests"
    reference = root.findtext("request/service_request_id")
    assert reference and REFERENCE.match(reference)
    tip = await _tip(db, reference)
    assert tip.urgent is True
    assert tip.address == "Hẻm 12 Lê Lợi"
    assert tip.occurred_at is not None


async def test_post_with_a_name_and_contact_stores_an_encrypted_identity(client, db, key):
    phone, email = "0987 654 321", "nguoi.bao.7731@example.vn"
    r = await client.post(
        f"{BASE}/requests.json",
        data=request_form(
            key,
            first_name="Trần",
            last_name="Thị Bình",
            phone=phone,
            email=email,
            device_id="device-5512",
            account_id="acct-8812",
        ),
    )
    assert r.status_code == 201, r.text
    tip = await _tip(db, r.json()[0]["service_request_id"])
    assert tip.anonymous is False
    identity = await db.get(ReporterIdentity, tip.id)
    assert identity is not None and identity.ciphertext
    for secret in (phone, email, "Bình", "device-5512", "acct-8812"):
        assert secret.encode() not in identity.ciphertext


async def test_partial_or_declined_personal_data_is_dropped(client, db, key):
    only_email = await submit(client, key, email="chi.email@example.vn")
    declined = await submit(
        client, key, first_name="An", phone="0912345678", **{"attribute[anonymous]": "true"}
    )
    for reference in (only_email, declined):
        tip = await _tip(db, reference)
        assert tip.anonymous is True
        assert await db.get(ReporterIdentity, tip.id) is None


async def test_personal_data_never_appears_in_any_answer(client, key):
    phone, email, name = "0903 771 245", "unique.reporter.5521@example.vn", "Phạm Độc Nhất"
    personal = {
        "first_name": name.split()[0],
        "last_name": " ".join(name.split()[1:]),
        "phone": phone,
        "email": email,
        "device_id": "device-unique-8842",
        "account_id": "account-unique-9931",
    }
    answers = []
    for fmt in ("json", "xml"):
        r = await client.post(f"{BASE}/requests.{fmt}", data=request_form(key, **personal))
        assert r.status_code == 201, r.text
        answers.append(r)
    reference = answers[0].json()[0]["service_request_id"]
    params = {"api_key": key}
    for fmt in ("json", "xml"):
        answers += [
            await client.get(f"{BASE}/requests.{fmt}", params=params),
            await client.get(f"{BASE}/requests/{reference}.{fmt}", params=params),
            await client.get(f"{BASE}/tokens/{reference}.{fmt}", params=params),
        ]
    # An invalid contact is refused without being repeated.
    bad = await client.post(
        f"{BASE}/requests.json",
        data=request_form(key, first_name="Lê", phone="not-a-phone-77123", email="x@@bad-mail"),
    )
    assert_open311_error(bad, 400)
    answers.append(bad)
    for r in answers:
        assert r.status_code in (200, 201, 400)
        text = r.text
        for value in (phone, email, name, "Độc Nhất", "device-unique-8842", "account-unique-9931"):
            assert value not in text
        assert "not-a-phone-77123" not in text and "x@@bad-mail" not in text
        assert "0903771245" not in text.replace(" ", "")


async def test_invalid_requests_answer_400_naming_the_parameters(client, db, key):
    r = await client.post(f"{BASE}/requests.json", data={"api_key": key})
    descriptions = [e["description"] for e in assert_open311_error(r, 400)]
    assert any(d.startswith("service_code:") for d in descriptions)
    assert any(d.startswith("description:") for d in descriptions)

    cases = {
        "service_code": request_form(key, service_code="no_such_service"),
        "description": request_form(key, description="ngắn"),
        "attribute[colour]": request_form(key, **{"attribute[colour]": "red"}),
        "attribute[urgent]": request_form(key, **{"attribute[urgent]": "maybe"}),
        "media_url": request_form(key, media_url="https://example.com/a.jpg"),
        "lat/long or attribute[commune_code]": request_form(key, lat=None, long=None),
        "attribute[commune_code]": request_form(
            key, lat=None, long=None, **{"attribute[commune_code]": "99999"}
        ),
        "long": request_form(key, long=None),
    }
    for parameter, form in cases.items():
        r = await client.post(f"{BASE}/requests.json", data=form)
        descriptions = [e["description"] for e in assert_open311_error(r, 400)]
        assert any(d.startswith(f"{parameter}:") for d in descriptions), (parameter, descriptions)
    r = await client.post(
        f"{BASE}/requests.json",
        content=b'{"service_code": "drugs"}',
        params={"api_key": key},
        headers={"Content-Type": "application/json"},
    )
    assert_open311_error(r, 400)
    assert await _tip_count(db) == 0


async def test_a_place_outside_the_keys_province_is_refused(client, db, key, hanoi_key):
    form = request_form(key, lat=None, long=None, **{"attribute[commune_code]": BA_DINH})
    r = await client.post(f"{BASE}/requests.json", data=form, headers={"Accept-Language": "en"})
    (error,) = assert_open311_error(r, 400)
    assert "outside the province" in error["description"]
    assert await _tip_count(db) == 0
    form["api_key"] = hanoi_key
    assert (await client.post(f"{BASE}/requests.json", data=form)).status_code == 201


async def test_idempotency_key_replays_the_first_answer(client, db, key):
    headers = {"Idempotency-Key": "open311-retry-1"}
    first = await client.post(f"{BASE}/requests.json", data=request_form(key), headers=headers)
    again = await client.post(f"{BASE}/requests.json", data=request_form(key), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert await _tip_count(db) == 1
    other = await client.post(
        f"{BASE}/requests.json",
        data=request_form(key, service_code="theft_fraud"),
        headers=headers,
    )
    assert_open311_error(other, 409)
    assert await _tip_count(db) == 1


# --- reading -----------------------------------------------------------------------------


async def test_get_request_maps_an_open_tip(client, key):
    reference = await submit(client, key, address_string="Cuối hẻm 12")
    r = await client.get(f"{BASE}/requests/{reference}.json", params={"api_key": key})
    assert r.status_code == 200
    body = r.json()
    validate(body, "requests.json")
    (request,) = body
    assert request["service_request_id"] == reference
    assert request["status"] == "open"
    assert request["service_code"] == "drugs"
    assert request["service_name"] == "Ma túy"
    assert request["agency_responsible"] == "Công an phường Sài Gòn"
    assert request["address"] == "Cuối hẻm 12, Phường Sài Gòn, Thành phố Hồ Chí Minh"
    assert request["lat"] == pytest.approx(10.779947)
    assert request["long"] == pytest.approx(106.702495)
    assert request["description"] == DESCRIPTION  # the key filed it
    assert request["media_url"] is None
    assert request["expected_datetime"] is not None
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert datetime.fromisoformat(request[field]).utcoffset() == timedelta(hours=7)

    root = parse_xml(await client.get(f"{BASE}/requests/{reference}.xml", params={"api_key": key}))
    assert root.tag == "service_requests"
    (element,) = root.findall("request")
    assert element.findtext("service_request_id") == reference
    assert element.findtext("status") == "open"
    assert element.findtext("agency_responsible") == "Công an phường Sài Gòn"
    assert element.findtext("description") == DESCRIPTION


async def test_closed_statuses_map_to_closed_with_notes(client, db, key):
    resolved = await submit(client, key)
    rejected = await submit(client, key, service_code="public_disorder")
    merged = await submit(client, key)
    target = await _tip(db, resolved)
    now = datetime.now(UTC)
    await db.execute(
        update(Tip)
        .where(Tip.reference == resolved)
        .values(
            status="resolved",
            outcome="not_prosecuted",
            closed_at=now,
            outcome_summary="Đã xác minh, không có dấu hiệu tội phạm.",
        )
    )
    await db.execute(
        update(Tip).where(Tip.reference == rejected).values(status="rejected", closed_at=now)
    )
    await db.execute(
        update(Tip)
        .where(Tip.reference == merged)
        .values(status="merged", merged_into_id=target.id, closed_at=now)
    )
    await db.commit()

    params = {"api_key": key}
    body = (await client.get(f"{BASE}/requests.json", params=params)).json()
    validate(body, "requests.json")
    by_id = {r["service_request_id"]: r for r in body}
    assert {r["status"] for r in by_id.values()} == {"closed"}
    assert by_id[resolved]["status_notes"] == "Đã xác minh, không có dấu hiệu tội phạm."
    assert by_id[rejected]["status_notes"] == "Tin báo không được thụ lý."
    assert by_id[merged]["status_notes"] == f"Đã gộp vào tin báo {resolved}."
    assert all(r["expected_datetime"] is None for r in by_id.values())

    open_one = await submit(client, key)
    closed = await client.get(f"{BASE}/requests.json", params={**params, "status": "closed"})
    assert {r["service_request_id"] for r in closed.json()} == {resolved, rejected, merged}
    opened = await client.get(f"{BASE}/requests.json", params={**params, "status": "open"})
    assert [r["service_request_id"] for r in opened.json()] == [open_one]
    both = await client.get(f"{BASE}/requests.json", params={**params, "status": "open,closed"})
    assert len(both.json()) == 4


async def test_list_filters_by_id_service_and_dates(client, db, key):
    first = await submit(client, key)
    second = await submit(client, key, service_code="public_disorder")
    old = await submit(client, key)
    long_ago = datetime.now(UTC) - timedelta(days=200)
    await db.execute(update(Tip).where(Tip.reference == old).values(created_at=long_ago))
    await db.commit()
    params = {"api_key": key}

    default = (await client.get(f"{BASE}/requests.json", params=params)).json()
    assert [r["service_request_id"] for r in default] == [second, first]  # newest first

    by_code = await client.get(f"{BASE}/requests.json", params={**params, "service_code": "drugs"})
    assert [r["service_request_id"] for r in by_code.json()] == [first]

    # With ids, the other filters are ignored (the old one is found too).
    ids = f"{old},{second.lower()},TB-0000-0000"
    by_ids = await client.get(
        f"{BASE}/requests.json",
        params={**params, "service_request_id": ids, "service_code": "drugs"},
    )
    assert {r["service_request_id"] for r in by_ids.json()} == {old, second}

    start = (long_ago - timedelta(days=1)).date().isoformat()
    end = (long_ago + timedelta(days=1)).date().isoformat()
    window = await client.get(
        f"{BASE}/requests.json", params={**params, "start_date": start, "end_date": end}
    )
    assert [r["service_request_id"] for r in window.json()] == [old]

    # Offsets count: the window is compared in UTC, on SQLite as on PostgreSQL.
    created = long_ago.astimezone(VN)
    around = {
        **params,
        "start_date": (created - timedelta(hours=1)).isoformat(),
        "end_date": (created + timedelta(hours=1)).isoformat(),
    }
    r = await client.get(f"{BASE}/requests.json", params=around)
    assert [r["service_request_id"] for r in r.json()] == [old]
    before = {**around, "end_date": (created - timedelta(minutes=1)).isoformat()}
    assert (await client.get(f"{BASE}/requests.json", params=before)).json() == []

    too_long = {**params, "start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"}
    assert_open311_error(await client.get(f"{BASE}/requests.json", params=too_long), 400)
    assert_open311_error(
        await client.get(f"{BASE}/requests.json", params={**params, "start_date": "yesterday"}),
        400,
    )
    assert_open311_error(
        await client.get(f"{BASE}/requests.json", params={**params, "status": "pending"}), 400
    )


async def test_a_key_sees_only_its_province(client, db, key, hanoi_key):
    reference = await submit(client, key)
    # A tip filed through the public intake in the same province is visible too.
    r = await client.post(TIPS, json=payload())
    assert r.status_code == 201
    web_reference = r.json()["reference"]

    for fmt in ("json", "xml"):
        assert_open311_error(
            await client.get(f"{BASE}/requests/{reference}.json", params={"api_key": hanoi_key}),
            404,
        )
        r = await client.get(f"{BASE}/requests/{reference}.{fmt}", params={"api_key": hanoi_key})
        assert r.status_code == 404
        r = await client.get(f"{BASE}/tokens/{reference}.{fmt}", params={"api_key": hanoi_key})
        assert r.status_code == 404
    listed = await client.get(
        f"{BASE}/requests.json",
        params={"api_key": hanoi_key, "service_request_id": f"{reference},{web_reference}"},
    )
    assert listed.json() == []
    assert (await client.get(f"{BASE}/requests.json", params={"api_key": hanoi_key})).json() == []

    mine = (await client.get(f"{BASE}/requests.json", params={"api_key": key})).json()
    assert {r["service_request_id"] for r in mine} == {reference, web_reference}


async def test_tokens_resolve_a_service_request_id_to_itself(client, key):
    reference = await submit(client, key)
    r = await client.get(f"{BASE}/tokens/{reference}.json", params={"api_key": key})
    assert r.status_code == 200
    assert r.json() == [{"service_request_id": reference, "token": reference}]
    root = parse_xml(await client.get(f"{BASE}/tokens/{reference}.xml", params={"api_key": key}))
    assert root.findtext("request/token") == reference
    assert_open311_error(
        await client.get(f"{BASE}/tokens/TB-0000-0000.json", params={"api_key": key}), 404
    )


async def test_malformed_ids_and_parameters_answer_open311_errors(client, key):
    params = {"api_key": key}
    for path in ("requests/TB%00X.json", "tokens/a%20b.json", "services/dr%00ugs.json"):
        assert_open311_error(await client.get(f"{BASE}/{path}", params=params), 404)
    r = await client.get(f"{BASE}/requests.json", params={**params, "service_code": "dr\x00ugs"})
    assert_open311_error(r, 400)
    r = await client.get(f"{BASE}/requests.json?api_key={key}&status=open&status=closed")
    assert_open311_error(r, 400)


async def test_a_key_reads_text_address_point_and_summary_only_of_its_own_requests(
    app, client, db, key
):
    """Issue 10.7: another Open311 key of the province saw every tip's free-text address,
    exact point and the staff's outcome summary."""
    _, other_key = await make_api_key(
        db, app, role="open311_client", province_code="79", name="hcm-other"
    )
    mine = await submit(client, key, address_string="Số 5 hẻm Riêng Tư Zq")
    web = await client.post(
        "/api/v1/tips",
        json={
            "category_code": "drugs",
            "description": "Có người bán ma túy ở cuối hẻm Zq mỗi tối.",
            "location": {
                "commune_code": "26740",
                "address": "Nhà số 9 Zq",
                "lat": 10.7799,
                "lon": 106.7025,
            },
            "anonymous": True,
        },
    )
    assert web.status_code == 201, web.text
    for reference in (mine, web.json()["reference"]):
        await db.execute(
            update(Tip)
            .where(Tip.reference == reference)
            .values(
                status="resolved",
                outcome="not_prosecuted",
                closed_at=datetime.now(UTC),
                outcome_summary="Cán bộ Zq đã xác minh tại nhà ông Zq.",
            )
        )
    await db.commit()

    own = (await client.get(f"{BASE}/requests/{mine}.json", params={"api_key": key})).json()[0]
    assert own["address"].startswith("Số 5 hẻm Riêng Tư Zq")
    assert own["lat"] is not None and own["description"] == DESCRIPTION
    assert own["status_notes"] == "Cán bộ Zq đã xác minh tại nhà ông Zq."

    for reference, api_key in ((mine, other_key), (web.json()["reference"], key)):
        for path in (f"{BASE}/requests/{reference}.json", f"{BASE}/requests/{reference}.xml"):
            r = await client.get(path, params={"api_key": api_key})
            assert r.status_code == 200, r.text
            assert "Zq" not in r.text and "10.77" not in r.text, (path, r.text)
        (item,) = (
            await client.get(f"{BASE}/requests/{reference}.json", params={"api_key": api_key})
        ).json()
        assert item["address"] == "Phường Sài Gòn, Thành phố Hồ Chí Minh"
        assert (item["lat"], item["long"], item["description"]) == (None, None, None)
        assert "Zq" not in item["status_notes"]
    # A key that filed neither lists both without their words or places.
    listed = await client.get(f"{BASE}/requests.json", params={"api_key": other_key})
    assert len(listed.json()) == 2 and "Zq" not in listed.text
