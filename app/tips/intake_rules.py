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
from app.accounts.principal import Principal
from app.admin_units.geo import CommuneLocator
from app.admin_units.service import province_exists, resolve_place
from app.core.errors import Forbidden, Text, ValidationFailed
from app.tips.models import Channel
from app.tips.schemas import TipCreate

CLOCK_SKEW = timedelta(minutes=5)
LOCATION_UNKNOWN_MIN_DESCRIPTION = 50

FieldError = tuple[str, Text]


def is_front(actor: Principal | None) -> bool:
    return actor is not None and actor.kind == "user" and actor.role == Role.front_member


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
    if is_front(actor):
        return Channel.front
    if channel == Channel.front:
        raise Forbidden(
            ("Kênh front dành cho thành viên Mặt trận.", "The front channel is for Front members.")
        )
    return channel


def _msg(vi: str, en: str) -> Text:
    return (vi, en)


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
    return errors


def _reporter_errors(data: TipCreate) -> list[FieldError]:
    errors: list[FieldError] = []
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
            errors.append(("reporter.full_name", _msg("Cần họ và tên.", "full_name is required.")))
        if reporter is None or not (reporter.phone or reporter.email):
            errors.append(
                (
                    "reporter.phone",
                    _msg("Cần số điện thoại hoặc email.", "A phone number or email is required."),
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
    return errors


def _time_errors(data: TipCreate, *, actor: Principal | None, now: datetime) -> list[FieldError]:
    errors: list[FieldError] = []
    staff_intake = is_staff_intake(actor, data.channel)
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


@dataclass(frozen=True)
class Place:
    province_code: str
    commune_code: str | None
    legacy_code: str | None  # the pre-2025 code the place was given as
    location_mismatch: bool


async def place_of(session: AsyncSession, *, data: TipCreate, locator: CommuneLocator) -> Place:
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
        return Place(loc.province_code or "", None, None, False)
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
    return Place(resolved.province_code, resolved.commune_code, legacy, resolved.location_mismatch)
