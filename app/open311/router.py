"""Open311 GeoReport v2 (tag "open311"), under /open311/v2, in JSON and XML.

Every route here answers errors the Open311 way — ``[{"code", "description"}]``, or
``<errors><error>…`` for ``.xml`` paths — never problem+json (``responses.Open311Route``); a
catch-all route does the same for unknown paths and methods below /open311/v2. The adapter's
decisions are listed in ``app.open311.service``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.routing import APIRoute
from starlette.routing import Match

from app.core.db import SessionDep
from app.core.messages import msg
from app.core.ratelimit import INTAKE, limit
from app.open311 import reading, service
from app.open311.dependencies import (
    LangDep,
    Open311Client,
    Parameters,
    RequestQueryDep,
    SubmitIdempotency,
)
from app.open311.errors import Open311Error, not_found
from app.open311.responses import Open311Route, respond
from app.open311.schemas import (
    Discovery,
    Open311ErrorOut,
    ResponseFormat,
    ServiceDefinition,
    ServiceOut,
    ServiceRequestCreated,
    ServiceRequestOut,
    TokenOut,
)
from app.tips.dependencies import IntakeContextDep, Now

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "model": list[Open311ErrorOut],
        "description": description,
        "content": {"text/xml": {"schema": {"type": "string"}}},
    }
    for status, description in (
        (400, "A missing or invalid parameter (Open311 errors)."),
        (403, "The api_key is invalid, revoked or not an open311_client key."),
        (404, "Unknown service, service request outside the key's province, or unknown path."),
        ("default", "Any other error of the adapter (405, 409, 429, 5xx), in the same shape."),
    )
}
XML_TOO: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/xml": {"schema": {"type": "string"}}}},
}
CODE_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
ID_PATTERN = r"^[A-Za-z0-9-]{1,40}$"
FormatPath = Annotated[
    ResponseFormat, Path(description="json, or xml for the GeoReport v2 XML documents.")
]
API_KEY_NOTE = (
    "\n\n`api_key` (query or form parameter, or `X-API-Key`): an `open311_client` key. "
    "Missing: 400; unknown, revoked or another role: 403. Only the key's province is visible: "
    "a service request elsewhere answers 404."
)


# --- discovery and services (public) -----------------------------------------------------


@router.get(
    "/discovery.{response_format}",
    response_model=Discovery,
    responses={**XML_TOO, 404: ERRORS[404], "default": ERRORS["default"]},
    summary="Service discovery",
)
async def discovery(request: Request, response_format: FormatPath) -> Response:
    settings = request.app.state.settings
    document = service.discovery(
        base_url=str(request.base_url), production=settings.mode == "production"
    )
    return respond(response_format, document, root="discovery")


@router.get(
    "/services.{response_format}",
    response_model=list[ServiceOut],
    responses={**XML_TOO, 404: ERRORS[404], "default": ERRORS["default"]},
    summary="The services (tip categories)",
)
async def list_services(
    session: SessionDep, lang: LangDep, response_format: FormatPath
) -> Response:
    """Every tip category is a service: `group` is its kind (`crime`, `security_order`),
    names are Vietnamese, English with `Accept-Language: en`."""
    services = await service.list_services(session, lang=lang)
    return respond(response_format, services, root="services", item="service")


@router.get(
    "/services/{service_code}.{response_format}",
    response_model=ServiceDefinition,
    responses={**XML_TOO, 404: ERRORS[404], "default": ERRORS["default"]},
    summary="A service's definition (the attributes a request may carry)",
)
async def get_service_definition(
    session: SessionDep,
    lang: LangDep,
    service_code: Annotated[str, Path(pattern=CODE_PATTERN)],
    response_format: FormatPath,
) -> Response:
    definition = await service.service_definition(session, service_code=service_code, lang=lang)
    return respond(response_format, definition, root="service_definition")


# --- service requests (api_key) ----------------------------------------------------------


@router.get(
    "/requests.{response_format}",
    response_model=list[ServiceRequestOut],
    responses={**XML_TOO, **ERRORS},
    summary="Service requests of the key's province",
    description="Newest first, at most 1000. With `service_request_id` (comma-separated) the "
    "other filters are ignored. Without dates: the last 90 days; a range is at most 90 days. "
    "Dates are RFC 3339 (without an offset: Vietnamese time; a bare date covers the day). "
    "`description` is always null: what a reporter wrote is not given to machine clients."
    + API_KEY_NOTE,
)
async def list_requests(
    session: SessionDep,
    lang: LangDep,
    client: Open311Client,
    query: RequestQueryDep,
    now: Now,
    response_format: FormatPath,
    # Declared for the documentation; read through the Parameters dependency.
    service_request_id: Annotated[str | None, Query()] = None,
    service_code: Annotated[str | None, Query()] = None,
    start_date: Annotated[str | None, Query()] = None,
    end_date: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query(description="open, closed or both")] = None,
) -> Response:
    requests = await reading.list_requests(session, client=client, query=query, lang=lang, now=now)
    return respond(response_format, requests, root="service_requests", item="request")


SUBMIT_DESCRIPTION = """
File a tip (channel `open311`) in the key's province. Form parameters
(`application/x-www-form-urlencoded`; `api_key` may also be in the query):

