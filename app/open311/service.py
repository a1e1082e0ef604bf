"""The GeoReport v2 adapter: translates Open311 calls to TinBáo's services and back.

It owns no business rule. Intake goes through ``app.tips.intake.create_tip`` (channel
``open311``); categories come from ``app.units``; open/closed is the workflow's terminal set.

Decisions where the spec leaves room:

* **Scope.** An ``open311_client`` key reads the tips of its province (the place is in it,
  or a unit of the province holds the tip), like a province analyst; others answer 404. It
  files tips only in its province: the key's province is sent as ``location.province_code``,
  so intake refuses a place elsewhere.
* **Personal data.** A reporter is identified when ``first_name``/``last_name`` and a
  ``phone`` or ``email`` are sent (or ``attribute[anonymous]=false``); the identity is then
  stored encrypted like any other. Otherwise the tip is anonymous and those fields are dropped
  unread; ``device_id`` and ``account_id`` are never stored. No answer carries any of them,
  nor any free text written by a reporter: ``description`` is always null.
* **Receipts and tokens.** The reporter's receipt is never handed out (it is the credential for
  ``/api/v1/track``; a client gets the ``service_request_id`` instead). Requests are realtime:
  the POST answers with ``service_request_id`` and no token. ``tokens/{token}`` accepts a
  ``service_request_id`` as its own token, for clients that always poll tokens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.principal import Principal
from app.admin_units.models import Commune, Province
from app.core.errors import NotFound, Text, ValidationFailed, validation_errors
from app.core.i18n import Lang
from app.open311.schemas import (
    AttributeDatatype,
    AttributeValue,
    Discovery,
    DiscoveryEndpoint,
    ServiceAttribute,
    ServiceDefinition,
    ServiceOut,
    ServiceRequestCreated,
    ServiceRequestOut,
    TokenOut,
)
from app.tips import intake as tips
from app.tips.idempotency import IdempotencyKey
from app.tips.intake import IntakeContext
from app.tips.models import Channel, PublicStatus, Tip, TipStatus
from app.tips.schemas import ReporterIn, TipCreate, to_local
from app.tips.status import PUBLIC_STATUS_MESSAGES, public_status_for
from app.triage.times import as_utc
from app.triage.workflow import TERMINAL_STATUSES
from app.units import service as units
from app.units.models import Category, PoliceUnit
from app.units.service import UnknownCategory

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this adapter's interface last changed (GeoReport discovery's "changeset").
CHANGESET = datetime(2026, 1, 1, tzinfo=UTC)
FORMATS = ["application/json", "text/xml"]
MAX_REQUESTS = 1000  # answers to GET requests are capped, newest first
MAX_REQUEST_IDS = 100
DEFAULT_WINDOW = timedelta(days=90)  # without dates: the last 90 days, as the spec suggests
MAX_WINDOW = timedelta(days=90)

CLOSED_STATUSES = frozenset(s.value for s in TERMINAL_STATUSES)


def _pick(text: tuple[str, str], lang: Lang) -> str:
    return text[1] if lang is Lang.en else text[0]


def _date(value: datetime, lang: Lang) -> str:
    local = to_local(value)
    return local.strftime("%Y-%m-%d") if lang is Lang.en else local.strftime("%d/%m/%Y")


def _required(parameter: str) -> tuple[str, Text]:
    return (parameter, ("Thiếu tham số bắt buộc.", "This parameter is required."))


# --- discovery and services --------------------------------------------------------------


def discovery(*, base_url: str, production: bool) -> Discovery:
    """The GeoReport discovery document for this server."""
    return Discovery(
        changeset=CHANGESET,
        contact="TinBáo — Bộ Công an / Ministry of Public Security",
        key_service=(
            "api_key: a key with the role open311_client, issued by an administrator "
            "(POST /api/v1/api-keys) for one province."
        ),
        endpoints=[
            DiscoveryEndpoint(
                specification=SPECIFICATION,
                url=base_url.rstrip("/") + "/open311/v2",
                changeset=CHANGESET,
                type="production" if production else "test",
                formats=FORMATS,
            )
        ],
    )


def _service(category: Category, lang: Lang) -> ServiceOut:
    return ServiceOut(
        service_code=category.code,
        service_name=category.name_en if lang is Lang.en else category.name,
        description=category.description or None,
        metadata=True,
        type="realtime",
        keywords=None,
        group=category.kind,
    )


async def list_services(session: AsyncSession, *, lang: Lang) -> list[ServiceOut]:
    """Every active category, in display order."""
    return [_service(c, lang) for c in await units.list_categories(session)]


_BOOLEAN_VALUES = {
    Lang.vi: [AttributeValue(key="true", name="Có"), AttributeValue(key="false", name="Không")],
    Lang.en: [AttributeValue(key="true", name="Yes"), AttributeValue(key="false", name="No")],
}

# code → (datatype, description vi, description en); the same for every service.
_ATTRIBUTES: dict[str, tuple[AttributeDatatype, str, str]] = {
    "commune_code": (
        "string",
        "Mã xã/phường nơi xảy ra (5 chữ số; mã hiện hành, hoặc mã trước năm 2025). "
        "Bắt buộc khi không gửi lat/long.",
        "Code of the commune where it happened (5 digits; today's code, or a pre-2025 code). "
        "Required unless lat/long are sent.",
    ),
    "legacy_commune_code": (
        "string",
        "Mã xã/phường trước năm 2025, thay cho commune_code, khi dữ liệu của bạn là mã cũ.",
        "A pre-2025 commune code, instead of commune_code, when your data holds old codes.",
    ),
    "urgent": (
        "singlevaluelist",
        "Khẩn cấp: tội phạm rất nghiêm trọng, hoặc đối tượng sắp bỏ trốn.",
        "Urgent: a very serious crime, or a suspect about to flee.",
    ),
    "anonymous": (
        "singlevaluelist",
        "Ẩn danh. Mặc định: ẩn danh, trừ khi gửi họ tên (first_name/last_name) và số điện "
        "thoại hoặc email. true: mọi thông tin cá nhân gửi kèm bị bỏ qua.",
        "Anonymous. Default: anonymous unless a name (first_name/last_name) and a phone or "
        "email are sent. true: any personal data sent is discarded.",
    ),
    "occurred_at": (
        "datetime",
        "Thời điểm xảy ra (RFC 3339, có múi giờ).",
        "When it happened (RFC 3339, with an offset).",
    ),
    "persons_involved": (
        "text",
        "Người liên quan (không bắt buộc).",
        "Persons involved (optional).",
    ),
}
ATTRIBUTE_CODES = frozenset(_ATTRIBUTES)


async def service_definition(
    session: AsyncSession, *, service_code: str, lang: Lang
) -> ServiceDefinition:
    """The attributes a service request may carry (404 for an unknown service)."""
    try:
        category = await units.get_active_category(session, code=service_code)
    except UnknownCategory:
        raise NotFound(("Không có dịch vụ này.", "No such service.")) from None
    attributes = []
    for order, (code, (datatype, vi, en)) in enumerate(_ATTRIBUTES.items(), start=1):
        attributes.append(
            ServiceAttribute(
                variable=True,
                code=code,
                datatype=datatype,
                required=False,
                datatype_description=None,
                order=order,
                description=en if lang is Lang.en else vi,
                values=_BOOLEAN_VALUES[lang] if datatype == "singlevaluelist" else [],
            )
        )
    return ServiceDefinition(service_code=category.code, attributes=attributes)


# --- intake ------------------------------------------------------------------------------

_ATTRIBUTE_KEY = re.compile(r"attribute\[([A-Za-z0-9_]+)\]")


def _flag(parameter: str, value: str | None, errors: list[tuple[str, Text]]) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    errors.append((parameter, ("Phải là true hoặc false.", "Must be true or false.")))
    return None


def _reporter(
    params: Mapping[str, str], anonymous: bool | None, errors: list[tuple[str, Text]]
) -> dict[str, Any] | None:
    """The reporter's identity, or None for an anonymous tip (personal data left unread)."""
    name = " ".join(p for p in (params.get("first_name"), params.get("last_name")) if p)
    phone, email = params.get("phone"), params.get("email")
    identified = anonymous is False or (anonymous is None and bool(name) and bool(phone or email))
    if not identified:
        return None
    reporter = {"full_name": name or None, "phone": phone, "email": email}
    try:
        ReporterIn.model_validate(reporter)
    except ValidationError as exc:
        # Own messages: the caller's value is never repeated back.
        messages: dict[str, tuple[str, Text]] = {
            "full_name": ("first_name/last_name", ("Họ tên quá dài.", "The name is too long.")),
            "phone": ("phone", ("Số điện thoại không hợp lệ.", "Not a valid phone number.")),
            "email": ("email", ("Địa chỉ email không hợp lệ.", "Not a valid email address.")),
        }
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            errors.append(messages.get(field, ("first_name/last_name/phone/email", "invalid")))
    return reporter


