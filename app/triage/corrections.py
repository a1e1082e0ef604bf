"""Correcting what intake got wrong (API.md, ``POST /tips/{id}/corrections``).

A correction changes the category (and with it the kind), the tip type, urgency, priority or
the place. Every change is recorded in one ``tip.corrected`` event, ``{"changes": {field:
{"from", "to"}}}``, with the actor and the reason (the reason is a note: internal). The event
holds no personal data: the free-text address and the exact point are listed as changed
(``{"from": null, "to": null, "masked": true}``), never with their values.

Rules:

* ``tip_type``, and a category change that switches between crime and security/order, are
  for unit leads and above (403 otherwise); the rest for officers too;
* the kind follows the category; the legal clocks follow the kind (crime clocks count from
  receipt by the current unit: 20 days to resolve, and at a commune police the 24/48 h limit
  to forward), through the one deadline function (app.triage.deadlines.compute_deadlines);
* a corrected place (or category) whose routing gives another unit re-routes the tip there,
  as a transfer (register entry at the new unit, ``tip.transferred`` with
  ``"correction": true``; its receipt there starts the clocks), while the tip is still where
  intake's routing put it; a tip someone already handed on stays where it is;
* a correction counts as classification (``classified_at``);
* ``kien_nghi_khoi_to`` (a state body's request to prosecute) is set only here or by staff
  intake; ``tip_type`` must fit the kind (crime: to_giac, tin_bao, kien_nghi_khoi_to;
  security/order: phan_anh). A kind change without ``tip_type`` picks the kind's default;
* nothing different from the tip's current values → 422 ``nothing_to_correct``; a closed
  tip → 409 ``tip_closed``; a suspended crime tip cannot become security/order (409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.accounts.principal import Principal
from app.admin_units.geo import CommuneLocator
from app.core.errors import Forbidden, InvalidTransition, ValidationFailed, msg
from app.core.time import as_utc, as_utc_or_none, utcnow
from app.tips.intake_rules import TIP_TYPES_BY_KIND, place_of_location
from app.tips.models import Tip, TipStatus, TipType, TipWatcher, WatchReason
from app.tips.provinces import record_provinces
from app.tips.timeline import record_event
from app.triage.deadlines import compute_deadlines, load_calendar
from app.triage.handover import hand_over
from app.triage.schemas import CorrectionIn
from app.triage.updates import apply_guarded, ensure_open, first_response
from app.units.models import CategoryKind, PoliceUnit
from app.units.routing import provincial_unit_code
from app.units.service import UnitsSnapshot, route_with, units_snapshot

LEAD_ROLES = frozenset({Role.admin.value, Role.province_supervisor.value, Role.unit_lead.value})
TYPES_BY_KIND = TIP_TYPES_BY_KIND
_MASKED = {"from": None, "to": None, "masked": True}
_DEADLINE_FIELDS = ("due_at", "transfer_due_at")


def _default_type(tip: Tip, kind: str) -> str:
    if kind == CategoryKind.crime.value:
        return TipType.tin_bao.value if tip.on_behalf_of_organization else TipType.to_giac.value
    return TipType.phan_anh.value


def _iso(value: datetime | None) -> str | None:
    value = as_utc_or_none(value)
    return value.isoformat() if value else None


def _classification(
    tip: Tip, data: CorrectionIn, snapshot: UnitsSnapshot
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """New column values and the recorded changes for category, kind, type, urgency, priority."""
    values: dict[str, Any] = {}
    changes: dict[str, dict[str, Any]] = {}
    kind = tip.kind
    if data.category_code is not None and data.category_code != tip.category_code:
        category, _ = route_with(
            snapshot,
            commune_code=tip.commune_code,
            province_code=tip.province_code,
            category_code=data.category_code,
        )
        values["category_code"] = category.code
        changes["category_code"] = {"from": tip.category_code, "to": category.code}
        if category.kind != tip.kind:
            kind = category.kind
            values["kind"] = kind
            changes["kind"] = {"from": tip.kind, "to": kind}
    tip_type = data.tip_type.value if data.tip_type is not None else None
    if tip_type is None and kind != tip.kind:
        tip_type = _default_type(tip, kind)
    if tip_type is not None and tip_type not in TYPES_BY_KIND[kind]:
        choices = ", ".join(sorted(TYPES_BY_KIND[kind]))
        raise ValidationFailed(
            errors=[("tip_type", msg("triage.kien_nghi_only_crime", choices=choices))]
        )
    if tip_type is not None and tip_type != tip.tip_type:
        values["tip_type"] = tip_type
        changes["tip_type"] = {"from": tip.tip_type, "to": tip_type}
    for name in ("urgent", "priority"):
        new = getattr(data, name)
        if new is not None and new != getattr(tip, name):
            values[name] = new
            changes[name] = {"from": getattr(tip, name), "to": new}
    return values, changes


async def _place(
    session: AsyncSession, tip: Tip, data: CorrectionIn, locator: CommuneLocator
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """New place columns and their recorded changes (address and point masked)."""
    if data.location is None:
        return {}, {}
    loc = data.location
    place = await place_of_location(session, location=loc, unknown=False, locator=locator)
    new: dict[str, Any] = {
        "commune_code": place.commune_code,
        "province_code": place.province_code,
        "legacy_commune_code": place.legacy_code,
        "location_unknown": False,
        "location_mismatch": place.location_mismatch,
    }
    if "address" in loc.model_fields_set:
        new["address"] = loc.address
    if {"lat", "lon"} & loc.model_fields_set:
        new["lat"], new["lon"] = loc.lat, loc.lon
    values = {k: v for k, v in new.items() if getattr(tip, k) != v}
    changes: dict[str, dict[str, Any]] = {}
    for name in ("commune_code", "province_code", "location_unknown"):
        if name in values:
            changes[f"location.{name}"] = {"from": getattr(tip, name), "to": values[name]}
    if "address" in values:
        changes["location.address"] = dict(_MASKED)
    if "lat" in values or "lon" in values:
        changes["location.point"] = dict(_MASKED)
    return values, changes


def _check_roles(actor: Principal, tip: Tip, changes: dict[str, dict[str, Any]]) -> None:
    if ("tip_type" in changes or "kind" in changes) and actor.role not in LEAD_ROLES:
        raise Forbidden(msg("triage.correction_needs_lead"))
    if (
        changes.get("kind", {}).get("to") == CategoryKind.security_order.value
        and tip.status == TipStatus.suspended.value
    ):
        raise InvalidTransition(
            msg(
                "triage.transition",
                status=tip.status,
                target=TipStatus.suspended.value,
                listed=TipStatus.in_progress.value,
            ),
            extra={"allowed": []},
        )


async def correct(
    session: AsyncSession,
    *,
    tip: Tip,
    actor: Principal,
    data: CorrectionIn,
    locator: CommuneLocator,
) -> Tip:
    """Apply a correction (see the module's rules) and record it."""
    now = utcnow()
    ensure_open(tip)
    snapshot = await units_snapshot(session)
    values, changes = _classification(tip, data, snapshot)
    place_values, place_changes = await _place(session, tip, data, locator)
    values |= place_values
    changes |= place_changes
    if not changes:
        raise ValidationFailed(
            msg("triage.nothing_to_correct"), errors=[("", msg("triage.nothing_to_correct"))]
        )
    _check_roles(actor, tip, changes)
    # Where intake's routing puts the tip before and after (the one routing function).
    before = _routed_unit(snapshot, tip, {})
    after = _routed_unit(snapshot, tip, values)
    rerouting = after != tip.assigned_unit_code and before == tip.assigned_unit_code
    values["classified_at"] = tip.classified_at or now
    await apply_guarded(
        session,
        tip,
        [Tip.status == tip.status, Tip.assigned_unit_code == tip.assigned_unit_code],
        {**first_response(tip, now), **values},
    )
    if "province_code" in values:  # the place is one of the rule's three grounds
        await record_provinces(session, [tip.id])
    event = record_event(
        session, tip=tip, actor=actor, type="tip.corrected", at=now, note=data.reason
    )
    if changes.get("urgent", {}).get("to") is True:
        await _alert_duty_desk(session, tip=tip, actor=actor, now=now)
    target = await session.get(PoliceUnit, after) if rerouting else None
    if target is not None and target.active:
        await hand_over(
            session,
            tip=tip,
            actor=actor,
            unit=target,
            reason=data.reason,
            extra={"correction": True},
        )
    if target is not None or "kind" in values or "category_code" in values:
        changes |= await _follow_clocks(session, tip, snapshot)
    event.data = {"changes": changes}
    await session.flush()
    return tip


async def _follow_clocks(
    session: AsyncSession, tip: Tip, snapshot: UnitsSnapshot
) -> dict[str, dict[str, Any]]:
    """Set the resolution clocks the pure deadline function gives for the tip's (corrected)
    kind, category and unit, counted from receipt by that unit; the changes made."""
    unit = snapshot.units.get(tip.assigned_unit_code)
    category = snapshot.categories.get(tip.category_code)
    if unit is None or category is None:
        return {}
    deadlines = compute_deadlines(
        kind=tip.kind,
        unit_kind=unit.kind,
        unit_remote=unit.remote,
        acknowledge_working_days=category.acknowledge_working_days,
        resolve_days=category.resolve_days,
        received_at=as_utc(tip.received_at),
        calendar=await load_calendar(session),
    )
    values: dict[str, Any] = {}
    changes: dict[str, dict[str, Any]] = {}
    for name in _DEADLINE_FIELDS:
        old, new = as_utc_or_none(getattr(tip, name)), getattr(deadlines, name)
        if old != new:
            values[name] = new
            changes[name] = {"from": _iso(old), "to": _iso(new)}
    if values:
        await apply_guarded(session, tip, [Tip.status == tip.status], values)
    return changes


def _routed_unit(snapshot: UnitsSnapshot, tip: Tip, values: dict[str, Any]) -> str:
    """The unit intake would route the tip to with ``values`` applied."""
    province = values.get("province_code", tip.province_code)
    unknown = values.get("location_unknown", tip.location_unknown)
    if unknown:
        return provincial_unit_code(province)
    _, routing = route_with(
        snapshot,
        commune_code=values.get("commune_code", tip.commune_code),
        province_code=province,
        category_code=values.get("category_code", tip.category_code),
    )
    return routing.assigned_unit_code


async def _alert_duty_desk(
    session: AsyncSession, *, tip: Tip, actor: Principal, now: datetime
) -> None:
    """A tip corrected to urgent alerts the provincial duty desk, as intake does."""
    desk = provincial_unit_code(tip.province_code)
    if desk != tip.assigned_unit_code and await session.get(TipWatcher, (tip.id, desk)) is None:
        session.add(
            TipWatcher(
                tip_id=tip.id,
                unit_code=desk,
                reason=WatchReason.urgent.value,
                tip_created_at=tip.created_at,
            )
        )
    record_event(
        session,
        tip=tip,
        type="tip.urgent",
        actor=actor,
        at=now,
        unit_code=desk,
        data={"alerted_unit_code": desk, "assigned_unit_code": tip.assigned_unit_code},
    )
