from __future__ import annotations

from pydantic import BaseModel, Field

from app.admin_units.models import ProvinceType


class ProvinceOut(BaseModel):
    code: str = Field(examples=["79"])
    name: str = Field(description="Official full name.", examples=["Thành phố Hồ Chí Minh"])
    short_name: str = Field(examples=["Hồ Chí Minh"])
    name_en: str = Field(examples=["Ho Chi Minh City"])
    type: ProvinceType


class CommuneRef(BaseModel):
    code: str = Field(examples=["26740"])
    name: str = Field(examples=["Phường Sài Gòn"])


class LegacyInfo(BaseModel):
    """Where a pre-2025 commune was (its district and province no longer exist)."""

    district_name: str = Field(examples=["Quận 1"])
    province_code: str = Field(examples=["79"])
    province_name: str = Field(examples=["Thành phố Hồ Chí Minh"])


class CommuneOut(BaseModel):
    """A commune as it is today, or a pre-2025 commune (``legacy`` set) and what it became."""

    code: str = Field(examples=["26740"])
    name: str = Field(description="Official full name.", examples=["Phường Sài Gòn"])
    short_name: str = Field(examples=["Sài Gòn"])
    name_en: str | None = Field(default=None, description="Null for a pre-2025 commune.")
    type: str = Field(
        description="`xa`, `phuong` or `dac_khu`; a pre-2025 commune may also be `thi_tran`.",
        examples=["phuong"],
    )
    province_code: str = Field(
        description="Today's province (for a retired or pre-2025 code: its successor's).",
        examples=["79"],
    )
    merged_into: str | None = Field(
        default=None,
        description="For a code retired by a merger: today's commune it became part of.",
    )
    legacy: LegacyInfo | None = Field(
        default=None, description="Set when this is a pre-2025 commune code."
    )
    candidates: list[CommuneRef] | None = Field(
        default=None,
        description="In search results, for a pre-2025 commune split among several "
        "communes: the communes it became (then `merged_into` is null).",
    )
