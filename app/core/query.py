"""Unknown query parameters answer 422 ``unknown_parameter`` (API.md, Conventions).

A silently ignored filter once exported every tip (``/exports/tips.csv?period=...``, where the
parameter is ``from``/``to``). ``reject_unknown_query`` is a dependency of the whole ``/api/v1``
router (``app.api``), so every operation under it — lists, statistics and exports included, and
any added later — compares the query's keys with the parameters the operation declares (those
of its dependencies too, and the fields of a pydantic model used as ``Query()``). Open311 keeps
its own rules (the GeoReport spec lets clients send parameters a server does not know).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel

from app.core.errors import ValidationFailed
from app.core.messages import msg

_ALLOWED: dict[int, frozenset[str]] = {}


def _model_of(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *getattr(annotation, "__args__", ())]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def declared_query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameter names an operation accepts."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        for field in current.query_params:
            model = _model_of(field.field_info.annotation)
            if model is None:
                names.add(field.alias)
            else:
                names.update(f.alias or name for name, f in model.model_fields.items())
        pending.extend(current.dependencies)
    return frozenset(names)


async def reject_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    allowed = _ALLOWED.get(id(route))
    if allowed is None:
        allowed = _ALLOWED[id(route)] = declared_query_names(dependant)
    unknown = sorted({key for key in request.query_params if key not in allowed})
    if unknown:
        raise ValidationFailed(
            errors=[(name, msg("unknown_parameter", name=name)) for name in unknown]
        )
