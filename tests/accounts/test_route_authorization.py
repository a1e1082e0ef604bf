"""Every secured operation of /api/v1, found in the app's own route table (its OpenAPI
document, generated from the routes), has a row here: who may call it. A new endpoint that
needs credentials and has no row fails `test_every_secured_operation_has_a_row`.

For every row: no credentials → 401; every role and both kinds of API key → 403 `forbidden`
when the role may not call it, and never 401/403 when it may (with placeholder ids the
answer is then 404/422/200: the object checks come after the role check). Whether an object
is in the caller's scope (404 when not) is tested per object kind: tips in
tests/triage/test_authorization_matrix.py (15 operations × 12 callers), users below.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import Route

from tests.accounts.helpers import auth_headers, make_api_key, make_organization, make_user

ADMIN = {"admin"}
MANAGERS = {"admin", "province_supervisor"}
READERS = {"admin", "province_supervisor", "unit_lead", "officer", "analyst"}
ACTORS = {"admin", "province_supervisor", "unit_lead", "officer"}
LEADS = {"admin", "province_supervisor", "unit_lead"}
UNIT_MEMBERS = {"officer", "unit_lead"}
STATISTICS = {"admin", "province_supervisor", "analyst"}
EVERYONE = READERS | {"front_member", "open311_client"}
USERS = READERS | {"front_member"}

# "METHOD path" → the roles (of users, and of API keys: analyst, open311_client) admitted.
ROLES: dict[str, set[str]] = {
    "GET /api/v1/auth/me": EVERYONE,
    "GET /api/v1/users": MANAGERS,
    "POST /api/v1/users": MANAGERS,
    "GET /api/v1/users/{user_id}": MANAGERS,
    "PATCH /api/v1/users/{user_id}": MANAGERS,
    "GET /api/v1/organizations": MANAGERS,
    "POST /api/v1/organizations": MANAGERS,
    "GET /api/v1/api-keys": ADMIN,
    "POST /api/v1/api-keys": ADMIN,
    "DELETE /api/v1/api-keys/{key_id}": ADMIN,
    "GET /api/v1/audit": ADMIN,
    "GET /api/v1/audit/verify": ADMIN,
    "GET /api/v1/tips": READERS,
    "GET /api/v1/tips/{tip_id}": READERS,
    "GET /api/v1/tips/{tip_id}/events": READERS,
    "POST /api/v1/tips/{tip_id}/transitions": ACTORS,
    "POST /api/v1/tips/{tip_id}/claim": UNIT_MEMBERS,
    "POST /api/v1/tips/{tip_id}/acknowledge": ACTORS,
    "POST /api/v1/tips/{tip_id}/corrections": ACTORS,
    "POST /api/v1/tips/{tip_id}/assign": LEADS,
    "POST /api/v1/tips/{tip_id}/transfer": ACTORS,
    "POST /api/v1/tips/{tip_id}/merge": ACTORS,
    "POST /api/v1/tips/{tip_id}/deadline-extensions": LEADS,
    "POST /api/v1/tips/{tip_id}/notes": ACTORS,
    "GET /api/v1/tips/{tip_id}/messages": ACTORS,
    "POST /api/v1/tips/{tip_id}/messages": ACTORS,
    "GET /api/v1/tips/{tip_id}/attachments/{attachment_id}": ACTORS,
    "POST /api/v1/tips/{tip_id}/reporter/reveal": LEADS,
    "POST /api/v1/tips/{tip_id}/attachments": ACTORS,
    "GET /api/v1/tips/{tip_id}/similar": READERS,
    "GET /api/v1/tips/{tip_id}/intake-record.pdf": ACTORS,
    "GET /api/v1/units/{code}/register": READERS,
    "GET /api/v1/stats/summary": STATISTICS,
    "GET /api/v1/stats/sla": STATISTICS,
    "GET /api/v1/stats/hotspots": STATISTICS,
    "GET /api/v1/exports/tips.csv": STATISTICS,
    "GET /api/v1/exports/tips.xlsx": STATISTICS,
    "GET /api/v1/exports/review.xlsx": STATISTICS,
    "GET /api/v1/events": STATISTICS,
    "GET /api/v1/webhooks": MANAGERS,
    "POST /api/v1/webhooks": MANAGERS,
    "DELETE /api/v1/webhooks/{subscription_id}": MANAGERS,
    "GET /api/v1/webhooks/dead-letters": MANAGERS,
    "POST /api/v1/webhooks/dead-letters/{delivery_id}/redeliver": MANAGERS,
    "GET /api/v1/front/tips": {"front_member"},
    "GET /api/v1/front/stats": {"front_member"},
    "GET /api/v1/privacy/requests": LEADS,
    "POST /api/v1/privacy/requests": ACTORS,
    "GET /api/v1/privacy/requests/{request_id}": LEADS,
    "POST /api/v1/privacy/requests/{request_id}/acknowledge": LEADS,
    "POST /api/v1/privacy/requests/{request_id}/complete": LEADS,
    "PATCH /api/v1/auth/me": USERS,
    "POST /api/v1/auth/password": USERS,
    "GET /api/v1/notifications": USERS,
    "POST /api/v1/notifications/read-all": USERS,
    "POST /api/v1/notifications/{notification_id}/read": USERS,
    "GET /api/v1/notifications/deliveries": ADMIN,
    "POST /api/v1/notifications/deliveries/{delivery_id}/redeliver": ADMIN,
    "POST /api/v1/tips/{tip_id}/alerts/acknowledge": READERS,
    "GET /api/v1/privacy/disclosures": MANAGERS,
    "GET /api/v1/tips/{tip_id}/complaints": ACTORS,
    "GET /api/v1/tips/{tip_id}/protection-requests": LEADS,
    "POST /api/v1/tips/{tip_id}/protection-requests/{request_id}/status": LEADS,
    # Administration: reference data is data
    "POST /api/v1/categories": ADMIN,
    "PATCH /api/v1/categories/{code}": ADMIN,
    "GET /api/v1/categories/{code}/provinces": MANAGERS,
    "PUT /api/v1/categories/{code}/provinces/{province_code}": MANAGERS,
    "DELETE /api/v1/categories/{code}/provinces/{province_code}": MANAGERS,
    "POST /api/v1/units": ADMIN,
    "PATCH /api/v1/units/{code}": MANAGERS,
    "PUT /api/v1/calendar/{year}": ADMIN,
    "POST /api/v1/movement-models": MANAGERS,
    "PATCH /api/v1/movement-models/{code}": MANAGERS,
    "POST /api/v1/admin-units/change-sets": ADMIN,
    "GET /api/v1/admin-units/change-sets": ADMIN,
}
# A person's own things: API keys (whatever their role) are refused.
USERS_ONLY = {
    "PATCH /api/v1/auth/me",
    "POST /api/v1/auth/password",
    "GET /api/v1/notifications",
    "POST /api/v1/notifications/read-all",
    "POST /api/v1/notifications/{notification_id}/read",
}
# Credentials optional: the public intake (a front member's token makes them the reporter).
OPTIONAL = {"POST /api/v1/tips"}

# Open311's operations take an open311_client API key (api_key, or X-API-Key): no key → 400,
# another kind of key → 403, as GeoReport v2 answers (tests/open311 for the rest).
OPEN311 = {
    "GET /open311/v2/requests.{response_format}",
    "POST /open311/v2/requests.{response_format}",
    "GET /open311/v2/requests/{service_request_id}.{response_format}",
    "GET /open311/v2/tokens/{token}.{response_format}",
}
# No credentials at all: reference data, signing in, health and metrics, the API documents,
# Open311 discovery, and the reporter's follow-up (the receipt is its credential:
# tests/tips/test_track.py). A new operation must be in ROLES, OPTIONAL, OPEN311 or here.
PUBLIC = {
    "GET /api/v1/admin-units/boundaries",
    "GET /api/v1/admin-units/communes",
    "GET /api/v1/admin-units/communes/{code}",
    "GET /api/v1/admin-units/locate",
    "GET /api/v1/admin-units/provinces",
    "POST /api/v1/auth/token",
    "GET /api/v1/calendar/{year}",
    "GET /api/v1/categories",
    "GET /api/v1/movement-models",
    "GET /api/v1/notifications/vapid-public-key",
    "GET /api/v1/track",
    "GET /api/v1/track/attachments/{attachment_id}",
    "POST /api/v1/track/complaints",
    "GET /api/v1/track/messages",
    "POST /api/v1/track/messages",
    "DELETE /api/v1/track/notify",
    "GET /api/v1/track/privacy-requests",
    "POST /api/v1/track/privacy-requests",
    "POST /api/v1/track/protection-requests",
    "GET /api/v1/units",
    "GET /api/v1/units/{code}",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /openapi.json",
    "GET /docs",
    "GET /docs/oauth2-redirect",
    "GET /docs/static/{name}",
    "GET /redoc",
    "GET /open311/v2/discovery.{response_format}",
    "GET /open311/v2/services.{response_format}",
    "GET /open311/v2/services/{service_code}.{response_format}",
    # Open311's 404/405 for paths it does not know.
    *(f"{m} /open311/v2/{{path:path}}" for m in ("GET", "POST", "PUT", "PATCH", "DELETE")),
    # The reference web client's pages (app.web): static files using only the public API.
    "GET /",
    "GET /track",
    "GET /staff",
    "GET /staff/",
    "GET /dashboard",
    "GET /dashboard/",
    "GET /sw.js",
}

PLACEHOLDER_ID = "01900000-0000-7000-8000-000000000000"


def _operations(app: Any) -> dict[str, dict[str, Any]]:
    """Every operation under /api/v1 that declares credentials, from the app's routes."""
    found = {}
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/v1/") and operation.get("security"):
                found[f"{method.upper()} {path}"] = operation
    return found


