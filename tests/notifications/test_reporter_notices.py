"""Reporters' notices: to the `notify` contact (also anonymous) or an identified reporter's own
e-mail/phone; the contact is encrypted, never shown to staff, erased on request and by
retention; a notice holds the reference, one public-status sentence and how to follow up."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.notifications import jobs as notification_jobs
from app.notifications.templates import PUBLIC_STATUS_SENTENCE, render_reporter, sms_segments
from app.tips.models import ReporterNotifyContact
from tests.notifications.helpers import deliveries, run_worker, with_settings
from tests.notifications.peers import http_peer, json_bodies
from tests.tips.helpers import TRACK
from tests.triage.helpers import move, set_tip, submit

PHONE = "+84 987 654 321"
# The number as it may be written anywhere (a bare "987" also occurs in timestamps and ids).
PHONE_FORMS = ("987 654 321", "987654321", "654 321", "654321")
SECRET = "gateway-secret-0123456789"


async def _contact_rows(db) -> list[ReporterNotifyContact]:
    db.expire_all()
    return list(await db.scalars(select(ReporterNotifyContact)))


async def test_anonymous_reporter_told_of_status_message_and_outcome(
    app, client, db, staff, caplog
):
    caplog.set_level(logging.DEBUG)
    with http_peer("/sms") as gateway:
        settings = with_settings(app, sms_gateway_url=gateway.url, sms_gateway_secret=SECRET)
        tip = await submit(client, notify={"phone": PHONE, "locale": "vi"})
        [row] = await _contact_rows(db)
        assert not any(form.encode() in row.ciphertext for form in PHONE_FORMS)
        h = staff.headers["officer_a"]
        base = f"/api/v1/tips/{tip['id']}"
        # Staff never read the contact: not on the record, its events, the feed or an export.
        for url, headers in (
            (base, h),
            (f"{base}/events", h),
            ("/api/v1/events", staff.headers["supervisor_79"]),
            ("/api/v1/exports/tips.csv", staff.headers["supervisor_79"]),
        ):
            r = await client.get(url, headers=headers)
            assert r.status_code == 200, (url, r.text)
            assert not any(form in r.text for form in PHONE_FORMS), url
        await run_worker(app, settings=settings)
        assert gateway.requests == []  # intake itself is no change of public status

        await client.post(f"{base}/transitions", json=move("verifying"), headers=h)
        r = await client.post(f"{base}/messages", json={"body": "Xin gửi thêm ảnh."}, headers=h)
        assert r.status_code == 201
        r = await client.post(
            f"{base}/transitions",
            json=move("resolved", outcome="not_prosecuted", outcome_summary="Không khởi tố."),
            headers=h,
        )
        assert r.status_code == 200, r.text
        now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
        await run_worker(app, settings=settings, now=now)

    # Sent concurrently: in the order of the notices (their delivery ids), not of arrival.
    bodies = sorted(json_bodies(gateway), key=lambda b: int(b["id"].split("-")[1]))
    texts = [b["text"] for b in bodies]
    assert texts == [
        f"TinBáo {tip['reference']}: Tin báo đang được xử lý. "
        "Tra cứu bằng mã biên nhận trên TinBáo.",
        f"TinBáo {tip['reference']}: Bạn có tin nhắn mới từ cơ quan công an. "
        "Tra cứu bằng mã biên nhận trên TinBáo.",
        f"TinBáo {tip['reference']}: Kết quả: không khởi tố. Khiếu nại trước 16/12/2026. "
        "Tra cứu bằng mã biên nhận trên TinBáo.",
    ]
    for text in texts:
        assert "Xin gửi thêm ảnh" not in text and "Không khởi tố." not in text  # no free text
        assert tip["receipt"] not in text
        assert sms_segments(text)[1] <= 2
    assert all(b["to"] == PHONE for b in json_bodies(gateway))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(form in logged for form in PHONE_FORMS) and tip["receipt"] not in logged


async def test_identified_reporter_on_own_phone_unless_empty_notify(app, client, db, staff):
    with http_peer("/sms") as gateway:
        settings = with_settings(app, sms_gateway_url=gateway.url, sms_gateway_secret=SECRET)
        own = await submit(
            client, anonymous=False, reporter={"full_name": "Trần Thị B", "phone": "0901 222 333"}
        )
        silent = await submit(
            client,
            anonymous=False,
            reporter={"full_name": "Lê Văn C", "phone": "0901 444 555"},
            notify={},
        )
        for tip in (own, silent):
            await client.post(
                f"/api/v1/tips/{tip['id']}/transitions",
                json=move("verifying"),
                headers=staff.headers["officer_a"],
            )
        await run_worker(app, settings=settings)
    assert [b["to"] for b in json_bodies(gateway)] == ["0901 222 333"]
    assert all("Trần" not in b["text"] for b in json_bodies(gateway))


async def test_delete_track_notify_erases_and_stops(app, client, db, staff):
    with http_peer("/sms") as gateway:
        settings = with_settings(app, sms_gateway_url=gateway.url, sms_gateway_secret=SECRET)
        tip = await submit(client, notify={"phone": PHONE})
        await client.post(
            f"/api/v1/tips/{tip['id']}/transitions",
            json=move("verifying"),
            headers=staff.headers["officer_a"],
        )
        # Queued but not yet sent when the reporter opts out: not sent.
        from app.notifications import worker

        await worker.expand_all(app.state.sessionmaker, settings=settings, cipher=app.state.cipher)
        r = await client.delete(f"{TRACK}/notify", headers={"X-Tip-Receipt": "WRONG"})
        assert r.status_code == 404
        r = await client.delete(f"{TRACK}/notify", headers={"X-Tip-Receipt": tip["receipt"]})
        assert r.status_code == 204
        assert await _contact_rows(db) == []
        await run_worker(app, settings=settings)
        await client.post(
            f"/api/v1/tips/{tip['id']}/transitions",
            json=move("in_progress"),
            headers=staff.headers["officer_a"],
        )
        await run_worker(app, settings=settings)
    assert gateway.requests == []
    assert [d.status for d in await deliveries(db)] == ["suppressed"]


async def test_retention_erases_notice_contacts_of_closed_tips(app, client, db, staff):
    open_tip = await submit(client, notify={"email": "a@example.vn"})
    closed = await submit(client, notify={"email": "b@example.vn"})
    closed_at = datetime.now(UTC) - timedelta(days=10)
    await set_tip(db, closed["id"], status="rejected", closed_at=closed_at)
    settings = app.state.settings
    async with app.state.sessionmaker() as session:
        early = closed_at + timedelta(days=settings.retention_reporter_days - 1)
        assert (
            await notification_jobs.purge_notify_contacts(session, now=early, settings=settings)
            == 0
        )
        late = closed_at + timedelta(days=settings.retention_reporter_days + 1)
        assert (
            await notification_jobs.purge_notify_contacts(session, now=late, settings=settings) == 1
        )
        await session.commit()
    assert [r.tip_id for r in await _contact_rows(db)] == [open_tip["id"]]


def test_every_reporter_sms_fits_two_ucs2_segments():
    """Vietnamese text with diacritics is UCS-2 (70 units, 67 per part when split): every
    reporter notice, in both languages and for every status and outcome, fits two parts."""
    reference = "TB-WWWW-WWWW"
    texts = [
        render_reporter("reporter.status", lang, reference=reference, public_status=status).sms
        for lang in ("vi", "en")
        for status in PUBLIC_STATUS_SENTENCE
    ]
    from app.notifications.templates import OUTCOME_WORD

    texts += [
        render_reporter(
            "reporter.outcome",
            lang,
            reference=reference,
            outcome=outcome,
            complaint_deadline=datetime(2026, 12, 31).date(),
        ).sms
        for lang in ("vi", "en")
        for outcome in OUTCOME_WORD
    ]
    texts += [
        render_reporter(kind, lang, reference=reference).sms
        for kind in ("reporter.acknowledged", "reporter.message")
        for lang in ("vi", "en")
    ]
    for text in texts:
        assert sms_segments(text)[1] <= 2, (text, len(text))
    assert sms_segments("a" * 160) == ("gsm7", 1)
    assert sms_segments("a" * 161) == ("gsm7", 2)
    assert sms_segments("ư" * 70) == ("ucs2", 1)
    assert sms_segments("ư" * 71) == ("ucs2", 2)
    assert sms_segments("ư" * 134) == ("ucs2", 2)
    assert sms_segments("ư" * 135) == ("ucs2", 3)
    assert sms_segments("{" * 80) == ("gsm7", 1)  # extension characters count twice
    assert sms_segments("{" * 81) == ("gsm7", 2)


async def test_reporter_of_a_merged_tip_is_told_the_outcome_of_the_tip_it_joined(
    app, client, db, staff
):
    """API.md: a tip merged into another follows it on /track, and its reporter is told the
    result too: the outcome, about their own reference, in their own language; not the other
    tip's status changes, nor anything twice."""
    with http_peer("/sms") as gateway:
        settings = with_settings(app, sms_gateway_url=gateway.url, sms_gateway_secret=SECRET)
        main = await submit(client, notify={"phone": "0901 111 111"})
        dup = await submit(client, notify={"phone": "0901 222 222", "locale": "en"})
        h = staff.headers["officer_a"]
        r = await client.post(
            f"/api/v1/tips/{dup['id']}/merge", json={"into_id": main["id"]}, headers=h
        )
        assert r.status_code == 200, r.text
        base = f"/api/v1/tips/{main['id']}"
        await client.post(f"{base}/transitions", json=move("verifying"), headers=h)
        r = await client.post(
            f"{base}/transitions",
            json=move("resolved", outcome="not_prosecuted", outcome_summary="Không khởi tố."),
            headers=h,
        )
        assert r.status_code == 200, r.text
        await run_worker(app, settings=settings, now=datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
        await run_worker(app, settings=settings)

    to_dup = [b["text"] for b in json_bodies(gateway) if b["to"] == "0901 222 222"]
    assert len(to_dup) == 1
    assert to_dup[0].startswith(f"TinBáo {dup['reference']}: Outcome: no case was opened. ")
    assert main["reference"] not in to_dup[0] and "2026-12-16" in to_dup[0]
    to_main = [b["text"] for b in json_bodies(gateway) if b["to"] == "0901 111 111"]
    assert len(to_main) == 2 and dup["reference"] not in " ".join(to_main)
