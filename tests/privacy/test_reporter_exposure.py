"""What staff without personal data, and everyone but a reveal, learn of who filed a tip
(issue 10, findings 1 and 2; API.md, "Reporter privacy and the audit trail").

The attacks: a Front member's ``tip.created`` named their user id and username to every
reader (a supervisor then mapped the id to a name with ``GET /users/{id}``); analysts and
analyst API keys received the description, the address, the exact point and the reasons of
extensions, could search with ``q`` and ask hotspots of one tip's cell.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select

from app.accounts.models import User
from app.core.time import add_months, as_utc
from app.tips.models import Tip, TipEvent
from tests.tips.helpers import jpeg_bytes, payload, post_multipart
from tests.triage.helpers import load_tip, make_staff, move, submit

SECRET_WORD = "Nguyễn-Văn-Nghi-Phạm-Zx"  # what the description says of a suspect
ADDRESS = "Số 99 hẻm Bí Mật Zx"
LAT, LON = 10.7769, 106.7009
REASON = "Cần xác minh thêm lời khai của Zx"
STAFF_READERS = ("officer_a", "lead_a", "supervisor_79", "admin", "analyst_79", "analyst_key_79")
NO_PERSONAL_DATA = ("analyst_79", "analyst_key_79")


async def _file_as_front(client: Any, staff: Any) -> dict[str, Any]:
    body = payload(
        urgent=True,
        channel="web",
        description=f"Đối tượng {SECRET_WORD} buôn bán ma túy ở cuối hẻm mỗi tối.",
        location={"commune_code": "26740", "address": ADDRESS, "lat": LAT, "lon": LON},
    )
    r = await client.post("/api/v1/tips", json=body, headers=staff.headers["front"])
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_front_members_tip_names_the_organization_not_the_person(app, client, db):
    staff = await make_staff(db, app)
    member = await db.get(User, staff["front"].id)
    assert member is not None
    person = (member.id, member.username, member.full_name)
    member_id, username, full_name, organization_id = (*person, member.organization_id)
    tip = await _file_as_front(client, staff)

    for reader in STAFF_READERS:
        headers = staff.headers[reader]
        for path in (f"/api/v1/tips/{tip['id']}", f"/api/v1/tips/{tip['id']}/events"):
            r = await client.get(path, headers=headers)
            assert r.status_code == 200, (reader, r.text)
            assert not [p for p in person if p in r.text], (reader, path)
        detail = (await client.get(f"/api/v1/tips/{tip['id']}", headers=headers)).json()
        created = next(e for e in detail["timeline"] if e["type"] == "tip.created")
        assert created["actor"] == {
            "id": None,
            "label": "Hội Nông dân phường Sài Gòn",
            "organization_id": organization_id,
        }
        urgent = next(e for e in detail["timeline"] if e["type"] == "tip.urgent")
        assert urgent["actor"]["id"] is None
    for reader in ("analyst_79", "supervisor_79"):
        feed = await client.get("/api/v1/events", headers=staff.headers[reader])
        assert feed.status_code == 200
        assert not [p for p in person if p in feed.text]

    # Nothing stored about the tip points at the person: erasing the identity (the only
    # place that holds them) leaves no trace.
    db.expire_all()
    row = await load_tip(db, tip["id"])
    assert row.submitted_by_id is None
    traces = await db.scalars(
        select(TipEvent).where(
            TipEvent.tip_id == tip["id"],
            or_(TipEvent.actor_id == member_id, TipEvent.actor_label == username),
        )
    )
    assert list(traces) == []
    assert (await db.scalar(select(Tip.id).where(Tip.submitted_by_id == member_id))) is None

    # Revealed, the identity names the person and the organization.
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/reporter/reveal",
        json={"reason": "Cần liên hệ để xác minh"},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["reporter"]["full_name"] == full_name
    assert r.json()["reporter"]["organization_name"] == "Hội Nông dân phường Sài Gòn"


async def test_older_filing_events_that_named_the_member_are_masked(app, client, db):
    """Events written before the fix (chained by the audit log, so left as they are) held
    the member's id and username: the record shows the organization instead."""
    staff = await make_staff(db, app)
    member = await db.get(User, staff["front"].id)
    assert member is not None
    member_id, username = member.id, member.username
    tip = await _file_as_front(client, staff)
    events = list(await db.scalars(select(TipEvent).where(TipEvent.tip_id == tip["id"])))
    for event in events:
        event.actor_id, event.actor_label = member_id, username
    await db.commit()
    r = await client.get(f"/api/v1/tips/{tip['id']}/events", headers=staff.headers["officer_a"])
    assert member_id not in r.text and username not in r.text
    assert {e["actor"]["label"] for e in r.json()} == {"Hội Nông dân phường Sài Gòn"}