def _routes(app: Any) -> set[str]:
    """Every "METHOD path" the app serves, from its route table (those left out of the
    OpenAPI document too); mounted static files are not operations. FastAPI >= 0.16x keeps
    included routers whole in ``app.routes``: ``iter_route_contexts`` flattens them (it is
    what its OpenAPI generation walks); before that, ``app.routes`` is already flat."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI
        routes: Any = [r for r in app.routes if isinstance(r, Route)]
    else:
        routes = list(iter_route_contexts(app.routes))
    return {
        f"{method} {route.path}"
        for route in routes
        if route.path is not None
        for method in route.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }


def _concrete(operation: str) -> tuple[str, str]:
    method, path = operation.split(" ", 1)
    for name in (
        "user_id",
        "key_id",
        "tip_id",
        "attachment_id",
        "subscription_id",
        "notification_id",
    ):
        path = path.replace("{" + name + "}", PLACEHOLDER_ID)
    path = path.replace("{code}", "x").replace("{province_code}", "79").replace("{year}", "2027")
    return method, path.replace("{delivery_id}", "1").replace("{request_id}", PLACEHOLDER_ID)


async def _callers(db: Any, app: Any) -> dict[str, tuple[str, dict[str, str]]]:
    """name → (role, headers): a user of every role, and an API key of each kind."""
    specs: dict[str, dict[str, Any]] = {
        "admin": {"role": "admin"},
        "province_supervisor": {"role": "province_supervisor", "province_code": "79"},
        "unit_lead": {"role": "unit_lead", "unit_code": "CAX-26740", "province_code": "79"},
        "officer": {"role": "officer", "unit_code": "CAX-26740", "province_code": "79"},
        "analyst": {"role": "analyst", "province_code": "79"},
    }
    callers = {}
    for name, spec in specs.items():
        callers[name] = (spec["role"], auth_headers(app, await make_user(db, **spec)))
    org = await make_organization(db, name="Hội Phụ nữ", kind="member_org", province_code="79")
    front = await make_user(db, role="front_member", organization_id=org.id)
    callers["front_member"] = ("front_member", auth_headers(app, front))
    for role in ("analyst", "open311_client"):
        _, key = await make_api_key(db, app, role=role, province_code="79", name=role)
        callers[f"{role}_key"] = (role, {"X-API-Key": key})
    return callers


def test_every_secured_operation_has_a_row(app):
    found = set(_operations(app))
    assert found - set(ROLES) - OPTIONAL == set(), "secured operations without a row"
    assert (set(ROLES) | OPTIONAL) - found == set(), "rows for operations that do not exist"
    assert len(found) >= 43


def test_every_route_is_in_one_list(app):
    """An operation added without credentials (a forgotten guard) fails here too: it is
    in no list until someone decides it is public."""
    lists = {"ROLES": set(ROLES), "OPTIONAL": OPTIONAL, "OPEN311": OPEN311, "PUBLIC": PUBLIC}
    every = _routes(app)
    listed = set().union(*lists.values())
    assert every - listed == set(), "operations in no list: say who may call them"
    assert listed - every == set(), "rows for operations that do not exist"
    names = list(lists)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not lists[a] & lists[b], (a, b, lists[a] & lists[b])
    documented = {
        f"{method.upper()} {path}": operation
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    }
    assert {op for op in PUBLIC if documented.get(op, {}).get("security")} == set()
    assert {op for op in OPEN311 if not documented[op].get("security")} == set()


async def test_open311_operations_need_an_open311_key(app, client, db):
    _, analyst_key = await make_api_key(db, app, role="analyst", province_code="79")
    for operation in sorted(OPEN311):
        method, path = operation.split(" ", 1)
        path = path.format(
            response_format="json", service_request_id="TB-0000-0000", token=PLACEHOLDER_ID
        )
        r = await client.request(method, path)
        assert r.status_code == 400, (operation, r.text[:200])
        assert r.json()[0]["description"].startswith("api_key:"), operation
        r = await client.request(method, path, headers={"X-API-Key": analyst_key})
        assert r.status_code == 403, (operation, r.text[:200])


async def test_without_credentials_401(app, client):
    for operation in _operations(app):
        method, path = _concrete(operation)
        r = await client.request(method, path, json={} if method in {"POST", "PATCH"} else None)
        if operation in OPTIONAL:
            assert r.status_code != 401, (operation, r.text[:200])
            continue
        assert r.status_code == 401, (operation, r.status_code, r.text[:200])
        assert r.json()["code"] == "unauthorized"
        assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("operation", sorted(ROLES))
async def test_roles(app, client, db, operation):
    callers = await _callers(db, app)
    method, path = _concrete(operation)
    for name, (role, headers) in callers.items():
        r = await client.request(
            method, path, json={} if method in {"POST", "PATCH"} else None, headers=headers
        )
        key_refused = name.endswith("_key") and operation in USERS_ONLY
        if role in ROLES[operation] and not key_refused:
            assert r.status_code not in {401, 403}, (operation, name, r.text[:300])
        else:
            assert r.status_code == 403, (operation, name, r.status_code, r.text[:300])
            assert r.json()["code"] == "forbidden"


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_users_out_of_scope_are_404(app, client, db, method):
    """A supervisor manages the users of their province only: another province's user is 404,
    exactly as an unknown id is; their own province's user is answered."""
    officer = await make_user(db, role="officer", unit_code="CAX-26740", province_code="79")
    own = await make_user(db, role="province_supervisor", province_code="79")
    other = await make_user(db, role="province_supervisor", province_code="01")
    body = {"disabled": False} if method == "PATCH" else None
    for supervisor, want in ((own, 200), (other, 404)):
        r = await client.request(
            method,
            f"/api/v1/users/{officer.id}",
            json=body,
            headers=auth_headers(app, supervisor),
        )
        assert r.status_code == want, (method, supervisor.province_code, r.text[:300])
    unknown = await client.request(
        method, f"/api/v1/users/{PLACEHOLDER_ID}", json=body, headers=auth_headers(app, own)
    )
    assert unknown.status_code == 404
