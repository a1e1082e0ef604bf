"""Reading service requests (GET requests, one request, tokens) for an Open311 key.

A key reads its province's tips (app.tips.provinces), like a province analyst. What it
learns of a tip it did not file itself is what the public timeline says: no free text, no
street address and no point; the free-text address, the exact point, the description and
the staff's ``outcome_summary`` only of the requests that key filed (API.md, Reporter
privacy: ``tips.submitted_by_key_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.principal import Principal
from app.admin_units.models import Commune, Province
from app.core.errors import NotFound, ValidationFailed, msg
from app.core.i18n import Lang
from app.core.time import as_utc
from app.open311.schemas import ServiceRequestOut, TokenOut
from app.open311.service import CLOSED_STATUSES, date_text, pick_text
from app.tips.models import PublicStatus, Tip, TipStatus
from app.tips.provinces import in_province
from app.tips.status import PUBLIC_STATUS_MESSAGES, public_status_for
from app.units.models import Category, PoliceUnit

MAX_REQUESTS = 1000  # answers to GET requests are capped, newest first
MAX_REQUEST_IDS = 100
DEFAULT_WINDOW = timedelta(days=90)  # without dates: the last 90 days, as the spec suggests
MAX_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' filters. With ``service_request_ids`` the others are ignored."""

    service_request_ids: Sequence[str] | None = None
    service_codes: Sequence[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] | None = None  # "open", "closed"


def _rows(client: Principal) -> Select[tuple[Tip, Category, str, str, str]]:
    return (
        select(Tip, Category, PoliceUnit.name, Commune.full_name, Province.full_name)
        .join(Category, Category.code == Tip.category_code)
        .join(PoliceUnit, PoliceUnit.code == Tip.assigned_unit_code)
        .join(Province, Province.code == Tip.province_code)
        .outerjoin(Commune, Commune.code == Tip.commune_code)
        .where(in_province(client.province_code or ""))
    )


def _status_notes(tip: Tip, merged_into: str | None, lang: Lang, *, own: bool) -> str:
    if tip.status == TipStatus.merged.value:
        if merged_into:
            return pick_text(
                (f"Đã gộp vào tin báo {merged_into}.", f"Merged into report {merged_into}."),
                lang,
            )
        return pick_text(("Đã gộp vào một tin báo khác.", "Merged into another report."), lang)
    if own and tip.status in CLOSED_STATUSES and tip.outcome_summary:
        return tip.outcome_summary
    return pick_text(PUBLIC_STATUS_MESSAGES[PublicStatus(public_status_for(tip.status))], lang)


def _request_out(
    tip: Tip,
    category: Category,
    unit_name: str,
    commune_name: str | None,
    province_name: str,
    *,
    merged_into: str | None,
    lang: Lang,
    own: bool,
) -> ServiceRequestOut:
    """A tip as a service request. ``own``: the key filed it, so it may read its text,
    street address, point and the staff's outcome summary; otherwise only the commune."""
    closed = tip.status in CLOSED_STATUSES
    notice = None
    if not closed and tip.due_at is not None:
        notice = pick_text(
            (
                f"Đơn vị tiếp nhận: {unit_name}. Hạn giải quyết: {date_text(tip.due_at, Lang.vi)}.",
                f"Handled by {unit_name}. Due by {date_text(tip.due_at, Lang.en)}.",
            ),
            lang,
        )
    street = tip.address if own else None
    address = ", ".join(p for p in (street, commune_name, province_name) if p)
    return ServiceRequestOut(
        service_request_id=tip.reference,
        status="closed" if closed else "open",
        status_notes=_status_notes(tip, merged_into, lang, own=own),
        service_name=category.name_en if lang is Lang.en else category.name,
        service_code=tip.category_code,
        description=tip.description if own else None,
        agency_responsible=unit_name,
        service_notice=notice,
        requested_datetime=tip.created_at,
        updated_datetime=(tip.closed_at or tip.updated_at) if closed else tip.updated_at,
        expected_datetime=None if closed else tip.due_at,
        address=address or None,
        address_id=None,
        zipcode=None,
        lat=tip.lat if own else None,
        long=tip.lon if own else None,
        media_url=None,
    )


async def _answer(
    session: AsyncSession, rows: Sequence[Any], *, client: Principal, lang: Lang
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
            own=tip.submitted_by_key_id is not None and tip.submitted_by_key_id == client.id,
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
            raise ValidationFailed(errors=[("start_date", msg("window.start_before_end"))])
        if end - start > MAX_WINDOW:
            raise ValidationFailed(
                errors=[
                    (
                        "start_date",
                        msg("window.at_most_days", days=MAX_WINDOW.days),
                    )
                ]
            )
        # Compared as the UTC instants the column holds.
        stmt = stmt.where(Tip.created_at >= as_utc(start), Tip.created_at <= as_utc(end))
        if query.service_codes is not None:
            stmt = stmt.where(Tip.category_code.in_(query.service_codes))
        if query.statuses is not None and len(query.statuses) == 1:
            closed = Tip.status.in_(CLOSED_STATUSES)
            stmt = stmt.where(closed if "closed" in query.statuses else ~closed)
    stmt = stmt.order_by(Tip.created_at.desc(), Tip.id.desc()).limit(MAX_REQUESTS)
    rows = (await session.execute(stmt)).tuples().all()
    return await _answer(session, rows, client=client, lang=lang)


async def _find(session: AsyncSession, *, client: Principal, reference: str) -> Sequence[Any]:
    stmt = _rows(client).where(Tip.reference == _reference(reference))
    rows = (await session.execute(stmt)).tuples().all()
    if not rows:
        raise NotFound(msg("open311.unknown_request"))
    return rows


async def get_request(
    session: AsyncSession, *, client: Principal, service_request_id: str, lang: Lang
) -> list[ServiceRequestOut]:
    """One service request (as a one-item list, as the spec answers); 404 outside the key's
    province."""
    rows = await _find(session, client=client, reference=service_request_id)
    return await _answer(session, rows, client=client, lang=lang)


async def resolve_token(session: AsyncSession, *, client: Principal, token: str) -> TokenOut:
    """TinBáo issues no tokens; a service_request_id stands for itself."""
    rows = await _find(session, client=client, reference=token)
    reference = rows[0][0].reference
    return TokenOut(service_request_id=reference, token=reference)
