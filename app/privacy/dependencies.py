"""Load-or-404 for privacy requests: the lookup is scoped to what the caller handles."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from app.accounts.dependencies import require_roles
from app.core.db import SessionDep
from app.core.principal import Principal
from app.privacy import service
from app.privacy.models import PrivacyRequest
from app.scope import visibility as scope
from app.tips.models import Tip

# Filing: anyone who may act on the tip (officers pass on what reporters ask them).
Filer = Annotated[Principal, Depends(require_roles(*scope.ACTORS))]
# Handling (list, acknowledge, complete): unit leads, supervisors, admins.
Handler = Annotated[Principal, Depends(require_roles(*scope.LEADS))]


async def get_handled_request(
    request_id: Annotated[str, Path(max_length=36, description="The request's id.")],
    session: SessionDep,
    principal: Handler,
) -> tuple[PrivacyRequest, Tip]:
    return await service.get_request(session, principal=principal, request_id=request_id)


HandledRequest = Annotated[tuple[PrivacyRequest, Tip], Depends(get_handled_request)]
