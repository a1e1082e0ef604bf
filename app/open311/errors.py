"""Open311 errors: ``[{"code", "description"}]`` (XML ``<errors><error>…``), never problem+json.

The adapter's routes convert every error raised under them (``Open311Error``, the services'
``AppError``s, request validation, HTTP errors) into this shape; see ``app.open311.router``.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.errors import AppError, Message
from app.core.messages import msg, title_message

# TipCreate's field names → the GeoReport parameters a client sent them as.
_PARAMETERS: dict[str, str] = {
    "category_code": "service_code",
    "description": "description",
    "location": "lat/long or attribute[commune_code]",
    "location.commune_code": "attribute[commune_code]",
    "location.legacy_commune_code": "attribute[legacy_commune_code]",
    "location.province_code": "lat/long or attribute[commune_code]",
    "location.lat": "lat",
    "location.lon": "long",
    "location.address": "address_string",
    "reporter": "first_name/last_name/phone/email",
    "reporter.full_name": "first_name/last_name",
    "reporter.phone": "phone",
    "reporter.email": "email",
    "occurred_at": "attribute[occurred_at]",
    "persons_involved": "attribute[persons_involved]",
    "urgent": "attribute[urgent]",
    "anonymous": "attribute[anonymous]",
}

# Messages replaced by the adapter's own (the service's wording names TinBáo's fields).
_REPLACED: dict[str, Message] = {
    "location.province_code": msg("open311.outside_province"),
    "reporter.phone": msg("invalid_format.phone"),
    "reporter.email": msg("invalid_format.email"),
}


class Open311Error(Exception):
    """An Open311 error answer: an HTTP status and one or more descriptions."""

    def __init__(
        self,
        status: int,
        description: Message,
        *more: Message,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.descriptions: list[Message] = [description, *more]
        self.headers = headers


def not_found() -> Open311Error:
    return Open311Error(404, msg("open311.not_found"))


def _status_for(exc: AppError) -> int:
    # Open311 knows 400, 403 and 404; other statuses keep their meaning (409, 413, 429, ...).
    return 400 if exc.status == 422 else exc.status


def parameter_errors(errors: Sequence[tuple[str, Message]]) -> list[Message]:
    """Descriptions naming the GeoReport parameter each TinBáo field came from."""
    out: list[Message] = []
    for field, message in errors:
        parameter = _PARAMETERS.get(field, field)
        out.append(_with_parameter(parameter, _REPLACED.get(field, message)))
    return out


def _with_parameter(parameter: str, message: Message) -> Message:
    return msg("open311.parameter", parameter=parameter, message=message)


def from_app_error(exc: AppError) -> Open311Error:
    """The Open311 form of a service's error."""
    descriptions = parameter_errors(exc.errors) if exc.errors else []
    candidates = exc.extra.get("candidates") if exc.code == "ambiguous_commune" else None
    if candidates:
        codes = ", ".join(f"{c['code']} ({c['name']})" for c in candidates)
        descriptions = [
            _with_parameter(
                "attribute[commune_code]", msg("open311.ambiguous_commune", codes=codes)
            )
        ]
    if not descriptions:
        descriptions = [exc.detail or title_message(exc.code)]
    return Open311Error(_status_for(exc), *descriptions, headers=exc.headers)
