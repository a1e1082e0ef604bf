from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, enum_check, new_id
from app.core.time import utcnow
from app.units.models import CategoryKind


class TipStatus(StrEnum):
    received = "received"
    verifying = "verifying"
    in_progress = "in_progress"
    awaiting_info = "awaiting_info"
    suspended = "suspended"
    transferred = "transferred"
    referred = "referred"
    resolved = "resolved"
    rejected = "rejected"
    merged = "merged"


class PublicStatus(StrEnum):
    received = "received"
    processing = "processing"
    awaiting_info = "awaiting_info"
    completed = "completed"
    not_accepted = "not_accepted"


class TipType(StrEnum):
    """Crime tips (Criminal Procedure Code art. 144) and security/order reports."""

    to_giac = "to_giac"  # a denunciation by an individual
    tin_bao = "tin_bao"  # a report by an agency, organisation or the media
    kien_nghi_khoi_to = "kien_nghi_khoi_to"  # a state body's request to prosecute
    phan_anh = "phan_anh"  # a security and order report


class Channel(StrEnum):
    web = "web"
    mobile = "mobile"
    hotline = "hotline"
    walk_in = "walk_in"
    open311 = "open311"
    front = "front"


class MessageDirection(StrEnum):
    from_reporter = "from_reporter"
    to_reporter = "to_reporter"


# Predicates of the partial indexes on tips (the statuses as in app.triage.workflow).
_OPEN_PREDICATE = "status IN ('received', 'verifying', 'in_progress', 'awaiting_info')"
_NO_ROWS = "0 = 1"
_CLOCK_RUNNING_PREDICATE = (
    "status NOT IN ('resolved', 'rejected', 'referred', 'merged', 'suspended')"
)


