"""The complaint window after a decision not to prosecute (CPC art. 469-470: 15 days from
the day the reporter was told of the decision).

When was the reporter told? The decision is on ``/track`` from the moment of the transition
that made it, so the window counts at the latest from that day. A reporter with a notice
contact is also sent the outcome with a deadline in it (app.notifications.delivery): a notice
delivered on a later day moves the window to the deadline that notice gave, so the system
never refuses a complaint before a deadline it told the reporter. The reporter of a tip merged
into another complains about the other tip's decision (their ``/track`` shows it); the
complaint is recorded on their own tip, naming the decision's timeline row. Notices not (yet)
delivered count for nothing. The last day is a calendar day in Vietnamese time; the window
closes at the end of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import to_local
from app.notifications.delivery import complaint_deadline
from app.notifications.models import NoticeDeliveryStatus, NotificationCause, NotificationDelivery
from app.tips.models import Tip, TipEvent, TipStatus

NOT_PROSECUTED = "not_prosecuted"
OUTCOME_NOTICE = "reporter.outcome"


@dataclass(frozen=True)
class Window:
    decision_event_id: int
    deadline: date  # the last day (Vietnamese time) a complaint is accepted

    def open_at(self, now: datetime) -> bool:
        return to_local(now).date() <= self.deadline


MAX_MERGE_HOPS = 8


async def deciding_tip(session: AsyncSession, tip: Tip) -> Tip:
    """The tip whose decision ``tip``'s reporter was told of: a merged duplicate follows the
    tip it was merged into (as its ``/track`` does), hop after hop."""
    current = tip
    for _ in range(MAX_MERGE_HOPS):
        if current.status != TipStatus.merged or current.merged_into_id is None:
            return current
        into = await session.get(Tip, current.merged_into_id)
        if into is None:
            return current
        current = into
    return current


async def decision_event(session: AsyncSession, tip: Tip) -> TipEvent | None:
    """The transition that resolved the tip as ``not_prosecuted``, if that is its outcome
    (for a merged tip: the outcome of the tip it was merged into)."""
    tip = await deciding_tip(session, tip)
    if tip.status != TipStatus.resolved or tip.outcome != NOT_PROSECUTED:
        return None
    event: TipEvent | None = await session.scalar(
        select(TipEvent)
        .where(
            TipEvent.tip_id == tip.id,
            TipEvent.type == "tip.status_changed",
            TipEvent.to_status == TipStatus.resolved.value,
        )
        .order_by(TipEvent.at.desc(), TipEvent.id.desc())
        .limit(1)
    )
    return event


async def complaint_window(session: AsyncSession, tip: Tip) -> Window | None:
    """The tip's complaint window, or None when no decision not to prosecute was made."""
    event = await decision_event(session, tip)
    if event is None:
        return None
    delivered = await session.scalar(
        select(func.max(NotificationDelivery.delivered_at))
        .join(NotificationCause, NotificationCause.id == NotificationDelivery.cause_id)
        .where(
            NotificationCause.tip_event_id == event.id,
            NotificationDelivery.type == OUTCOME_NOTICE,
            NotificationDelivery.status == NoticeDeliveryStatus.delivered.value,
        )
    )
    deadline = complaint_deadline(event.at)
    if delivered is not None:
        deadline = max(deadline, complaint_deadline(delivered))
    return Window(decision_event_id=event.id, deadline=deadline)
