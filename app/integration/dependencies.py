"""Role gates, query parameters and load-or-404 lookups of the integration routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Path, Query
from pydantic import BaseModel, create_model

from app.accounts.dependencies import require_roles
from app.accounts.models import Role
from app.core.db import SessionDep
from app.core.principal import Principal
from app.integration import stats, summary, webhooks
from app.integration.models import WebhookSubscription
from app.integration.periods import PERIOD_HELP, PERIOD_SCHEMA, Window, resolve_window
from app.tips.models import Channel, TipStatus, TipType
from app.triage.schemas import QueueFilters
from app.units.models import CategoryKind

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
    principal: Principal
    period: str | None = None


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
    period: Annotated[
        str | None, Query(max_length=40, description=PERIOD_HELP, json_schema_extra=PERIOD_SCHEMA)
    ] = None,
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
    return StatsQuery(scope=scope, window=window, principal=principal, period=period)


StatsParams = Annotated[StatsQuery, Depends(stats_query)]

GROUP_BY_HELP = (
    "One dimension, or two joined by a comma (`category,unit`), of: "
    + ", ".join(d.value for d in summary.Dimension)
    + "."
)


def summary_filters(
    category_code: Annotated[str | None, Query(max_length=40)] = None,
    kind: CategoryKind | None = None,
    channel: Channel | None = None,
    tip_type: TipType | None = None,
    outcome: Annotated[str | None, Query(max_length=24)] = None,
    status: TipStatus | None = None,
) -> dict[str, str]:
    """The row filters of stats/summary and front/stats (equality on the tip's current value)."""
    given = {
        "category_code": category_code,
        "kind": kind,
        "channel": channel,
        "tip_type": tip_type,
        "outcome": outcome,
        "status": status,
    }
    return {name: str(value) for name, value in given.items() if value is not None}


SummaryFilters = Annotated[dict[str, str], Depends(summary_filters)]


# The export takes exactly the queue's filters (GET /api/v1/tips) without its paging: the
# model is derived from QueueFilters so the two cannot drift apart.
_PAGING = frozenset({"sort", "limit", "cursor"})
if TYPE_CHECKING:
    ExportFilters = QueueFilters
else:
    ExportFilters = create_model(
        "ExportFilters",
        __doc__="The queue's filters, without paging: the export has every row.",
        **{
            name: (field.annotation, field)
            for name, field in QueueFilters.model_fields.items()
            if name not in _PAGING
        },
    )


def as_queue_filters(filters: BaseModel) -> QueueFilters:
    return QueueFilters.model_validate(filters.model_dump(exclude_none=True))


async def get_subscription(
    subscription_id: Annotated[str, Path(max_length=36)],
    session: SessionDep,
    principal: Manager,
) -> WebhookSubscription:
    return await webhooks.get_subscription(
        session, actor=principal, subscription_id=subscription_id
    )


CurrentSubscription = Annotated[WebhookSubscription, Depends(get_subscription)]
