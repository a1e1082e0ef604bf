"""Intake: receive a tip, route it, enter it in the unit's register, store its files and
answer with the receipt (the rules it must meet first are app.tips.intake_rules; where it
goes and its deadlines, app.tips.intake_routing; the reporter's stored data,
app.tips.intake_reporter)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.accounts.movement_models import check_model as check_movement_model
from app.admin_units.fold import fold
from app.admin_units.geo import CommuneLocator
from app.core.db import new_id
from app.core.errors import ServiceUnavailable, ValidationFailed, msg
from app.core.principal import Principal
from app.core.rows import Rows
from app.core.security import DataCipher
from app.core.time import as_utc, utcnow
from app.media import service as media_service
from app.media.models import Attachment
from app.media.schemas import AttachmentOut
from app.media.storage import MediaStorage
from app.media.upload import StagedFile
from app.tips import intake_reporter, intake_routing
from app.tips.idempotency import IdempotencyKey, find_replay, remember_response
from app.tips.intake_rules import (
    TIP_TYPES_BY_KIND,
    Place,
    check_channel,
    is_front,
    is_staff_intake,
    place_of,
    rule_errors,
)
from app.tips.metrics import TIPS_RECEIVED
from app.tips.models import (
    Channel,
    IntakeRecord,
    PublicStatus,
    Tip,
    TipStatus,
    TipType,
    TipWatcher,
    WatchReason,
)
from app.tips.receipts import new_receipt, new_reference, receipt_hash, reference_taken
from app.tips.register import enter_new_tip
from app.tips.schemas import TipCreate, TipCreated, UnitRef
from app.tips.sealed import seal_people
from app.tips.timeline import Actor, event_values, filer_label, insert_events
from app.units.deadlines import Deadlines
from app.units.models import CategoryKind, PoliceUnit
from app.units.routing import Routing

log = logging.getLogger("tinbao.intake")


@dataclass(frozen=True)
class IntakeContext:
    """What intake needs from the application besides the session."""

    locator: CommuneLocator
    cipher: DataCipher
    receipt_key: str
    storage: MediaStorage


# A new tip draws its reference at random (40 bits) and lets the unique index say whether it
# is free: no look-up first. The rare draw of a taken one rolls the attempt back and draws again.
REFERENCE_ATTEMPTS = 5


async def create_tip(
    session: AsyncSession,
    *,
    data: TipCreate,
    files: Sequence[StagedFile],
    actor: Principal | None,
    context: IntakeContext,
    idempotency: IdempotencyKey | None = None,
    now: datetime | None = None,
) -> TipCreated:
    """Receive a tip: validate, route, register, store its files, and answer with the receipt.

    ``files`` must have been identified (``media.service.identify_uploads``). Everything is
    written in the caller's transaction (sent, not committed), so a failure leaves nothing
    behind but content-addressed blobs (see media.storage). With ``idempotency``, a replay of
    an earlier request answers its stored response and creates nothing. The transaction must
    hold nothing else yet: a reference already taken rolls it back before the next attempt.
    """
    for attempt in range(1, REFERENCE_ATTEMPTS + 1):
        try:
            return await _create_tip(
                session,
                data=data,
                files=files,
                actor=actor,
                context=context,
                idempotency=idempotency,
                now=now,
            )
        except IntegrityError as exc:
            if not reference_taken(exc):
                raise
            await session.rollback()
            log.warning("reference already taken, attempt %d of %d", attempt, REFERENCE_ATTEMPTS)
    # Five taken draws of 40 bits in a row: the generator is broken, not the caller's request.
    raise ServiceUnavailable(
        msg("intake.no_free_reference"),
        headers={"Retry-After": "5"},
    )


async def _create_tip(
    session: AsyncSession,
    *,
    data: TipCreate,
    files: Sequence[StagedFile],
    actor: Principal | None,
    context: IntakeContext,
    idempotency: IdempotencyKey | None,
    now: datetime | None,
) -> TipCreated:
    # long: one intake transaction, step by step in the order API.md gives (rules, place, routing,
    #   register, files, timeline); each step is a helper call
    now = as_utc(now or utcnow())
    channel = check_channel(data, actor)

    if idempotency is not None:
        replay = await find_replay(session, key=idempotency, cipher=context.cipher, now=now)
        if replay is not None:
            return TipCreated.model_validate(replay)

    errors = rule_errors(data, file_count=len(files), actor=actor, now=now)
    if errors:
        raise ValidationFailed(errors=errors)

    place = await place_of(session, data=data, locator=context.locator)
    routed = await intake_routing.route(session, data=data, place=place)
    organization = await _organization(session, actor=actor)
    movement_model = await _movement_model(session, data=data, organization=organization)
    deadlines = await intake_routing.deadlines(
        session, data=data, actor=actor, channel=channel, routed=routed, now=now
    )

    # Files first: re-encoding happens before any row is written, so no lock waits on it.
    prepared = await media_service.prepare_files(files, storage=context.storage)

    reference = new_reference()
    receipt = new_receipt()
    tip = _new_tip(
        data,
        actor=actor,
        channel=channel,
        place=place,
        routed=routed,
        deadlines=deadlines,
        organization=organization,
        movement_model=movement_model,
        reference=reference,
        receipt_hash=receipt_hash(context.receipt_key, receipt),
        now=now,
    )
    seal_people(
        tip, persons_involved=data.persons_involved, victim=data.victim, cipher=context.cipher
    )
    # Every row by a Core INSERT on the session's connection, none through the unit of work.
    register_number = await enter_new_tip(
        session, tip=tip, unit_code=routed.unit.code, at=deadlines.received_at
    )
    await intake_reporter.store_reporter(
        session, tip=tip, data=data, actor=actor, organization=organization, cipher=context.cipher
    )
    watchers = await _around_the_tip(
        session, tip, data=data, actor=actor, organization=organization, routed=routed, now=now
    )
    attachments = await media_service.insert_attachments(
        session, tip_id=tip.id, prepared=prepared, uploaded_by_staff=False
    )
    created = _created(
        tip,
        receipt=receipt,
        routed=routed,
        watchers=watchers,
        register_number=register_number,
        attachments=attachments,
    )
    if idempotency is not None:
        replay = await remember_response(
            session,
            key=idempotency,
            tip_id=tip.id,
            response=created.model_dump(mode="json"),
            cipher=context.cipher,
            now=now,
        )
        if replay is not None:  # a concurrent identical request won the race
            return TipCreated.model_validate(replay)
    TIPS_RECEIVED.labels(channel.value, tip.kind).inc()
    return created


async def _around_the_tip(
    session: AsyncSession,
    tip: Tip,
    *,
    data: TipCreate,
    actor: Principal | None,
    organization: Organization | None,
    routed: intake_routing.Routed,
    now: datetime,
) -> list[str]:
    """The watching units, the first timeline entries and a staff intake's record; answers the
    watchers' codes."""
    channel = Channel(tip.channel)
    watchers = await _add_watchers(
        session, tip=tip, routing=routed.routing, duty_desk=routed.duty_desk
    )
    await _add_timeline(
        session,
        tip=tip,
        actor=actor,
        organization=organization,
        channel=channel,
        duty_desk=routed.duty_desk,
        now=now,
    )
    if is_staff_intake(actor, channel) and actor is not None:
        await _add_intake_record(session, tip=tip, data=data, actor=actor, channel=channel)
    return watchers


