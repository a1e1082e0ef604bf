"""Request and response bodies of the staff workflow (``/api/v1/tips...``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from app.core.time import LOCAL_TZ
from app.core.validation import JSON_INT, DayText, JsonBool, LocalDateTime, TimeText, rule_error
from app.media.schemas import AttachmentOut
from app.tips.models import Channel, TipStatus, TipType
from app.tips.schemas import LocationIn, UnitRef
from app.units.models import CategoryKind


def _representable(value: datetime) -> datetime:
    """The instant in UTC; refuses instants that cannot be shown in both UTC and UTC+7."""
    try:
        value.astimezone(LOCAL_TZ)
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise rule_error("out_of_range.date") from exc


def _inner_day(value: date) -> date:
    if value in (date.min, date.max):
        raise rule_error("out_of_range.date")
    return value


# An instant with an offset, normalised to UTC (the database stores UTC).
Instant = Annotated[AwareDatetime, TimeText, AfterValidator(_representable)]
Day = Annotated[date, DayText, AfterValidator(_inner_day)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class QueueSort(StrEnum):
    due_at = "due_at"  # earliest deadline first; tips without one last
    newest = "-created_at"  # newest first (default)
    priority = "priority"  # urgent first, then highest priority, then newest


class UserRef(BaseModel):
    id: str
    full_name: str


class TipSummary(BaseModel):
    """One row of a queue."""

    id: str
    reference: str
    category_code: str
    kind: str
    tip_type: str
    status: str
    public_status: str
    urgent: bool
    priority: int
    assigned_unit: UnitRef
    assignee_id: str | None
    province_code: str
    commune_code: str | None
    location_mismatch: bool
    created_at: LocalDateTime
    received_at: LocalDateTime
    acknowledge_by: LocalDateTime
    transfer_due_at: LocalDateTime | None
    due_at: LocalDateTime | None
    overdue: bool = Field(
        description="Open, not suspended, and past due_at (or past transfer_due_at, the "
        "24/48-hour limit for a commune to forward a crime tip)."
    )
    escalation_level: int = Field(
        0,
        description="0; 1 when escalated to the province's supervisors (still overdue "
        "TINBAO_ESCALATE_AFTER_HOURS after the deadline, or an urgent alert not acknowledged "
        "in TINBAO_URGENT_ACK_MINUTES); 2 when still overdue at twice the delay.",
    )
    last_reporter_message_at: LocalDateTime | None = Field(
        None, description="When the reporter last wrote (a /track message); null if never."
    )
    unread_messages: int = Field(
        0,
        description="The reporter's messages the caller's unit has not read: those after "
        "the newest message its staff fetched with GET /tips/{id}/messages. For callers "
        "without a unit (supervisors, admins), the holding unit's count.",
    )


class TipPage(BaseModel):
    items: list[TipSummary]
    next_cursor: str | None


class Location(BaseModel):
    commune_code: str | None
    province_code: str
    legacy_commune_code: str | None
    address: str | None = Field(description="Null for analysts and API keys.")
    lat: float | None = Field(description="Null for analysts and API keys (no exact point).")
    lon: float | None = Field(description="Null for analysts and API keys.")
    unknown: bool


class RegisterEntryOut(BaseModel):
    unit_code: str
    register_number: str
    registered_at: LocalDateTime


class EventActor(BaseModel):
    id: str | None = Field(description="The staff member; null for the reporter and the system.")
    label: str = Field(
        description="A staff member's username, `reporter`, `system`, or, when a Front "
        "organization filed the tip, the organization's name (never the member's)."
    )
    organization_id: str | None = Field(
        None, description="The Front organization that filed the tip (its filing events)."
    )


class TipEventOut(BaseModel):
    id: int
    type: str
    at: LocalDateTime
    actor: EventActor
    unit_code: str | None
    from_status: str | None
    to_status: str | None
    public: bool
    public_status: str | None
    public_message: str | None
    note: str | None = Field(description="Internal; omitted (null) for analysts.")
    data: dict[str, Any]


class DeadlineExtensionOut(BaseModel):
    id: str
    previous_due_at: LocalDateTime | None
    until: LocalDateTime
    reason: str | None = Field(description="Null for analysts and API keys.")
    decision_ref: str | None
    actor_id: str | None
    created_at: LocalDateTime


class IntakeRecordOut(BaseModel):
    receiving_officer_id: str
    received_at: LocalDateTime
    place: str
    recorded: bool
    notes: str | None


class ReporterMasked(BaseModel):
    masked: Literal[True] = True


class ReporterAnonymous(BaseModel):
    anonymous: Literal[True] = True


class ComplaintRef(BaseModel):
    id: str
    filed_at: LocalDateTime


class TipDetail(BaseModel):
    id: str
    reference: str
    category_code: str
    kind: str
    tip_type: str
    channel: str
    description: str | None = Field(description="Null for analysts and API keys.")
    occurred_at: LocalDateTime | None
    persons_involved: str | None = Field(description="Omitted (null) for analysts.")
    victim: str | None = Field(description="Omitted (null) for analysts.")
    status: str
    public_status: str
    allowed_transitions: list[str] = Field(
        description="Statuses this tip may move to now (transferred/merged via their endpoints)."
    )
    priority: int
    urgent: bool
    assigned_unit: UnitRef
    watching_units: list[UnitRef]
    assignee: UserRef | None
    register_number: str
    register_entries: list[RegisterEntryOut]
    received_at: LocalDateTime
    acknowledge_by: LocalDateTime
    acknowledged_at: LocalDateTime | None
    classify_by: LocalDateTime | None
    classified_at: LocalDateTime | None = Field(
        None, description="The first classification: the first transition, or a correction."
    )
    acknowledge_overdue: bool = Field(
        False,
        description="Open, not acknowledged to the reporter, and past acknowledge_by "
        "(Joint Circular 01/2017 art. 14(1)).",
    )
    transfer_due_at: LocalDateTime | None
    due_at: LocalDateTime | None
    overdue: bool
    escalation_level: int = 0
    first_response_at: LocalDateTime | None
    closed_at: LocalDateTime | None
    outcome: str | None
    outcome_summary: str | None = Field(description="Staff's text: null for analysts and API keys.")
    merged_into_id: str | None
    location: Location
    location_mismatch: bool
    anonymous: bool
    on_behalf_of_organization: bool
    organization_id: str | None
    movement_model: str | None
    reporter: ReporterMasked | ReporterAnonymous | None = Field(
        description='{"masked": true} for an identified reporter (see /reporter/reveal), '
        '{"anonymous": true} for an anonymous tip; null for analysts.'
    )
    intake_record: IntakeRecordOut | None
    attachments: list[AttachmentOut]
    deadline_extensions: list[DeadlineExtensionOut]
    timeline: list[TipEventOut]
    created_at: LocalDateTime
    updated_at: LocalDateTime
    complaints: list[ComplaintRef] | None = Field(
        None,
        description="The reporter's complaints against a not_prosecuted decision (their text: "
        "GET /tips/{id}/complaints); null for analysts.",
    )


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: TipStatus
    note: Annotated[str, StringConstraints(max_length=5000)] | None = None
    outcome: str | None = Field(
        default=None,
        description="Required with to=resolved. Crime tips: prosecuted, not_prosecuted, "
        "suspended; security/order reports: handled, mediated, unfounded, noted.",
    )
    outcome_summary: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        default=None, description="Shown to the reporter on /track; only when closing the tip."
    )
    public_message: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
        | None
    ) = Field(
        default=None,
        description="A line for the reporter's /track timeline (shown as written; never "
        "put names or internal details in it). Omitted: the public status's neutral sentence.",
    )


class CorrectionIn(BaseModel):
    """What intake got wrong; give only the fields to change, and why."""

    model_config = ConfigDict(extra="forbid")

    category_code: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = Field(default=None, description="The kind (and the legal clocks) follow the category.")
    tip_type: TipType | None = Field(
        default=None,
        description="Unit leads and above. Crime: to_giac, tin_bao, kien_nghi_khoi_to; "
        "security/order: phan_anh.",
    )
    urgent: JsonBool | None = Field(default=None, description="True alerts the duty desk.")
    priority: Annotated[int, Field(ge=0, le=9), JSON_INT] | None = None
    location: LocationIn | None = Field(
        default=None,
        description="As at intake; a place in another commune re-routes the tip there.",
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: str | None = Field(
        description="An officer or lead of the tip's unit; null unassigns."
    )


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=36)]
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: Instant
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
    decision_ref: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None
    ) = None


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body


class MessageOut(BaseModel):
    id: str
    direction: str = Field(description="from_reporter or to_reporter")
    body: str
    at: LocalDateTime
    author: UserRef | None = Field(description="The staff author of a to_reporter message.")
    attachments: list[AttachmentOut]


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


class RevealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000)
    ] = Field(description="Why the identity is needed; kept in the audit log.")


class ReporterIdentityOut(BaseModel):
    full_name: str | None
    phone: str | None
    email: str | None
    address: str | None
    organization_name: str | None = Field(
        None, description="When the tip was filed on behalf of an organization."
    )
    organization_tax_code: str | None = None


class RevealOut(BaseModel):
    reporter: ReporterIdentityOut


class QueueFilters(BaseModel):
    """Query parameters of GET /api/v1/tips."""

    status: list[TipStatus] | None = None
    category_code: str | None = None
    unit_code: str | None = None
    assignee_id: str | None = Field(
        default=None, description='A user id, "me", or "none" for unassigned tips.'
    )
    overdue: bool | None = None
    urgent: bool | None = None
    escalated: bool | None = Field(
        default=None, description="Tips escalated to the supervisors (escalation_level >= 1)."
    )
    channel: Channel | None = None
    kind: CategoryKind | None = None
    tip_type: TipType | None = None
    commune_code: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{5}$")] | None
    ) = Field(default=None, description="Where the tip took place: today's commune code.")
    acknowledge_overdue: bool | None = Field(
        default=None,
        description="Not acknowledged and past acknowledge_by (false: the others).",
    )
    due_before: Instant | Day | None = Field(
        default=None,
        description="due_at earlier than this time (a date: before that day begins, "
        "Asia/Ho_Chi_Minh); tips without a deadline never match.",
    )
    has_unread_messages: bool | None = Field(
        default=None,
        description="Reporter messages the caller's unit has not read (see unread_messages).",
    )
    created_from: Instant | Day | None = None
    created_to: Instant | Day | None = Field(
        default=None, description="Inclusive; a date includes that whole day (Asia/Ho_Chi_Minh)."
    )
    q: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^\x00]*$")
        ]
        | None
    ) = None
    sort: QueueSort = QueueSort.newest
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = None
