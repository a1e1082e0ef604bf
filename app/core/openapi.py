"""The OpenAPI document tells what the API sends (issue: "The OpenAPI document tells the truth").

FastAPI documents an error declared with ``model=Problem`` under ``application/json`` and would
describe a 422 as its own ``HTTPValidationError``. Every error of this API is
``application/problem+json`` with the ``Problem`` schema, so ``finish_openapi`` rewrites each
4xx/5xx response to exactly that, and documents the 400 (``invalid_encoding``) and 422
(``json_too_deep``, ``malformed_json``) of every operation that takes a JSON body (see
``app.core.bodies``).
"""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"
_PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
_BODY_ERRORS = {
    "400": "Bad Request: the body is not UTF-8 (code `invalid_encoding`).",
    "422": "Unprocessable Entity",
}


def finish_openapi(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.get("components", {}).get("schemas", {})
    if "Problem" not in schemas:
        return document
    for path, item in document.get("paths", {}).items():
        if path.startswith("/open311/"):
            continue  # Open311 has its own error format
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
