"""The full record of a tip for staff: the visible-or-404 lookup, the detail, the timeline,
and revealing the reporter's identity."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization, User
from app.accounts.principal import Principal
from app.audit import service as audit
from app.core.errors import NotFound, msg
from app.core.security import DataCipher
from app.core.time import utcnow
from app.media import service as media
from app.media.schemas import AttachmentOut
from app.scope import visibility as scope
from app.tips.followup_models import Complaint
from app.tips.models import (
    IntakeRecord,
    RegisterEntry,
    ReporterIdentity,
    Tip,
    TipEvent,
    TipWatcher,
)
from app.tips.schemas import UnitRef
from app.tips.sealed import open_people
from app.tips.status import public_status_for
from app.tips.timeline import FILER_EVENTS, filer_label, record_event
from app.triage.models import DeadlineExtension
from app.triage.overdue import is_acknowledge_overdue, is_overdue
from app.triage.schemas import (
    ComplaintRef,
    DeadlineExtensionOut,
    EventActor,
    IntakeRecordOut,
    Location,
    RegisterEntryOut,
    ReporterAnonymous,
    ReporterIdentityOut,
    ReporterMasked,
    RevealOut,
    TipDetail,
    TipEventOut,
    UserRef,
)
from app.triage.workflow import (
    allowed_targets,
)
from app.units.models import PoliceUnit


def _not_found() -> NotFound:
    return NotFound(msg("triage.tip_not_found"))


async def get_visible_tip(session: AsyncSession, *, principal: Principal, tip_id: str) -> Tip:
    """The tip, if ``principal`` may see it; otherwise 404 (as if it did not exist)."""
    tip = await session.scalar(
        select(Tip).where(Tip.id == tip_id, scope.visible_tips_clause(principal))
    )
    if tip is None:
        raise _not_found()
    return tip


async def _unit_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.execute(
        select(PoliceUnit.code, PoliceUnit.name).where(PoliceUnit.code.in_(codes))
    )
    return dict(rows.tuples().all())


def _unit_ref(code: str, names: dict[str, str]) -> UnitRef:
    return UnitRef(code=code, name=names.get(code, code))


def event_out(
    event: TipEvent, *, personal_data: bool, filer: EventActor | None = None
) -> TipEventOut:
    """One timeline entry; ``filer`` replaces the actor of the filing events (a Front
    organization's tip: rows written before they were stored that way named the member)."""
    actor = EventActor(id=event.actor_id, label=event.actor_label)
    if filer is not None and event.type in FILER_EVENTS:
        actor = filer
    return TipEventOut(
        id=event.id,
        type=event.type,
        at=event.at,
        actor=actor,
        unit_code=event.unit_code,
        from_status=event.from_status,
        to_status=event.to_status,
        public=event.public,
        public_status=event.public_status,
        public_message=event.public_message if personal_data else None,
        note=event.note if personal_data else None,
        data=event.data or {},
    )


async def list_events(
    session: AsyncSession, *, principal: Principal, tip: Tip
) -> list[TipEventOut]:
    """The tip's whole timeline, oldest first (internal notes withheld from analysts)."""
    events = await session.scalars(
        select(TipEvent).where(TipEvent.tip_id == tip.id).order_by(TipEvent.at, TipEvent.id)
    )
    personal = scope.sees_personal_data(principal)
    filer = await _filer(session, tip)
    return [event_out(e, personal_data=personal, filer=filer) for e in events]


async def _filer(session: AsyncSession, tip: Tip) -> EventActor | None:
    """Who the timeline says filed a Front organization's tip: the organization."""
    if tip.organization_id is None:
        return None
    organization = await session.get(Organization, tip.organization_id)
    return EventActor(id=None, label=filer_label(organization), organization_id=tip.organization_id)


async def tip_detail(
    session: AsyncSession, *, principal: Principal, tip: Tip, cipher: DataCipher
) -> TipDetail:
    # long: the one staff view of a tip, assembled in order from its parts (people, watchers,
    #   register, assignee, deadlines); each part is a line or two
    now = utcnow()
    personal = scope.sees_personal_data(principal)
    # Sealed (app.tips.sealed): opened only for a reader who may see them.
    persons, victim = open_people(tip, cipher=cipher) if personal else (None, None)
    watchers = list(
        await session.scalars(
            select(TipWatcher.unit_code)
            .where(TipWatcher.tip_id == tip.id, TipWatcher.unit_code != tip.assigned_unit_code)
            .order_by(TipWatcher.created_at, TipWatcher.unit_code)
        )
    )
    names = await _unit_names(session, {tip.assigned_unit_code, *watchers})
    assignee = await session.get(User, tip.assignee_id) if tip.assignee_id else None
    entries = await session.scalars(
        select(RegisterEntry)
        .where(RegisterEntry.tip_id == tip.id)
        .order_by(RegisterEntry.registered_at, RegisterEntry.id)
    )
    extensions = await session.scalars(
        select(DeadlineExtension)
        .where(DeadlineExtension.tip_id == tip.id)
        .order_by(DeadlineExtension.created_at)
    )
    intake = await session.get(IntakeRecord, tip.id)
    attachments = await media.list_attachments(session, tip_id=tip.id)
    reporter: ReporterMasked | ReporterAnonymous | None = None
    if personal:
        reporter = ReporterAnonymous() if tip.anonymous else ReporterMasked()
    return TipDetail(
        id=tip.id,
        reference=tip.reference,
        category_code=tip.category_code,
        kind=tip.kind,
        tip_type=tip.tip_type,
        channel=tip.channel,
        description=tip.description if personal else None,
        occurred_at=tip.occurred_at,
        persons_involved=persons if personal else None,
        victim=victim if personal else None,
        status=tip.status,
        public_status=public_status_for(tip.status),
        allowed_transitions=allowed_targets(tip.kind, tip.status),
        priority=tip.priority,
        urgent=tip.urgent,
        assigned_unit=_unit_ref(tip.assigned_unit_code, names),
        watching_units=[_unit_ref(code, names) for code in watchers],
        assignee=UserRef(id=assignee.id, full_name=assignee.full_name) if assignee else None,
        register_number=tip.register_number,
        register_entries=[
            RegisterEntryOut(
                unit_code=e.unit_code,
                register_number=e.register_number,
                registered_at=e.registered_at,
            )
            for e in entries
        ],
        received_at=tip.received_at,
        acknowledge_by=tip.acknowledge_by,
        acknowledged_at=tip.acknowledged_at,
        classify_by=tip.classify_by,
        classified_at=tip.classified_at,
        acknowledge_overdue=is_acknowledge_overdue(tip, now),
        transfer_due_at=tip.transfer_due_at,
        due_at=tip.due_at,
        overdue=is_overdue(tip, now),
        escalation_level=tip.escalation_level,
        first_response_at=tip.first_response_at,
        closed_at=tip.closed_at,
        outcome=tip.outcome,
        outcome_summary=tip.outcome_summary if personal else None,
        merged_into_id=tip.merged_into_id,
        location=_location(tip, personal=personal),
        location_mismatch=tip.location_mismatch,
        anonymous=tip.anonymous,
        on_behalf_of_organization=tip.on_behalf_of_organization,
        organization_id=tip.organization_id,
        movement_model=tip.movement_model,
        reporter=reporter,
        intake_record=_intake_out(intake, personal=personal) if intake else None,
        attachments=[_attachment_out(a, n, personal=personal) for n, a in enumerate(attachments)],
        deadline_extensions=[extension_out(x, personal=personal) for x in extensions],
        timeline=await list_events(session, principal=principal, tip=tip),
        created_at=tip.created_at,
        updated_at=tip.updated_at,
        complaints=(
            [ComplaintRef(id=i, filed_at=at) for i, at in await _complaint_refs(session, tip)]
            if personal
            else None
        ),
    )


def _location(tip: Tip, *, personal: bool) -> Location:
    """The place; without personal data (analysts, API keys) only the commune: no address
    and no point (a point pins one tip; hotspots give them places in aggregate)."""
    return Location(
        commune_code=tip.commune_code,
        province_code=tip.province_code,
        legacy_commune_code=tip.legacy_commune_code,
        address=tip.address if personal else None,
        lat=tip.lat if personal else None,
        lon=tip.lon if personal else None,
        unknown=tip.location_unknown,
    )


def _intake_out(intake: IntakeRecord, *, personal: bool) -> IntakeRecordOut:
    return IntakeRecordOut(
        receiving_officer_id=intake.receiving_officer_id,
        received_at=intake.received_at,
        place=intake.place,
        recorded=intake.recorded,
        notes=intake.notes if personal else None,
    )


def extension_out(extension: DeadlineExtension, *, personal: bool = True) -> DeadlineExtensionOut:
    return DeadlineExtensionOut(
        id=extension.id,
        previous_due_at=extension.previous_due_at,
        until=extension.until,
        reason=extension.reason if personal else None,
        decision_ref=extension.decision_ref,
        actor_id=extension.actor_id,
        created_at=extension.created_at,
    )


async def reveal_reporter(
    session: AsyncSession, *, tip: Tip, actor: Principal, reason: str, cipher: DataCipher
) -> RevealOut:
    """Decrypt the reporter's identity for a lead (or above) who gives a reason.

    Always leaves two traces in the same transaction: a non-public timeline event and an
    audit entry (who, when, why, which tip; never the identity itself).
    """
    now = utcnow()
    identity = await session.get(ReporterIdentity, tip.id)
    if tip.anonymous or identity is None or identity.ciphertext is None:
        raise NotFound(msg("triage.no_reporter"))
    plain = cipher.decrypt(identity.key_id, identity.ciphertext, aad=tip.id.encode())
    fields: dict[str, Any] = json.loads(plain)
    record_event(
        session,
        tip=tip,
        actor=actor,
        type="tip.reporter_revealed",
        at=now,
        note=reason,
        data={"role": actor.role},
    )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="tip.reporter_revealed",
        object_type="tip",
        object_id=tip.id,
        reason=reason,
        data={"reference": tip.reference, "unit_code": tip.assigned_unit_code, "role": actor.role},
    )
    return RevealOut(
        reporter=ReporterIdentityOut(
            full_name=fields.get("full_name"),
            phone=fields.get("phone"),
            email=fields.get("email"),
            address=fields.get("address"),
            organization_name=fields.get("organization_name"),
            organization_tax_code=fields.get("organization_tax_code"),
        )
    )


async def _complaint_refs(session: AsyncSession, tip: Tip) -> list[tuple[str, datetime]]:
    """The tip's complaints as (id, filed_at); their content is read through app.complaints."""
    rows = await session.execute(
        select(Complaint.id, Complaint.filed_at)
        .where(Complaint.tip_id == tip.id)
        .order_by(Complaint.filed_at, Complaint.id)
    )
    return [(row.id, row.filed_at) for row in rows]


def _attachment_out(attachment: Any, index: int, *, personal: bool) -> AttachmentOut:
    """A file's metadata. A reporter's filename may name people or places ("Nguyen Van A
    bien so 29A.jpg"): readers without personal data (analysts, API keys) get a neutral one,
    ``tep-<n>.<ext>``, with the type and size."""
    out = AttachmentOut.model_validate(attachment)
    if personal:
        return out
    extension = out.filename.rsplit(".", 1)[-1].lower() if "." in out.filename else "bin"
    neutral = (
        f"tep-{index + 1}.{extension if extension.isalnum() and len(extension) <= 5 else 'bin'}"
    )
    return out.model_copy(update={"filename": neutral})
