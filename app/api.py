"""Every domain's router under /api/v1 (and Open311 under /open311/v2)."""

from fastapi import APIRouter, Depends
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

from app.accounts.router import router as accounts_router
from app.admin_units.router import router as admin_units_router
from app.administration.router import router as administration_router
from app.audit.router import router as audit_router
from app.complaints.router import router as complaints_router
from app.core.errors import problem_responses
from app.core.query import reject_unknown_query
from app.front.router import router as front_router
from app.integration.router import router as integration_router
from app.notifications.router import router as notifications_router
from app.privacy.router import router as privacy_router
from app.records.router import router as records_router
from app.tips.router import router as tips_router
from app.triage.router import router as triage_router
from app.units.router import router as units_router


class PrefixedRouter(APIRouter):
    """An APIRouter that answers "no match" at once for a path outside its prefix. FastAPI
    tries every one of an included router's routes in turn, each a regular expression and
    a few scope updates, before it gives up: ~110 under /api/v1, on every request for
    /healthz, /open311 or the web client (~240 us for an Open311 intake, several times a
    request). The order of the routes, and of the OpenAPI document, stays as included."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(self.prefix):
            return Match.NONE, {}
        return super().matches(scope)


# Every operation refuses unknown query parameters, so every one may answer 422 (problem+json).
api_router = PrefixedRouter(
    prefix="/api/v1",
    dependencies=[Depends(reject_unknown_query)],
    responses=problem_responses(422),
)
api_router.include_router(admin_units_router)
api_router.include_router(units_router)
api_router.include_router(tips_router)
api_router.include_router(triage_router)
api_router.include_router(records_router)
api_router.include_router(accounts_router)
api_router.include_router(audit_router)
api_router.include_router(integration_router)
api_router.include_router(front_router)
api_router.include_router(privacy_router)
api_router.include_router(administration_router)
api_router.include_router(notifications_router)
api_router.include_router(complaints_router)