def tip_from_request(params: Mapping[str, str], *, province_code: str) -> TipCreate:
    """The TipCreate for a POST service request's parameters (blank values count as absent).

    Raises ValidationFailed naming the GeoReport parameters at fault.
    """
    errors: list[tuple[str, Text]] = []
    attributes: dict[str, str] = {}
    for key, value in params.items():
        if not key.startswith("attribute["):
            continue
        match = _ATTRIBUTE_KEY.fullmatch(key)
        if match is None or match.group(1) not in ATTRIBUTE_CODES:
            errors.append(
                (
                    key,
                    (
                        "Không có thuộc tính này (xem services/{service_code}.json).",
                        "No such attribute (see services/{service_code}.json).",
                    ),
                )
            )
        else:
            attributes[match.group(1)] = value
    if "service_code" not in params:
        errors.append(_required("service_code"))
    if "description" not in params:
        errors.append(_required("description"))
    if "media_url" in params:
        errors.append(
            (
                "media_url",
                (
                    "Không nhận tệp qua đường dẫn; hãy gửi tin báo không kèm media_url.",
                    "Media by URL is not accepted; send the request without media_url.",
                ),
            )
        )
    urgent = _flag("attribute[urgent]", attributes.get("urgent"), errors)
    anonymous = _flag("attribute[anonymous]", attributes.get("anonymous"), errors)
    reporter = _reporter(params, anonymous, errors)
    if errors:
        raise ValidationFailed(errors=errors)

    document: dict[str, Any] = {
        "category_code": params["service_code"],
        "description": params["description"],
        "occurred_at": attributes.get("occurred_at"),
        "location": {
            "commune_code": attributes.get("commune_code"),
            "legacy_commune_code": attributes.get("legacy_commune_code"),
            "province_code": province_code,
            "address": params.get("address_string"),
            "lat": params.get("lat"),
            "lon": params.get("long"),
        },
        "urgent": bool(urgent),
        "anonymous": reporter is None,
        "reporter": reporter,
        "persons_involved": attributes.get("persons_involved"),
        "channel": Channel.open311.value,
    }
    try:
        return TipCreate.model_validate(document)
    except ValidationError as exc:
        raise ValidationFailed(errors=validation_errors(exc.errors())) from None


