"""Bodies of complaints and protection requests: the reporter's (``/track``) and the staff's."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.complaints.models import ProtectionStatus
from app.tips.schemas import LocalDateTime, TrackedTip


class ReporterTextIn(BaseModel):
    """What the reporter writes (free text, sealed at rest)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    body: str = Field(min_length=1, max_length=5000)


class TrackComplaintOut(BaseModel):
    """A complaint as the reporter sees it: that it was received, and when."""

    id: str
    filed_at: LocalDateTime


class TrackProtectionOut(BaseModel):
    """A protection request as the reporter sees it: never its content, only its status."""

    id: str
    filed_at: LocalDateTime
    status: ProtectionStatus
    decided_at: LocalDateTime | None


class TrackedTipView(TrackedTip):
    """``/track``: the tip, and the reporter's complaints and protection requests."""

    complaint_deadline: date | None = Field(
        None,
        description="While a complaint against a not_prosecuted decision may be filed: the "
        "last day (Vietnamese time), 15 days from the day the reporter was told.",
    )
    complaints: list[TrackComplaintOut] = Field(default_factory=list)
    protection_requests: list[TrackProtectionOut] = Field(default_factory=list)


class ComplaintOut(BaseModel):
    """A complaint on the tip record (staff who see personal data)."""

    id: str
    filed_at: LocalDateTime
    decision_event_id: int
    body: str


class ProtectionOut(BaseModel):
    """A protection request with its content: for leads and above; every read audited."""

    id: str
    filed_at: LocalDateTime
    status: ProtectionStatus
    decided_at: LocalDateTime | None
    decided_by_id: str | None
    body: str


class ProtectionDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ProtectionStatus = Field(
        description="From received: granted (protection measures decided) or refused; "
        "from granted: ended (the measures were lifted)."
    )
