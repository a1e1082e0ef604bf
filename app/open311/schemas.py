"""GeoReport v2 documents, as the spec names their fields (http://wiki.open311.org/GeoReport_v2).

Each model is both the JSON shape and, through ``app.open311.xml``, the XML one. Nothing here
carries personal data: no reporter name, contact, device or account, no free text written by
a reporter (descriptions and addresses of other people stay inside TinBáo).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from app.core.validation import LocalDateTime


class ResponseFormat(StrEnum):
    json = "json"
    xml = "xml"


class Open311ErrorOut(BaseModel):
    """One error; an error answer is a list of them (XML: ``<errors><error>…``)."""

    code: int = Field(description="The HTTP status of the answer.", examples=[400])
    description: str = Field(examples=["service_code: No such service."])


class DiscoveryEndpoint(BaseModel):
    specification: str = Field(examples=["http://wiki.open311.org/GeoReport_v2"])
    url: str = Field(examples=["https://tinbao.vn/open311/v2"])
    changeset: LocalDateTime
    type: Literal["production", "test"]
    formats: list[str] = Field(examples=[["application/json", "text/xml"]])


class Discovery(BaseModel):
    changeset: LocalDateTime
    contact: str
    key_service: str
    endpoints: list[DiscoveryEndpoint]


class ServiceOut(BaseModel):
    """A tip category offered as an Open311 service."""

    service_code: str = Field(examples=["drugs"])
    service_name: str = Field(examples=["Ma túy"])
    description: str | None
    metadata: bool = Field(description="Always true: see the service definition's attributes.")
    type: Literal["realtime", "batch", "blackbox"] = Field(
        description="realtime: the POST answers with the service_request_id at once."
    )
    keywords: str | None
    group: str | None = Field(
        description="The category's kind: crime or security_order.", examples=["crime"]
    )


AttributeDatatype = Literal[
    "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"
]


class AttributeValue(BaseModel):
    key: str
    name: str


class ServiceAttribute(BaseModel):
    variable: bool
    code: str
    datatype: AttributeDatatype
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue] = Field(
        default_factory=list, description="The choices of a singlevaluelist; else empty."
    )


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[ServiceAttribute]


class ServiceRequestOut(BaseModel):
    """A tip as a service request. ``description`` is always null: what a person wrote is not
    handed to machine clients (it may name people); ``media_url`` is always null."""

    service_request_id: str = Field(description="The tip's reference.", examples=["TB-7K3M-9QXD"])
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None = Field(description="The assigned police unit.")
    service_notice: str | None
    requested_datetime: LocalDateTime
    updated_datetime: LocalDateTime | None
    expected_datetime: LocalDateTime | None = Field(
        description="While open: the deadline to resolve the tip."
    )
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class ServiceRequestCreated(BaseModel):
    service_request_id: str = Field(examples=["TB-7K3M-9QXD"])
    service_notice: str | None
    account_id: str | None = Field(description="Always null: TinBáo keeps no client accounts.")


class TokenOut(BaseModel):
    service_request_id: str
    token: str