async def submit_request(
    session: AsyncSession,
    *,
    client: Principal,
    params: Mapping[str, str],
    context: IntakeContext,
    idempotency: IdempotencyKey | None,
    lang: Lang,
    now: datetime | None = None,
) -> ServiceRequestCreated:
    """File a tip from a POST service request; the answer names it by its reference only."""
    data = tip_from_request(params, province_code=client.province_code or "")
    created = await tips.create_tip(
        session,
        data=data,
        files=[],
        actor=client,
        context=context,
        idempotency=idempotency,
        now=now,
    )
    unit = created.assigned_unit.name
    notice = (
        f"Đã tiếp nhận; đơn vị tiếp nhận: {unit}. Hạn thông báo tiếp nhận: "
        f"{_date(created.acknowledge_by, Lang.vi)}.",
        f"Received; handled by {unit}. Acknowledgement due by "
        f"{_date(created.acknowledge_by, Lang.en)}.",
    )
    return ServiceRequestCreated(
        service_request_id=created.reference,
        service_notice=_pick(notice, lang),
        account_id=None,
    )


# --- reading service requests ------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' filters. With ``service_request_ids`` the others are ignored."""

    service_request_ids: Sequence[str] | None = None
    service_codes: Sequence[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] | None = None  # "open", "closed"


def _in_province(province_code: str | None) -> ColumnElement[bool]:
    """Tips of the key's province: the place is in it, or one of its units holds the tip."""
    return or_(
        Tip.province_code == province_code,
        Tip.assigned_unit_code.in_(
            select(PoliceUnit.code).where(PoliceUnit.province_code == province_code)
        ),
    )


def _rows(client: Principal) -> Select[tuple[Tip, Category, str, str, str]]:
    return (
        select(Tip, Category, PoliceUnit.name, Commune.full_name, Province.full_name)
        .join(Category, Category.code == Tip.category_code)
        .join(PoliceUnit, PoliceUnit.code == Tip.assigned_unit_code)
        .join(Province, Province.code == Tip.province_code)
        .outerjoin(Commune, Commune.code == Tip.commune_code)
        .where(_in_province(client.province_code))
    )


def _status_notes(tip: Tip, merged_into: str | None, lang: Lang) -> str:
    if tip.status == TipStatus.merged.value:
        if merged_into:
            return _pick(
                (f"Đã gộp vào tin báo {merged_into}.", f"Merged into report {merged_into}."),
                lang,
            )
        return _pick(("Đã gộp vào một tin báo khác.", "Merged into another report."), lang)
    if tip.status in CLOSED_STATUSES and tip.outcome_summary:
        return tip.outcome_summary
    return _pick(PUBLIC_STATUS_MESSAGES[PublicStatus(public_status_for(tip.status))], lang)


