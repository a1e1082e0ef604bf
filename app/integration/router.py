"""Dashboards and integration: statistics, the CSV export, the change feed and webhooks."""

from __future__ import annotations

import os
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.core.replica import ReplicaSessionDep, read_sessionmaker
from app.core.time import utcnow
from app.integration import exports, feed, stats, summary, webhooks, workbooks, worker
from app.integration.dependencies import (
    GROUP_BY_HELP,
    CurrentSubscription,
    ExportFilters,
    Manager,
    Reader,
    StatsParams,
    SummaryFilters,
    as_queue_filters,
)
from app.integration.periods import PERIOD_HELP, PERIOD_SCHEMA, resolve_window
from app.integration.schemas import (
    DeliveryOut,
    DeliveryPage,
    FeedEvent,
    FeedPage,
    HotspotCell,
    Hotspots,
    SlaReport,
    SlaUnit,
    StatsSummary,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookPage,
    summary_response,
)

router = APIRouter()

_STATS_ERRORS = problem_responses(401, 403, 404, 422)
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
# No max_length: app.core.cursor bounds and checks every cursor (422 ``invalid_cursor``).
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


# --- statistics ---------------------------------------------------------------------------


@router.get("/stats/summary", tags=["stats"], response_model=StatsSummary, responses=_STATS_ERRORS)
async def stats_summary(
    session: ReplicaSessionDep,
    params: StatsParams,
    filters: SummaryFilters,
    group_by: Annotated[str | None, Query(max_length=40, description=GROUP_BY_HELP)] = None,
) -> StatsSummary:
    """Tips received in the window, counted by one or two dimensions (default
    ``category``). A tip counts once, in the window of the time it was **first received**
    (``first_received_at``: a back-dated walk-in on its recorded receipt; a transfer does not
    move it), under its current category, unit (holding it now), status and outcome (a
    reclassified tip under its new category); ``province`` is where it took place. ``total``
    counts every tip in the window, merged duplicates included (``status=merged`` shows
    them). Groups of categories, units, organizations, movement models and provinces carry
    ``label`` (the name). Days and months come in time order, then groups largest first;
    empty groups are not listed. Filters (``category_code``, ``kind``, ``channel``,
    ``tip_type``, ``outcome``, ``status``) compare the tip's current value.

    The window is ``period`` (``month:2026-11``, ``quarter:2026-Q4``, ``half:2026-H1``,
    ``year:2026``, ``eval_residential:2026`` = 1 Nov 2025 – 31 Oct 2026,
    ``eval_commune:2026`` = 16 Nov 2025 – 15 Nov 2026, ``day:2026-11-20``) or ``from``/``to``;
    none means all time. A province's figures count the tips that took place in it or that
    one of its units holds or held. Readers: admin, province supervisors and analysts (users
    or API keys) within their province."""
    dimensions = summary.parse_dimensions(group_by)
    groups, total = await summary.summarize(
        session,
        filters=summary.Filters(
            province_code=params.scope.province_code,
            unit_code=params.scope.unit_code,
            values=filters,
        ),
        window=params.window,
        dimensions=dimensions,
    )
    return summary_response(groups, total, dimensions, params.window)


@router.get("/stats/sla", tags=["stats"], response_model=SlaReport, responses=_STATS_ERRORS)
async def stats_sla(session: ReplicaSessionDep, params: StatsParams) -> SlaReport:
    """Per unit holding tips received in the window (first receipt; merged duplicates
    left out):
    ``received``; ``resolved_on_time`` / ``resolved_late`` — closed (resolved, referred or
    rejected) by ``due_at`` / after it (no ``due_at``: on time); ``open_overdue`` — overdue
    now as in the queue's ``overdue=true``; ``median_hours_to_first_response`` — median
    hours from submission to the first staff action (null when none yet);
    ``acknowledged_on_time`` / ``acknowledged_late`` — the acknowledgement to the reporter
    by ``acknowledge_by`` / after it; ``acknowledge_overdue`` — none yet, deadline past;
    ``classified_on_time`` / ``classified_late`` — the unit's first classification (the first
    move out of ``received``, or a reclassification, since it received the tip) by
    ``classify_by`` / after it; ``classify_overdue`` — still ``received``, never classified,
    ``classify_by`` past."""
    units = await stats.sla(session, scope=params.scope, window=params.window, now=utcnow())
    return SlaReport(
        units=[SlaUnit(**unit) for unit in units], from_=params.window.start, to=params.window.end
    )


