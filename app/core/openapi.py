"""The OpenAPI document tells what the API sends (issue: "The OpenAPI document tells the truth").

FastAPI documents an error declared with ``model=Problem`` under ``application/json`` and would
describe a 422 as its own ``HTTPValidationError``. Every error of this API is
``application/problem+json`` with the ``Problem`` schema, so ``finish_openapi`` rewrites each
4xx/5xx response to exactly that, and documents

- the 400 (``invalid_encoding``) and 422 (``json_too_deep``, ``malformed_json``) of every
  operation that takes a JSON body (see ``app.core.bodies``);
- the 503 ``service_unavailable`` (with ``Retry-After``) of every operation that opens a
  database session (``database_operations``: the database down, silent or out of pooled
  connections, see ``app.core.errors``), in Open311's own error format on Open311's;
- the 503 ``service_busy`` of every operation the intake admission bound covers
  (``app.core.admission``). That bound and the body guard answer before routing, so on
  Open311's intake too their 413 and 503 are problem+json, and are documented so there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from app.core.admission import is_intake

PROBLEM = "application/problem+json"
_PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
_BODY_ERRORS = {
    "400": "Bad Request: the body is not UTF-8 (code `invalid_encoding`).",
    "422": "Unprocessable Entity",
}


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 1},
    }
}
_DATABASE_DOWN = (
    "Service Unavailable: the database is down, did not answer in time or had no free "
    "connection (code `service_unavailable`, with `Retry-After`), or a data key this record "
    "needs is not configured."
)
_BUSY = (
    " Or this worker already has `TINBAO_MAX_QUEUED_WRITES` intake requests in flight (code "
    "`service_busy`, problem+json, answered before the body is read). Retry after "
    "`Retry-After` seconds with the same `Idempotency-Key`."
)
_TOO_LARGE = {
    "description": "Content Too Large: the body is over its cap (code `payload_too_large`).",
    "content": {PROBLEM: {"schema": _PROBLEM_SCHEMA}},
}


def _admitted(method: str, template: str) -> bool:
    """Whether the admission bound covers this operation (a path parameter filled in)."""
    return is_intake({"method": method.upper(), "path": re.sub(r"\{[^}]+\}", "json", template)})


def database_operations(routes: Iterable[BaseRoute]) -> set[tuple[str, str]]:
    """(method, path) of each documented operation that opens a database session: one of its
    dependencies, however deep, is a session dependency."""
    from app.core.db import get_session
    from app.core.replica import get_replica_session, read_sessionmaker

    sessions = {get_session, get_replica_session, read_sessionmaker}

    def opens(dependant: Dependant) -> bool:
        return dependant.call in sessions or any(opens(d) for d in dependant.dependencies)

    return {
        (method.lower(), str(route.path_format))
        for route in iter_route_contexts(list(routes))  # through included routers too
        if isinstance(route.original_route, APIRoute)
        and route.include_in_schema
        and opens(route.dependant)
        for method in route.methods or ()
    }


def _unavailable(operation: dict[str, Any], *, open311: bool, busy: bool) -> dict[str, Any]:
    content: dict[str, Any] = {PROBLEM: {"schema": _PROBLEM_SCHEMA}} if busy or not open311 else {}
    if open311:  # the adapter's own error documents, as its "default" response has them
        content.update(operation.get("responses", {}).get("default", {}).get("content", {}))
    description = _DATABASE_DOWN + (_BUSY if busy else "")
    return {"description": description, "headers": _RETRY_AFTER, "content": content}


def finish_openapi(
    document: dict[str, Any], database: set[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """``database``: the operations that can answer 503 ``service_unavailable``
    (``database_operations`` of the app's routes)."""
    schemas = document.get("components", {}).get("schemas", {})
    if "Problem" not in schemas:
        return document
    for path, item in document.get("paths", {}).items():
        open311 = path.startswith("/open311/")
        for method, operation in item.items():
            busy = _admitted(method, path)
            if busy or (method, path) in (database or set()):
                operation.setdefault("responses", {})["503"] = _unavailable(
                    operation, open311=open311, busy=busy
                )
            if busy and open311:
                operation["responses"]["413"] = _TOO_LARGE
        if open311:
            continue  # Open311 has its own error format (but for the guards' answers above)
        for operation in item.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body or "multipart/form-data" in body:
                for status, description in _BODY_ERRORS.items():
                    responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = {PROBLEM: {"schema": _PROBLEM_SCHEMA}}
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return document
