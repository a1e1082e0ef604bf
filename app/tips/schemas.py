"""Intake and reporter follow-up: what clients send and what they get back."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from app.core.validation import (
    JSON_NUMBER,
    JsonBool,
    JsonInt,
    LocalDateTime,
    PlausibleInstant,
)
from app.media.schemas import AttachmentOut
from app.tips.models import Channel, MessageDirection, PublicStatus, TipStatus

_PHONE = r"^\+?[0-9][0-9 .()\-]{5,23}$"
_EMAIL = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LocationIn(_Strict):
    commune_code: str | None = Field(
        None, pattern=r"^\d{5}$", description="Today's commune code (a pre-2025 code is mapped)."
    )
    legacy_commune_code: str | None = Field(
        None, pattern=r"^\d{5}$", description="Explicitly a pre-2025 commune code."
    )
    province_code: str | None = Field(
        None, pattern=r"^\d{2}$", description="Required with location_unknown."
    )
    address: str | None = Field(None, max_length=500)
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False), JSON_NUMBER] | None = None
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False), JSON_NUMBER] | None = None


class ReporterIn(_Strict):
    full_name: str | None = Field(None, min_length=1, max_length=200)
    phone: str | None = Field(None, pattern=_PHONE, max_length=24)
    email: str | None = Field(None, pattern=_EMAIL, max_length=254)
    address: str | None = Field(None, max_length=500)


class WebPushKeys(_Strict):
    p256dh: str = Field(min_length=16, max_length=200, pattern=r"^[A-Za-z0-9_-]+=*$")
    auth: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+=*$")


class WebPushSubscription(_Strict):
    """A browser's PushSubscription (``subscription.toJSON()``)."""

    endpoint: str = Field(min_length=10, max_length=2048, pattern=r"^https?://\S+$")
    keys: WebPushKeys
    expirationTime: JsonInt | None = None  # the browser's field name


class NotifyIn(_Strict):
    """Where the reporter wants notices about this tip; not an identity. ``{}``: none."""

    email: str | None = Field(None, pattern=_EMAIL, max_length=254)
    phone: str | None = Field(None, pattern=_PHONE, max_length=24)
    web_push: WebPushSubscription | None = None
    locale: Literal["vi", "en"] = Field("vi", description="Language of the notices.")


class IntakeRecordIn(_Strict):
    """The receipt record (biên bản tiếp nhận) of a walk-in or hotline intake."""

    place: str | None = Field(
        None, min_length=1, max_length=300, description="Where it was received; default: the unit."
    )
    received_at: PlausibleInstant | None = Field(
        None, description="When the caller or visitor was received; default: now."
    )
    recorded: JsonBool = Field(
        False, description="An audio/video recording of the intake was made."
    )
    notes: str | None = Field(None, max_length=5000)


class TipCreate(_Strict):
    """A new tip. Rules across fields are listed in the endpoint's description."""

    category_code: str = Field(min_length=1, max_length=40)
    description: str = Field(min_length=10, max_length=5000)
    occurred_at: PlausibleInstant | None = Field(
        None, description="When it happened: from 1900 on, not in the future."
    )
    location: LocationIn = Field(default_factory=LocationIn)
    location_unknown: JsonBool = False
    urgent: JsonBool = False
    tip_type: Literal["to_giac", "tin_bao", "kien_nghi_khoi_to", "phan_anh"] | None = Field(
        None,
        description="Staff intake (hotline, walk_in) only: the kind of source, e.g. "
        "kien_nghi_khoi_to (a state body's request to prosecute); it must fit the category's "
        "kind. Otherwise derived (to_giac, tin_bao for organisations, phan_anh).",
    )
    anonymous: JsonBool = True
    reporter: ReporterIn | None = None
    on_behalf_of_organization: JsonBool = False
    organization_name: str | None = Field(None, min_length=1, max_length=200)
    organization_tax_code: str | None = Field(None, pattern=r"^\d{10}(-\d{3})?$")
    persons_involved: str | None = Field(None, max_length=5000)
    victim: str | None = Field(None, max_length=5000)
    channel: Channel = Channel.web
    movement_model: str | None = Field(
        None,
        min_length=1,
        max_length=40,
        description="Front tips: the code of the movement model it came from "
        "(`GET /api/v1/movement-models`: national, or of the organization's province).",
    )
    intake_record: IntakeRecordIn | None = None
    notify: NotifyIn | None = Field(
        None,
        description="Where to send notices about this tip (also for anonymous tips); stored "
        "encrypted, never shown to staff. Identified reporters are notified on their own "
        'phone/e-mail unless they send `"notify": {}`.',
    )


class UnitRef(BaseModel):
    code: str
    name: str


class TipCreated(BaseModel):
    """The answer to an intake. ``receipt`` is shown once: it is the reporter's credential."""

    id: str
    reference: str
    receipt: str
    status: TipStatus
    public_status: PublicStatus
    kind: str
    tip_type: str
    category_code: str
    assigned_unit: UnitRef
    watching_units: list[UnitRef]
    register_number: str
    commune_code: str | None
    province_code: str
    location_mismatch: bool
    urgent: bool
    acknowledge_by: LocalDateTime
    transfer_due_at: LocalDateTime | None
    due_at: LocalDateTime | None
    attachments: list[AttachmentOut]
    created_at: LocalDateTime


class TimelineItem(BaseModel):
    at: LocalDateTime
    public_status: PublicStatus
    message: str


class MessageOut(BaseModel):
    id: str
    direction: MessageDirection
    body: str
    at: LocalDateTime
    attachments: list[AttachmentOut]


class MessageCreate(_Strict):
    body: str = Field(min_length=1, max_length=5000)


class TrackedTip(BaseModel):
    """What a reporter sees of a tip: no internal notes, no officer, no reporter data."""

    reference: str
    category_code: str
    public_status: PublicStatus
    assigned_unit: UnitRef
    created_at: LocalDateTime
    updated_at: LocalDateTime
    outcome_summary: str | None
    timeline: list[TimelineItem]
    messages: list[MessageOut]
    attachments: list[AttachmentOut] = Field(
        description="The files the reporter sent with the tip."
    )


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema with every $ref resolved in place, for ``openapi_extra``
    (the request body is read by hand, so FastAPI does not put the model in components)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return {**resolve(defs[ref.rsplit("/", 1)[1]]), **resolve(rest)}
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


FILES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "format": "binary"},
    "description": "Photos, video, audio or PDF: JPEG, PNG, WebP, PDF, MP4, MOV, M4A, MP3, "
    "AAC, WAV. The type is decided by the content; images are re-encoded without metadata.",
}


def json_or_multipart_body(model: type[BaseModel], part: str) -> dict[str, Any]:
    """``openapi_extra`` of a body read by hand: JSON, or multipart with the JSON in ``part``
    and ``files`` parts (the body guard gives such operations the upload cap)."""
    schema = inline_schema(model)
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [part],
                        "properties": {part: schema, "files": FILES_SCHEMA},
                    },
                    "encoding": {part: {"contentType": "application/json"}},
                },
            },
        }
    }