def _request_out(
    tip: Tip,
    category: Category,
    unit_name: str,
    commune_name: str | None,
    province_name: str,
    *,
    merged_into: str | None,
    lang: Lang,
) -> ServiceRequestOut:
    closed = tip.status in CLOSED_STATUSES
    notice = None
    if not closed and tip.due_at is not None:
        notice = _pick(
            (
                f"Đơn vị tiếp nhận: {unit_name}. Hạn giải quyết: {_date(tip.due_at, Lang.vi)}.",
                f"Handled by {unit_name}. Due by {_date(tip.due_at, Lang.en)}.",
            ),
            lang,
        )
    address = ", ".join(p for p in (tip.address, commune_name, province_name) if p)
    return ServiceRequestOut(
        service_request_id=tip.reference,
        status="closed" if closed else "open",
        status_notes=_status_notes(tip, merged_into, lang),
        service_name=category.name_en if lang is Lang.en else category.name,
        service_code=tip.category_code,
        description=None,
        agency_responsible=unit_name,
        service_notice=notice,
        requested_datetime=tip.created_at,
        updated_datetime=(tip.closed_at or tip.updated_at) if closed else tip.updated_at,
        expected_datetime=None if closed else tip.due_at,
        address=address or None,
        address_id=None,
        zipcode=None,
        lat=tip.lat,
        long=tip.lon,
        media_url=None,
    )


async def _answer(
    session: AsyncSession, rows: Sequence[Any], *, lang: Lang
) -> list[ServiceRequestOut]:
    merged_ids = {row[0].merged_into_id for row in rows if row[0].merged_into_id}
    references: dict[str, str] = {}
    if merged_ids:
        found = await session.execute(select(Tip.id, Tip.reference).where(Tip.id.in_(merged_ids)))
        references = dict(found.tuples().all())
    return [
        _request_out(
            tip,
            category,
            unit_name,
            commune_name,
            province_name,
            merged_into=references.get(tip.merged_into_id or ""),
            lang=lang,
        )
        for tip, category, unit_name, commune_name, province_name in rows
    ]


def _reference(value: str) -> str:
    return value.strip().upper()


async def list_requests(
    session: AsyncSession,
    *,
    client: Principal,
    query: RequestQuery,
    lang: Lang,
    now: datetime | None = None,
) -> list[ServiceRequestOut]:
    """The key's province's tips matching ``query``, newest first, at most MAX_REQUESTS."""
    stmt = _rows(client)
    if query.service_request_ids is not None:
        stmt = stmt.where(Tip.reference.in_([_reference(r) for r in query.service_request_ids]))
    else:
        end = query.end or (now or datetime.now(UTC))
        start = query.start or end - DEFAULT_WINDOW
        if start > end:
            raise ValidationFailed(
                errors=[("start_date", ("Phải trước end_date.", "Must be before end_date."))]
            )
        if end - start > MAX_WINDOW:
            raise ValidationFailed(
                errors=[
                    (
                        "start_date",
                        (
                            f"Khoảng thời gian tối đa {MAX_WINDOW.days} ngày.",
                            f"The date range is at most {MAX_WINDOW.days} days.",
                        ),
                    )
                ]
            )
        # In UTC: SQLite keeps the stored UTC value without its offset.
        stmt = stmt.where(Tip.created_at >= as_utc(start), Tip.created_at <= as_utc(end))
        if query.service_codes is not None:
            stmt = stmt.where(Tip.category_code.in_(query.service_codes))
        if query.statuses is not None and len(query.statuses) == 1:
            closed = Tip.status.in_(CLOSED_STATUSES)
            stmt = stmt.where(closed if "closed" in query.statuses else ~closed)
    stmt = stmt.order_by(Tip.created_at.desc(), Tip.id.desc()).limit(MAX_REQUESTS)
    rows = (await session.execute(stmt)).tuples().all()
    return await _answer(session, rows, lang=lang)


async def _find(session: AsyncSession, *, client: Principal, reference: str) -> Sequence[Any]:
    stmt = _rows(client).where(Tip.reference == _reference(reference))
    rows = (await session.execute(stmt)).tuples().all()
    if not rows:
        raise NotFound(("Không tìm thấy yêu cầu này.", "No such service request."))
    return rows


async def get_request(
    session: AsyncSession, *, client: Principal, service_request_id: str, lang: Lang
) -> list[ServiceRequestOut]:
    """One service request (as a one-item list, as the spec answers); 404 outside the key's
    province."""
    rows = await _find(session, client=client, reference=service_request_id)
    return await _answer(session, rows, lang=lang)


async def resolve_token(session: AsyncSession, *, client: Principal, token: str) -> TokenOut:
    """TinBáo issues no tokens; a service_request_id stands for itself."""
    rows = await _find(session, client=client, reference=token)
    reference = rows[0][0].reference
    return TokenOut(service_request_id=reference, token=reference)
