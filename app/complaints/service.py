"""Complaints against a decision not to prosecute: filed with the receipt within the window
(app.complaints.window), read by staff on the tip."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import protection
from app.complaints.models import Complaint
from app.complaints.schemas import ComplaintOut, TrackComplaintOut, TrackedTipView
from app.complaints.window import complaint_window
from app.core.db import new_id
from app.core.errors import Conflict, msg
from app.core.security import DataCipher
from app.tips import followup_sealing as sealing
from app.tips.models import Tip
from app.tips.schemas import TrackedTip
from app.tips.timeline import record_event


class ComplaintNotOpen(Conflict):
    code = "complaint_not_open"


class ComplaintWindowClosed(Conflict):
    code = "complaint_window_closed"


class ComplaintAlreadyFiled(Conflict):
    code = "complaint_already_filed"


async def file_complaint(
    session: AsyncSession, *, tip: Tip, body: str, cipher: DataCipher, now: datetime
) -> Complaint:
    """Record the reporter's complaint; 409 outside the window or when one was filed."""
    window = await complaint_window(session, tip)
    if window is None:
        raise ComplaintNotOpen(msg("complaints.not_open"))
    if not window.open_at(now):
        raise ComplaintWindowClosed(
            msg("complaints.window_closed", deadline=window.deadline),
            extra={"complaint_deadline": window.deadline.isoformat()},
        )
    filed = await session.scalar(
        select(Complaint.id).where(
            Complaint.tip_id == tip.id, Complaint.decision_event_id == window.decision_event_id
        )
    )
    if filed is not None:
        raise ComplaintAlreadyFiled(msg("complaints.already_filed"))
    complaint_id = new_id()
    key_id, blob = sealing.seal(cipher, sealing.COMPLAINT, complaint_id, body)
    complaint = Complaint(
        id=complaint_id,
        tip_id=tip.id,
        decision_event_id=window.decision_event_id,
        filed_at=now,
        key_id=key_id,
        ciphertext=blob,
        created_at=now,
        updated_at=now,
    )
    session.add(complaint)
    record_event(
        session,
        tip=tip,
        type="tip.complaint_filed",
        actor="reporter",
        at=now,
        data={"complaint_id": complaint_id, "deadline": window.deadline.isoformat()},
    )
    tip.updated_at = now
    await session.flush()
    return complaint


async def _complaints(session: AsyncSession, tip: Tip) -> list[Complaint]:
    rows = await session.scalars(
        select(Complaint)
        .where(Complaint.tip_id == tip.id)
        .order_by(Complaint.filed_at, Complaint.id)
    )
    return list(rows)


async def reporter_complaints(session: AsyncSession, tip: Tip) -> list[TrackComplaintOut]:
    return [
        TrackComplaintOut(id=c.id, filed_at=c.filed_at) for c in await _complaints(session, tip)
    ]


async def staff_complaints(
    session: AsyncSession, *, tip: Tip, cipher: DataCipher
) -> list[ComplaintOut]:
    """The tip's complaints with their text (staff who see personal data)."""
    return [
        ComplaintOut(
            id=c.id,
            filed_at=c.filed_at,
            decision_event_id=c.decision_event_id,
            body=sealing.open_text(cipher, sealing.COMPLAINT, c.id, c.key_id, c.ciphertext),
        )
        for c in await _complaints(session, tip)
    ]


async def track_view(
    session: AsyncSession, *, tip: Tip, tracked: TrackedTip, now: datetime
) -> TrackedTipView:
    """``/track`` with ``complaint_deadline`` (while the window is open), the complaints and
    the protection requests (status only) of the receipt's tip."""
    window = await complaint_window(session, tip)
    return TrackedTipView(
        **dict(tracked),
        complaint_deadline=window.deadline if window and window.open_at(now) else None,
        complaints=await reporter_complaints(session, tip),
        protection_requests=await protection.reporter_requests(session, tip),
    )