async def _movement_model(
    session: AsyncSession, *, data: TipCreate, organization: Organization | None
) -> str | None:
    """The movement model a Front report names, checked against its province's list."""
    if organization is None or data.movement_model is None:
        return None
    return await check_movement_model(
        session, code=data.movement_model, province_code=organization.province_code
    )


async def _organization(session: AsyncSession, *, actor: Principal | None) -> Organization | None:
    """The organisation a Front member files for."""
    if is_front(actor) and actor is not None and actor.organization_id:
        return await session.get(Organization, actor.organization_id)
    return None


def _tip_type(kind: CategoryKind, *, data: TipCreate, front: bool, staff: bool) -> TipType:
    if data.tip_type is not None:
        if not staff:
            raise ValidationFailed(errors=[("tip_type", msg("intake.tip_type_staff_only"))])
        if data.tip_type not in TIP_TYPES_BY_KIND[kind.value]:
            choices = ", ".join(sorted(TIP_TYPES_BY_KIND[kind.value]))
            raise ValidationFailed(
                errors=[("tip_type", msg("triage.kien_nghi_only_crime", choices=choices))]
            )
        return TipType(data.tip_type)
    if kind is CategoryKind.crime:
        return TipType.tin_bao if (front or data.on_behalf_of_organization) else TipType.to_giac
    return TipType.phan_anh


