from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.units.models import CategoryKind, UnitKind


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(examples=["CAX-26740"])
    name: str = Field(examples=["Công an phường Sài Gòn"])
    kind: UnitKind
    department: str | None = Field(
        default=None, description="For a provincial department: CSDT, PA05, PC04, PC07, PC08, ANCT."
    )
    province_code: str = Field(examples=["79"])
    commune_code: str | None = Field(default=None, examples=["26740"])
    parent_code: str | None = Field(default=None, examples=["CAT-79"])
    remote: bool = Field(
        description="Remote or island unit: 48 hours instead of 24 to forward crime tips."
    )
    active: bool


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(examples=["drugs"])
    name: str = Field(examples=["Ma túy"])
    name_en: str = Field(examples=["Drugs"])
    kind: CategoryKind
    description: str
