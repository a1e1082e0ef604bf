"""Privacy requests of kind `correction`: the reporter sends corrected fields; completing the
request re-encrypts the identity with them; the new values are never stored in clear."""

from __future__ import annotations

import json

from sqlalchemy import text

from app.privacy.models import PrivacyRequest
from tests.privacy.helpers import (
    ADDRESS,
    EMAIL,
    NAME,
    PHONE,
    REQUESTS,
    TRACK_REQUESTS,
    audit_entries,
    identity_of,
    receipt_headers,
    submit_reporter,
)
from tests.triage.helpers import make_staff

NEW_PHONE = "0911 222 333"
NEW_ADDRESS = "Số 9 phố Bình An"


def decrypt(app, identity) -> dict:
    plain = app.state.cipher.decrypt(
        identity.key_id, identity.ciphertext, aad=identity.tip_id.encode()
    )
    return json.loads(plain)


async def test_reporter_correction_end_to_end(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_reporter(client)
    before = await identity_of(db, tip["id"])
    old_blob = before.ciphertext

    r = await client.post(
        TRACK_REQUESTS,
        json={"kind": "correction", "reporter": {"phone": NEW_PHONE, "address": NEW_ADDRESS}},
        headers=receipt_headers(tip),
    )
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["kind"] == "correction"
    # Stored encrypted on the request, nowhere in clear.
    db.expire_all()
    row = await db.get(PrivacyRequest, filed["id"])
    assert (
        row is not None
        and row.correction_ciphertext
        and NEW_PHONE.encode() not in row.correction_ciphertext
    )
    dump = await db.execute(text("SELECT * FROM privacy_requests"))
    assert NEW_PHONE not in str(dump.all())

    listed = await client.get(REQUESTS, headers=staff.headers["lead_a"])
    assert NEW_PHONE not in listed.text and NEW_ADDRESS not in listed.text
    done = await client.post(f"{REQUESTS}/{filed['id']}/complete", headers=staff.headers["lead_a"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert NEW_PHONE not in done.text

    after = await identity_of(db, tip["id"])
    assert after.ciphertext != old_blob  # re-encrypted
    assert decrypt(app, after) == {
        "full_name": NAME,
        "phone": NEW_PHONE,
        "email": EMAIL,
        "address": NEW_ADDRESS,
    }
    db.expire_all()
    row = await db.get(PrivacyRequest, filed["id"])
    assert row is not None and row.correction_ciphertext is None  # the copy is dropped
    (entry,) = await audit_entries(db, "privacy_request.completed")
    assert entry.data["fields_corrected"] == ["address", "phone"]
    assert NEW_PHONE not in json.dumps(entry.data) and PHONE not in json.dumps(entry.data)
    # The reveal shows the corrected identity.
    revealed = await client.post(
        f"/api/v1/tips/{tip['id']}/reporter/reveal",
        json={"reason": "Xác minh lại thông tin liên hệ đã sửa."},
        headers=staff.headers["lead_a"],
    )
    assert revealed.json()["reporter"]["phone"] == NEW_PHONE
    assert ADDRESS not in revealed.text


async def test_correction_needs_fields_and_fields_need_correction(app, client, db):
    tip = await submit_reporter(client)
    for body in (
        {"kind": "correction"},
        {"kind": "correction", "reporter": {}},
        {"kind": "access", "reporter": {"phone": NEW_PHONE}},
        {"kind": "correction", "reporter": {"phone": "not a phone"}},
    ):
        r = await client.post(TRACK_REQUESTS, json=body, headers=receipt_headers(tip))
        assert r.status_code == 422, (body, r.text)


async def test_staff_file_a_correction_the_reporter_asked_for(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_reporter(client)
    r = await client.post(
        REQUESTS,
        json={"tip_id": tip["id"], "kind": "correction", "reporter": {"full_name": "Trần Thị B"}},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 201, r.text
    done = await client.post(
        f"{REQUESTS}/{r.json()['id']}/complete", headers=staff.headers["lead_a"]
    )
    assert done.status_code == 200
    assert decrypt(app, await identity_of(db, tip["id"]))["full_name"] == "Trần Thị B"
