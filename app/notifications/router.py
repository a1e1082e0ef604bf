"""Notifications over HTTP: preferences, the inbox, urgent-alert acknowledgement, the
reporter's opt-out, the VAPID key and (admin) failed and dead deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from app.accounts.dependencies import CurrentPrincipal, require_roles
from app.accounts.principal import Principal
from app.core.db import SessionDep
from app.core.errors import NotFound, problem_responses
from app.core.i18n import negotiate
from app.core.messages import msg
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.notifications import service
from app.notifications.models import NoticeDeliveryStatus
from app.notifications.schemas import (
    AlertAcknowledged,
    DeliveryOut,
    DeliveryPage,
    InboxPage,
    NotificationOut,
    PreferencesOut,
    PreferencesUpdate,
    ReadAllOut,
    VapidKeyOut,
)
from app.tips import notify_contact
from app.tips.dependencies import ReceiptTip
from app.triage.dependencies import CurrentTip

router = APIRouter(tags=["notifications"])

Admin = Annotated[Principal, Depends(require_roles("admin"))]
NotificationId = Annotated[str, Path(max_length=36)]


def _lang(request: Request) -> str:
    return str(negotiate(request.headers.get("accept-language")).value)


@router.patch(
    "/auth/me",
    tags=["accounts"],
    response_model=PreferencesOut,
    responses=problem_responses(401, 403, 422),
)
async def update_my_preferences(
    data: PreferencesUpdate, principal: CurrentPrincipal, session: SessionDep
) -> PreferencesOut:
    """The caller's own contacts and notice settings: `email`, `phone`, `locale` (`vi`|`en`),
    `notify_channels` (`email`, `sms`, `web_push`: where notices go besides the inbox),
    `web_push` (a browser PushSubscription), `notify_new_tips` (officers). Audited."""
    user = await service.update_preferences(session, principal=principal, data=data)
    return service.preferences_out(user)


@router.get("/notifications", response_model=InboxPage, responses=problem_responses(401, 403, 422))
async def list_notifications(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> InboxPage:
    """The caller's inbox, newest first, with the count of unread notices. Titles and bodies
    are in the negotiated language; they hold the tip's reference, never personal data."""
    return await service.inbox(
        session,
        principal=principal,
        unread_only=unread,
        limit=limit,
        cursor=cursor,
        lang=_lang(request),
    )


@router.post(
    "/notifications/read-all", response_model=ReadAllOut, responses=problem_responses(401, 403)
)
async def read_all_notifications(principal: CurrentPrincipal, session: SessionDep) -> ReadAllOut:
    return ReadAllOut(marked=await service.mark_all_read(session, principal=principal))


@router.get(
    "/notifications/vapid-public-key",
    response_model=VapidKeyOut,
    responses=problem_responses(404),
)
async def vapid_public_key(request: Request) -> VapidKeyOut:
    """The key to pass to `pushManager.subscribe` (404 when Web Push is not configured)."""
    settings = request.app.state.settings
    if not settings.vapid_private_key:
        raise NotFound(msg("notifications.web_push_off"))
    from app.notifications.channels.webpush import public_key

    return VapidKeyOut(public_key=public_key(settings))


@router.get(
    "/notifications/deliveries",
    response_model=DeliveryPage,
    responses=problem_responses(401, 403, 422),
)
async def list_deliveries(
    admin: Admin,
    session: SessionDep,
    status: Annotated[NoticeDeliveryStatus, Query()] = NoticeDeliveryStatus.dead,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> DeliveryPage:
    """Deliveries by status (`failed`: waiting for a retry; `dead`: given up). No address
    and no content: the channel, the notice type, the recipient's user id (staff) or tip."""
    rows, next_cursor = await service.list_deliveries(
        session, status=status, limit=limit, cursor=cursor
    )
    return DeliveryPage(items=[service.delivery_out(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/notifications/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    responses=problem_responses(401, 403, 404, 409),
)
async def redeliver(
    delivery_id: Annotated[int, Path(ge=1, lt=2**63)], admin: Admin, session: SessionDep
) -> DeliveryOut:
    """Queue a failed or dead delivery again (audited). A send interrupted by a crash is
    dead because its outcome is unknown: redelivering it may send it a second time."""
    row = await service.redeliver(session, actor=admin, delivery_id=delivery_id)
    return service.delivery_out(row)


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationOut,
    responses=problem_responses(401, 403, 404),
)
async def read_notification(
    request: Request,
    notification_id: NotificationId,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> NotificationOut:
    return await service.mark_read(
        session, principal=principal, notification_id=notification_id, lang=_lang(request)
    )


@router.post(
    "/tips/{tip_id}/alerts/acknowledge",
    tags=["triage"],
    response_model=AlertAcknowledged,
    responses=problem_responses(401, 403, 404),
)
async def acknowledge_alert(
    tip: CurrentTip, principal: CurrentPrincipal, session: SessionDep
) -> AlertAcknowledged:
    """Someone of the alerted duty desk or of the holding unit has the urgent alert in hand:
    the province's supervisors are not told (`tip.escalated`) after
    `TINBAO_URGENT_ACK_MINUTES`. Idempotent."""
    alert = await service.acknowledge_alert(session, principal=principal, tip=tip)
    assert alert.acknowledged_at is not None
    return AlertAcknowledged(
        tip_id=tip.id,
        acknowledged_at=alert.acknowledged_at,
        escalated=alert.escalated_at is not None,
    )


@router.delete(
    "/track/notify",
    tags=["track"],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(404, 429),
)
async def stop_notices(tip: ReceiptTip, session: SessionDep) -> Response:
    """Stop notices about the tip and erase the notice contact (header `X-Tip-Receipt`)."""
    await notify_contact.erase(session, tip_id=tip.id)
    await service.cancel_reporter_deliveries(session, tip_id=tip.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
