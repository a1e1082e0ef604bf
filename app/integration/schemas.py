from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, field_validator

from app.core.time import as_utc
from app.integration.models import DeliveryStatus, FeedEventType
from app.integration.periods import Window
from app.integration.summary import Dimension, Group

PUBLISHED_EVENT_TYPES = frozenset(t.value for t in FeedEventType)


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]


# --- statistics ---------------------------------------------------------------------------


class StatsGroup(BaseModel):
    key: str | None = Field(
        description="The group's value: a category code, unit code, status, outcome, kind, "
        "tip type, channel, organization id, movement model code, province code, day "
        "(YYYY-MM-DD) or month (YYYY-MM); with two dimensions the two values joined by `|` "
        "(a missing value as the empty string). null: tips without that value (one dimension)."
    )
    keys: dict[str, str | None] = Field(
        description="Each dimension's value, by dimension name (null: tips without one)."
    )
    count: int
    label: str | None = Field(
        None,
        description="The names of categories, units, organizations, movement models and "
        "provinces (two dimensions: joined by ` | `, a value without a name as its key); "
        "null when no value of the group has a name (status, day, ..., or no value).",
    )
    labels: dict[str, str | None] | None = Field(
        None, description="The name of each named dimension's value, by dimension name."
    )


class StatsSummary(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    groups: list[StatsGroup]
    total: int
    group_by: list[str] = Field(description="The dimensions, in the order of `keys`.")
    from_: UtcDatetime | None = Field(None, alias="from", description="Window start (inclusive).")
    to: UtcDatetime | None = Field(None, description="Window end (exclusive).")


def summary_response(
    groups: Sequence[Group], total: int, dimensions: Sequence[Dimension], window: Window
) -> StatsSummary:
    return StatsSummary(
        groups=[
            StatsGroup(
                key=g.key,
                keys=g.keys,
                count=g.count,
                label=g.label,
                labels=g.labels or None,
            )
            for g in groups
        ],
        total=total,
        group_by=[d.value for d in dimensions],
        from_=window.start,
        to=window.end,
    )


class SlaUnit(BaseModel):
    unit_code: str
    unit_name: str
    received: int = Field(description="Tips received in the window and now held by the unit.")
    resolved_on_time: int = Field(description="Closed (resolved, referred or rejected) by due_at.")
    resolved_late: int = Field(description="Closed after due_at.")
    open_overdue: int = Field(
        description="Overdue now, as the queue's overdue=true: clock running, due_at or "
        "transfer_due_at past."
    )
    median_hours_to_first_response: float | None = Field(
        description="Median hours from submission to the unit's first response; null when "
        "no tip has had one."
    )
    acknowledged_on_time: int = Field(description="acknowledged_at at or before acknowledge_by.")
    acknowledged_late: int = Field(description="acknowledged_at after acknowledge_by.")
    acknowledge_overdue: int = Field(description="Not acknowledged, acknowledge_by past.")
    classified_on_time: int = Field(
        description="First classified by the unit (out of received, or reclassified) by "
        "classify_by."
    )
    classified_late: int = Field(description="First classified after classify_by.")
    classify_overdue: int = Field(description="Still received, never classified, classify_by past.")


class SlaReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    units: list[SlaUnit]
    from_: UtcDatetime | None = Field(None, alias="from")
    to: UtcDatetime | None = None


class HotspotCell(BaseModel):
    lat: float = Field(description="Latitude of the cell centre.")
    lon: float = Field(description="Longitude of the cell centre.")
    count: int


class Hotspots(BaseModel):
    cell_m: int
    min_count: int
    cells: list[HotspotCell]


# --- the change feed ----------------------------------------------------------------------


class FeedEvent(BaseModel):
    id: int = Field(description="Feed position: strictly increasing, not contiguous.")
    type: str
    tip_id: str | None = Field(description="The tip; null for `reference.changed`.")
    at: UtcDatetime
    data: dict[str, Any] = Field(
        description="Codes, statuses and references only: never free text or reporter data."
    )


class FeedPage(BaseModel):
    items: list[FeedEvent]
    next_cursor: str = Field(
        description="Pass as `after` to continue; never null (at the end of the feed it is the "
        "position to poll from next)."
    )


# --- webhooks -----------------------------------------------------------------------------


# The event types a webhook may ask for, as the OpenAPI document lists them.
_EVENT_NAMES: list[JsonValue] = [*sorted(PUBLISHED_EVENT_TYPES)]
_EVENT_TYPES: dict[str, JsonValue] = {"type": "string", "enum": _EVENT_NAMES}


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2048, description="http:// or https:// URL receiving POSTs.")
    events: list[str] = Field(
        min_length=1,
        max_length=len(PUBLISHED_EVENT_TYPES),
        description="Event types to receive.",
        json_schema_extra={"items": _EVENT_TYPES},
    )
    secret: str | None = Field(
        None,
        min_length=16,
        max_length=256,
        description="Key of the HMAC-SHA256 signature; generated (and shown once) when absent.",
    )
    province_code: str | None = Field(
        None,
        description="Limit to one province's tips. Supervisors: their own province (the "
        "default); admins: any, or none for every province.",
    )

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - PUBLISHED_EVENT_TYPES)
        if unknown:
            raise ValueError(
                f"unknown event types {unknown}; known: {sorted(PUBLISHED_EVENT_TYPES)}"
            )
        return sorted(set(value))


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    events: list[str]
    province_code: str | None
    created_at: UtcDatetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Shown once; keep it to verify X-TinBao-Signature.")


class WebhookPage(BaseModel):
    items: list[WebhookOut]
    next_cursor: str | None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subscription_id: str
    event_type: str
    feed_position: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: UtcDatetime
    last_attempt_at: UtcDatetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: UtcDatetime | None
    created_at: UtcDatetime


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None
