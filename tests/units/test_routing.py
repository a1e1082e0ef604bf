"""route(): the pure routing rule, for every shipped category."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.units.routing import CategoryRule, Routing, route

CATEGORIES_CSV = Path(__file__).resolve().parents[2] / "app" / "units" / "data" / "categories.csv"


def _shipped_rules() -> dict[str, CategoryRule]:
    with CATEGORIES_CSV.open(encoding="utf-8") as f:
        return {
            r["code"]: CategoryRule(
                code=r["code"],
                kind=r["kind"],
                route_to=r["route_to"],
                watch_departments=tuple(r["watch_departments"].split()),
            )
            for r in csv.DictReader(f)
        }


RULES = _shipped_rules()

# DOMAIN.md's suggested categories: where a tip in Phường Sài Gòn (26740, HCMC 79) goes.
EXPECTED = {
    "violent_crime": ("crime", Routing("CAX-26740", ())),
    "theft_fraud": ("crime", Routing("CAX-26740", ())),
    "drugs": ("crime", Routing("CAX-26740", ("CAT-79-PC04",))),
    "gambling_prostitution": ("crime", Routing("CAX-26740", ())),
    "online_fraud": ("crime", Routing("CAT-79-PA05", ())),
    "national_security": ("crime", Routing("CAT-79-ANCT", ())),
    "weapons_explosives": ("security_order", Routing("CAX-26740", ())),
    "public_disorder": ("security_order", Routing("CAX-26740", ())),
    "neighbour_dispute": ("security_order", Routing("CAX-26740", ())),
    "fire_hazard": ("security_order", Routing("CAX-26740", ("CAT-79-PC07",))),
    "traffic_safety": ("security_order", Routing("CAX-26740", ("CAT-79-PC08",))),
    "hostile_online_content": ("security_order", Routing("CAT-79-PA05", ())),
    "environment": ("security_order", Routing("CAX-26740", ())),
    "other": ("security_order", Routing("CAX-26740", ())),
}


def test_every_suggested_category_is_shipped() -> None:
    assert set(RULES) == set(EXPECTED)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_category_routes_as_domain_md_says(code: str) -> None:
    kind, expected = EXPECTED[code]
    rule = RULES[code]
    assert rule.kind == kind
    assert route(commune_code="26740", province_code="79", category=rule) == expected


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_unknown_location_goes_to_the_duty_desk_unless_a_department_receives(code: str) -> None:
    rule = RULES[code]
    routing = route(commune_code=None, province_code="79", category=rule)
    if rule.route_to == "commune":
        assert routing.assigned_unit_code == "CAT-79"
    else:
        assert routing.assigned_unit_code == f"CAT-79-{rule.route_to}"
    # Watching copies do not depend on the place.
    assert routing.watching_unit_codes == EXPECTED[code][1].watching_unit_codes


def test_watch_copies_follow_the_province() -> None:
    assert route(commune_code="00070", province_code="01", category=RULES["drugs"]) == Routing(
        "CAX-00070", ("CAT-01-PC04",)
    )


def test_watchers_are_deduplicated_and_never_the_assigned_unit() -> None:
    rule = CategoryRule("x", "crime", "PC04", ("PC04", "PC07", "PC07"))
    assert route(commune_code="26740", province_code="79", category=rule) == Routing(
        "CAT-79-PC04", ("CAT-79-PC07",)
    )


def test_missing_units_fall_back_to_the_duty_desk() -> None:
    existing = frozenset({"CAT-79", "CAT-79-PC04"})
    routing = route(
        commune_code="26740", province_code="79", category=RULES["fire_hazard"], unit_codes=existing
    )
    # No CAX-26740 and no PC07 among the active units.
    assert routing == Routing("CAT-79", ())
    routing = route(
        commune_code="26740", province_code="79", category=RULES["drugs"], unit_codes=existing
    )
    assert routing == Routing("CAT-79", ("CAT-79-PC04",))
    routing = route(
        commune_code=None, province_code="79", category=RULES["online_fraud"], unit_codes=existing
    )
    assert routing == Routing("CAT-79", ())