class Tip(TimestampMixin, Base):
    __tablename__ = "tips"
    __table_args__ = (
        enum_check("status", TipStatus),
        enum_check("kind", CategoryKind),
        enum_check("tip_type", TipType),
        enum_check("channel", Channel),
        Index("ix_tips_unit_queue", "assigned_unit_code", "status", "created_at"),
        Index("ix_tips_province_created", "province_code", "created_at"),
        # Keyset pages (queues, CSV export) walk these in order: see app.triage.queue.
        Index("ix_tips_created", "created_at", "id"),
        Index("ix_tips_unit_created", "assigned_unit_code", "created_at", "id"),
        # Statistics and reviews: windows of the original receipt time.
        Index("ix_tips_province_first_received", "province_code", "first_received_at"),
        Index("ix_tips_unit_first_received", "assigned_unit_code", "first_received_at"),
        Index("ix_tips_first_received", "first_received_at"),
        # Supervisors' filtered queues of open tips by due date.
        Index(
            "ix_tips_open_province_category_due",
            "province_code",
            "category_code",
            "due_at",
            "id",
            postgresql_where=text(_OPEN_PREDICATE),
            sqlite_where=text(_OPEN_PREDICATE),
        ),
        Index(
            "ix_tips_open_unit_category_due",
            "assigned_unit_code",
            "category_code",
            "due_at",
            "id",
            postgresql_where=text(_OPEN_PREDICATE),
            sqlite_where=text(_OPEN_PREDICATE),
        ),
        # The overdue job's candidates: tips whose deadline clock runs.
        Index(
            "ix_tips_clock_running",
            "id",
            postgresql_where=text(_CLOCK_RUNNING_PREDICATE),
            sqlite_where=text(_CLOCK_RUNNING_PREDICATE),
        ),
        # Possible duplicates (app.triage.similar): a commune's tips around a time.
        Index("ix_tips_commune_created", "commune_code", "created_at"),
        # Trigram index (pg_trgm) on the folded text, for similarity and the queue's `q`
        # (LIKE '%...%'). SQLite has no trigram index and scores a bounded candidate set in
        # Python instead: there the index is declared empty (WHERE 0 = 1) and costs nothing.
        Index(
            "ix_tips_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=text(_NO_ROWS),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # Keyed hash (HMAC-SHA256) of the reporter's receipt; the receipt itself is never stored.
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)

    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    tip_type: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text)
    # Diacritic-folded lower-case description and reference, for `q` search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime | None]
    # Persons involved and victim, sealed together (app.tips.sealed): never stored in clear.
    people_key_id: Mapped[str | None] = mapped_column(String(32))
    people_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)

    # Place
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"), index=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    legacy_commune_code: Mapped[str | None] = mapped_column(String(5))
    address: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    location_unknown: Mapped[bool] = mapped_column(default=False)
    location_mismatch: Mapped[bool] = mapped_column(default=False)

    # Reporter and origin (the identity itself is encrypted in reporter_identities)
    anonymous: Mapped[bool] = mapped_column(default=True)
    on_behalf_of_organization: Mapped[bool] = mapped_column(default=False)
    channel: Mapped[str] = mapped_column(String(16))
    submitted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # The Open311 key that filed the tip: only it sees the tip's address, point and text.
    submitted_by_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    movement_model: Mapped[str | None] = mapped_column(String(120))

    # Handling
    status: Mapped[str] = mapped_column(String(16), default=TipStatus.received)
    urgent: Mapped[bool] = mapped_column(default=False)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    assigned_unit_code: Mapped[str] = mapped_column(ForeignKey("police_units.code"))
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    register_number: Mapped[str] = mapped_column(String(48))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)  # by the current unit
    # The original receipt (a back-dated walk-in's intake time, else the submission): never
    # moved by a transfer; statistics and reviews count tips by it.
    first_received_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledge_by: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    classify_by: Mapped[datetime | None]
    # The first classification: the first transition, or a correction (API.md).
    classified_at: Mapped[datetime | None]
    # When tip.acknowledge_overdue / tip.classify_overdue was emitted (once per tip).
    acknowledge_overdue_at: Mapped[datetime | None]
    classify_overdue_at: Mapped[datetime | None]
    transfer_due_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(24))
    outcome_summary: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("tips.id"))
    closed_at: Mapped[datetime | None]
    overdue_notified_for: Mapped[datetime | None]  # the due_at a tip.overdue was emitted for
    # 0; 1 once still overdue TINBAO_ESCALATE_AFTER_HOURS after the deadline, 2 at twice that
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# The trigram operator class of ix_tips_search_text_trgm (the migration 0006 creates it too).
event.listen(
    Base.metadata,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


class ReporterIdentity(TimestampMixin, Base):
    """The reporter's name and contacts, encrypted (AES-GCM); never stored in clear."""

    __tablename__ = "reporter_identities"

    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    purged_at: Mapped[datetime | None]


class ReporterNotifyContact(TimestampMixin, Base):
    """Where the reporter wants notices about the tip (``notify`` at intake, or an identified
    reporter's own phone/e-mail): encrypted (AES-GCM under the data keys), never shown to
    staff, deleted by ``DELETE /track/notify`` and by retention."""

    __tablename__ = "reporter_notify_contacts"

    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class RegisterCounter(TimestampMixin, Base):
    """The last number used in a unit's register ("sổ tiếp nhận") for a year."""

    __tablename__ = "register_counters"

    unit_code: Mapped[str] = mapped_column(ForeignKey("police_units.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class RegisterEntry(TimestampMixin, Base):
    __tablename__ = "register_entries"
    __table_args__ = (UniqueConstraint("unit_code", "year", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("police_units.code"))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    register_number: Mapped[str] = mapped_column(String(48), unique=True)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)


class TipEvent(TimestampMixin, Base):
    """One entry of a tip's timeline: who did what, when. Public entries reach the reporter."""

    __tablename__ = "tip_events"
    __table_args__ = (
        # Rows the feed sequencer (app.integration.feed) has not numbered yet.
        Index(
            "ix_tip_events_feed_pending",
            "id",
            postgresql_where=text("feed_position IS NULL"),
            sqlite_where=text("feed_position IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # None only for events about reference data (``reference.changed``), which the feed
    # publishes to every reader.
    tip_id: Mapped[str | None] = mapped_column(ForeignKey("tips.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    # Position in the change feed (GET /api/v1/events), set after commit by the sequencer.
    feed_position: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # Hash chain over events in feed order, set with feed_position (see app.audit.events).
    chain_hash: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(64), default="system")
    unit_code: Mapped[str | None] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    public: Mapped[bool] = mapped_column(default=False)
    public_status: Mapped[str | None] = mapped_column(String(16))
    public_message: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TipMessage(TimestampMixin, Base):
    """The conversation between the reporter and the unit (internal notes are TipEvents)."""

    __tablename__ = "tip_messages"
    __table_args__ = (enum_check("direction", MessageDirection),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    # The body, sealed (app.tips.sealed): never stored in clear.
    body_key_id: Mapped[str] = mapped_column(String(32))
    body_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))


class WatchReason(StrEnum):
    routing = "routing"  # the category's routing gives a department a copy (PC04 for drugs)
    urgent = "urgent"  # the provincial duty desk is alerted to an urgent tip
    transfer = "transfer"  # a unit that handed the tip on keeps following it
    manual = "manual"


class TipWatcher(TimestampMixin, Base):
    """A unit that follows a tip it is not assigned: it sees the tip in its scope."""

    __tablename__ = "tip_watchers"
    __table_args__ = (
        enum_check("reason", WatchReason),
        # A unit's watched tips newest first, as its queue pages them (app.triage.queue).
        Index("ix_tip_watchers_unit_created", "unit_code", "tip_created_at", "tip_id"),
    )

    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(
        ForeignKey("police_units.code"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(String(16))
    # The tip's created_at, copied so the queue walks the watchers in the tips' order.
    tip_created_at: Mapped[datetime]


class IdempotencyRecord(TimestampMixin, Base):
    """A submission's Idempotency-Key: replays within 24 h return the original answer.

    The stored response holds the receipt, so it is encrypted, and purged after expiry.
    """

    __tablename__ = "idempotency_records"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    response_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class IntakeRecord(TimestampMixin, Base):
    """The receipt record (biên bản tiếp nhận) of a walk-in or hotline intake (art. 146)."""

    __tablename__ = "intake_records"

    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), primary_key=True)
    receiving_officer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(300))
    recorded: Mapped[bool] = mapped_column(default=False)  # audio/video recording made
    notes: Mapped[str | None] = mapped_column(Text)


class TipProvince(Base):
    """The province rule (app.tips.provinces) evaluated and stored: one row for each province
    a tip belongs to, written by that module in the transaction of every write that changes
    a tip's place, holder or register, or a unit's province. Statistics and reviews find a
    province's tips of a window here with one index range scan.

    ``first_received_at`` is the tip's own (set at intake, never changed afterwards), copied so
    that the (province, window) range needs no visit to ``tips``. So are the columns a
    summary groups and filters by (``MIRRORED`` in app.tips.provinces: category, unit holding
    the tip, status, outcome, kind, type, channel, organization, movement model, the place's
    province as ``place_province_code``), kept equal to the tip's by the same module after
    every write that changes them; on PostgreSQL the range index carries them, so a
    province-year summary is an index-only scan of it.
    """

    __tablename__ = "tip_provinces"
    __table_args__ = (
        Index(
            "ix_tip_provinces_province_received",
            "province_code",
            "first_received_at",
            "tip_id",
            postgresql_include=[
                "category_code",
                "assigned_unit_code",
                "status",
                "outcome",
                "kind",
                "tip_type",
                "channel",
                "organization_id",
                "movement_model",
                "place_province_code",
            ],
        ),
    )

    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), primary_key=True)
    first_received_at: Mapped[datetime]
    # Copies of the tip's columns (no foreign keys: ``tips`` holds those).
    category_code: Mapped[str] = mapped_column(String(40))
    assigned_unit_code: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(16))
    tip_type: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    movement_model: Mapped[str | None] = mapped_column(String(120))
    place_province_code: Mapped[str] = mapped_column(String(2))
