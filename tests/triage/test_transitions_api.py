"""Transitions over HTTP: the table, required fields, timestamps, events, the reporter's view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.time import add_months, as_utc
from tests.tips.helpers import TRACK
from tests.triage.helpers import (
    events_of,
    load_tip,
    make_staff,
    move,
    set_tip,
    submit,
    submit_security,
)


async def test_crime_tip_walks_to_resolved_with_an_outcome(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/transitions"
    h = staff.headers["officer_a"]

    r = await client.post(url, json=move("verifying", note="Kiểm tra sơ bộ"), headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "verifying"
    assert body["public_status"] == "processing"
    assert "resolved" in body["allowed_transitions"]
    row = await load_tip(db, tip["id"])
    assert row.acknowledged_at is not None and row.first_response_at is not None

    r = await client.post(url, json=move("in_progress"), headers=h)
    assert r.status_code == 200
    r = await client.post(url, json=move("resolved"), headers=h)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["outcome"]
    r = await client.post(url, json=move("resolved", outcome="handled"), headers=h)
    assert r.status_code == 422  # a security/order outcome on a crime tip

    r = await client.post(
        url,
        json=move("resolved", outcome="prosecuted", outcome_summary="Đã khởi tố vụ án."),
        headers=h,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "resolved" and body["outcome"] == "prosecuted"
    assert body["public_status"] == "completed"
    assert body["closed_at"] is not None
    assert body["allowed_transitions"] == []

    # Terminal: nothing more.
    r = await client.post(url, json=move("in_progress"), headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "invalid_transition"
    assert r.json()["allowed"] == []

    changes = await events_of(db, tip["id"], "tip.status_changed")
    assert [(e.from_status, e.to_status) for e in changes] == [
        ("received", "verifying"),
        ("verifying", "in_progress"),
        ("in_progress", "resolved"),
    ]
    assert all(e.actor_id == staff["officer_a"].id for e in changes)
    assert changes[0].note == "Kiểm tra sơ bộ"
    # Only changes of the public status reach the reporter.
    assert [e.public for e in changes] == [True, False, True]


async def test_crime_tip_is_never_rejected(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/transitions",
        json=move("rejected", note="Không có căn cứ"),
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 409
    problem = r.json()
    assert problem["code"] == "invalid_transition"
    assert "rejected" not in problem["allowed"]
    assert "referred" in problem["allowed"]
    assert "verifying" in problem["detail"]
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/transitions",
        json=move("rejected", note="Không có căn cứ"),
        headers={**staff.headers["lead_a"], "Accept-Language": "en"},
    )
    assert r.json()["detail"].startswith("Cannot move from 'received' to 'rejected'")
    assert (await load_tip(db, tip["id"])).status == "received"


async def test_security_report_can_be_rejected_with_a_reason(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_security(client)
    url = f"/api/v1/tips/{tip['id']}/transitions"
    h = staff.headers["officer_a"]
    r = await client.post(url, json=move("rejected"), headers=h)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["note"]
    r = await client.post(url, json=move("rejected", note="Không thuộc thẩm quyền"), headers=h)
    assert r.status_code == 200
    assert r.json()["public_status"] == "not_accepted"
    assert r.json()["closed_at"] is not None


async def test_security_report_cannot_be_suspended(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_security(client)
    url = f"/api/v1/tips/{tip['id']}/transitions"
    h = staff.headers["officer_a"]
    assert (await client.post(url, json=move("verifying"), headers=h)).status_code == 200
    r = await client.post(url, json=move("suspended"), headers=h)
    assert r.status_code == 409
    assert "suspended" not in r.json()["allowed"]


async def test_unknown_status_and_extra_fields_are_422(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/transitions"
    h = staff.headers["officer_a"]
    assert (await client.post(url, json=move("closed"), headers=h)).status_code == 422
    assert (await client.post(url, json={"to": "verifying", "x": 1}, headers=h)).status_code == 422
    r = await client.post(url, json=move("merged"), headers=h)
    assert r.status_code == 422  # through /merge
    assert (await load_tip(db, tip["id"])).status == "received"


async def test_suspend_and_resume_gives_at_most_one_more_month(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/transitions"
    h = staff.headers["officer_a"]
    for to in ("verifying", "in_progress"):
        assert (await client.post(url, json=move(to), headers=h)).status_code == 200
    r = await client.post(
        url, json=move("suspended", note="Chưa xác định được đối tượng"), headers=h
    )
    assert r.status_code == 200
    assert r.json()["outcome"] == "suspended"
    # A suspended tip is never overdue: its clock is stopped.
    await set_tip(db, tip["id"], due_at=datetime.now(UTC) - timedelta(days=3))
    detail = (await client.get(f"/api/v1/tips/{tip['id']}", headers=h)).json()
    assert detail["overdue"] is False

    before = datetime.now(UTC)
    r = await client.post(url, json=move("in_progress", note="Đã có căn cứ mới"), headers=h)
    after = datetime.now(UTC)
    assert r.status_code == 200
    assert r.json()["outcome"] is None
    due = as_utc((await load_tip(db, tip["id"])).due_at)
    assert add_months(before, 1) <= due <= add_months(after, 1)


async def test_concurrent_transitions_do_not_both_apply(app, client, db):
    import asyncio

    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/transitions"
    r1, r2 = await asyncio.gather(
        client.post(url, json=move("verifying"), headers=staff.headers["officer_a"]),
        client.post(url, json=move("verifying"), headers=staff.headers["officer_a2"]),
    )
    assert sorted([r1.status_code, r2.status_code]) == [200, 409]
    assert len(await events_of(db, tip["id"], "tip.status_changed")) == 1


async def test_reporter_sees_public_status_and_staff_message_but_no_internal_note(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    h = staff.headers["officer_a"]
    base = f"/api/v1/tips/{tip['id']}"
    secret_note = "Nghi vấn đối tượng Trần Văn B, cần theo dõi thêm"
    assert (
        await client.post(f"{base}/notes", json={"body": secret_note}, headers=h)
    ).status_code == 201
    r = await client.post(
        f"{base}/messages", json={"body": "Xin cung cấp thêm thời gian cụ thể."}, headers=h
    )
    assert r.status_code == 201
    assert r.json()["direction"] == "to_reporter"
    r = await client.post(
        f"{base}/transitions", json=move("awaiting_info", note="Chờ người báo tin"), headers=h
    )
    assert r.status_code == 200

    track = await client.get(TRACK, headers={"X-Tip-Receipt": tip["receipt"]})
    assert track.status_code == 200
    view = track.json()
    assert view["public_status"] == "awaiting_info"
    assert [m["body"] for m in view["messages"]] == ["Xin cung cấp thêm thời gian cụ thể."]
    assert view["timeline"][-1]["public_status"] == "awaiting_info"
    assert secret_note not in track.text
    assert "Chờ người báo tin" not in track.text
    assert staff["officer_a"].full_name not in track.text

    # The reporter answers; staff read the conversation.
    r = await client.post(
        f"{TRACK}/messages",
        json={"body": "Khoảng 21 giờ mỗi tối."},
        headers={"X-Tip-Receipt": tip["receipt"]},
    )
    assert r.status_code == 201
    convo = (await client.get(f"{base}/messages", headers=h)).json()
    assert [(m["direction"], m["body"]) for m in convo["items"]] == [
        ("to_reporter", "Xin cung cấp thêm thời gian cụ thể."),
        ("from_reporter", "Khoảng 21 giờ mỗi tối."),
    ]
    assert convo["items"][0]["author"]["id"] == staff["officer_a"].id
    assert convo["items"][1]["author"] is None

    note_events = await events_of(db, tip["id"], "tip.note_added")
    assert len(note_events) == 1 and not note_events[0].public
    assert len(await events_of(db, tip["id"], "tip.message_added")) == 2


async def test_staff_may_write_to_the_reporter_after_closing(app, client, db):
    """After not_prosecuted the reporter may complain within 15 days: the channel stays open."""
    staff = await make_staff(db, app)
    tip = await submit(client)
    h = staff.headers["officer_a"]
    base = f"/api/v1/tips/{tip['id']}"
    await client.post(f"{base}/transitions", json=move("verifying"), headers=h)
    r = await client.post(
        f"{base}/transitions",
        json=move("resolved", outcome="not_prosecuted", outcome_summary="Không khởi tố."),
        headers=h,
    )
    assert r.status_code == 200
    r = await client.post(f"{base}/messages", json={"body": "Quyết định đã được gửi."}, headers=h)
    assert r.status_code == 201
    track = (await client.get(TRACK, headers={"X-Tip-Receipt": tip["receipt"]})).json()
    assert track["outcome_summary"] == "Không khởi tố."
    assert track["public_status"] == "completed"
    r = await client.post(
        f"{TRACK}/messages",
        json={"body": "Tôi khiếu nại quyết định này."},
        headers={"X-Tip-Receipt": tip["receipt"]},
    )
    assert r.status_code == 201
