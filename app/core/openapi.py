"""The OpenAPI document tells what the API sends (issue: "The OpenAPI document tells the truth").

FastAPI documents an error declared with ``model=Problem`` under ``application/json`` and would
describe a 422 as its own ``HTTPValidationError``. Every error of this API is
``application/problem+json`` with the ``Problem`` schema, so ``finish_openapi`` rewrites each
4xx/5xx response to exactly that, and documents the 400 (``invalid_encoding``) and 422
(``json_too_deep``, ``malformed_json``) of every operation that takes a JSON body (see
``app.core.bodies``), and the 503 ``service_busy`` (with ``Retry-After``) of every operation the
intake admission bound covers (``app.core.admission``). That bound and the body guard answer
before routing, so on Open311's intake too their 413 and 503 are problem+json, and are
documented so there.
"""

from __future__ import annotations

import re
from typing import Any

from app.core.admission import is_intake

PROBLEM = "application/problem+json"
_PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
_BODY_ERRORS = {
    "400": "Bad Request: the body is not UTF-8 (code `invalid_encoding`).",
    "422": "Unprocessable Entity",
}


_BUSY = {
    "description": (
        "Service Unavailable: this worker already has `TINBAO_MAX_QUEUED_WRITES` intake requests "
        "in flight (code `service_busy`, answered before the body is read), or the database did "
        "not answer in time (code `service_unavailable`). Retry after `Retry-After` seconds with "
        "the same `Idempotency-Key`."
    ),
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    "content": {PROBLEM: {"schema": _PROBLEM_SCHEMA}},
}
_TOO_LARGE = {
    "description": "Content Too Large: the body is over its cap (code `payload_too_large`).",
    "content": {PROBLEM: {"schema": _PROBLEM_SCHEMA}},
}


def _admitted(method: str, template: str) -> bool:
    """Whether the admission bound covers this operation (a path parameter filled in)."""
    return is_intake({"method": method.upper(), "path": re.sub(r"\{[^}]+\}", "json", template)})


def finish_openapi(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.get("components", {}).get("schemas", {})
    if "Problem" not in schemas:
        return document
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if _admitted(method, path):
                guarded = operation.setdefault("responses", {})
                guarded["503"] = _BUSY
                if path.startswith("/open311/"):
                    guarded["413"] = _TOO_LARGE
        if path.startswith("/open311/"):
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
