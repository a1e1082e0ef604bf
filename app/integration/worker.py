"""The webhook outbox's steps: feed sequencing, and delivery in batches.

Each function opens its own sessions from a sessionmaker and commits. The one background
runner (app.core.runner, composed in app.background) drives :data:`WEBHOOKS`; request
handlers and tests call the steps directly. Several processes may run it at once:
sequencing is serialized by a lock, deliveries are claimed under leases (app.core.outbox).
"""

from __future__ import annotations

import logging
from datetime import datetime

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import outbox
from app.core.config import Settings
from app.core.leases import new_holder
from app.core.runner import http_client as _client
from app.core.security import DataCipher
from app.core.time import utcnow
from app.integration import feed, webhooks
from app.integration.models import DeliveryStatus, WebhookDelivery
from app.integration.targets import TargetRefused, pinned_request, resolve_target
from app.integration.webhooks import AttemptOutcome, DueDelivery

log = logging.getLogger("tinbao.webhooks")

DELIVERY_TIMEOUT_SECONDS = 5.0
DELIVERY_BATCH = 20
USER_AGENT = "TinBao-Webhooks/1"


async def sync_feed(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Number every committed, unnumbered timeline row (and write its deliveries)."""
    total = 0
    while True:
        async with sessionmaker() as session:
            numbered = await feed.sequence_pending(session)
            await session.commit()
        total += numbered
        if numbered < feed.SEQUENCE_BATCH:
            return total


async def attempt(
    http: httpx.AsyncClient, delivery: DueDelivery, *, allow_private: bool
) -> AttemptOutcome:
    """POST one delivery; any 2xx is success. Never raises."""
    body = delivery.payload.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-TinBao-Event": delivery.event_type,
        "X-TinBao-Delivery": str(delivery.id),
        webhooks.SIGNATURE_HEADER: webhooks.sign(delivery.secret, body),
    }
    try:
        # Checked again at send time, and sent to the address checked (no DNS rebinding).
        target = await resolve_target(delivery.url, allow_private=allow_private)
    except TargetRefused as exc:
        error = "target resolves to a private address" if exc.reason == "private" else exc.reason
        return AttemptOutcome(ok=False, error=error)
    try:
        response = await http.send(pinned_request(http, target, content=body, headers=headers))
    except httpx.TimeoutException:
        return AttemptOutcome(ok=False, error="timeout")
    except Exception as exc:
        # Whatever goes wrong with one target is that delivery's failure, never the worker's.
        return AttemptOutcome(ok=False, error=type(exc).__name__)
    if 200 <= response.status_code < 300:
        return AttemptOutcome(ok=True, status_code=response.status_code)
    return AttemptOutcome(
        ok=False, status_code=response.status_code, error=f"HTTP {response.status_code}"
    )


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    cipher: DataCipher,
    http: httpx.AsyncClient,
    worker_id: str | None = None,
    now: datetime | None = None,
    limit: int = DELIVERY_BATCH,
) -> int:
    """Claim up to ``limit`` due deliveries, attempt them concurrently, record the outcomes.

    Returns how many were attempted. No transaction is open while POSTing.
    """
    worker = worker_id or new_holder()
    allow_private = bool(settings.webhook_allow_private)

    async def claim(session: AsyncSession) -> list[int]:
        return await webhooks.claim_due(session, worker_id=worker, now=now or utcnow(), limit=limit)

    async def load(session: AsyncSession, ids: list[int]) -> list[DueDelivery]:
        return await webhooks.load_claimed(session, ids=ids, worker_id=worker, cipher=cipher)

    async def send(delivery: DueDelivery) -> AttemptOutcome:
        return await attempt(http, delivery, allow_private=allow_private)

    async def record(session: AsyncSession, delivery: DueDelivery, result: AttemptOutcome) -> None:
        status = await webhooks.record_attempt(
            session,
            delivery=delivery,
            worker_id=worker,
            outcome=result,
            now=now or utcnow(),
            max_attempts=settings.webhook_max_attempts,
        )
        if status == "dead":
            log.warning("webhook delivery %s dead-lettered (%s)", delivery.id, result.error)

    return await outbox.deliver_batch(
        sessionmaker, claim=claim, load=load, send=send, record=record
    )


def http_client() -> httpx.AsyncClient:
    return _client(DELIVERY_TIMEOUT_SECONDS)


async def pending(session: AsyncSession) -> dict[str, int]:
    """Deliveries waiting (``ix_webhook_deliveries_due``'s leading column)."""
    count = await session.scalar(
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.status == DeliveryStatus.pending)
    )
    return {"webhook": int(count or 0)}


async def _prepare(ctx: outbox.Context) -> int:
    return await sync_feed(ctx.sessionmaker)


WEBHOOKS = outbox.Outbox(
    name="webhooks",
    prepare=_prepare,
    deliver=deliver_due,
    pending=pending,
    batch=DELIVERY_BATCH,
    http_timeout=DELIVERY_TIMEOUT_SECONDS,
)
