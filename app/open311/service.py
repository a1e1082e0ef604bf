"""The GeoReport v2 adapter: translates Open311 calls to TinBáo's services and back.

It owns no business rule. Intake goes through ``app.tips.intake.create_tip`` (channel
``open311``); categories come from ``app.units``; open/closed is the workflow's terminal set.

Decisions where the spec leaves room:

* **Scope.** An ``open311_client`` key reads the tips of its province (app.tips.provinces:
  the place is in it, or a unit of the province holds or held the tip), like a province
  analyst; others answer 404 (reading: app.open311.reading). The street address, the point,
  the description and the staff's outcome summary only of the requests the key filed. It
  files tips only in its province: the key's province is sent as ``location.province_code``,
  so intake refuses a place elsewhere.
* **Personal data.** A reporter is identified when ``first_name``/``last_name`` and a
  ``phone`` or ``email`` are sent (or ``attribute[anonymous]=false``); the identity is then
  stored encrypted like any other. Otherwise the tip is anonymous and those fields are dropped
  unread; ``device_id`` and ``account_id`` are never stored. No answer carries any of them;
  ``description`` is null but to the key that filed the request.
* **Receipts and tokens.** The reporter's receipt is never handed out (it is the credential for
  ``/api/v1/track``; a client gets the ``service_request_id`` instead). Requests are realtime:
  the POST answers with ``service_request_id`` and no token. ``tokens/{token}`` accepts a
  ``service_request_id`` as its own token, for clients that always poll tokens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.principal import Principal
from app.core.errors import Message, NotFound, ValidationFailed, msg, validation_errors
from app.core.i18n import Lang
from app.core.time import to_local
from app.open311.schemas import (
    AttributeDatatype,
    AttributeValue,
    Discovery,
    DiscoveryEndpoint,
    ServiceAttribute,
    ServiceDefinition,
    ServiceOut,
    ServiceRequestCreated,
)
from app.tips import intake as tips
from app.tips.idempotency import IdempotencyKey
from app.tips.intake import IntakeContext
from app.tips.models import Channel
from app.tips.schemas import ReporterIn, TipCreate
from app.triage.workflow import TERMINAL_STATUSES
from app.units import service as units
from app.units.models import Category
from app.units.service import UnknownCategory

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this adapter's interface last changed (GeoReport discovery's "changeset").
CHANGESET = datetime(2026, 1, 1, tzinfo=UTC)
FORMATS = ["application/json", "text/xml"]

CLOSED_STATUSES = frozenset(s.value for s in TERMINAL_STATUSES)


def pick_text(text: tuple[str, str], lang: Lang) -> str:
    return text[1] if lang is Lang.en else text[0]


def date_text(value: datetime, lang: Lang) -> str:
    local = to_local(value)
    return local.strftime("%Y-%m-%d") if lang is Lang.en else local.strftime("%d/%m/%Y")


def _required(parameter: str) -> tuple[str, Message]:
    return (parameter, msg("open311.required"))


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
        raise NotFound(msg("open311.unknown_service")) from None
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


def _flag(parameter: str, value: str | None, errors: list[tuple[str, Message]]) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    errors.append((parameter, msg("open311.true_or_false")))
    return None


def _number(parameter: str, value: str | None, errors: list[tuple[str, Message]]) -> float | None:
    """A form's coordinate text as the number TipCreate takes (JSON bodies must send numbers;
    GeoReport's form fields are text)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        errors.append((parameter, msg("invalid_type", expected=msg("type.number"))))
        return None


def _reporter(
    params: Mapping[str, str], anonymous: bool | None, errors: list[tuple[str, Message]]
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
        messages: dict[str, tuple[str, Message]] = {
            "full_name": ("first_name/last_name", msg("open311.name_too_long")),
            "phone": ("phone", msg("invalid_format.phone")),
            "email": ("email", msg("invalid_format.email")),
        }
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            fallback = ("first_name/last_name/phone/email", msg("invalid_format"))
            errors.append(messages.get(field, fallback))
    return reporter


def tip_from_request(params: Mapping[str, str], *, province_code: str) -> TipCreate:
    """The TipCreate for a POST service request's parameters (blank values count as absent).

    Raises ValidationFailed naming the GeoReport parameters at fault.
    """
    errors: list[tuple[str, Message]] = []
    attributes: dict[str, str] = {}
    for key, value in params.items():
        if not key.startswith("attribute["):
            continue
        match = _ATTRIBUTE_KEY.fullmatch(key)
        if match is None or match.group(1) not in ATTRIBUTE_CODES:
            errors.append((key, msg("open311.unknown_attribute")))
        else:
            attributes[match.group(1)] = value
    if "service_code" not in params:
        errors.append(_required("service_code"))
    if "description" not in params:
        errors.append(_required("description"))
    if "media_url" in params:
        errors.append(("media_url", msg("open311.media_url")))
    urgent = _flag("attribute[urgent]", attributes.get("urgent"), errors)
    anonymous = _flag("attribute[anonymous]", attributes.get("anonymous"), errors)
    lat, lon = (_number(p, params.get(p), errors) for p in ("lat", "long"))
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
            "lat": lat,
            "lon": lon,
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
        f"{date_text(created.acknowledge_by, Lang.vi)}.",
        f"Received; handled by {unit}. Acknowledgement due by "
        f"{date_text(created.acknowledge_by, Lang.en)}.",
    )
    return ServiceRequestCreated(
        service_request_id=created.reference,
        service_notice=pick_text(notice, lang),
        account_id=None,
    )
