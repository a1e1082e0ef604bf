"""Role gates, query parameters and load-or-404 lookups of the integration routes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from app.accounts.dependencies import require_roles
from app.accounts.models import Role
from app.accounts.principal import Principal
from app.core.db import SessionDep
from app.integration import stats, webhooks
from app.integration.models import WebhookSubscription
from app.integration.periods import PERIOD_HELP, Window, resolve_window
from app.tips.models import TipStatus
from app.triage.schemas import QueueFilters

# Statistics, exports and the feed: analysts (users and API keys), supervisors, admin.
READERS = (Role.admin, Role.province_supervisor, Role.analyst)
# Webhooks: admin, and supervisors for their province.
MANAGERS = (Role.admin, Role.province_supervisor)

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Manager = Annotated[Principal, Depends(require_roles(*MANAGERS))]


@dataclass(frozen=True)
class StatsQuery:
    scope: stats.Scope
    window: Window


async def stats_query(
    session: SessionDep,
    principal: Reader,
    province_code: Annotated[
        str | None,
        Query(
            max_length=2,
            description="Default: the caller's province (admins: every province). Another "
            "province than the caller's answers 404.",
        ),
    ] = None,
    unit_code: Annotated[
        str | None, Query(max_length=32, description="Only tips the unit holds now.")
    ] = None,
    period: Annotated[str | None, Query(max_length=40, description=PERIOD_HELP)] = None,
    from_: Annotated[
        str | None,
        Query(
            alias="from",
            max_length=40,
            description="A day (YYYY-MM-DD, Asia/Ho_Chi_Minh) or an RFC 3339 time; inclusive.",
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(
            max_length=40,
            description="A day (inclusive: the whole day) or an RFC 3339 time (exclusive).",
        ),
    ] = None,
) -> StatsQuery:
    """Window first (a malformed one is 422 whoever asks), then the scope (404 outside)."""
    window = resolve_window(period=period, from_=from_, to=to)
    scope = await stats.resolve_scope(
        session, principal=principal, province_code=province_code, unit_code=unit_code
    )
    return StatsQuery(scope=scope, window=window)


StatsParams = Annotated[StatsQuery, Depends(stats_query)]


class ExportFilters(BaseModel):
    """The queue's filters (GET /api/v1/tips), without paging: the export has every row."""

    status: list[TipStatus] | None = None
    category_code: str | None = None
    unit_code: str | None = None
    assignee_id: str | None = Field(
        default=None, description='A user id, "me", or "none" for unassigned tips.'
    )
    overdue: bool | None = None
    urgent: bool | None = None
    created_from: AwareDatetime | date | None = None
    created_to: AwareDatetime | date | None = Field(
        default=None, description="Inclusive; a date includes that whole day (Asia/Ho_Chi_Minh)."
    )
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None

    def as_queue_filters(self) -> QueueFilters:
        return QueueFilters(**self.model_dump(exclude_none=True))


async def get_subscription(
    subscription_id: Annotated[str, Path(max_length=36)],
    session: SessionDep,
    principal: Manager,
) -> WebhookSubscription:
    return await webhooks.get_subscription(
        session, actor=principal, subscription_id=subscription_id
    )


CurrentSubscription = Annotated[WebhookSubscription, Depends(get_subscription)]
