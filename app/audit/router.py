"""The audit log, for admins: browse it and check that its hash chain is intact."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.accounts.dependencies import AdminPrincipal
from app.accounts.schemas import IDENTIFIER_PATTERN
from app.audit import events, service
from app.audit.schemas import AuditEntryOut, AuditVerifyOut
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=Page[AuditEntryOut], responses=problem_responses(401, 403, 422))
async def list_audit_entries(
    _admin: AdminPrincipal,
    session: SessionDep,
    action: Annotated[
        str | None, Query(pattern=IDENTIFIER_PATTERN, description='e.g. "auth.login_failed"')
    ] = None,
    object_type: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    object_id: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    actor_id: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> Page[AuditEntryOut]:
    """Newest first."""
    entries, next_cursor = await service.list_entries(
        session,
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor_id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[AuditEntryOut.model_validate(e) for e in entries], next_cursor=next_cursor)


@router.get("/verify", response_model=AuditVerifyOut, responses=problem_responses(401, 403))
async def verify_audit_chain(_admin: AdminPrincipal, session: SessionDep) -> AuditVerifyOut:
    """Walk both chains, the audit log's and the tip events'; `ok: false` names the first
    entry (or event) that was edited, or that follows a deleted or reordered one. Deleting the
    newest entries is found by `tinbao audit verify --anchors FILE`."""
    result = await service.verify(session)
    chained = await events.verify_events(session)
    return AuditVerifyOut(
        ok=result.ok and chained.ok,
        checked=result.checked,
        first_bad_id=result.first_bad_id,
        last_hash=result.last_hash,
        events_checked=chained.checked,
        first_bad_event_position=chained.first_bad_position,
        events_head_hash=chained.head_hash,
    )
