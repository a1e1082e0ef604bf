"""Request and response bodies of the administration endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.admin_units.models import CommuneType, ProvinceType
from app.core.validation import JSON_INT, DayText, JsonBool, TimeText
from app.units.models import CalendarDayKind, CategoryKind, UnitKind
from app.units.routing import DEPARTMENT_SUFFIXES, ROUTE_TARGETS

Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
Name = Annotated[str, Field(min_length=1, max_length=120)]
RouteTo = Literal["commune", "CSDT", "PA05", "PC04", "PC07", "PC08", "ANCT", "duty_desk"]
Department = Literal["CSDT", "PA05", "PC04", "PC07", "PC08", "ANCT"]
assert set(RouteTo.__args__) == set(ROUTE_TARGETS)  # type: ignore[attr-defined]
assert set(Department.__args__) == set(DEPARTMENT_SUFFIXES)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- categories ---------------------------------------------------------------------------


class CategoryFields(_Strict):
    name: Name | None = None
    name_en: Name | None = None
    kind: CategoryKind | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    route_to: RouteTo | None = None
    watch_departments: list[Department] | None = Field(None, max_length=6)
    acknowledge_working_days: Annotated[int, Field(ge=0, le=30), JSON_INT] | None = None
    resolve_days: Annotated[int, Field(ge=1, le=365), JSON_INT] | None = None
    sort_order: Annotated[int, Field(ge=0, le=10_000), JSON_INT] | None = None
    active: JsonBool | None = None


class CategoryCreate(CategoryFields):
    code: Code
    name: Name
    name_en: Name
    kind: CategoryKind


class CategoryAdminOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    name_en: str
    kind: CategoryKind
    description: str
    route_to: str
    watch_departments: list[str]
    acknowledge_working_days: int
    resolve_days: int
    sort_order: int
    active: bool


class ProvinceRuleIn(_Strict):
    route_to: RouteTo
    watch_departments: list[Department] = Field(default_factory=list, max_length=6)


class ProvinceRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    category_code: str
    province_code: str
    route_to: str
    watch_departments: list[str]


# --- police units -------------------------------------------------------------------------


class UnitCreate(_Strict):
    code: Annotated[str, Field(min_length=5, max_length=32, pattern=r"^CA[TX]-[0-9A-Z-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: UnitKind
    province_code: Annotated[str, Field(min_length=2, max_length=2)]
    commune_code: Annotated[str, Field(min_length=5, max_length=5)] | None = None
    department: Department | None = None
    parent_code: Annotated[str, Field(max_length=32)] | None = None
    remote: JsonBool = False


class UnitPatch(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    remote: JsonBool | None = None
    active: JsonBool | None = None
    parent_code: Annotated[str, Field(max_length=32)] | None = None


# --- calendar -----------------------------------------------------------------------------


class CalendarDayIn(_Strict):
    date: Annotated[date, DayText]
    kind: CalendarDayKind
    name: Annotated[str, Field(min_length=1, max_length=120)]


class CalendarIn(_Strict):
    days: list[CalendarDayIn] = Field(max_length=120)


class CalendarDayOut(BaseModel):
    date: date
    kind: CalendarDayKind
    name: str


class CalendarOut(BaseModel):
    year: int
    confirmed: bool = Field(
        description="False for a year whose days are shipped defaults nobody confirmed yet."
    )
    days: list[CalendarDayOut]
    recomputed_tips: int | None = Field(
        None, description="After a change: open tips whose `acknowledge_by` moved."
    )


# --- movement models ----------------------------------------------------------------------


class MovementModelCreate(_Strict):
    code: Code
    name: Name
    province_code: Annotated[str, Field(min_length=2, max_length=2)] | None = Field(
        None, description="None for a national model (admin only)."
    )


class MovementModelPatch(_Strict):
    name: Name | None = None
    active: JsonBool | None = None


class MovementModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    province_code: str | None
    active: bool


# --- administrative change-sets -----------------------------------------------------------


class NewCommune(_Strict):
    code: Annotated[str, Field(min_length=5, max_length=5, pattern=r"^[0-9]{5}$")]
    name: Name
    type: CommuneType


class SplitPart(NewCommune):
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon (EPSG:4326).")


class NewProvince(_Strict):
    code: Annotated[str, Field(min_length=2, max_length=2, pattern=r"^[0-9]{2}$")]
    name: Name
    type: ProvinceType


class MergeCommunes(_Strict):
    type: Literal["merge_communes"]
    from_: list[str] = Field(alias="from", min_length=2, max_length=20)
    into: NewCommune


class SplitCommune(_Strict):
    type: Literal["split_commune"]
    from_: str = Field(alias="from", min_length=5, max_length=5)
    into: list[SplitPart] = Field(min_length=2, max_length=20)


class RenameCommune(_Strict):
    """``type`` names the change, so the commune's new type is ``commune_type``."""

    type: Literal["rename_commune"]
    code: Annotated[str, Field(min_length=5, max_length=5)]
    name: Name
    commune_type: CommuneType

    def as_new(self) -> NewCommune:
        return NewCommune(code=self.code, name=self.name, type=self.commune_type)


class MoveCommune(_Strict):
    type: Literal["move_commune"]
    code: Annotated[str, Field(min_length=5, max_length=5)]
    province_code: Annotated[str, Field(min_length=2, max_length=2)]


class RenameProvince(_Strict):
    """``type`` names the change, so the province's new type is ``province_type``."""

    type: Literal["rename_province"]
    code: Annotated[str, Field(min_length=2, max_length=2)]
    name: Name
    province_type: ProvinceType

    def as_new(self) -> NewProvince:
        return NewProvince(code=self.code, name=self.name, type=self.province_type)


class MergeProvinces(_Strict):
    type: Literal["merge_provinces"]
    from_: list[str] = Field(alias="from", min_length=2, max_length=10)
    into: NewProvince


Change = Annotated[
    MergeCommunes | SplitCommune | RenameCommune | MoveCommune | RenameProvince | MergeProvinces,
    Field(discriminator="type"),
]


class ChangeSetIn(_Strict):
    effective_at: Annotated[AwareDatetime, TimeText]
    note: Annotated[str, Field(max_length=2000)] = ""
    dry_run: JsonBool = True
    changes: list[Change] = Field(min_length=1, max_length=200)


class Reroute(BaseModel):
    from_unit: str
    to_unit: str
    open_tips: int


class ManualRouting(BaseModel):
    tip_id: str
    reference: str
    unit_code: str


class ChangeSetReport(BaseModel):
    communes_retired: list[str] = Field(default_factory=list)
    communes_created: list[str] = Field(default_factory=list)
    units_created: list[str] = Field(default_factory=list)
    units_retired: list[str] = Field(default_factory=list)
    reroutes: list[Reroute] = Field(default_factory=list)
    needs_manual_routing: list[ManualRouting] = Field(
        default_factory=list,
        description="Open tips of a split commune without a point: now at the province duty "
        "desk, to be routed by hand.",
    )


class ChangeSetOut(ChangeSetReport):
    id: str | None = Field(None, description="Set when applied (not for a dry run).")
    dry_run: bool
    effective_at: datetime
    note: str = ""
    applied_at: datetime | None = None
    applied_by: str | None = None


class ChangeSetListed(ChangeSetOut):
    document: dict[str, Any] = Field(
        description="The change-set as it was given (without `dry_run`), geometries included."
    )


class ChangeSetPage(BaseModel):
    items: list[ChangeSetListed]
    next_cursor: str | None