async def test_analysts_and_keys_get_no_free_text_nor_exact_place(app, client, db):
    staff = await make_staff(db, app)
    tip = await _file_as_front(client, staff)
    received = as_utc((await load_tip(db, tip["id"])).received_at)
    until = (add_months(received, 2) - timedelta(hours=1)).isoformat()
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/deadline-extensions",
        json={"until": until, "reason": REASON},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 201, r.text

    officer = (
        await client.get(f"/api/v1/tips/{tip['id']}", headers=staff.headers["officer_a"])
    ).json()
    assert SECRET_WORD in officer["description"]
    assert officer["location"]["address"] == ADDRESS and officer["location"]["lat"] == LAT
    assert officer["deadline_extensions"][0]["reason"] == REASON

    for reader in NO_PERSONAL_DATA:
        headers = staff.headers[reader]
        r = await client.get(f"/api/v1/tips/{tip['id']}", headers=headers)
        assert r.status_code == 200, r.text
        for secret in (SECRET_WORD, ADDRESS, REASON, str(LAT), str(LON)):
            assert secret not in r.text, (reader, secret)
        detail = r.json()
        assert detail["description"] is None
        location = detail["location"]
        assert (location["address"], location["lat"], location["lon"]) == (None, None, None)
        assert location["commune_code"] == "26740"
        assert detail["deadline_extensions"][0]["reason"] is None
        events = await client.get(f"/api/v1/tips/{tip['id']}/events", headers=headers)
        assert REASON not in events.text

        for path in ("/api/v1/tips", "/api/v1/exports/tips.csv"):
            search = await client.get(path, params={"q": "ma tuy"}, headers=headers)
            assert search.status_code == 403, (reader, path, search.text)
            assert search.json()["code"] == "forbidden"
        assert (await client.get("/api/v1/tips", headers=headers)).status_code == 200

    for name in ("officer_a", "supervisor_79"):
        r = await client.get("/api/v1/tips", params={"q": "ma tuy"}, headers=staff.headers[name])
        assert r.status_code == 200 and [t["id"] for t in r.json()["items"]] == [tip["id"]]


async def test_hotspots_keep_a_floor_for_analysts_and_keys(app, client, db):
    staff = await make_staff(db, app)
    await submit(client, location={"commune_code": "26740", "lat": LAT, "lon": LON})
    fine = {"cell_m": 100, "min_count": 1}
    for reader in NO_PERSONAL_DATA:
        headers = {**staff.headers[reader], "Accept-Language": "en"}
        r = await client.get("/api/v1/stats/hotspots", params=fine, headers=headers)
        assert r.status_code == 422, (reader, r.text)
        assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
            ("cell_m", "out_of_range"),
            ("min_count", "out_of_range"),
        }
        r = await client.get("/api/v1/stats/hotspots", params={"min_count": 4}, headers=headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "min_count"
        ok = await client.get("/api/v1/stats/hotspots", headers=headers)
        assert ok.status_code == 200 and ok.json()["cells"] == []  # one tip: no cell
    supervisor = await client.get(
        "/api/v1/stats/hotspots", params=fine, headers=staff.headers["supervisor_79"]
    )
    assert supervisor.status_code == 200
    assert [c["count"] for c in supervisor.json()["cells"]] == [1]


async def test_analysts_and_keys_do_not_get_the_reporters_filenames(app, client, db):
    """A filename is the reporter's free text ("Nguyen Van Tam bien so 29A.jpg"): analysts
    and analyst keys see a neutral name, the type and the size; staff see the file's name."""
    staff = await make_staff(db, app)
    r = await post_multipart(
        client, payload(), [("Nguyen Van Tam bien so 29A.jpg", jpeg_bytes(), "image/jpeg")]
    )
    assert r.status_code == 201, r.text
    tip_id = r.json()["id"]
    officer = await client.get(f"/api/v1/tips/{tip_id}", headers=staff.headers["officer_a"])
    assert "Nguyen Van Tam" in officer.json()["attachments"][0]["filename"]
    for reader in NO_PERSONAL_DATA:
        r = await client.get(f"/api/v1/tips/{tip_id}", headers=staff.headers[reader])
        assert r.status_code == 200, r.text
        (attachment,) = r.json()["attachments"]
        assert attachment["filename"] == "tep-1.jpg", reader
        assert attachment["content_type"] == "image/jpeg" and attachment["size"] > 0
        assert "Nguyen" not in r.text and "29A" not in r.text


async def test_analysts_and_keys_get_no_people_notes_nor_messages(app, client, db):
    """API.md: no persons involved, victim, messages, notes nor transition notes for them,
    on the record, the timeline, the queue, the feed or the export."""
    staff = await make_staff(db, app)
    people = {"persons_involved": "Ông Trịnh Văn Qx 40 tuổi", "victim": "Bà Lò Thị Qy"}
    r = await client.post("/api/v1/tips", json=payload(**people))
    assert r.status_code == 201, r.text
    tip = r.json()
    url = f"/api/v1/tips/{tip['id']}"
    receipt = {"X-Tip-Receipt": tip["receipt"]}
    r = await client.post("/api/v1/track/messages", json={"body": "Bổ sung Qw"}, headers=receipt)
    assert r.status_code == 201, r.text
    officer = staff.headers["officer_a"]
    r = await client.post(f"{url}/notes", json={"body": "Ghi chú Qz"}, headers=officer)
    assert r.status_code == 201, r.text
    r = await client.post(f"{url}/transitions", json=move("verifying", note="Qv"), headers=officer)
    assert r.status_code == 200, r.text
    marks = ("Qx", "Qy", "Qw", "Qz", "Qv")
    seen_by_officer = (await client.get(url, headers=officer)).text
    seen_by_officer += (await client.get(f"{url}/events", headers=officer)).text
    seen_by_officer += (await client.get(f"{url}/messages", headers=officer)).text
    assert all(mark in seen_by_officer for mark in marks)  # the search reads the right text

    for reader in NO_PERSONAL_DATA:
        headers = staff.headers[reader]
        detail = await client.get(url, headers=headers)
        assert detail.status_code == 200
        assert detail.json()["persons_involved"] is None and detail.json()["victim"] is None
        for path in (url, f"{url}/events", "/api/v1/tips", "/api/v1/events"):
            r = await client.get(path, headers=headers)
            assert r.status_code == 200, (reader, path)
            assert not [m for m in marks if m in r.text], (reader, path)
        export = await client.get("/api/v1/exports/tips.csv", headers=headers)
        assert export.status_code == 200 and tip["id"] in export.text
        assert not [m for m in marks if m in export.text]
        assert (await client.get(f"{url}/messages", headers=headers)).status_code == 403
