"""Request parsing and the API key of the Open311 adapter.

Parameters come from the query string and, on POST, an ``application/x-www-form-urlencoded``
body (as GeoReport v2 sends them); each may appear once, in one of the two. Blank values count
as absent. The ``api_key`` parameter (or the ``X-API-Key`` header) must be an ``open311_client``
key: missing → 400, unknown, revoked or of another role → 403.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyQuery

from app.accounts import authentication
from app.accounts.dependencies import api_key_scheme
from app.accounts.models import ApiKeyRole
from app.core.body_limits import declared_length
from app.core.db import SessionDep
from app.core.errors import Forbidden, Message, ValidationFailed, msg
from app.core.i18n import Lang, negotiate
from app.core.principal import Principal
from app.core.time import LOCAL_TZ
from app.core.validation import instant_problem
from app.media.upload import normalise_content_type, read_body_limited
from app.open311.reading import MAX_REQUEST_IDS, RequestQuery
from app.tips.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyKey,
    idempotency_key,
    request_fingerprint,
)

MAX_PARAMETERS = 100
FORM = "application/x-www-form-urlencoded"

# Declared so that the OpenAPI document shows the scheme; the value is read from Parameters
# (which also holds a POST's form).
api_key_query = APIKeyQuery(
    name="api_key",
    auto_error=False,
    scheme_name="open311_api_key",
    description="An open311_client key (query or form parameter, or the X-API-Key header).",
)


def _invalid(parameter: str, message: Message) -> ValidationFailed:
    return ValidationFailed(errors=[(parameter, message)])


def _collect(pairs: list[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise _invalid(name.replace("\x00", ""), msg("open311.invalid_character"))
        value = value.strip()
        if not value:
            continue
        if name in params:
            raise _invalid(name, msg("open311.parameter_once"))
        params[name] = value
    return params


async def get_parameters(request: Request) -> dict[str, str]:
    """The request's parameters: query string, and the form body of a POST."""
    pairs = list(request.query_params.multi_items())
    if request.method == "POST":
        content_type = normalise_content_type(request.headers.get("content-type"))
        raw = await read_body_limited(
            request.stream(),
            content_length=declared_length(request.headers),
            max_bytes=request.app.state.settings.max_json_bytes,
        )
        if raw and content_type != FORM:
            raise _invalid("Content-Type", msg("open311.form_required", form=FORM))
        try:
            pairs += parse_qsl(
                raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_PARAMETERS
            )
        except (UnicodeDecodeError, ValueError):
            raise _invalid("body", msg("open311.form_encoding")) from None
    if len(pairs) > MAX_PARAMETERS:
        raise _invalid("body", msg("open311.too_many_parameters"))
    return _collect(pairs)


Parameters = Annotated[dict[str, str], Depends(get_parameters)]


def get_lang(request: Request) -> Lang:
    return negotiate(request.headers.get("accept-language"))


LangDep = Annotated[Lang, Depends(get_lang)]


async def get_open311_client(
    request: Request,
    session: SessionDep,
    params: Parameters,
    _in_query: Annotated[str | None, Depends(api_key_query)],
    x_api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The open311_client key of the call (see the module docstring for the answers)."""
    key = params.get("api_key") or (x_api_key or "").strip()
    if not key:
        raise _invalid("api_key", msg("open311.api_key_required"))
    principal = await authentication.principal_for_api_key(
        session, settings=request.app.state.settings, key=key
    )
    if (
        principal is None
        or principal.role != ApiKeyRole.open311_client
        or not principal.province_code
    ):
        raise Forbidden(msg("open311.api_key_invalid"))
    return principal


Open311Client = Annotated[Principal, Depends(get_open311_client)]


def _list(params: dict[str, str], name: str) -> list[str] | None:
    if name not in params:
        return None
    return [v.strip() for v in params[name].split(",") if v.strip()]


def _moment(params: dict[str, str], name: str, *, end: bool) -> datetime | None:
    """A W3C date-time (with offset; without one, Vietnamese local time) or a date: a date
    starts at local midnight; as ``end_date`` it covers the whole day."""
    value = params.get(name)
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1 if end else 0), time(), LOCAL_TZ)
            moment = moment - timedelta(microseconds=1) if end else moment
        else:
            moment = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise _invalid(name, msg("open311.datetime")) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)
    problem = instant_problem(moment)
    if problem is not None:
        raise _invalid(name, problem)
    return moment


def get_request_query(params: Parameters) -> RequestQuery:
    """GET requests' filters from the parameters."""
    ids = _list(params, "service_request_id")
    if ids is not None and len(ids) > MAX_REQUEST_IDS:
        raise _invalid("service_request_id", msg("open311.too_many_ids", max_items=MAX_REQUEST_IDS))
    statuses = _list(params, "status")
    if statuses is not None and not set(statuses) <= {"open", "closed"}:
        raise _invalid("status", msg("open311.status_choice"))
    return RequestQuery(
        service_request_ids=ids,
        service_codes=_list(params, "service_code"),
        start=_moment(params, "start_date", end=False),
        end=_moment(params, "end_date", end=True),
        statuses=frozenset(statuses) if statuses is not None else None,
    )


RequestQueryDep = Annotated[RequestQuery, Depends(get_request_query)]


def get_submit_idempotency(
    request: Request,
    client: Open311Client,
    params: Parameters,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Optional: a retry with the same key and parameters within 24 hours "
            "answers the first response and files nothing.",
        ),
    ] = None,
) -> IdempotencyKey | None:
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise _invalid("Idempotency-Key", msg("idempotency_key_length", max_length=MAX_KEY_LENGTH))
    # The fingerprint is a digest of the parameters; the key itself is not part of it.
    document = {name: value for name, value in params.items() if name != "api_key"}
    return idempotency_key(
        request.app.state.settings.receipt_key,
        key=key,
        actor=client,
        fingerprint=request_fingerprint(document, []),
    )


SubmitIdempotency = Annotated[IdempotencyKey | None, Depends(get_submit_idempotency)]
