"""GET /api/v1/tips: channel, kind, type, place, acknowledgement, deadline, escalation and
unread-message filters, and the conversation fields of queue items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from tests.triage.helpers import make_staff, set_tip, submit, submit_security

TIPS = "/api/v1/tips"
MESSAGES = "/api/v1/track/messages"


async def _items(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[Any]:
    r = await client.get(TIPS, params=params, headers=headers)
    assert r.status_code == 200, r.text
    items: list[Any] = r.json()["items"]
    return items


async def _ids(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    return sorted(t["id"] for t in await _items(client, headers, **params))


async def test_case_filters(app: Any, client: httpx.AsyncClient, db: AsyncSession) -> None:
    staff = await make_staff(db, app)
    h = staff.headers["admin"]
    drugs = await submit(client)  # mobile, crime, to_giac, Sài Gòn
    disorder = await submit_security(client, channel="web")  # security/order, phan_anh
    tan_dinh = await submit(client, location={"commune_code": "26737"})
    now = datetime.now(UTC)
    await set_tip(db, drugs["id"], acknowledge_by=now - timedelta(hours=1), due_at=now)
    await set_tip(
        db,
        disorder["id"],
        acknowledge_by=now - timedelta(hours=1),
        acknowledged_at=now - timedelta(hours=2),
        due_at=now + timedelta(days=3),
        escalation_level=1,
    )
    await set_tip(db, tan_dinh["id"], due_at=None)
    everyone = sorted([drugs["id"], disorder["id"], tan_dinh["id"]])

    assert await _ids(client, h, channel="web") == [disorder["id"]]
    assert await _ids(client, h, channel="mobile") == sorted([drugs["id"], tan_dinh["id"]])
    assert await _ids(client, h, kind="security_order") == [disorder["id"]]
    assert await _ids(client, h, kind="crime") == sorted([drugs["id"], tan_dinh["id"]])
    assert await _ids(client, h, tip_type="phan_anh") == [disorder["id"]]
    assert await _ids(client, h, tip_type="kien_nghi_khoi_to") == []
    assert await _ids(client, h, commune_code="26737") == [tan_dinh["id"]]
    assert await _ids(client, h, acknowledge_overdue="true") == [drugs["id"]]
    assert await _ids(client, h, acknowledge_overdue="false") == sorted(
        [disorder["id"], tan_dinh["id"]]
    )
    due = (now + timedelta(days=1)).isoformat()
    assert await _ids(client, h, due_before=due) == [drugs["id"]]
    later = (now + timedelta(days=30)).date().isoformat()
    assert await _ids(client, h, due_before=later) == sorted([drugs["id"], disorder["id"]])
    assert await _ids(client, h, escalated="true") == [disorder["id"]]
    assert await _ids(client, h, escalated="false") == sorted([drugs["id"], tan_dinh["id"]])
    assert await _ids(client, h, kind="crime", channel="web") == []
    assert await _ids(client, h) == everyone
    # The unit queue honours them the same way.
    officer = staff.headers["officer_a"]
    assert await _ids(client, officer, acknowledge_overdue="true") == [drugs["id"]]
    assert await _ids(client, officer, commune_code="26737") == []


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"channel": "fax"}, "channel", "invalid_choice"),
        ({"kind": "civil"}, "kind", "invalid_choice"),
        ({"tip_type": "rumour"}, "tip_type", "invalid_choice"),
        ({"commune_code": "2674"}, "commune_code", "invalid_format"),
        ({"commune_code": "abcde"}, "commune_code", "invalid_format"),
        ({"acknowledge_overdue": "maybe"}, "acknowledge_overdue", "invalid_type"),
        ({"has_unread_messages": "2"}, "has_unread_messages", "invalid_type"),
        ({"due_before": "next week"}, "due_before", None),
        ({"due_before": "2026-11-20T21:00:00"}, "due_before", None),
    ],
)
async def test_bad_filter_values_answer_422_from_the_catalogue(
    app: Any,
    client: httpx.AsyncClient,
    db: AsyncSession,
    params: dict[str, str],
    field: str,
    code: str | None,
) -> None:
    staff = await make_staff(db, app)
    for lang in ("vi", "en"):
        r = await client.get(
            TIPS, params=params, headers={**staff.headers["admin"], "Accept-Language": lang}
        )
        assert r.status_code == 422, r.text
        errors = r.json()["errors"]
        assert [e["field"] for e in errors][:1] == [field], errors
        if code is not None:
            assert errors[0]["code"] == code, errors
        assert "Input should" not in r.text  # no library text


async def test_unread_messages_per_unit(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    staff = await make_staff(db, app)
    tip = await submit(client)  # a drug tip: PC04 watches it
    quiet = await submit(client)
    receipt = {"X-Tip-Receipt": tip["receipt"]}
    officer, pc04 = staff.headers["officer_a"], staff.headers["officer_pc04"]
    supervisor = staff.headers["supervisor_79"]

    def state(items: list[Any]) -> dict[str, tuple[Any, int]]:
        return {i["id"]: (i["last_reporter_message_at"], i["unread_messages"]) for i in items}

    assert state(await _items(client, officer))[tip["id"]] == (None, 0)
    assert await _ids(client, officer, has_unread_messages="true") == []

    r = await client.post(MESSAGES, json={"body": "Thêm: xe máy biển 59-X1"}, headers=receipt)
    assert r.status_code == 201, r.text
    first_at = r.json()["at"]
    # The unit's own message to the reporter is not unread for anyone.
    r = await client.post(
        f"{TIPS}/{tip['id']}/messages", json={"body": "Cảm ơn bạn."}, headers=officer
    )
    assert r.status_code == 201

    for headers in (officer, pc04, supervisor):
        assert state(await _items(client, headers))[tip["id"]] == (first_at, 1)
        assert await _ids(client, headers, has_unread_messages="true") == [tip["id"]]
    assert await _ids(client, officer, has_unread_messages="false") == [quiet["id"]]

    # A supervisor reading does not make it read for the unit.
    r = await client.get(f"{TIPS}/{tip['id']}/messages", headers=supervisor)
    assert r.status_code == 200
    assert state(await _items(client, officer))[tip["id"]] == (first_at, 1)

    # The unit's officer reads: read for unit A (and the supervisor, who sees unit A's count),
    # still unread for PC04.
    r = await client.get(f"{TIPS}/{tip['id']}/messages", headers=officer)
    assert r.status_code == 200 and len(r.json()["items"]) == 2
    assert state(await _items(client, officer))[tip["id"]] == (first_at, 0)
    assert state(await _items(client, supervisor))[tip["id"]] == (first_at, 0)
    assert await _ids(client, officer, has_unread_messages="true") == []
    assert state(await _items(client, pc04))[tip["id"]] == (first_at, 1)

    r = await client.post(MESSAGES, json={"body": "Họ vừa quay lại."}, headers=receipt)
    second_at = r.json()["at"]
    assert state(await _items(client, officer))[tip["id"]] == (second_at, 1)
    assert state(await _items(client, pc04))[tip["id"]] == (second_at, 2)

    # Reading an older page never moves the marker backwards.
    r = await client.get(f"{TIPS}/{tip['id']}/messages", params={"limit": 3}, headers=officer)
    assert state(await _items(client, officer))[tip["id"]] == (second_at, 0)
    r = await client.get(f"{TIPS}/{tip['id']}/messages", params={"limit": 1}, headers=officer)
    assert state(await _items(client, officer))[tip["id"]] == (second_at, 0)


async def test_conversation_state_is_read_with_the_page(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """A queue page's conversation fields come from the page's own statement: whatever the
    page holds, a request is the caller's lookup and one query, not one more per field."""
    staff = await make_staff(db, app)
    officer, supervisor = staff.headers["officer_a"], staff.headers["supervisor_79"]
    for _ in range(3):
        tip = await submit(client)
        r = await client.post(
            MESSAGES, json={"body": "Thêm chi tiết"}, headers={"X-Tip-Receipt": tip["receipt"]}
        )
        assert r.status_code == 201, r.text
    r = await client.get(f"{TIPS}/{tip['id']}/messages", headers=officer)  # one tip read
    assert r.status_code == 200

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for headers in (officer, supervisor):
            statements.clear()
            items = await _items(client, headers)
            assert sorted(i["unread_messages"] for i in items) == [0, 1, 1]
            queries = [s for s in statements if "FROM users" not in s]
            assert len(queries) == 1, queries
    finally:
        event.remove(engine, "before_cursor_execute", record)