@router.get("/stats/hotspots", tags=["stats"], response_model=Hotspots, responses=_STATS_ERRORS)
async def stats_hotspots(
    session: ReplicaSessionDep,
    params: StatsParams,
    cell_m: Annotated[int, Query(ge=100, le=50_000, description="Cell size in metres.")] = 500,
    min_count: Annotated[
        int, Query(ge=1, le=100_000, description="Cells with fewer tips are left out.")
    ] = 5,
    category_code: Annotated[str | None, Query(max_length=40)] = None,
) -> Hotspots:
    """Where tips cluster: a fixed grid of about ``cell_m`` × ``cell_m`` cells (``cell_m``
    of latitude tall; ``cell_m`` wide at 16°N, within ±4 % across Vietnam), each with its
    centre and count, most tips first (at most 5000 cells). Tips without a point are not
    placed; cells under ``min_count`` are left out. Analysts and API keys, who never see
    where one tip took place, get cells of at least 500 m holding at least 5 tips: a finer
    ``cell_m`` or a smaller ``min_count`` answers 422 ``out_of_range``."""
    stats.check_hotspot_floor(params.principal, cell_m=cell_m, min_count=min_count)
    cells = await stats.hotspots(
        session,
        scope=params.scope,
        window=params.window,
        cell_m=cell_m,
        min_count=min_count,
        category_code=category_code,
    )
    return Hotspots(
        cell_m=cell_m,
        min_count=min_count,
        cells=[HotspotCell(lat=lat, lon=lon, count=count) for lat, lon, count in cells],
    )


# --- export -------------------------------------------------------------------------------


_PERIOD = Annotated[
    str | None,
    Query(
        max_length=40,
        description="Only tips first received in this period (" + PERIOD_HELP + ").",
        json_schema_extra=PERIOD_SCHEMA,
    ),
]


@router.get(
    "/exports/tips.csv",
    tags=["exports"],
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The CSV file (UTF-8 with BOM)."},
        **problem_responses(401, 403, 422),
    },
)
async def export_tips_csv(
    request: Request,
    session: SessionDep,
    principal: Reader,
    filters: Annotated[ExportFilters, Query()],
    period: _PERIOD = None,
) -> StreamingResponse:
    """The caller's queue as CSV (same filters and scope as ``GET /api/v1/tips``, and
    ``period``: tips first received in it, as statistics count them), oldest first,
    streamed. UTF-8 with a byte-order mark, CRLF line ends, times in +07:00.

    No personal data: no reporter fields (not even whether the tip was anonymous), no
    description, address, point, persons involved, notes, messages or officers. Every
    export is recorded in the audit log (``tips.exported``)."""
    window = resolve_window(period=period, from_=None, to=None)
    queue_filters = as_queue_filters(filters)
    await exports.record_export(session, principal=principal, filters=queue_filters, period=period)
    filename = f"tinbao-tips-{date.today().isoformat()}.csv"
    return StreamingResponse(
        exports.iter_csv(
            await read_sessionmaker(request),
            principal=principal,
            filters=queue_filters,
            window=window,
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_XLSX_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {workbooks.XLSX_MEDIA_TYPE: {}}, "description": "The workbook."},
    **problem_responses(401, 403, 404, 422),
}


def _xlsx(path: str, filename: str) -> StreamingResponse:
    return StreamingResponse(
        workbooks.stream_file(path),
        media_type=workbooks.XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(os.path.getsize(path)),
        },
    )


@router.get(
    "/exports/tips.xlsx",
    tags=["exports"],
    response_class=StreamingResponse,
    responses=_XLSX_RESPONSES,
)
async def export_tips_xlsx(
    request: Request,
    session: SessionDep,
    principal: Reader,
    filters: Annotated[ExportFilters, Query()],
    period: _PERIOD = None,
) -> StreamingResponse:
    """The CSV export (same columns, filters, ``period``, scope and exclusions) as one
    worksheet. Times are Vietnamese wall-clock times (Excel has no offsets); written in
    write-only mode to a temporary file (memory stays bounded), then sent. Audited
    (``tips.exported``, ``format: xlsx``)."""
    window = resolve_window(period=period, from_=None, to=None)
    queue_filters = as_queue_filters(filters)
    await exports.record_export(
        session, principal=principal, filters=queue_filters, period=period, file_format="xlsx"
    )
    await session.commit()
    path = await workbooks.tips_workbook(
        await read_sessionmaker(request), principal=principal, filters=queue_filters, window=window
    )
    return _xlsx(path, f"tinbao-tips-{date.today().isoformat()}.xlsx")


@router.get(
    "/exports/review.xlsx",
    tags=["exports"],
    response_class=StreamingResponse,
    responses=_XLSX_RESPONSES,
)
async def export_review_xlsx(
    session: SessionDep, principal: Reader, params: StatsParams
) -> StreamingResponse:
    """The six-month / annual review workbook (sơ kết, tổng kết) of a province (default: the
    caller's; admins: every province unless ``province_code``) for ``period`` (or
    ``from``/``to``): a sheet each of counts by category, unit, channel, Front organization,
    movement model and outcome, and the SLA table per unit; every sheet names the period and
    the scope, headers are Vietnamese, figures are numbers, equal to ``stats/summary`` and
    ``stats/sla`` for the same window and province. Audited (``review.exported``)."""
    await audit.record(
        session,
        actor=principal,
        action="review.exported",
        data={
            "province_code": params.scope.province_code,
            "from": params.window.start.isoformat() if params.window.start else None,
            "to": params.window.end.isoformat() if params.window.end else None,
        },
    )
    await session.commit()
    path = await workbooks.review_workbook(
        session, scope=params.scope, window=params.window, period=params.period
    )
    scope = params.scope.province_code or "vn"
    return _xlsx(path, f"tinbao-so-ket-{scope}-{date.today().isoformat()}.xlsx")


