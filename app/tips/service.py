"""Intake of tips, receipts and references, the units' registers, and reporter follow-up.

Receipts are the reporter's only credential: 20 random Crockford base32 symbols (100 bits),
shown as five dashed groups of four, stored only as HMAC-SHA256 under ``receipt_key`` of the
normalised form. Neither receipts nor references are ever logged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization, Role
from app.accounts.principal import Principal
from app.admin_units.fold import fold
from app.admin_units.geo import CommuneLocator
from app.admin_units.service import province_exists, resolve_place
from app.core.db import new_id
from app.core.errors import Forbidden, NotFound, Text, ValidationFailed
from app.core.i18n import Lang
from app.core.pagination import Page, decode_cursor, encode_cursor
from app.core.security import (
    CROCKFORD,
    DataCipher,
    constant_time_equal,
    group,
    keyed_hash,
    normalize_crockford,
    random_crockford,
)
from app.media import service as media_service
from app.media.models import Attachment
from app.media.schemas import AttachmentOut
from app.media.storage import MediaStorage
from app.media.upload import StagedFile
from app.tips import notify_contact
from app.tips.idempotency import IdempotencyKey, find_replay, remember_response
from app.tips.models import (
    Channel,
    IntakeRecord,
    MessageDirection,
    PublicStatus,
    RegisterCounter,
    RegisterEntry,
    ReporterIdentity,
    Tip,
    TipEvent,
    TipMessage,
    TipStatus,
    TipType,
    TipWatcher,
    WatchReason,
)
from app.tips.schemas import (
    LOCAL_TZ,
    MessageOut,
    TimelineItem,
    TipCreate,
    TipCreated,
    TrackedTip,
    UnitRef,
)
from app.triage.deadlines import add_working_days, load_calendar
from app.units.models import CategoryKind, PoliceUnit, UnitKind
from app.units.routing import Routing
from app.units.service import UnitsSnapshot, route_with, units_snapshot

RECEIPT_SYMBOLS = 20  # 100 bits
REFERENCE_SYMBOLS = 8  # TB-XXXX-XXXX, 40 bits: unique, not secret
CLOCK_SKEW = timedelta(minutes=5)
LOCATION_UNKNOWN_MIN_DESCRIPTION = 50
TRANSFER_HOURS = 24  # commune police forward crime tips within 24 h (art. 146(3))
TRANSFER_HOURS_REMOTE = 48
CLASSIFY_HOURS = 24

# --- public status ---------------------------------------------------------------------

_PUBLIC_STATUS: dict[str, PublicStatus] = {
    TipStatus.received: PublicStatus.received,
    TipStatus.verifying: PublicStatus.processing,
    TipStatus.in_progress: PublicStatus.processing,
    TipStatus.transferred: PublicStatus.processing,
    TipStatus.suspended: PublicStatus.processing,
    TipStatus.merged: PublicStatus.processing,
    TipStatus.awaiting_info: PublicStatus.awaiting_info,
    TipStatus.resolved: PublicStatus.completed,
    TipStatus.referred: PublicStatus.completed,
    TipStatus.rejected: PublicStatus.not_accepted,
}

PUBLIC_STATUS_MESSAGES: dict[str, tuple[str, str]] = {
    PublicStatus.received: ("Tin báo đã được tiếp nhận.", "Your report has been received."),
    PublicStatus.processing: ("Tin báo đang được xử lý.", "Your report is being handled."),
    PublicStatus.awaiting_info: (
        "Cơ quan công an cần thêm thông tin từ bạn.",
        "The police need more information from you.",
    ),
    PublicStatus.completed: ("Tin báo đã được xử lý xong.", "Handling of your report is complete."),
    PublicStatus.not_accepted: ("Tin báo không được thụ lý.", "Your report was not accepted."),
}


def public_status_for(status: str) -> str:
    """What a reporter sees for an internal status."""
    return _PUBLIC_STATUS[status].value


# --- receipts and references -------------------------------------------------------------


def new_receipt() -> str:
    return group(random_crockford(RECEIPT_SYMBOLS))


def receipt_hash(receipt_key: str, receipt: str) -> str | None:
    """The stored form of a receipt; None when it cannot be one (wrong length or alphabet)."""
    normalized = normalize_crockford(receipt)
    if len(normalized) != RECEIPT_SYMBOLS or any(ch not in CROCKFORD for ch in normalized):
        return None
    return keyed_hash(receipt_key, normalized)


_NO_MATCH = "0" * 64


async def find_tip_by_receipt(
    session: AsyncSession, *, receipt_key: str, receipt: str | None
) -> Tip | None:
    """The tip a receipt belongs to, or None. The hash is looked up, then compared in
    constant time; a malformed receipt costs the same hash and comparison."""
    candidate = receipt_hash(receipt_key, receipt or "")
    computed = candidate or keyed_hash(receipt_key, "-")
    tip = await session.scalar(select(Tip).where(Tip.receipt_hash == computed))
    stored = tip.receipt_hash if tip is not None else _NO_MATCH
    if constant_time_equal(stored, computed) and candidate is not None and tip is not None:
        return tip
    return None


async def _new_reference(session: AsyncSession) -> str:
    for _ in range(10):
        reference = "TB-" + group(random_crockford(REFERENCE_SYMBOLS))
        taken = await session.scalar(select(Tip.id).where(Tip.reference == reference))
        if taken is None:
            return reference
    raise RuntimeError("could not draw a free reference")  # 40 bits: practically unreachable


# --- registers ---------------------------------------------------------------------------


def _local_year(at: datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(LOCAL_TZ).year


async def enter_in_register(
    session: AsyncSession, *, tip: Tip, unit_code: str, at: datetime
) -> RegisterEntry:
    """Enter ``tip`` in ``unit_code``'s register ("sổ tiếp nhận") for the local year of ``at``.

    Numbers are gapless and unique per unit and year: one upsert creates the counter row at 1
    or increments it (``INSERT … ON CONFLICT DO UPDATE … RETURNING``), which holds its row
    lock (PostgreSQL) or the database write lock (SQLite) until the transaction ends; a
    rolled-back intake gives its number back. Sets ``tip.register_number`` and flushes (so a
    new tip is written); the entry is added to the session for the caller's next flush.
    """
    year = _local_year(at)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(RegisterCounter).values(
        unit_code=unit_code, year=year, last_number=1, created_at=at, updated_at=at
    )
    seq = (
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["unit_code", "year"],
                set_={"last_number": RegisterCounter.last_number + 1, "updated_at": at},
            ).returning(RegisterCounter.last_number)
        )
    ).scalar_one()
    number = f"{unit_code}/{year}/{seq:06d}"
    tip.register_number = number
    await session.flush()  # a new tip is inserted before the rows that refer to it
    entry = RegisterEntry(
        tip_id=tip.id,
        unit_code=unit_code,
        year=year,
        seq=seq,
        register_number=number,
        registered_at=at,
    )
    session.add(entry)
    return entry


# --- intake ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeContext:
    """What intake needs from the application besides the session."""

    locator: CommuneLocator
    cipher: DataCipher
    receipt_key: str
    storage: MediaStorage


def _is_front(actor: Principal | None) -> bool:
    return actor is not None and actor.kind == "user" and actor.role == Role.front_member


def _check_channel(data: TipCreate, actor: Principal | None) -> Channel:
    """The channel the tip is recorded under, or 403 when the caller may not use it."""
    is_staff = actor is not None and actor.is_staff
    is_open311 = actor is not None and actor.kind == "api_key" and actor.role == "open311_client"
    channel = data.channel
    if (
        actor is not None
        and actor.kind == "api_key"
        and not (is_open311 and channel == Channel.open311)
    ):
        raise Forbidden(
            (
                "Ứng dụng kết nối chỉ gửi tin qua giao diện Open311.",
                "Machine clients file tips through the Open311 adapter only.",
            )
        )
    if channel in (Channel.hotline, Channel.walk_in) and not is_staff:
        raise Forbidden(
            (
                "Chỉ cán bộ được tiếp nhận qua đường dây nóng hoặc trực tiếp.",
                "Only staff may file hotline or walk-in tips.",
            )
        )
    if channel == Channel.open311 and not is_open311:
        raise Forbidden(
            ("Kênh open311 dành cho giao diện Open311.", "The open311 channel is for the adapter.")
        )
    if _is_front(actor):
        return Channel.front
    if channel == Channel.front:
        raise Forbidden(
            ("Kênh front dành cho thành viên Mặt trận.", "The front channel is for Front members.")
        )
    return channel


def _msg(vi: str, en: str) -> Text:
    return (vi, en)


def _rule_errors(
    data: TipCreate, *, file_count: int, actor: Principal | None, now: datetime
) -> list[tuple[str, Text]]:
    errors: list[tuple[str, Text]] = []
    loc = data.location
    front = _is_front(actor)
    if data.location_unknown:
        if not loc.province_code:
            errors.append(
                (
                    "location.province_code",
                    _msg(
                        "Cần mã tỉnh/thành phố khi không nhớ nơi xảy ra.",
                        "province_code is required when location_unknown is true.",
                    ),
                )
            )
        for name in ("commune_code", "legacy_commune_code", "lat", "lon"):
            if getattr(loc, name) is not None:
                errors.append(
                    (
                        f"location.{name}",
                        _msg(
                            "Không gửi kèm khi không nhớ nơi xảy ra.",
                            "Must be empty when location_unknown is true.",
                        ),
                    )
                )
        if file_count < 1:
            errors.append(
                (
                    "files",
                    _msg(
                        "Cần ít nhất một tệp (ảnh, video…) khi không nhớ nơi xảy ra.",
                        "At least one file is required when location_unknown is true.",
                    ),
                )
            )
        if len(data.description) < LOCATION_UNKNOWN_MIN_DESCRIPTION:
            errors.append(
                (
                    "description",
                    _msg(
                        f"Cần mô tả ít nhất {LOCATION_UNKNOWN_MIN_DESCRIPTION} ký tự khi không "
                        "nhớ nơi xảy ra.",
                        f"At least {LOCATION_UNKNOWN_MIN_DESCRIPTION} characters are required "
                        "when location_unknown is true.",
                    ),
                )
            )
    elif (loc.lat is None) != (loc.lon is None):
        missing = "lat" if loc.lat is None else "lon"
        errors.append(
            (f"location.{missing}", _msg("Cần cả lat và lon.", "lat and lon go together."))
        )

    if not front:
        if data.anonymous and data.reporter is not None:
            errors.append(
                (
                    "reporter",
                    _msg(
                        "Tin báo ẩn danh không kèm thông tin người báo.",
                        "An anonymous tip carries no reporter.",
                    ),
                )
            )
        if not data.anonymous:
            reporter = data.reporter
            if reporter is None or not reporter.full_name:
                errors.append(
                    ("reporter.full_name", _msg("Cần họ và tên.", "full_name is required."))
                )
            if reporter is None or not (reporter.phone or reporter.email):
                errors.append(
                    (
                        "reporter.phone",
                        _msg(
                            "Cần số điện thoại hoặc email.", "A phone number or email is required."
                        ),
                    )
                )
        if data.on_behalf_of_organization:
            if data.anonymous:
                errors.append(
                    (
                        "anonymous",
                        _msg(
                            "Tin báo thay mặt tổ chức không thể ẩn danh.",
                            "A tip on behalf of an organisation cannot be anonymous.",
                        ),
                    )
                )
            if not data.organization_name:
                errors.append(
                    (
                        "organization_name",
                        _msg("Cần tên tổ chức.", "organization_name is required."),
                    )
                )
        else:
            for name in ("organization_name", "organization_tax_code"):
                if getattr(data, name) is not None:
                    errors.append(
                        (
                            name,
                            _msg(
                                "Chỉ dùng khi báo thay mặt tổ chức.",
                                "Only with on_behalf_of_organization.",
                            ),
                        )
                    )
        if data.movement_model is not None:
            errors.append(
                (
                    "movement_model",
                    _msg(
                        "Chỉ thành viên Mặt trận ghi mô hình phong trào.",
                        "Only Front members name a movement model.",
                    ),
                )
            )

    staff_intake = (
        actor is not None and actor.is_staff and data.channel in (Channel.walk_in, Channel.hotline)
    )
    if data.intake_record is not None:
        if not staff_intake:
            errors.append(
                (
                    "intake_record",
                    _msg(
                        "Chỉ dùng khi cán bộ tiếp nhận trực tiếp hoặc qua đường dây nóng.",
                        "Only for staff walk-in or hotline intake.",
                    ),
                )
            )
        elif (
            data.intake_record.received_at is not None
            and data.intake_record.received_at > now + CLOCK_SKEW
        ):
            errors.append(
                (
                    "intake_record.received_at",
                    _msg("Không được ở tương lai.", "Must not be in the future."),
                )
            )
    if data.occurred_at is not None and data.occurred_at > now + CLOCK_SKEW:
        errors.append(
            ("occurred_at", _msg("Không được ở tương lai.", "Must not be in the future."))
        )
    return errors


def _unit_refs(snapshot: UnitsSnapshot, codes: Sequence[str]) -> list[UnitRef]:
    units = snapshot.units
    return [UnitRef(code=c, name=units[c].name) for c in codes if c in units]


def _as_aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class _Place:
    province_code: str
    commune_code: str | None
    legacy_code: str | None  # the pre-2025 code the place was given as
    location_mismatch: bool


async def _place_of(session: AsyncSession, *, data: TipCreate, locator: CommuneLocator) -> _Place:
    loc = data.location
    if data.location_unknown:
        if not await province_exists(session, code=loc.province_code or ""):
            raise ValidationFailed(
                errors=[
                    (
                        "location.province_code",
                        _msg("Không có tỉnh/thành phố này.", "No province has this code."),
                    )
                ]
            )
        return _Place(loc.province_code or "", None, None, False)
    resolved = await resolve_place(
        session,
        locator=locator,
        commune_code=loc.commune_code,
        legacy_commune_code=loc.legacy_commune_code,
        lat=loc.lat,
        lon=loc.lon,
    )
    if loc.province_code and loc.province_code != resolved.province_code:
        raise ValidationFailed(
            errors=[
                (
                    "location.province_code",
                    _msg(
                        "Xã/phường không thuộc tỉnh/thành phố này.",
                        "The commune is not in this province.",
                    ),
                )
            ]
        )
    legacy = None
    if resolved.resolved_from_legacy:
        legacy = loc.legacy_commune_code or loc.commune_code
    return _Place(resolved.province_code, resolved.commune_code, legacy, resolved.location_mismatch)


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
    written in the caller's transaction (flushed, not committed), so a failure leaves nothing
    behind but content-addressed blobs (see media.storage). With ``idempotency``, a replay of
    an earlier request answers its stored response and creates nothing.
    """
    now = _as_aware(now or datetime.now(UTC))
    channel = _check_channel(data, actor)

    if idempotency is not None:
        replay = await find_replay(session, key=idempotency, cipher=context.cipher, now=now)
        if replay is not None:
            return TipCreated.model_validate(replay)

    errors = _rule_errors(data, file_count=len(files), actor=actor, now=now)
    if errors:
        raise ValidationFailed(errors=errors)

    place = await _place_of(session, data=data, locator=context.locator)
    province_code, commune_code = place.province_code, place.commune_code
    reference_data = await units_snapshot(session)
    category, routing = route_with(
        reference_data,
        commune_code=commune_code,
        province_code=province_code,
        category_code=data.category_code,
    )
    duty_desk = f"CAT-{province_code}"
    assigned_code = duty_desk if data.location_unknown else routing.assigned_unit_code
    unit = reference_data.units.get(assigned_code)
    if unit is None:  # reference data out of step with routing: not the caller's fault
        raise RuntimeError("routing produced an unknown unit")

    front = _is_front(actor)
    organization: Organization | None = None
    if front and actor is not None and actor.organization_id:
        organization = await session.get(Organization, actor.organization_id)

    kind = CategoryKind(category.kind)
    if kind is CategoryKind.crime:
        tip_type = TipType.tin_bao if (front or data.on_behalf_of_organization) else TipType.to_giac
    else:
        tip_type = TipType.phan_anh

    staff_intake = (
        actor is not None and actor.is_staff and channel in (Channel.walk_in, Channel.hotline)
    )
    received_at = now
    if staff_intake and data.intake_record and data.intake_record.received_at:
        received_at = data.intake_record.received_at.astimezone(UTC)

    # Deadlines
    calendar = await load_calendar(session)
    acknowledge_by = add_working_days(
        received_at, category.acknowledge_working_days, calendar
    ).astimezone(UTC)  # stored in UTC: SQLite keeps no offset
    transfer_due_at = None
    if kind is CategoryKind.crime and unit.kind == UnitKind.commune:
        hours = TRANSFER_HOURS_REMOTE if unit.remote else TRANSFER_HOURS
        transfer_due_at = received_at + timedelta(hours=hours)

    # Files first: re-encoding happens before any row is written, so no lock waits on it.
    prepared = await media_service.prepare_files(files, storage=context.storage)

    reference = await _new_reference(session)
    receipt = new_receipt()
    tip = Tip(
        id=new_id(),
        reference=reference,
        receipt_hash=receipt_hash(context.receipt_key, receipt),
        category_code=category.code,
        kind=kind.value,
        tip_type=tip_type.value,
        description=data.description,
        search_text=fold(f"{data.description} {reference}"),
        occurred_at=data.occurred_at.astimezone(UTC) if data.occurred_at else None,
        persons_involved=data.persons_involved,
        victim=data.victim,
        commune_code=commune_code,
        province_code=province_code,
        legacy_commune_code=place.legacy_code,
        address=data.location.address,
        lat=data.location.lat,
        lon=data.location.lon,
        location_unknown=data.location_unknown,
        location_mismatch=place.location_mismatch,
        anonymous=False if front else data.anonymous,
        on_behalf_of_organization=front or data.on_behalf_of_organization,
        channel=channel.value,
        submitted_by_id=actor.id if actor is not None and actor.kind == "user" else None,
        organization_id=organization.id if organization else None,
        movement_model=data.movement_model if front else None,
        status=TipStatus.received.value,
        urgent=data.urgent,
        priority=1 if data.urgent else 0,
        assigned_unit_code=unit.code,
        received_at=received_at,
        acknowledge_by=acknowledge_by,
        classify_by=received_at + timedelta(hours=CLASSIFY_HOURS),
        transfer_due_at=transfer_due_at,
        due_at=received_at + timedelta(days=category.resolve_days),
        created_at=now,
        updated_at=now,
    )
    session.add(tip)
    entry = await enter_in_register(session, tip=tip, unit_code=unit.code, at=received_at)

    identity = _reporter_identity(data, actor=actor, organization=organization)
    if identity is not None:
        key_id, blob = context.cipher.encrypt(
            json.dumps(identity, ensure_ascii=False).encode(), aad=tip.id.encode()
        )
        session.add(ReporterIdentity(tip_id=tip.id, key_id=key_id, ciphertext=blob))
    notify_contact.store(
        session,
        tip_id=tip.id,
        contact=notify_contact.contact_from_intake(data, identity),
        cipher=context.cipher,
    )

    watchers = _add_watchers(session, tip=tip, routing=routing, duty_desk=duty_desk)
    _add_timeline(session, tip=tip, actor=actor, channel=channel, duty_desk=duty_desk, now=now)
    if staff_intake and actor is not None:
        await _add_intake_record(session, tip=tip, data=data, actor=actor, channel=channel)
    attachments = media_service.add_attachments(
        session, tip_id=tip.id, prepared=prepared, uploaded_by_staff=False
    )
    await session.flush()

    created = TipCreated(
        id=tip.id,
        reference=reference,
        receipt=receipt,
        status=TipStatus.received,
        public_status=PublicStatus.received,
        kind=kind.value,
        tip_type=tip_type.value,
        category_code=category.code,
        assigned_unit=UnitRef(code=unit.code, name=unit.name),
        watching_units=_unit_refs(reference_data, watchers),
        register_number=entry.register_number,
        commune_code=commune_code,
        province_code=province_code,
        location_mismatch=place.location_mismatch,
        urgent=data.urgent,
        acknowledge_by=acknowledge_by,
        transfer_due_at=transfer_due_at,
        due_at=tip.due_at,
        attachments=[AttachmentOut.model_validate(a) for a in attachments],
        created_at=now,
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
    return created


def _add_watchers(
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
    session.add_all(
        TipWatcher(
            tip_id=tip.id,
            unit_code=code,
            reason=reason.value,
            tip_created_at=tip.created_at,
        )
        for code, reason in watchers.items()
    )
    return list(watchers)


def _add_timeline(
    session: AsyncSession,
    *,
    tip: Tip,
    actor: Principal | None,
    channel: Channel,
    duty_desk: str,
    now: datetime,
) -> None:
    actor_label = actor.label if actor is not None else "reporter"
    actor_id = actor.id if actor is not None and actor.kind == "user" else None
    session.add(
        TipEvent(
            tip_id=tip.id,
            type="tip.created",
            at=now,
            actor_id=actor_id,
            actor_label=actor_label,
            unit_code=tip.assigned_unit_code,
            to_status=TipStatus.received.value,
            public=True,
            public_status=PublicStatus.received.value,
            data={
                "register_number": tip.register_number,
                "unit_code": tip.assigned_unit_code,
                "category_code": tip.category_code,
                "channel": channel.value,
                "urgent": tip.urgent,
            },
        )
    )
    if tip.urgent:
        # Very serious crimes or a suspect about to flee: the provincial duty desk is alerted.
        session.add(
            TipEvent(
                tip_id=tip.id,
                type="tip.urgent",
                at=now,
                actor_id=actor_id,
                actor_label=actor_label,
                unit_code=duty_desk,
                data={"alerted_unit_code": duty_desk, "assigned_unit_code": tip.assigned_unit_code},
            )
        )


async def _add_intake_record(
    session: AsyncSession, *, tip: Tip, data: TipCreate, actor: Principal, channel: Channel
) -> None:
    """The receipt record (biên bản tiếp nhận) of a staff walk-in or hotline intake."""
    record = data.intake_record
    place = record.place if record and record.place else None
    session.add(
        IntakeRecord(
            tip_id=tip.id,
            receiving_officer_id=actor.id,
            received_at=tip.received_at,
            place=place or await _intake_place(session, actor=actor, channel=channel),
            recorded=record.recorded if record else False,
            notes=record.notes if record else None,
        )
    )


def _reporter_identity(
    data: TipCreate, *, actor: Principal | None, organization: Organization | None
) -> dict[str, Any] | None:
    reporter = data.reporter
    if _is_front(actor) and actor is not None:
        identity: dict[str, Any] = {
            "full_name": actor.full_name or actor.label,
            "phone": reporter.phone if reporter else None,
            "email": reporter.email if reporter else None,
            "address": reporter.address if reporter else None,
            "organization_name": organization.name if organization else None,
        }
        return identity
    if data.anonymous or reporter is None:
        return None
    identity = {
        "full_name": reporter.full_name,
        "phone": reporter.phone,
        "email": reporter.email,
        "address": reporter.address,
    }
    if data.on_behalf_of_organization:
        identity["organization_name"] = data.organization_name
        identity["organization_tax_code"] = data.organization_tax_code
    return identity


async def _intake_place(session: AsyncSession, *, actor: Principal, channel: Channel) -> str:
    if channel == Channel.hotline:
        return "Đường dây nóng"
    unit = await session.get(PoliceUnit, actor.unit_code) if actor.unit_code else None
    return unit.name if unit is not None else "Trụ sở tiếp nhận"


# --- reporter follow-up ------------------------------------------------------------------


def _timeline_message(event: TipEvent, lang: Lang) -> str:
    if event.public_message:
        return event.public_message
    vi, en = PUBLIC_STATUS_MESSAGES[event.public_status or PublicStatus.processing]
    return en if lang is Lang.en else vi


async def _messages_out(
    session: AsyncSession, *, tip_id: str, messages: Sequence[TipMessage]
) -> list[MessageOut]:
    attachments = await media_service.list_attachments(
        session, tip_id=tip_id, message_ids=[m.id for m in messages]
    )
    by_message: dict[str, list[AttachmentOut]] = {}
    for attachment in attachments:
        if attachment.message_id is not None:
            by_message.setdefault(attachment.message_id, []).append(
                AttachmentOut.model_validate(attachment)
            )
    return [
        MessageOut(
            id=m.id,
            direction=MessageDirection(m.direction),
            body=m.body,
            at=m.created_at,
            attachments=by_message.get(m.id, []),
        )
        for m in messages
    ]


async def tracked_tip(session: AsyncSession, *, tip: Tip, lang: Lang) -> TrackedTip:
    """The reporter's view of a tip: public timeline and the conversation only."""
    unit = await session.get(PoliceUnit, tip.assigned_unit_code)
    events = await session.scalars(
        select(TipEvent)
        .where(TipEvent.tip_id == tip.id, TipEvent.public.is_(True))
        .order_by(TipEvent.at, TipEvent.id)
    )
    messages = list(
        await session.scalars(
            select(TipMessage).where(TipMessage.tip_id == tip.id).order_by(TipMessage.id)
        )
    )
    own_files = await session.scalars(
        select(Attachment)
        .where(
            Attachment.tip_id == tip.id,
            Attachment.message_id.is_(None),
            Attachment.uploaded_by_staff.is_(False),
        )
        .order_by(Attachment.created_at, Attachment.id)
    )
    return TrackedTip(
        reference=tip.reference,
        category_code=tip.category_code,
        public_status=PublicStatus(public_status_for(tip.status)),
        assigned_unit=UnitRef(code=tip.assigned_unit_code, name=unit.name if unit else ""),
        created_at=tip.created_at,
        updated_at=tip.updated_at,
        outcome_summary=tip.outcome_summary,
        timeline=[
            TimelineItem(
                at=e.at,
                public_status=PublicStatus(e.public_status or public_status_for(tip.status)),
                message=_timeline_message(e, lang),
            )
            for e in events
        ],
        messages=await _messages_out(session, tip_id=tip.id, messages=messages),
        attachments=[AttachmentOut.model_validate(a) for a in own_files],
    )


async def list_messages(
    session: AsyncSession, *, tip: Tip, limit: int, cursor: str | None
) -> Page[MessageOut]:
    """The conversation, oldest first (message ids are time-ordered UUIDv7)."""
    query = select(TipMessage).where(TipMessage.tip_id == tip.id)
    if cursor:
        (after,) = decode_cursor(cursor) or [""]
        query = query.where(TipMessage.id > str(after))
    rows = list(await session.scalars(query.order_by(TipMessage.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page[MessageOut](
        items=await _messages_out(session, tip_id=tip.id, messages=rows),
        next_cursor=encode_cursor([rows[-1].id]) if more and rows else None,
    )


async def add_reporter_message(
    session: AsyncSession,
    *,
    tip: Tip,
    body: str,
    files: Sequence[StagedFile],
    storage: MediaStorage,
    now: datetime | None = None,
) -> MessageOut:
    """The reporter adds information (text and files) to their tip; the unit sees it."""
    now = _as_aware(now or datetime.now(UTC))
    prepared = await media_service.prepare_files(files, storage=storage)
    message = TipMessage(
        id=new_id(),
        tip_id=tip.id,
        direction=MessageDirection.from_reporter.value,
        body=body,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    await session.flush()
    attachments = media_service.add_attachments(
        session, tip_id=tip.id, prepared=prepared, message_id=message.id
    )
    session.add(
        TipEvent(
            tip_id=tip.id,
            type="tip.message_added",
            at=now,
            actor_label="reporter",
            unit_code=tip.assigned_unit_code,
            data={
                "message_id": message.id,
                "direction": MessageDirection.from_reporter.value,
                "attachments": len(attachments),
            },
        )
    )
    tip.updated_at = now
    await session.flush()
    return MessageOut(
        id=message.id,
        direction=MessageDirection.from_reporter,
        body=body,
        at=now,
        attachments=[AttachmentOut.model_validate(a) for a in attachments],
    )


async def get_message_attachment(
    session: AsyncSession, *, tip: Tip, attachment_id: str
) -> Attachment:
    """A file of the conversation, for the reporter to download; others answer 404."""
    try:
        return await media_service.get_attachment(
            session, tip_id=tip.id, attachment_id=attachment_id, messages_only=True
        )
    except NotFound:
        raise NotFound(("Không tìm thấy tệp.", "File not found.")) from None