def _new_tip(
    data: TipCreate,
    *,
    actor: Principal | None,
    channel: Channel,
    place: Place,
    routed: intake_routing.Routed,
    deadlines: Deadlines,
    organization: Organization | None,
    movement_model: str | None,
    reference: str,
    receipt_hash: str | None,
    now: datetime,
) -> Tip:
    front = is_front(actor)
    kind = CategoryKind(routed.category.kind)
    return Tip(
        id=new_id(),
        reference=reference,
        receipt_hash=receipt_hash,
        category_code=routed.category.code,
        kind=kind.value,
        tip_type=_tip_type(
            kind, data=data, front=front, staff=is_staff_intake(actor, channel)
        ).value,
        description=data.description,
        search_text=fold(f"{data.description} {reference}"),
        occurred_at=data.occurred_at.astimezone(UTC) if data.occurred_at else None,
        commune_code=place.commune_code,
        province_code=place.province_code,
        legacy_commune_code=place.legacy_code,
        address=data.location.address,
        lat=data.location.lat,
        lon=data.location.lon,
        location_unknown=data.location_unknown,
        location_mismatch=place.location_mismatch,
        anonymous=False if front else data.anonymous,
        on_behalf_of_organization=front or data.on_behalf_of_organization,
        channel=channel.value,
        # A Front member is the reporter: the person is only in the encrypted identity, the
        # tip names their organization (API.md, Reporter privacy).
        submitted_by_id=actor.id
        if actor is not None and actor.kind == "user" and not front
        else None,
        submitted_by_key_id=actor.id if actor is not None and actor.kind == "api_key" else None,
        organization_id=organization.id if organization else None,
        movement_model=movement_model,
        status=TipStatus.received.value,
        urgent=data.urgent,
        priority=1 if data.urgent else 0,
        assigned_unit_code=routed.unit.code,
        received_at=deadlines.received_at,
        first_received_at=deadlines.received_at,
        acknowledge_by=deadlines.acknowledge_by,
        classify_by=deadlines.classify_by,
        transfer_due_at=deadlines.transfer_due_at,
        due_at=deadlines.due_at,
        created_at=now,
        updated_at=now,
    )


def _created(
    tip: Tip,
    *,
    receipt: str,
    routed: intake_routing.Routed,
    watchers: Sequence[str],
    register_number: str,
    attachments: Sequence[Attachment],
) -> TipCreated:
    units = routed.snapshot.units
    return TipCreated(
        id=tip.id,
        reference=tip.reference,
        receipt=receipt,
        status=TipStatus.received,
        public_status=PublicStatus.received,
        kind=tip.kind,
        tip_type=tip.tip_type,
        category_code=tip.category_code,
        assigned_unit=UnitRef(code=routed.unit.code, name=routed.unit.name),
        watching_units=[UnitRef(code=c, name=units[c].name) for c in watchers if c in units],
        register_number=register_number,
        commune_code=tip.commune_code,
        province_code=tip.province_code,
        location_mismatch=tip.location_mismatch,
        urgent=tip.urgent,
        acknowledge_by=tip.acknowledge_by,
        transfer_due_at=tip.transfer_due_at,
        due_at=tip.due_at,
        attachments=[AttachmentOut.model_validate(a) for a in attachments],
        created_at=tip.created_at,
    )


