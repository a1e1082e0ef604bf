"""The reporter's /track after the workflow moves: staff's public_message, a transfer read as
"handed to the competent unit" (never a second "received"), and a merged tip following the
tip it was merged into."""

from __future__ import annotations

from typing import Any

from tests.tips.helpers import TRACK
from tests.triage.helpers import CSDT, make_staff, move, submit


async def _track(client: Any, tip: dict[str, Any], lang: str = "vi") -> dict[str, Any]:
    r = await client.get(TRACK, headers={"X-Tip-Receipt": tip["receipt"], "Accept-Language": lang})
    assert r.status_code == 200, r.text
    return r.json()


async def test_public_message_reaches_the_timeline(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/transitions"
    h = staff.headers["officer_a"]
    line = "Tổ công tác sẽ xác minh trong tuần này."
    assert (await client.post(url, json=move("verifying"), headers=h)).status_code == 200
    # No change of public status (processing → processing), but a line for the reporter.
    r = await client.post(url, json=move("in_progress", public_message=line), headers=h)
    assert r.status_code == 200
    timeline = (await _track(client, tip))["timeline"]
    assert timeline[-1]["message"] == line and timeline[-1]["public_status"] == "processing"
    # Analysts never read staff free text.
    events = await client.get(
        f"/api/v1/tips/{tip['id']}/events", headers=staff.headers["analyst_79"]
    )
    assert line not in events.text


async def test_transfer_is_not_a_second_received(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    await client.post(
        f"/api/v1/tips/{tip['id']}/transfer",
        json={"unit_code": CSDT, "reason": "Chuyển CQĐT"},
        headers=staff.headers["officer_a"],
    )
    for lang, sentence in (
        ("vi", "Tin báo đã được chuyển đến đơn vị có thẩm quyền giải quyết."),
        ("en", "Your report was handed to the competent unit."),
    ):
        view = await _track(client, tip, lang)
        statuses = [item["public_status"] for item in view["timeline"]]
        assert statuses.count("received") == 1, statuses
        assert view["timeline"][-1]["message"] == sentence
        assert view["timeline"][-1]["public_status"] == "processing"
        assert view["public_status"] == "processing"
        assert view["assigned_unit"]["code"] == CSDT


async def test_merged_tip_follows_the_tip_it_was_merged_into(app, client, db):
    staff = await make_staff(db, app)
    h = staff.headers["lead_a"]
    main = await submit(client)
    dup = await submit(client)
    middle = await submit(client)
    r = await client.post(
        f"/api/v1/tips/{dup['id']}/merge", json={"into_id": middle["id"]}, headers=h
    )
    assert r.status_code == 200
    r = await client.post(
        f"/api/v1/tips/{middle['id']}/merge", json={"into_id": main["id"]}, headers=h
    )
    assert r.status_code == 200
    url = f"/api/v1/tips/{main['id']}/transitions"
    await client.post(url, json=move("verifying"), headers=h)
    summary = "Đã xử lý, khởi tố vụ án."
    r = await client.post(
        url,
        json=move("resolved", outcome="prosecuted", outcome_summary=summary),
        headers=h,
    )
    assert r.status_code == 200, r.text
    followed = await _track(client, dup)
    target = await _track(client, main)
    assert followed["public_status"] == "completed"
    assert followed["outcome_summary"] == summary
    assert followed["timeline"] == target["timeline"]
    assert followed["reference"] == dup["reference"]  # still the reporter's own reference
