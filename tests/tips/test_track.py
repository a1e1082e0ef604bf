"""Reporter follow-up: the receipt in X-Tip-Receipt is the only credential."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import new_id
from app.main import create_app
from app.tips.models import PublicStatus, Tip, TipEvent, TipMessage, TipStatus
from app.tips.sealed import seal_body
from app.tips.status import public_status_for
from tests.tips.helpers import (
    PDF_BYTES,
    TIPS,
    TRACK,
    identified,
    jpeg_bytes,
    payload,
    post_multipart,
)

MESSAGES = f"{TRACK}/messages"


async def _submit(client: httpx.AsyncClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post(TIPS, json=body or payload())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _receipt(created: dict[str, Any]) -> dict[str, str]:
    return {"X-Tip-Receipt": created["receipt"]}


async def test_the_receipt_shows_the_tip(client: httpx.AsyncClient) -> None:
    created = await _submit(client)
    response = await client.get(TRACK, headers=_receipt(created))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reference"] == created["reference"]
    assert body["category_code"] == "drugs"
    assert body["public_status"] == "received"
    assert body["assigned_unit"] == created["assigned_unit"]
    assert body["created_at"] == created["created_at"]
    assert body["outcome_summary"] is None
    assert body["timeline"] == [
        {
            "at": created["created_at"],
            "public_status": "received",
            "message": "Tin báo đã được tiếp nhận.",
        }
    ]
    assert body["messages"] == []
    english = await client.get(TRACK, headers={**_receipt(created), "Accept-Language": "en"})
    assert english.json()["timeline"][0]["message"] == "Your report has been received."


@pytest.mark.parametrize(
    "transform",
    [str.lower, lambda r: r.replace("-", ""), lambda r: " ".join(r.split("-"))],
    ids=["lower case", "no dashes", "spaces"],
)
async def test_receipt_is_read_leniently(client: httpx.AsyncClient, transform: Any) -> None:
    created = await _submit(client)
    response = await client.get(TRACK, headers={"X-Tip-Receipt": transform(created["receipt"])})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Tip-Receipt": "AAAA-BBBB-CCCC-DDDD-EEEE"},
        {"X-Tip-Receipt": "not a receipt"},
        {"X-Tip-Receipt": ""},
    ],
    ids=["missing", "wrong", "malformed", "empty"],
)
async def test_a_wrong_receipt_is_not_found(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await _submit(client)
    for url in (TRACK, MESSAGES):
        response = await client.get(url, headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
    post = await client.post(MESSAGES, json={"body": "Thêm thông tin."}, headers=headers)
    assert post.status_code == 404


async def test_a_receipt_in_the_url_is_refused(client: httpx.AsyncClient) -> None:
    created = await _submit(client)
    response = await client.get(TRACK, params={"receipt": created["receipt"]})
    assert response.status_code == 422  # an unknown parameter, never a credential
    assert response.json()["errors"][0]["code"] == "unknown_parameter"
    assert created["receipt"] not in response.text


async def test_another_tips_receipt_sees_only_its_own(client: httpx.AsyncClient) -> None:
    mine = await _submit(client)
    other = await _submit(client, payload(category_code="public_disorder"))
    response = await client.get(TRACK, headers=_receipt(other))
    assert response.json()["reference"] == other["reference"] != mine["reference"]


async def test_nothing_internal_reaches_the_reporter(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    created = await _submit(client, identified())
    tip = await db.get(Tip, created["id"])
    assert tip is not None
    tip.status = TipStatus.in_progress.value
    tip.outcome_summary = None
    db.add_all(
        [
            TipEvent(
                tip_id=tip.id,
                type="tip.note_added",
                actor_label="officer-nguyen",
                note="Nghi phạm tên Lê Văn Cường, theo dõi thêm.",
                public=False,
            ),
            TipEvent(
                tip_id=tip.id,
                type="tip.status_changed",
                actor_label="officer-nguyen",
                from_status="received",
                to_status="in_progress",
                note="Giao tổ trinh sát số 2.",
                public=True,
                public_status=PublicStatus.processing.value,
                at=datetime.now(UTC),
            ),
        ]
    )
    await db.commit()
    response = await client.get(TRACK, headers=_receipt(created))
    assert response.status_code == 200
    body = response.json()
    assert body["public_status"] == "processing"
    assert [t["public_status"] for t in body["timeline"]] == ["received", "processing"]
    for secret in ("officer-nguyen", "Lê Văn Cường", "trinh sát", "Nguyễn Văn A", "0912"):
        assert secret not in response.text
    assert set(body) == {
        "reference",
        "category_code",
        "public_status",
        "assigned_unit",
        "created_at",
        "updated_at",
        "outcome_summary",
        "timeline",
        "messages",
        "attachments",
        "complaint_deadline",
        "complaints",
        "protection_requests",
    }


async def test_reporter_message_round_trip(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    created = await _submit(client)
    posted = await client.post(
        MESSAGES, json={"body": "Tối nay nhóm đó lại tụ tập."}, headers=_receipt(created)
    )
    assert posted.status_code == 201, posted.text
    message = posted.json()
    assert message["direction"] == "from_reporter"
    assert message["body"] == "Tối nay nhóm đó lại tụ tập."
    assert message["attachments"] == []
    assert message["at"].endswith("+07:00")

    # The unit replies (as the triage endpoints will).
    reply = TipMessage(id=new_id(), tip_id=created["id"], direction="to_reporter")
    seal_body(reply, "Cảm ơn, chúng tôi đã ghi nhận.", cipher=app.state.cipher)
    db.add(reply)
    await db.commit()

    listed = await client.get(MESSAGES, headers=_receipt(created))
    assert listed.status_code == 200
    assert [(m["direction"], m["body"]) for m in listed.json()["items"]] == [
        ("from_reporter", "Tối nay nhóm đó lại tụ tập."),
        ("to_reporter", "Cảm ơn, chúng tôi đã ghi nhận."),
    ]
    assert listed.json()["next_cursor"] is None
    page = await client.get(MESSAGES, params={"limit": 1}, headers=_receipt(created))
    assert len(page.json()["items"]) == 1 and page.json()["next_cursor"]
    rest = await client.get(
        MESSAGES,
        params={"limit": 1, "cursor": page.json()["next_cursor"]},
        headers=_receipt(created),
    )
    assert rest.json()["items"][0]["direction"] == "to_reporter"

    tracked = await client.get(TRACK, headers=_receipt(created))
    assert [m["id"] for m in tracked.json()["messages"]] == [
        m["id"] for m in listed.json()["items"]
    ]
    events = list(await db.scalars(select(TipEvent).where(TipEvent.type == "tip.message_added")))
    assert len(events) == 1 and events[0].tip_id == created["id"]
    assert events[0].data["message_id"] == message["id"]


async def test_reporter_message_with_files_and_download(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    created = await _submit(client)
    response = await post_multipart(
        client,
        {"body": "Ảnh chụp tối qua."},
        [
            ("toi qua.jpg", jpeg_bytes(), "image/jpeg"),
            ("bien ban.pdf", PDF_BYTES, "application/pdf"),
        ],
        headers=_receipt(created),
        part="message",
        url=MESSAGES,
    )
    assert response.status_code == 201, response.text
    files = response.json()["attachments"]
    assert [(f["filename"], f["content_type"]) for f in files] == [
        ("toi qua.jpg", "image/jpeg"),
        ("bien ban.pdf", "application/pdf"),
    ]
    pdf = files[1]
    download = await client.get(f"{TRACK}/attachments/{pdf['id']}", headers=_receipt(created))
    assert download.status_code == 200
    assert download.content == PDF_BYTES
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''bien%20ban.pdf" in download.headers["content-disposition"]

    other = await _submit(client)
    elsewhere = await client.get(f"{TRACK}/attachments/{pdf['id']}", headers=_receipt(other))
    assert elsewhere.status_code == 404


async def test_intake_files_are_listed_and_downloadable_by_receipt(
    client: httpx.AsyncClient,
) -> None:
    response = await post_multipart(client, payload(), [("a.pdf", PDF_BYTES, "application/pdf")])
    created = response.json()
    tracked = await client.get(TRACK, headers=_receipt(created))
    assert [a["filename"] for a in tracked.json()["attachments"]] == ["a.pdf"]
    attachment_id = created["attachments"][0]["id"]
    download = await client.get(f"{TRACK}/attachments/{attachment_id}", headers=_receipt(created))
    # API.md: the reporter can also download the files they sent themselves.
    assert download.status_code == 200 and download.content == PDF_BYTES


@pytest.mark.parametrize(
    ("body", "field"),
    [({"body": ""}, "body"), ({}, "body"), ({"body": "x", "urgent": True}, "urgent")],
)
async def test_message_validation(
    client: httpx.AsyncClient, db: AsyncSession, body: dict[str, Any], field: str
) -> None:
    created = await _submit(client)
    response = await client.post(MESSAGES, json=body, headers=_receipt(created))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (await db.scalars(select(TipMessage))).first() is None


@pytest.mark.parametrize(
    ("status", "public"),
    [
        ("received", "received"),
        ("verifying", "processing"),
        ("in_progress", "processing"),
        ("transferred", "processing"),
        ("suspended", "processing"),
        ("merged", "processing"),
        ("awaiting_info", "awaiting_info"),
        ("resolved", "completed"),
        ("referred", "completed"),
        ("rejected", "not_accepted"),
    ],
)
def test_public_status_mapping(status: str, public: str) -> None:
    assert public_status_for(status) == public


def test_every_status_has_a_public_status() -> None:
    assert {public_status_for(s) for s in TipStatus} == set(PublicStatus)


@pytest.fixture
async def strict_client(app: Any, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app on the same database whose track-failure limit is 3 per minute."""
    strict = create_app(settings.model_copy(update={"rate_limit_track_failures": "3/minute"}))
    async with strict.router.lifespan_context(strict):
        transport = httpx.ASGITransport(app=strict)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_repeated_failures_are_rate_limited(strict_client: httpx.AsyncClient) -> None:
    created = await _submit(strict_client)
    wrong = {"X-Tip-Receipt": "AAAA-BBBB-CCCC-DDDD-EEEE"}
    statuses = [(await strict_client.get(TRACK, headers=wrong)).status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    limited = await strict_client.get(TRACK, headers=_receipt(created))
    assert limited.status_code == 429  # the address is blocked for the window
    assert limited.json()["code"] == "rate_limited"
    assert "retry-after" in limited.headers