# --- the change feed ----------------------------------------------------------------------


@router.get("/events", tags=["events"], response_model=FeedPage, responses=_STATS_ERRORS)
async def list_feed_events(
    request: Request,
    session: SessionDep,
    principal: Reader,
    after: Annotated[
        str | None,
        Query(description="A `next_cursor`; omitted: from the start."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=feed.MAX_LIMIT)] = feed.DEFAULT_LIMIT,
) -> FeedPage:
    """The durable, ordered change feed of the tips the caller may see. A consumer that
    polls with each answer's ``next_cursor`` sees every event exactly once, in order, even
    while tips are written concurrently. Item ``id``s increase strictly (with gaps: other
    provinces' and internal events take positions too). ``next_cursor`` is never null: at
    the end it is where to poll from next. Types: tip.created, tip.status_changed,
    tip.assigned, tip.transferred, tip.merged, tip.deadline_extended, tip.overdue,
    tip.urgent, tip.message_added. ``data`` holds codes, statuses and references only."""
    after_position = feed.decode_position(after)
    await worker.sync_feed(request.app.state.sessionmaker)
    items, next_position = await feed.read_events(
        session, principal=principal, after=after_position, limit=limit
    )
    return FeedPage(
        items=[FeedEvent(**item.__dict__) for item in items],
        next_cursor=feed.encode_position(next_position),
    )


# --- webhooks -----------------------------------------------------------------------------

_WEBHOOK_ERRORS = problem_responses(401, 403, 404, 422)


@router.post(
    "/webhooks",
    tags=["webhooks"],
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses=_WEBHOOK_ERRORS,
)
async def create_webhook(
    request: Request, session: SessionDep, principal: Manager, body: WebhookCreate
) -> WebhookCreated:
    """Subscribe a URL to event types. Each event is POSTed as the feed item's JSON with
    ``X-TinBao-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`` (also
    ``X-TinBao-Event`` and ``X-TinBao-Delivery``); any 2xx answer is success. The first
    attempt comes within seconds; failures are retried after 5 s, 20 s, 80 s, ... (at most an
    hour apart) and dead-lettered after ``TINBAO_WEBHOOK_MAX_ATTEMPTS``. The ``secret``
    (generated when absent) is shown only in this answer. http(s) only; private, loopback
    and link-local targets answer 422 unless ``TINBAO_WEBHOOK_ALLOW_PRIVATE``. Supervisors
    subscribe to their own province's tips."""
    subscription, secret = await webhooks.create_subscription(
        session,
        actor=principal,
        data=body,
        cipher=request.app.state.cipher,
        allow_private=bool(request.app.state.settings.webhook_allow_private),
    )
    return WebhookCreated(**WebhookOut.model_validate(subscription).model_dump(), secret=secret)


@router.get(
    "/webhooks",
    tags=["webhooks"],
    response_model=WebhookPage,
    responses=problem_responses(401, 403, 422),
)
async def list_webhooks(
    session: SessionDep, principal: Manager, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> WebhookPage:
    """Subscriptions the caller manages (supervisors: their province's), without secrets."""
    rows, next_cursor = await webhooks.list_subscriptions(
        session, actor=principal, limit=limit, cursor=cursor
    )
    return WebhookPage(
        items=[WebhookOut.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.get(
    "/webhooks/dead-letters",
    tags=["webhooks"],
    response_model=DeliveryPage,
    responses=problem_responses(401, 403, 422),
)
async def list_dead_letters(
    session: SessionDep,
    principal: Manager,
    subscription_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> DeliveryPage:
    """Deliveries that failed every attempt, oldest first, of the subscriptions the caller
    manages."""
    rows, next_cursor = await webhooks.list_dead_letters(
        session, actor=principal, subscription_id=subscription_id, limit=limit, cursor=cursor
    )
    return DeliveryPage(
        items=[DeliveryOut.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.post(
    "/webhooks/dead-letters/{delivery_id}/redeliver",
    tags=["webhooks"],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
    responses=problem_responses(401, 403, 404, 409),
)
async def redeliver_dead_letter(
    session: SessionDep,
    principal: Manager,
    delivery_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> DeliveryOut:
    """Queue a dead letter again, due now, with a fresh round of attempts (409 when the
    delivery is not dead-lettered)."""
    delivery = await webhooks.redeliver(session, actor=principal, delivery_id=delivery_id)
    return DeliveryOut.model_validate(delivery)


@router.delete(
    "/webhooks/{subscription_id}",
    tags=["webhooks"],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404),
)
async def delete_webhook(
    session: SessionDep, principal: Manager, subscription: CurrentSubscription
) -> Response:
    """Unsubscribe; deliveries not yet made are cancelled."""
    await webhooks.delete_subscription(session, actor=principal, subscription=subscription)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
