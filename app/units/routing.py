"""Which police unit receives a tip, and which watch it: a pure function of place and category.

Unit codes (API.md): ``CAX-<commune code>`` for each commune police, ``CAT-<province code>``
for each provincial police (its duty desk), ``CAT-<province code>-<department>`` for its
departments (CSDT, PA05, PC04, PC07, PC08, ANCT).

Rules, from the category (data an admin can change):

- ``route_to == "commune"``: the commune police of the place; with no commune (the place is
  unknown) the provincial duty desk, which routes by hand.
- ``route_to == <department>``: that department of the province's police.
- ``route_to == "duty_desk"``: the provincial duty desk.
- a province's own rule (``category_province_rules``) replaces the national one there.
- each of ``watch_departments`` gets a watching copy (drugs → PC04, fire hazards → PC07, ...).

When ``unit_codes`` (the units that exist and are active) is given, a target missing from it
falls back to the duty desk and a missing watcher is dropped, so no tip is ever routed to a
unit that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from app.units.models import Category

ROUTE_TO_COMMUNE = "commune"
ROUTE_TO_DUTY_DESK = "duty_desk"
# Where a category may route (API.md, Administration): the place's commune police, a
# department of the province's police, or the provincial duty desk.
DEPARTMENT_SUFFIXES = ("CSDT", "PA05", "PC04", "PC07", "PC08", "ANCT")
ROUTE_TARGETS = (ROUTE_TO_COMMUNE, *DEPARTMENT_SUFFIXES, ROUTE_TO_DUTY_DESK)


def provincial_unit_code(province_code: str) -> str:
    return f"CAT-{province_code}"


def department_unit_code(province_code: str, department: str) -> str:
    return f"CAT-{province_code}-{department}"


def commune_unit_code(commune_code: str) -> str:
    return f"CAX-{commune_code}"


class ProvinceRuleRow(Protocol):
    """A ``category_province_rules`` row (the model or a Core row)."""

    @property
    def category_code(self) -> str: ...
    @property
    def route_to(self) -> str: ...
    @property
    def watch_departments(self) -> list[str]: ...


@dataclass(frozen=True)
class CategoryRule:
    code: str
    kind: str
    route_to: str
    watch_departments: tuple[str, ...] = ()

    @classmethod
    def from_category(cls, category: Category) -> CategoryRule:
        return cls(
            code=category.code,
            kind=category.kind,
            route_to=category.route_to,
            watch_departments=tuple(category.watch_departments or ()),
        )

    @classmethod
    def province_override(cls, rule: ProvinceRuleRow, kind: str) -> CategoryRule:
        """A province's own rule for a category (any row with those columns)."""
        return cls(
            code=rule.category_code,
            kind=kind,
            route_to=rule.route_to,
            watch_departments=tuple(rule.watch_departments or ()),
        )


@dataclass(frozen=True)
class Routing:
    assigned_unit_code: str
    watching_unit_codes: tuple[str, ...] = ()


def route(
    *,
    commune_code: str | None,
    province_code: str,
    category: CategoryRule,
    unit_codes: frozenset[str] | None = None,
    province_rules: Mapping[tuple[str, str], CategoryRule] | None = None,
) -> Routing:
    """The routing of a tip: intake, corrections and the data generator all call this one
    function (a change-set moves tips to the successor unit instead of routing them again).
    ``province_rules`` maps (category code, province code) to a province's own rule, which
    replaces the national one there."""
    if province_rules:
        category = province_rules.get((category.code, province_code), category)
    duty_desk = provincial_unit_code(province_code)

    def exists(code: str) -> bool:
        return unit_codes is None or code in unit_codes

    if category.route_to == ROUTE_TO_COMMUNE:
        assigned = commune_unit_code(commune_code) if commune_code else duty_desk
    elif category.route_to == ROUTE_TO_DUTY_DESK:
        assigned = duty_desk
    else:
        assigned = department_unit_code(province_code, category.route_to)
    if not exists(assigned):
        assigned = duty_desk

    watching: list[str] = []
    for department in category.watch_departments:
        code = department_unit_code(province_code, department)
        if code != assigned and code not in watching and exists(code):
            watching.append(code)
    return Routing(assigned_unit_code=assigned, watching_unit_codes=tuple(watching))


def candidate_unit_codes(
    *, commune_code: str | None, province_code: str, category: CategoryRule
) -> frozenset[str]:
    """Every unit code ``route`` may pick for this place and category (to check they exist)."""
    ideal = route(commune_code=commune_code, province_code=province_code, category=category)
    return frozenset(
        {ideal.assigned_unit_code, provincial_unit_code(province_code), *ideal.watching_unit_codes}
    )
