"""The rules a submission must meet before anything is written: who may use which channel,
the fields that go together, the place it names.

Everything here reads the request only (and, for the place, the reference data); intake
(app.tips.intake) calls it before routing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.admin_units.geo import CommuneLocator
from app.admin_units.service import current_province, resolve_place
from app.core.errors import Forbidden, Message, ValidationFailed, msg
from app.core.principal import Principal
from app.tips.models import Channel, TipType
from app.tips.schemas import LocationIn, TipCreate
from app.units.models import CategoryKind

CLOCK_SKEW = timedelta(minutes=5)
LOCATION_UNKNOWN_MIN_DESCRIPTION = 50

FieldError = tuple[str, Message]


def is_front(actor: Principal | None) -> bool:
    return actor is not None and actor.kind == "user" and actor.role == Role.front_member


# The tip types each kind allows (Criminal Procedure Code art. 144; security/order reports).
TIP_TYPES_BY_KIND: dict[str, frozenset[str]] = {
    CategoryKind.crime.value: frozenset(
        {TipType.to_giac.value, TipType.tin_bao.value, TipType.kien_nghi_khoi_to.value}
    ),
    CategoryKind.security_order.value: frozenset({TipType.phan_anh.value}),
}


def is_staff_intake(actor: Principal | None, channel: Channel) -> bool:
    """A walk-in or hotline tip recorded by staff (it carries an intake record)."""
    return actor is not None and actor.is_staff and channel in (Channel.walk_in, Channel.hotline)


def check_channel(data: TipCreate, actor: Principal | None) -> Channel:
    """The channel the tip is recorded under, or 403 when the caller may not use it."""
    is_staff = actor is not None and actor.is_staff
    is_open311 = actor is not None and actor.kind == "api_key" and actor.role == "open311_client"
    channel = data.channel
    if (
        actor is not None
        and actor.kind == "api_key"
        and not (is_open311 and channel == Channel.open311)
    ):
        raise Forbidden(msg("channel.machine_clients"))
    if channel in (Channel.hotline, Channel.walk_in) and not is_staff:
        raise Forbidden(msg("channel.staff_only"))
    if channel == Channel.open311 and not is_open311:
        raise Forbidden(msg("channel.open311_only"))
    if is_front(actor):
        return Channel.front
    if channel == Channel.front:
        raise Forbidden(msg("channel.front_only"))
    return channel


def rule_errors(
    data: TipCreate, *, file_count: int, actor: Principal | None, now: datetime
) -> list[FieldError]:
    """Every rule the submission breaks, as (field, message) pairs; empty when none."""
    errors = _location_errors(data, file_count=file_count)
    if not is_front(actor):
        errors += _reporter_errors(data)
    errors += _time_errors(data, actor=actor, now=now)
    return errors


def _location_errors(data: TipCreate, *, file_count: int) -> list[FieldError]:
    errors: list[FieldError] = []
    loc = data.location
    if data.location_unknown:
        if not loc.province_code:
            errors.append(
                (
                    "location.province_code",
                    msg("intake.province_required"),
                )
            )
        for name in ("commune_code", "legacy_commune_code", "lat", "lon"):
            if getattr(loc, name) is not None:
                errors.append(
                    (
                        f"location.{name}",
                        msg("intake.empty_when_unknown"),
                    )
                )
        if file_count < 1:
            errors.append(
                (
                    "files",
                    msg("intake.file_required"),
                )
            )
        if len(data.description) < LOCATION_UNKNOWN_MIN_DESCRIPTION:
            errors.append(
                (
                    "description",
                    msg(
                        "intake.description_when_unknown",
                        min_length=LOCATION_UNKNOWN_MIN_DESCRIPTION,
                    ),
                )
            )
    elif (loc.lat is None) != (loc.lon is None):
        missing = "lat" if loc.lat is None else "lon"
        errors.append((f"location.{missing}", msg("intake.lat_lon_together")))
    return errors


def _reporter_errors(data: TipCreate) -> list[FieldError]:
    errors: list[FieldError] = []
    if data.anonymous and data.reporter is not None:
        errors.append(
            (
                "reporter",
                msg("intake.anonymous_no_reporter"),
            )
        )
    if not data.anonymous:
        reporter = data.reporter
        if reporter is None or not reporter.full_name:
            errors.append(("reporter.full_name", msg("intake.full_name_required")))
        if reporter is None or not (reporter.phone or reporter.email):
            errors.append(
                (
                    "reporter.phone",
                    msg("intake.contact_required"),
                )
            )
    if data.on_behalf_of_organization:
        if data.anonymous:
            errors.append(
                (
                    "anonymous",
                    msg("intake.organization_not_anonymous"),
                )
            )
        if not data.organization_name:
            errors.append(
                (
                    "organization_name",
                    msg("intake.organization_name_required"),
                )
            )
    else:
        for name in ("organization_name", "organization_tax_code"):
            if getattr(data, name) is not None:
                errors.append(
                    (
                        name,
                        msg("intake.organization_only"),
                    )
                )
    if data.movement_model is not None:
        errors.append(
            (
                "movement_model",
                msg("intake.movement_model_front_only"),
            )
        )
    return errors


def _time_errors(data: TipCreate, *, actor: Principal | None, now: datetime) -> list[FieldError]:
    errors: list[FieldError] = []
    staff_intake = is_staff_intake(actor, data.channel)
    if data.intake_record is not None:
        if not staff_intake:
            errors.append(
                (
                    "intake_record",
                    msg("intake.intake_record_staff_only"),
                )
            )
        elif (
            data.intake_record.received_at is not None
            and data.intake_record.received_at > now + CLOCK_SKEW
        ):
            errors.append(
                (
                    "intake_record.received_at",
                    msg("not_in_future"),
                )
            )
    if data.occurred_at is not None and data.occurred_at > now + CLOCK_SKEW:
        errors.append(("occurred_at", msg("not_in_future")))
    return errors


@dataclass(frozen=True)
class Place:
    province_code: str
    commune_code: str | None
    legacy_code: str | None  # the pre-2025 code the place was given as
    location_mismatch: bool


async def place_of(session: AsyncSession, *, data: TipCreate, locator: CommuneLocator) -> Place:
    return await place_of_location(
        session, location=data.location, unknown=data.location_unknown, locator=locator
    )


async def place_of_location(
    session: AsyncSession, *, location: LocationIn, unknown: bool, locator: CommuneLocator
) -> Place:
    """Where a tip took place, from intake's ``location`` (corrections use it too)."""
    loc = location
    if unknown:
        province_code = await current_province(session, code=loc.province_code or "")
        if province_code is None:
            raise ValidationFailed(
                errors=[
                    (
                        "location.province_code",
                        msg("intake.unknown_province"),
                    )
                ]
            )
        return Place(province_code, None, None, False)
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
                    msg("intake.commune_not_in_province"),
                )
            ]
        )
    legacy = None
    if resolved.resolved_from_legacy:
        legacy = loc.legacy_commune_code or loc.commune_code
    return Place(resolved.province_code, resolved.commune_code, legacy, resolved.location_mismatch)
