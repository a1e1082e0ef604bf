"""Webhook subscriptions and the delivery outbox.

Deliveries are written by the feed sequencer (:mod:`app.integration.feed`) in the transaction
that numbers their event. The delivery worker (:mod:`app.integration.worker`) claims due rows
with :func:`claim_due`, POSTs them outside any transaction, and records each outcome with
:func:`record_attempt`: success, or a retry after an exponential backoff (5 s, 20 s, 80 s, ...
capped at an hour), or the dead-letter state after ``webhook_max_attempts`` failures.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import Role, User
from app.admin_units.models import Province
from app.audit import service as audit
from app.core import outbox
from app.core.cursor import Int, Str, decode_cursor
from app.core.db import new_id
from app.core.errors import Conflict, NotFound, ValidationFailed, msg
from app.core.pagination import split_page
from app.core.principal import Principal
from app.core.security import DataCipher
from app.core.time import utcnow
from app.integration.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.integration.schemas import WebhookCreate
from app.integration.targets import TargetRefused, resolve_target

SIGNATURE_HEADER = "X-TinBao-Signature"
LEASE_SECONDS = 60


def _aad(subscription_id: str) -> bytes:
    return f"webhook:{subscription_id}".encode()


def sign(secret: str, body: bytes) -> str:
    """The X-TinBao-Signature value: ``sha256=<hex HMAC-SHA256(secret, raw body)>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def owner_enabled() -> ColumnElement[bool]:
    """A subscription whose owner is not disabled: a disabled user's webhooks get no new
    deliveries, and what was queued for them is not sent while they stay disabled."""
    disabled_owner = (
        select(User.id)
        .where(User.id == WebhookSubscription.created_by_id, User.disabled.is_(True))
        .exists()
    )
    return ~disabled_owner


# --- target validation --------------------------------------------------------------------


async def validate_target(url: str, *, allow_private: bool) -> None:
    """http(s) only; no private, loopback or link-local targets unless allowed (422)."""

    def refuse(key: str) -> ValidationFailed:
        return ValidationFailed(errors=[("url", msg(key))])

    invalid = refuse("webhooks.url_invalid")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise invalid
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        _ = parts.port  # a malformed port raises here
        httpx.URL(url)  # what the worker will send to must parse there too
    except (ValueError, httpx.InvalidURL):
        raise invalid from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise refuse("webhooks.url_scheme")
    if allow_private:
        return
    try:
        await resolve_target(url, allow_private=False)
    except TargetRefused as exc:
        if exc.reason == "unresolvable":
            raise refuse("webhooks.url_unresolvable") from None
        raise refuse("webhooks.url_private") from None


# --- subscriptions ------------------------------------------------------------------------


async def _province_for(
    session: AsyncSession, *, actor: Principal, requested: str | None
) -> str | None:
    if actor.role != Role.admin:
        if requested is not None and requested != actor.province_code:
            raise NotFound(msg("integration.province_not_found"))
        return actor.province_code
    if requested is not None and await session.get(Province, requested) is None:
        raise ValidationFailed(errors=[("province_code", msg("intake.unknown_province"))])
    return requested


