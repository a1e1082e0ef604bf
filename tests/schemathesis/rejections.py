"""Schema-valid requests the API rightly refuses, and why the OpenAPI document cannot say so.

schemathesis' ``positive_data_acceptance`` sends requests that fit the document and expects
them accepted. Where the document can tell the truth it does (patterns of codes and periods,
enums of event types, lengths of keys). What is left are rules no OpenAPI schema expresses:

- a reference to a row that must exist (a province, commune, unit, category, organization or
  movement model code; a user id): the codes change with administrative mergers, so an enum
  would lie after the first change-set;
- a rule across fields or parameters (``period`` or ``from``/``to``, a role's scope fields, a
  place given by commune code or coordinates, a change-set's codes used once);
- a value that depends on stored state (the caller's current password, a day of the year the
  path names, a cursor the server signed).

Each operation lists the ``errors[]`` items (``field``, ``code``) its rules answer with; a
refusal passes only when every item of it is listed for that operation. Any other 4xx of a
schema-valid request still fails the check.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any
from xml.etree import ElementTree

from schemathesis.core import NotSet
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.transport.serialization import contains_binary

# A reference to a row that may not exist: every code or id the rules look up answers
# `invalid_format` ("no such province") or `not_found` naming the field.
_CODES = ("province_code", "commune_code", "unit_code", "parent_code", "category_code")
REFERENCES = frozenset(
    (field, code) for field in _CODES for code in ("invalid_format", "not_found")
)
# `period` or `from`/`to`, not both; a period or a day that does not exist (2026-02-30).
WINDOW = frozenset(
    (field, code)
    for field in ("period", "from", "to")
    for code in ("extra_forbidden", "invalid_format", "out_of_range")
)

# A name (app.accounts.schemas.Name: units, categories, organizations, keys, users) holds no
# control characters; the document does not spell that out as a pattern (a pattern would also
# have to describe the trimming before it), so on every operation it is a listed refusal.
NAMES = frozenset((field, "invalid_format") for field in ("name", "name_en", "full_name"))

EXPLAINED: dict[str, frozenset[tuple[str, str]]] = {
    # ... and a department unit names its department (a rule across `kind` and `department`).
    "POST /api/v1/units": REFERENCES | {("department", "missing")},
    # ... and its parent organization, in the same province.
    "POST /api/v1/organizations": REFERENCES | {("parent_id", "invalid_format")},
    "POST /api/v1/api-keys": REFERENCES,
    "POST /api/v1/movement-models": REFERENCES,
    # A webhook's URL must be http(s) and resolve to a public address (no SSRF).
    "POST /api/v1/webhooks": REFERENCES | {("url", "invalid_format")},
    # The role decides which scope field it needs (unit_code, province_code, organization_id)
    # and refuses the others (`extra_forbidden`); a password is not among 30,000 common ones,
    # nor the username.
    "POST /api/v1/users": REFERENCES
    | {
        (field, code)
        for field in ("unit_code", "province_code", "organization_id", "password", "full_name")
        for code in ("invalid_format", "missing")
    }
    | {(field, "extra_forbidden") for field in ("unit_code", "province_code", "organization_id")}
    | {("username", "too_short")},  # counted once trimmed
    "PATCH /api/v1/users/{user_id}": REFERENCES
    | {
        (field, code)
        for field in ("unit_code", "province_code", "organization_id", "password")
        for code in ("invalid_format", "missing")
    }
    | {(field, "extra_forbidden") for field in ("unit_code", "province_code", "organization_id")},
    # The place is a commune code or coordinates, or explicitly unknown with a province; an
    # anonymous tip carries no reporter, an identified one a name and a contact.
    "POST /api/v1/tips": REFERENCES
    | {
        ("location*", "missing"),
        ("location*", "invalid_format"),
        # a field sent where its condition does not hold: a place with location_unknown,
        # organization fields not on behalf of one, intake records off staff channels, ...
        ("*", "extra_forbidden"),
        ("reporter*", "missing"),  # an identified reporter: a name, and a phone or e-mail
        # organization fields only on behalf of one; a movement model only on Front tips
        ("organization_name", "missing"),
        ("movement_model", "invalid_choice"),  # not a model open to the province
        ("tip_type", "invalid_choice"),
        ("channel", "invalid_choice"),
        ("anonymous", "invalid_choice"),  # on behalf of an organization: not anonymous
        ("intake_record", "invalid_choice"),
        ("description", "too_short"),  # 10 characters or more, counted trimmed
        ("files", "missing"),  # a recorded intake comes with its recording
        # a time before 1900 (app.core.validation.EARLIEST_YEAR): a date-time's schema has
        # no minimum (found at year 0431 on both databases)
        ("occurred_at", "out_of_range"),
        ("*received_at", "out_of_range"),
    },
    # The state machine decides which status may follow (`merged` has its own endpoint).
    # ... and some transitions need a note (a rejection says why).
    "POST /api/v1/tips/{tip_id}/transitions": frozenset(
        {
            ("to", "invalid_choice"),
            ("note", "missing"),
            ("outcome_summary", "extra_forbidden"),
            # "resolved" needs an outcome valid for the tip's kind, and only "resolved" takes one.
            ("outcome", "missing"),
            ("outcome", "invalid_choice"),
            ("outcome", "extra_forbidden"),
        }
    ),
    "POST /api/v1/tips/{tip_id}/corrections": REFERENCES
    | {
        ("category_code", "unknown_category"),
        ("tip_type", "invalid_choice"),
        ("", "nothing_to_correct"),  # every field sent equals the tip's
        ("location", "missing"),
    },
    # The assignee must be an officer or lead of the tip's unit; the unit must exist.
    "POST /api/v1/tips/{tip_id}/assign": frozenset({("assignee_id", "invalid_choice")}),
    "POST /api/v1/tips/{tip_id}/transfer": frozenset({("unit_code", "invalid_choice")}),
    # A new deadline must come after the current one.
    "POST /api/v1/tips/{tip_id}/deadline-extensions": frozenset({("until", "out_of_range")}),
    # At least one file, and of a kind the content sniffing recognizes.
    "POST /api/v1/tips/{tip_id}/attachments": frozenset(
        {
            ("files", "missing"),
            ("files*", "invalid_format"),
            ("files*", "invalid_choice"),  # a type not among the accepted ones
            ("*", "extra_forbidden"),
        }
    ),
    # schemathesis' generator reads `^password$` as Python does, where `$` also matches
    # before a final newline: it sends "password\n", which the JSON Schema pattern refuses.
    "POST /api/v1/auth/token": frozenset({("grant_type", "invalid_format")}),
    # `reporter` comes with kind `correction`, and only with it.
    "POST /api/v1/privacy/requests": frozenset({("body", "invalid_format")}),
    "POST /api/v1/track/privacy-requests": frozenset({("body", "invalid_format")}),
    "POST /api/v1/auth/password": frozenset(
        {("current_password", "invalid_format"), ("new_password", "invalid_format")}
    ),
    # Two different dimensions at most, of a list.
    "GET /api/v1/stats/summary": WINDOW | {("group_by", "invalid_choice")},
    "GET /api/v1/stats/sla": WINDOW,
    "GET /api/v1/stats/hotspots": WINDOW,
    "GET /api/v1/exports/tips.csv": WINDOW,
    "GET /api/v1/exports/tips.xlsx": WINDOW,
    "GET /api/v1/exports/review.xlsx": WINDOW,
    "GET /api/v1/privacy/disclosures": WINDOW,
    "GET /api/v1/front/stats": WINDOW,
    # Each day must be a day of the year in the path, once.
    "PUT /api/v1/calendar/{year}": frozenset({("days.*.date", "invalid_format")}),
    # A commune or province code is used once in a change-set, and must exist where named.
    "POST /api/v1/admin-units/change-sets": frozenset({("changes.*", "invalid_format")}),
    # Open311 keeps GeoReport's loose form fields (every one a string); the adapter's rules
    # name the field: dates from 1900 in RFC 3339, `open`/`closed`, a service that exists, a
    # description of 10 characters or more, coordinates that are numbers in Viet Nam.
    "GET /open311/v2/requests.{response_format}": frozenset(
        (f, "400") for f in ("status", "start_date", "end_date", "service_request_id")
    ),
    "POST /open311/v2/requests.{response_format}": frozenset(
        (f, "400")
        for f in (
            "Idempotency-Key",  # 1 to 128 characters, counted as characters
            "api_key",  # once: in the query, the form or X-API-Key
            "service_code",
            "description",
            "lat",
            "long",
            "attribute[commune_code]",
            "attribute[legacy_commune_code]",
            "attribute[urgent]",
            "attribute[anonymous]",
            "attribute[occurred_at]",
            "email",
            "phone",
            "first_name",
            "last_name",
            "address_string",
            "location",
        )
    ),
}
# Cursors are signed by the server: a string that fits the pattern is still not one it made.
CURSOR_CODE = "invalid_cursor"


def _errors(body: Any) -> list[tuple[str, str]]:
    """(field, code) of each item of a problem's ``errors[]``, or of an Open311 error list
    (``[{"code": 400, "description": "field: ..."}]``)."""
    if isinstance(body, dict):
        return [(str(e.get("field")), str(e.get("code"))) for e in body.get("errors") or []]
    if isinstance(body, list):
        return [
            (str(e.get("description", "")).partition(":")[0], str(e.get("code")))
            for e in body
            if isinstance(e, dict)
        ]
    return []


def _sent_body_is_valid(case: Any) -> bool:
    """Whether the body sent fits its schema, judged again with schemathesis' own validator:
    its generator takes ``$`` as Python does (``"a\\n"`` fits ``^[a-z]+$``) and its coverage
    phase labels some boundary values positive (``0`` for a ``minimum`` of 1)."""
    if case.body is None or isinstance(case.body, NotSet) or case.media_type is None:
        return True
    if contains_binary(case.body):  # file parts: the schema says nothing of their bytes
        return True
    validator = case.operation.schema.adapter.jsonschema_validator_cls
    try:
        return bool(case._validate_component(ParameterLocation.BODY, case.body, validator))
    except Exception:  # a body the validator cannot read (binary parts): judged as sent
        return True


def _parsed(content: bytes) -> Any:
    """JSON, or Open311's XML errors as the list its JSON form would be."""
    try:
        return json.loads(content)
    except ValueError:
        pass
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return None
    return [
        {"code": e.findtext("code"), "description": e.findtext("description")}
        for e in root.iter("error")
    ]


def _explained(label: str, status: int, body: Any) -> bool:
    if status not in (400, 415, 422):
        return False
    if isinstance(body, dict) and body.get("code") == CURSOR_CODE:
        return True
    allowed = EXPLAINED.get(label, frozenset()) | NAMES
    errors = _errors(body)
    return bool(errors) and all(
        any((field == f or fnmatchcase(field, f)) and code == c for f, c in allowed)
        for field, code in errors
    )


def positive_data_acceptance_explained(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' ``positive_data_acceptance``, but for the refusals listed above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if not _sent_body_is_valid(case):
            return None
        if _explained(case.operation.label, response.status_code, _parsed(response.content)):
            return None
        raise
