"""Every triage endpoint × every kind of caller × in or out of scope.

Expected answers come from this table, written independently of app.scope.visibility:
a role that may never call the endpoint → 403; a tip outside the caller's scope → 404; a tip
the caller may only read (a watching unit, an analyst) on a write endpoint → 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.tips.helpers import identified, jpeg_bytes, post_multipart
from tests.triage.helpers import CSDT, Staff, load_tip, make_staff, submit

# caller → (role, sees the tip, may act on it). The tip: a drug tip at CAX-26740 (province 79),
# watched by CAT-79-PC04.
CALLERS: dict[str, tuple[str, bool, bool]] = {
    "admin": ("admin", True, True),
    "officer_a": ("officer", True, True),
    "lead_a": ("unit_lead", True, True),
    "officer_b": ("officer", False, False),
    "lead_b": ("unit_lead", False, False),
    "officer_pc04": ("officer", True, False),  # watching unit: read-only
    "supervisor_79": ("province_supervisor", True, True),
    "supervisor_01": ("province_supervisor", False, False),
    "analyst_79": ("analyst", True, False),
    "analyst_01": ("analyst", False, False),
    "analyst_key_79": ("analyst", True, False),
    "front": ("front_member", False, False),
}

WATCHERS = {"officer_pc04"}  # the drug police's copy of the drug tip

READERS = {"admin", "province_supervisor", "unit_lead", "officer", "analyst"}
PERSONAL = READERS - {"analyst"}
LEADS = {"admin", "province_supervisor", "unit_lead"}
UNIT_MEMBERS = {"officer", "unit_lead"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # after /api/v1/tips/{id}
    roles: set[str]
    writes: bool
    ok: int
    watchers_write: bool = False  # watching units may call it too (notes)


ENDPOINTS = {
    "detail": Endpoint("GET", "", READERS, False, 200),
    "events": Endpoint("GET", "/events", READERS, False, 200),
    "messages_read": Endpoint("GET", "/messages", PERSONAL, False, 200),
    "attachment": Endpoint("GET", "/attachments/{attachment_id}", PERSONAL, False, 200),
    "transition": Endpoint("POST", "/transitions", PERSONAL, True, 200),
    "claim": Endpoint("POST", "/claim", UNIT_MEMBERS, True, 200),
    "assign": Endpoint("POST", "/assign", LEADS, True, 200),
    "transfer": Endpoint("POST", "/transfer", PERSONAL, True, 200),
    "merge": Endpoint("POST", "/merge", PERSONAL, True, 200),
    "extend": Endpoint("POST", "/deadline-extensions", LEADS, True, 201),
    "note": Endpoint("POST", "/notes", PERSONAL, True, 201, watchers_write=True),
    "acknowledge": Endpoint("POST", "/acknowledge", PERSONAL, True, 200),
    "correct": Endpoint("POST", "/corrections", PERSONAL, True, 200),
    "message_write": Endpoint("POST", "/messages", PERSONAL, True, 201),
    "reveal": Endpoint("POST", "/reporter/reveal", LEADS, True, 200),
    "complaints": Endpoint("GET", "/complaints", PERSONAL, False, 200),
    # More confidential than the tip: only those who may act on it, and leads and above.
    "protection_requests": Endpoint("GET", "/protection-requests", LEADS, True, 200),
}


def expected(endpoint: Endpoint, caller: str) -> int:
    role, sees, acts = CALLERS[caller]
    if role not in endpoint.roles:
        return 403
    if not sees:
        return 404
    if endpoint.writes and not acts and not (endpoint.watchers_write and caller in WATCHERS):
        return 403
    return endpoint.ok


async def _new_tip(client: Any) -> tuple[str, str]:
    r = await post_multipart(client, identified(), [("anh.jpg", jpeg_bytes(), "image/jpeg")])
    assert r.status_code == 201, r.text
    body = r.json()
    return body["id"], body["attachments"][0]["id"]


def _body(name: str, staff: Staff, into_id: str) -> dict[str, Any] | None:
    until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    return {
        "transition": {"to": "verifying"},
        "assign": {"assignee_id": staff["officer_a"].id},
        "transfer": {"unit_code": CSDT, "reason": "Chuyển CQĐT"},
        "merge": {"into_id": into_id},
        "extend": {"until": until, "reason": "Vụ việc phức tạp"},
        "note": {"body": "Ghi chú"},
        "correct": {"priority": 3, "reason": "Mức ưu tiên đã ghi sai"},
        "message_write": {"body": "Xin thêm thông tin"},
        "reveal": {"reason": "Cần xác minh với người báo tin"},
    }.get(name)


@pytest.mark.parametrize("name", list(ENDPOINTS))
async def test_matrix(app, client, db, name):
    endpoint = ENDPOINTS[name]
    staff = await make_staff(db, app)
    shared_id, shared_attachment = await _new_tip(client)
    into = await submit(client)
    before = await load_tip(db, shared_id)
    snapshot = (before.status, before.assignee_id, before.assigned_unit_code, before.due_at)

    for caller in CALLERS:
        want = expected(endpoint, caller)
        # A call that should succeed gets a fresh tip; refused calls share one.
        tip_id, attachment_id = (
            (await _new_tip(client)) if want < 400 else (shared_id, shared_attachment)
        )
        path = f"/api/v1/tips/{tip_id}" + endpoint.path.format(attachment_id=attachment_id)
        r = await client.request(
            endpoint.method,
            path,
            json=_body(name, staff, into["id"]),
            headers=staff.headers[caller],
        )
        assert r.status_code == want, (name, caller, r.text[:300])
        if want >= 400:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == {403: "forbidden", 404: "not_found"}[want]

    after = await load_tip(db, shared_id)
    assert (after.status, after.assignee_id, after.assigned_unit_code, after.due_at) == snapshot


async def test_unknown_tip_id_is_404_for_everyone_allowed(app, client, db):
    staff = await make_staff(db, app)
    for caller in ("admin", "officer_a", "analyst_79"):
        r = await client.get(
            "/api/v1/tips/01900000-0000-7000-8000-000000000000", headers=staff.headers[caller]
        )
        assert r.status_code == 404


async def test_without_credentials_every_endpoint_is_401(app, client, db):
    tip_id, attachment_id = await _new_tip(client)
    for endpoint in ENDPOINTS.values():
        path = f"/api/v1/tips/{tip_id}" + endpoint.path.format(attachment_id=attachment_id)
        r = await client.request(endpoint.method, path, json={})
        assert r.status_code == 401, path