async def create_subscription(
    session: AsyncSession,
    *,
    actor: Principal,
    data: WebhookCreate,
    cipher: DataCipher,
    allow_private: bool,
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (generated when none was given; returned once)."""
    await validate_target(data.url, allow_private=allow_private)
    province_code = await _province_for(session, actor=actor, requested=data.province_code)
    secret = data.secret or secrets.token_urlsafe(32)
    subscription_id = new_id()
    key_id, ciphertext = cipher.encrypt(secret.encode(), aad=_aad(subscription_id))
    subscription = WebhookSubscription(
        id=subscription_id,
        url=data.url,
        events=data.events,
        province_code=province_code,
        secret_key_id=key_id,
        secret_ciphertext=ciphertext,
        created_by_id=actor.id,
        created_by_label=actor.label[:64],
    )
    session.add(subscription)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="webhook.created",
        object_type="webhook",
        object_id=subscription.id,
        data={"url": data.url, "events": data.events, "province_code": province_code},
    )
    return subscription, secret


def subscription_secret(subscription: WebhookSubscription, *, cipher: DataCipher) -> str:
    return cipher.decrypt(
        subscription.secret_key_id, subscription.secret_ciphertext, aad=_aad(subscription.id)
    ).decode()


def _visible_subscriptions(actor: Principal) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [WebhookSubscription.deleted_at.is_(None)]
    if actor.role != Role.admin:
        clauses.append(WebhookSubscription.province_code == actor.province_code)
    return clauses


async def list_subscriptions(
    session: AsyncSession, *, actor: Principal, limit: int, cursor: str | None = None
) -> tuple[Sequence[WebhookSubscription], str | None]:
    query = (
        select(WebhookSubscription)
        .where(*_visible_subscriptions(actor))
        .order_by(WebhookSubscription.id)
        .limit(limit + 1)
    )
    if cursor is not None:
        (after,) = decode_cursor(cursor, Str())
        query = query.where(WebhookSubscription.id > after)
    rows = (await session.execute(query)).scalars().all()
    return split_page(rows, limit)


async def get_subscription(
    session: AsyncSession, *, actor: Principal, subscription_id: str
) -> WebhookSubscription:
    subscription = await session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.id == subscription_id, *_visible_subscriptions(actor)
        )
    )
    if subscription is None:
        raise NotFound(msg("webhooks.not_found"))
    return subscription


async def delete_subscription(
    session: AsyncSession, *, actor: Principal, subscription: WebhookSubscription
) -> None:
    """Stop the subscription; its deliveries not yet made are cancelled."""
    now = utcnow()
    subscription.deleted_at = now
    await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.status == DeliveryStatus.pending,
        )
        .values(status=DeliveryStatus.cancelled, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="webhook.deleted",
        object_type="webhook",
        object_id=subscription.id,
    )


# --- dead letters -------------------------------------------------------------------------


def _visible_deliveries(actor: Principal) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [
        WebhookSubscription.id == WebhookDelivery.subscription_id,
        WebhookSubscription.deleted_at.is_(None),
    ]
    if actor.role != Role.admin:
        clauses.append(WebhookSubscription.province_code == actor.province_code)
    return clauses


async def list_dead_letters(
    session: AsyncSession,
    *,
    actor: Principal,
    subscription_id: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[Sequence[WebhookDelivery], str | None]:
    query = (
        select(WebhookDelivery)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.status == DeliveryStatus.dead, *_visible_deliveries(actor))
        .order_by(WebhookDelivery.id)
        .limit(limit + 1)
    )
    if subscription_id is not None:
        query = query.where(WebhookDelivery.subscription_id == subscription_id)
    if cursor is not None:
        (after,) = decode_cursor(cursor, Int())
        query = query.where(WebhookDelivery.id > after)
    rows = (await session.execute(query)).scalars().all()
    return split_page(rows, limit)


async def redeliver(
    session: AsyncSession, *, actor: Principal, delivery_id: int
) -> WebhookDelivery:
    """Put a dead letter back in the queue, due now, with a fresh round of attempts."""
    delivery = await session.scalar(
        select(WebhookDelivery)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.id == delivery_id, *_visible_deliveries(actor))
        .with_for_update()
    )
    if delivery is None:
        raise NotFound(msg("webhooks.delivery_not_found"))
    if delivery.status != DeliveryStatus.dead:
        raise Conflict(msg("webhooks.redeliver_not_dead"))
    now = utcnow()
    delivery.status = DeliveryStatus.pending
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.lease_until = None
    delivery.leased_by = None
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="webhook.redelivered",
        object_type="webhook_delivery",
        object_id=str(delivery.id),
        data={"subscription_id": delivery.subscription_id, "feed_position": delivery.feed_position},
    )
    return delivery


# --- the worker's side --------------------------------------------------------------------


@dataclass(frozen=True)
class DueDelivery:
    id: int
    attempts: int
    event_type: str
    payload: str
    url: str
    secret: str


@dataclass(frozen=True)
class AttemptOutcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None


async def claim_due(
    session: AsyncSession, *, worker_id: str, now: datetime, limit: int
) -> list[int]:
    """Lease up to ``limit`` due deliveries of enabled owners to ``worker_id``; their ids
    (the shared claim of app.core.outbox). Commit at once so the lease is visible."""
    return await outbox.claim_due(
        session,
        WebhookDelivery,
        due_statuses=[DeliveryStatus.pending],
        worker_id=worker_id,
        now=now,
        limit=limit,
        lease=timedelta(seconds=LEASE_SECONDS),
        where=[
            WebhookDelivery.subscription_id.in_(
                select(WebhookSubscription.id).where(owner_enabled())
            )
        ],
    )


async def load_claimed(
    session: AsyncSession, *, ids: Sequence[int], worker_id: str, cipher: DataCipher
) -> list[DueDelivery]:
    rows = (
        await session.execute(
            select(WebhookDelivery, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.id.in_(ids), WebhookDelivery.leased_by == worker_id)
            .order_by(WebhookDelivery.id)
        )
    ).all()
    return [
        DueDelivery(
            id=delivery.id,
            attempts=delivery.attempts,
            event_type=delivery.event_type,
            payload=delivery.payload,
            url=subscription.url,
            secret=subscription_secret(subscription, cipher=cipher),
        )
        for delivery, subscription in rows
    ]


async def record_attempt(
    session: AsyncSession,
    *,
    delivery: DueDelivery,
    worker_id: str,
    outcome: AttemptOutcome,
    now: datetime,
    max_attempts: int,
) -> str:
    """Store an attempt's outcome; the delivery's new status.

    Only while the lease is still ours: if it ran out and another worker took the row,
    that worker's outcome counts.
    """
    values = outbox.outcome_values(
        ok=outcome.ok,
        attempts=delivery.attempts + 1,
        now=now,
        max_attempts=max_attempts,
        error=outcome.error,
        delivered=DeliveryStatus.delivered,
        retry=DeliveryStatus.pending,
        dead=DeliveryStatus.dead,
    )
    values["last_status_code"] = outcome.status_code
    # not cancelled meanwhile (its subscription deleted)
    await outbox.record_outcome(
        session,
        WebhookDelivery,
        row_id=delivery.id,
        worker_id=worker_id,
        expect_status=DeliveryStatus.pending,
        values=values,
    )
    return str(values["status"])