# The rows intake writes besides the tip's, each by a Core INSERT (app.core.rows).
_WATCHER_ROWS = Rows(TipWatcher)
_INTAKE_RECORD_ROWS = Rows(IntakeRecord)


async def _add_watchers(
    session: AsyncSession, *, tip: Tip, routing: Routing, duty_desk: str
) -> list[str]:
    """Units that follow the tip: the routing's copies, and the duty desk for urgent tips."""
    watchers: dict[str, WatchReason] = {
        code: WatchReason.routing
        for code in routing.watching_unit_codes
        if code != tip.assigned_unit_code
    }
    if tip.urgent and duty_desk != tip.assigned_unit_code:
        watchers.setdefault(duty_desk, WatchReason.urgent)
    if watchers:
        rows = [
            _WATCHER_ROWS.row(
                {
                    "tip_id": tip.id,
                    "unit_code": code,
                    "reason": reason.value,
                    "tip_created_at": tip.created_at,
                }
            )
            for code, reason in watchers.items()
        ]
        await session.execute(_WATCHER_ROWS.insert, rows)
    return list(watchers)


async def _add_timeline(
    session: AsyncSession,
    *,
    tip: Tip,
    actor: Principal | None,
    organization: Organization | None,
    channel: Channel,
    duty_desk: str,
    now: datetime,
) -> None:
    # A Front member files as the reporter: the timeline names the organization, never the
    # person (their user id or username), unless the identity is revealed.
    front = is_front(actor)
    who: Actor = actor if actor is not None and not front else "reporter"
    label = filer_label(organization) if front else None
    created = event_values(
        tip=tip,
        type="tip.created",
        actor=who,
        at=now,
        to_status=TipStatus.received.value,
        public=True,
        data={
            "register_number": tip.register_number,
            "unit_code": tip.assigned_unit_code,
            "category_code": tip.category_code,
            "channel": channel.value,
            "urgent": tip.urgent,
        },
        actor_label=label,
    )
    events = [created]
    if tip.urgent:
        # Very serious crimes or a suspect about to flee: the provincial duty desk is alerted.
        events.append(
            event_values(
                tip=tip,
                type="tip.urgent",
                actor=who,
                at=now,
                unit_code=duty_desk,
                data={
                    "alerted_unit_code": duty_desk,
                    "assigned_unit_code": tip.assigned_unit_code,
                },
                actor_label=label,
            )
        )
    await insert_events(session, events)  # their outbox rows too (app.tips.timeline)


async def _add_intake_record(
    session: AsyncSession, *, tip: Tip, data: TipCreate, actor: Principal, channel: Channel
) -> None:
    """The receipt record (biên bản tiếp nhận) of a staff walk-in or hotline intake."""
    record = data.intake_record
    place = record.place if record and record.place else None
    row = _INTAKE_RECORD_ROWS.row(
        {
            "tip_id": tip.id,
            "receiving_officer_id": actor.id,
            "received_at": tip.received_at,
            "place": place or await _intake_place(session, actor=actor, channel=channel),
            "recorded": record.recorded if record else False,
            "notes": record.notes if record else None,
        }
    )
    await session.execute(_INTAKE_RECORD_ROWS.insert, row)


async def _intake_place(session: AsyncSession, *, actor: Principal, channel: Channel) -> str:
    if channel == Channel.hotline:
        return "Đường dây nóng"
    unit = await session.get(PoliceUnit, actor.unit_code) if actor.unit_code else None
    return unit.name if unit is not None else "Trụ sở tiếp nhận"