* `service_code` (a category code) and `description` (10–5000 characters), required;
* the place: `lat` and `long`, or `attribute[commune_code]` (today's or a pre-2025 code; or
  `attribute[legacy_commune_code]`), with an optional `address_string`. A place outside the
  key's province answers 400;
* `attribute[urgent]`, `attribute[anonymous]` (`true`/`false`), `attribute[occurred_at]`,
  `attribute[persons_involved]`; other attributes answer 400 (see the service definition);
* the reporter: anonymous unless `first_name`/`last_name` and a `phone` or `email` are given
  (then stored encrypted, as every reporter identity); with `attribute[anonymous]=true` they
  are discarded. `device_id`, `account_id` and `address_id` are ignored; `media_url` is refused;
  `jurisdiction_id` is accepted and ignored (one jurisdiction per server).

The answer is `[{"service_request_id", "service_notice", "account_id": null}]`; it never
repeats personal data, and never holds the reporter's receipt. No token is issued.
Optional `Idempotency-Key` header: a retry with the same key and parameters answers the first
response and files nothing.
"""

_FORM_SCHEMA = {
    "type": "object",
    "required": ["service_code", "description"],
    "additionalProperties": {"type": "string"},  # each parameter once
    "properties": {
        name: {"type": "string"}
        for name in (
            "api_key",
            "jurisdiction_id",
            "service_code",
            "description",
            "lat",
            "long",
            "address_string",
            "first_name",
            "last_name",
            "phone",
            "email",
            "device_id",
            "account_id",
            "address_id",
            "attribute[commune_code]",
            "attribute[legacy_commune_code]",
            "attribute[urgent]",
            "attribute[anonymous]",
            "attribute[occurred_at]",
            "attribute[persons_involved]",
        )
    },
}


@router.post(
    "/requests.{response_format}",
    status_code=201,
    dependencies=[Depends(limit(INTAKE))],  # the same per-address limit as /api/v1/tips
    response_model=list[ServiceRequestCreated],
    responses={201: {"content": {"text/xml": {"schema": {"type": "string"}}}}, **ERRORS},
    summary="Submit a service request (a tip)",
    description=SUBMIT_DESCRIPTION + API_KEY_NOTE,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA}},
        }
    },
)
async def submit_request(
    session: SessionDep,
    lang: LangDep,
    client: Open311Client,
    params: Parameters,
    idempotency: SubmitIdempotency,
    context: IntakeContextDep,
    now: Now,
    response_format: FormatPath,
) -> Response:
    try:
        created = await service.submit_request(
            session,
            client=client,
            params=params,
            context=context,
            idempotency=idempotency,
            lang=lang,
            now=now,
        )
    except Exception:
        # The error becomes an Open311 answer, so the session dependency sees no exception:
        # undo whatever was flushed before it commits.
        await session.rollback()
        raise
    return respond(
        response_format, [created], root="service_requests", item="request", status_code=201
    )


@router.get(
    "/requests/{service_request_id}.{response_format}",
    response_model=list[ServiceRequestOut],
    responses={**XML_TOO, **ERRORS},
    summary="One service request",
    description="A one-item list, as the spec answers." + API_KEY_NOTE,
)
async def get_request(
    session: SessionDep,
    lang: LangDep,
    client: Open311Client,
    service_request_id: Annotated[str, Path(pattern=ID_PATTERN)],
    response_format: FormatPath,
) -> Response:
    found = await reading.get_request(
        session, client=client, service_request_id=service_request_id, lang=lang
    )
    return respond(response_format, found, root="service_requests", item="request")


@router.get(
    "/tokens/{token}.{response_format}",
    response_model=list[TokenOut],
    responses={**XML_TOO, **ERRORS},
    summary="A token's service request",
    description="TinBáo answers POST requests with the service_request_id at once and issues "
    "no tokens; a service_request_id is accepted as its own token." + API_KEY_NOTE,
)
async def get_token(
    session: SessionDep,
    client: Open311Client,
    token: Annotated[str, Path(pattern=ID_PATTERN)],
    response_format: FormatPath,
) -> Response:
    resolved = await reading.resolve_token(session, client=client, token=token)
    return respond(response_format, [resolved], root="service_requests", item="request")


# --- anything else below /open311/v2 -----------------------------------------------------


@router.api_route(
    "/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def unknown_endpoint(request: Request, path: str) -> Response:
    """An Open311 404 for unknown paths, 405 for a known path with another method."""
    allowed: set[str] = set()
    for route in router.routes:
        if isinstance(route, APIRoute) and route.endpoint is not unknown_endpoint:
            match, _ = route.matches(request.scope)
            if match is Match.PARTIAL:
                allowed |= route.methods or set()
    if allowed:
        raise Open311Error(
            405,
            msg("open311.method_not_allowed"),
            headers={"Allow": ", ".join(sorted(allowed))},
        )
    raise not_found()
