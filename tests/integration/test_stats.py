"""Statistics against figures computed by hand from tips with chosen times and states."""

from __future__ import annotations

import math

import pytest

from tests.accounts.helpers import auth_headers, make_api_key, make_organization, make_user
from tests.integration.helpers import (
    BA_DINH_UNIT,
    HANOI,
    HCMC,
    SAI_GON_UNIT,
    THU_DAU_MOT_UNIT,
    event_row,
    make_tips,
    vn,
)

SUMMARY = "/api/v1/stats/summary"
SLA = "/api/v1/stats/sla"
HOTSPOTS = "/api/v1/stats/hotspots"
MODEL = "to_an_ninh_tu_quan"


@pytest.fixture
async def summary_tips(db):
    org = await make_organization(db, name="MTTQ phường Sài Gòn", kind="mttq", province_code=HCMC)
    tips = await make_tips(
        db,
        [
            # t1, t2: 1 Nov 2025 (Vietnamese day), t2 late in the evening
            {
                "created_at": vn("2025-11-01 08:00"),
                "organization_id": org.id,
                "movement_model": MODEL,
            },
            {"created_at": vn("2025-11-01 23:30"), "organization_id": org.id},
            # t3: 06:00 on 2 Nov in Vietnam is still 1 Nov in UTC
            {"created_at": vn("2025-11-02 06:00"), "category_code": "public_disorder"},
            # t4: the last minute of October; t5: the first of December
            {
                "created_at": vn("2025-10-31 23:59"),
                "category_code": "public_disorder",
                "unit": THU_DAU_MOT_UNIT,
                "status": "in_progress",
            },
            {"created_at": vn("2025-12-01 00:00"), "unit": THU_DAU_MOT_UNIT, "status": "resolved"},
            # t6: Hà Nội
            {"created_at": vn("2025-11-05 12:00"), "unit": BA_DINH_UNIT},
        ],
    )
    return org, tips


def groups(body):
    return [(g["key"], g["count"]) for g in body["groups"]]


async def test_summary_by_category_day_and_month(client, db, app, summary_tips):
    supervisor = await make_user(db, role="province_supervisor", province_code=HCMC)
    headers = auth_headers(app, supervisor)

    by_category = await client.get(
        SUMMARY, params={"period": "month:2025-11", "group_by": "category"}, headers=headers
    )
    by_day = await client.get(
        SUMMARY, params={"period": "month:2025-11", "group_by": "day"}, headers=headers
    )
    by_month = await client.get(
        SUMMARY, params={"period": "year:2025", "group_by": "month"}, headers=headers
    )

    assert by_category.status_code == 200
    assert groups(by_category.json()) == [("drugs", 2), ("public_disorder", 1)]
    assert by_category.json()["total"] == 3
    assert by_category.json()["from"].startswith("2025-10-31T17:00:00")
    assert by_category.json()["to"].startswith("2025-11-30T17:00:00")
    assert groups(by_day.json()) == [("2025-11-01", 2), ("2025-11-02", 1)]
    assert groups(by_month.json()) == [("2025-10", 1), ("2025-11", 3), ("2025-12", 1)]
    assert by_month.json()["total"] == 5


async def test_summary_by_unit_status_organization_and_model(client, db, app, summary_tips):
    org, _ = summary_tips
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)

    async def grouped(group_by, **params):
        r = await client.get(
            SUMMARY, params={"period": "year:2025", "group_by": group_by, **params}, headers=headers
        )
        assert r.status_code == 200, r.text
        return groups(r.json()), r.json()["total"]

    assert await grouped("unit") == (
        [(SAI_GON_UNIT, 3), (THU_DAU_MOT_UNIT, 2), (BA_DINH_UNIT, 1)],
        6,
    )
    assert await grouped("status", province_code=HCMC) == (
        [("received", 3), ("in_progress", 1), ("resolved", 1)],
        5,
    )
    assert await grouped("organization", province_code=HCMC) == ([(None, 3), (org.id, 2)], 5)
    assert await grouped("movement_model", province_code=HCMC) == ([(None, 4), (MODEL, 1)], 5)
    assert await grouped("category", unit_code=THU_DAU_MOT_UNIT) == (
        [("drugs", 1), ("public_disorder", 1)],
        2,
    )


@pytest.mark.parametrize(
    ("params", "total"),
    [
        ({"period": "eval_residential:2026"}, 4),  # 1 Nov 2025 – 31 Oct 2026
        ({"period": "eval_residential:2025"}, 1),  # ... – 31 Oct 2025: only t4
        ({"period": "eval_commune:2026"}, 1),  # 16 Nov 2025 – 15 Nov 2026: only t5
        ({"period": "eval_commune:2025"}, 4),
        ({"period": "half:2025-H2"}, 5),
        ({"period": "half:2025-H1"}, 0),
        ({"period": "quarter:2025-Q4"}, 5),
        ({"period": "day:2025-11-01"}, 2),
        ({"from": "2025-11-02", "to": "2025-11-30"}, 1),  # days: both ends inclusive
        ({"from": "2025-11-01", "to": "2025-11-01"}, 2),
        # times: from inclusive, to exclusive
        ({"from": "2025-11-01T08:00:00+07:00", "to": "2025-11-01T23:30:00+07:00"}, 1),
        ({"from": "2025-11-01T01:00:00Z"}, 4),
        ({"to": "2025-11-01"}, 3),
        ({}, 5),
    ],
)
async def test_summary_windows(client, db, app, summary_tips, params, total):
    analyst = await make_user(db, role="analyst", province_code=HCMC)

    r = await client.get(SUMMARY, params=params, headers=auth_headers(app, analyst))

    assert r.status_code == 200, r.text
    assert r.json()["total"] == total


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "month:2025-13"}, "period"),
        ({"period": "fortnight:2025-1"}, "period"),
        ({"period": "half:2025-H3"}, "period"),
        ({"period": "year:2025", "from": "2025-01-01"}, "period"),
        ({"from": "2025-11-01T08:00:00"}, "from"),  # no offset
        ({"from": "yesterday"}, "from"),
        ({"from": "2025-11-02", "to": "2025-11-01"}, "to"),
        ({"group_by": "weekday"}, "group_by"),
        ({"to": "9999-12-31"}, "to"),  # the day after cannot be represented
        ({"from": "0001-01-01T00:00:00+07:00"}, "from"),
    ],
)
async def test_malformed_windows_answer_422(client, db, app, params, field):
    admin = await make_user(db, role="admin")

    r = await client.get(SUMMARY, params=params, headers=auth_headers(app, admin))

    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"
    assert field in [e["field"] for e in r.json()["errors"]]


async def test_readers_see_only_their_province(client, db, app, summary_tips):
    supervisor = await make_user(db, role="province_supervisor", province_code=HCMC)
    analyst = await make_user(db, role="analyst", province_code=HCMC)
    _, key = await make_api_key(db, app, role="analyst", province_code=HCMC)
    hanoi_supervisor = await make_user(db, role="province_supervisor", province_code=HANOI)
    params = {"period": "year:2025"}

    for headers in (auth_headers(app, supervisor), auth_headers(app, analyst), {"X-API-Key": key}):
        own = await client.get(SUMMARY, params=params, headers=headers)
        explicit = await client.get(
            SUMMARY, params={**params, "province_code": HCMC}, headers=headers
        )
        other = await client.get(
            SUMMARY, params={**params, "province_code": HANOI}, headers=headers
        )
        other_unit = await client.get(
            SUMMARY, params={**params, "unit_code": BA_DINH_UNIT}, headers=headers
        )
        for path in (SLA, HOTSPOTS):
            assert (
                await client.get(path, params={"province_code": HANOI}, headers=headers)
            ).status_code == 404
        assert own.json()["total"] == explicit.json()["total"] == 5
        assert (other.status_code, other.json()["code"]) == (404, "not_found")
        assert other_unit.status_code == 404
    hanoi = await client.get(SUMMARY, params=params, headers=auth_headers(app, hanoi_supervisor))
    assert hanoi.json()["total"] == 1


async def test_other_roles_are_refused(client, db, app):
    officer = await make_user(db, role="officer", unit_code=SAI_GON_UNIT)
    lead = await make_user(db, role="unit_lead", unit_code=SAI_GON_UNIT)
    org = await make_organization(db, name="Hội Phụ nữ", kind="member_org", province_code=HCMC)
    front = await make_user(db, role="front_member", organization_id=org.id)
    _, open311_key = await make_api_key(db, app, role="open311_client", province_code=HCMC)

    for path in (SUMMARY, SLA, HOTSPOTS):
        assert (await client.get(path)).status_code == 401
        for headers in (
            auth_headers(app, officer),
            auth_headers(app, lead),
            auth_headers(app, front),
            {"X-API-Key": open311_key},
        ):
            r = await client.get(path, headers=headers)
            assert (r.status_code, r.json()["code"]) == (403, "forbidden"), path


async def test_admin_unknown_province_or_unit_is_404(client, db, app):
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)

    unknown_province = await client.get(SUMMARY, params={"province_code": "99"}, headers=headers)
    unknown_unit = await client.get(SUMMARY, params={"unit_code": "CAX-99999"}, headers=headers)
    mismatch = await client.get(
        SUMMARY, params={"province_code": HCMC, "unit_code": BA_DINH_UNIT}, headers=headers
    )

    assert [r.status_code for r in (unknown_province, unknown_unit, mismatch)] == [404, 404, 404]


# --- SLA ----------------------------------------------------------------------------------


async def test_sla_per_unit(client, db, app):
    def march(day, hour=8):
        return vn(f"2025-03-{day:02d} {hour:02d}:00")

    far = vn("2099-01-01 00:00")
    await make_tips(
        db,
        [
            # Sài Gòn
            {  # a: closed before due → on time; first response after 2 h
                "created_at": march(1),
                "status": "resolved",
                "due_at": march(21),
                "closed_at": march(20),
                "first_response_at": march(1, 10),
            },
            {  # b: closed after due → late; 4 h
                "created_at": march(2),
                "status": "resolved",
                "due_at": march(22),
                "closed_at": march(25),
                "first_response_at": march(2, 12),
            },
            {  # c: open past due → overdue; 10 h
                "created_at": march(3),
                "status": "in_progress",
                "due_at": march(23),
                "first_response_at": march(3, 18),
            },
            {"created_at": march(4), "status": "received", "due_at": far},  # d: no response yet
            {  # e: merged duplicate: not counted at all
                "created_at": march(5),
                "status": "merged",
                "closed_at": march(6),
                "first_response_at": march(5, 9),
            },
            {  # f: suspended: the clock is stopped, not overdue; 1 h
                "created_at": march(6),
                "status": "suspended",
                "due_at": march(10),
                "first_response_at": march(6, 9),
            },
            {  # g: rejected without a due date → on time; 3 h
                "created_at": march(7),
                "category_code": "public_disorder",
                "status": "rejected",
                "closed_at": march(8),
                "first_response_at": march(7, 11),
            },
            # Thủ Dầu Một: an even number of responses (2 h and 5 h)
            {
                "unit": THU_DAU_MOT_UNIT,
                "created_at": march(10),
                "due_at": far,
                "first_response_at": march(10, 13),
            },
            {  # past its transfer deadline: overdue like in the queue
                "unit": THU_DAU_MOT_UNIT,
                "created_at": march(11),
                "due_at": far,
                "transfer_due_at": march(12),
                "first_response_at": march(11, 10),
            },
            # outside the window or the province
            {"created_at": vn("2025-04-01 08:00"), "status": "in_progress", "due_at": march(2)},
            {"unit": BA_DINH_UNIT, "created_at": march(3), "due_at": march(4)},
        ],
    )
    supervisor = await make_user(db, role="province_supervisor", province_code=HCMC)

    r = await client.get(
        SLA, params={"period": "month:2025-03"}, headers=auth_headers(app, supervisor)
    )

    assert r.status_code == 200, r.text
    units = {u["unit_code"]: u for u in r.json()["units"]}
    assert set(units) == {SAI_GON_UNIT, THU_DAU_MOT_UNIT}
    assert (
        units[SAI_GON_UNIT].items()
        >= {
            "unit_code": SAI_GON_UNIT,
            "unit_name": units[SAI_GON_UNIT]["unit_name"],
            "received": 6,
            "resolved_on_time": 2,
            "resolved_late": 1,
            "open_overdue": 1,
            "median_hours_to_first_response": 3.0,  # of 1, 2, 3, 4, 10
        }.items()
    )
    assert "Sài Gòn" in units[SAI_GON_UNIT]["unit_name"]
    tdm = units[THU_DAU_MOT_UNIT]
    assert (
        tdm["received"],
        tdm["resolved_on_time"],
        tdm["resolved_late"],
        tdm["open_overdue"],
    ) == (
        2,
        0,
        0,
        1,
    )
    assert tdm["median_hours_to_first_response"] == 3.5  # of 2 and 5

    one_unit = await client.get(
        SLA,
        params={"period": "month:2025-03", "unit_code": THU_DAU_MOT_UNIT},
        headers=auth_headers(app, supervisor),
    )
    assert [u["unit_code"] for u in one_unit.json()["units"]] == [THU_DAU_MOT_UNIT]


async def test_sla_median_is_null_without_responses(client, db, app):
    await make_tips(db, [{"created_at": vn("2025-05-02 08:00")}])
    admin = await make_user(db, role="admin")

    r = await client.get(SLA, params={"period": "month:2025-05"}, headers=auth_headers(app, admin))

    assert r.json()["units"][0]["median_hours_to_first_response"] is None
    assert r.json()["units"][0]["received"] == 1


# --- hotspots -----------------------------------------------------------------------------


def cell_centre(lat, lon, cell_m=500):
    dlat = cell_m / 111_320
    dlon = cell_m / (111_320 * math.cos(math.radians(16)))
    return (
        round((math.floor(lat / dlat) + 0.5) * dlat, 6),
        round((math.floor(lon / dlon) + 0.5) * dlon, 6),
        dlat,
        dlon,
    )


async def test_hotspots_grid(client, db, app):
    a_lat, a_lon, dlat, dlon = cell_centre(10.7799, 106.7025)
    b_lat, b_lon, _, _ = cell_centre(10.7950, 106.6800)
    offsets = [(0, 0), (0.2, 0.2), (-0.2, 0.1), (0.3, -0.3), (-0.4, -0.4)]
    specs = [
        {"lat": a_lat + dy * dlat, "lon": a_lon + dx * dlon, "created_at": vn("2025-06-01 08:00")}
        for dy, dx in offsets
    ]  # 5 in cell A
    specs += [
        {"lat": b_lat + dy * dlat, "lon": b_lon + dx * dlon, "created_at": vn("2025-06-02 08:00")}
        for dy, dx in offsets[:4]
    ]  # 4 in cell B
    specs.append({"created_at": vn("2025-06-03 08:00")})  # no point
    h_lat, h_lon, _, _ = cell_centre(21.0394, 105.8363)
    await make_tips(db, specs)
    await make_tips(
        db,
        [
            {"unit": BA_DINH_UNIT, "lat": h_lat, "lon": h_lon, "created_at": vn("2025-06-01 08:00")}
            for _ in range(6)
        ],
    )
    supervisor = await make_user(db, role="province_supervisor", province_code=HCMC)
    headers = auth_headers(app, supervisor)

    default = await client.get(HOTSPOTS, headers=headers)
    lower = await client.get(HOTSPOTS, params={"min_count": 4}, headers=headers)
    june_2 = await client.get(
        HOTSPOTS, params={"min_count": 1, "period": "day:2025-06-02"}, headers=headers
    )

    assert default.status_code == 200, default.text
    assert default.json() == {
        "cell_m": 500,
        "min_count": 5,
        "cells": [{"lat": a_lat, "lon": a_lon, "count": 5}],
    }
    assert lower.json()["cells"] == [
        {"lat": a_lat, "lon": a_lon, "count": 5},
        {"lat": b_lat, "lon": b_lon, "count": 4},
    ]
    assert june_2.json()["cells"] == [{"lat": b_lat, "lon": b_lon, "count": 4}]
    # The centre is within half a cell of the points it counts.
    assert abs(a_lat - 10.7799) <= dlat / 2 and abs(a_lon - 106.7025) <= dlon / 2


async def test_hotspots_negative_coordinates_and_cell_size(client, db, app):
    # Points south of the equator exercise the portable floor() on SQLite.
    lat, lon, dlat, dlon = cell_centre(-33.8600, 151.2100, cell_m=1000)
    await make_tips(
        db,
        [
            {"lat": lat + d * dlat, "lon": lon - d * dlon, "created_at": vn("2025-06-01 08:00")}
            for d in (0, 0.1, 0.2, -0.2, -0.45)
        ],
    )
    admin = await make_user(db, role="admin")

    r = await client.get(
        HOTSPOTS, params={"cell_m": 1000, "province_code": HCMC}, headers=auth_headers(app, admin)
    )

    assert r.json()["cells"] == [{"lat": lat, "lon": lon, "count": 5}]
    too_small = await client.get(HOTSPOTS, params={"cell_m": 10}, headers=auth_headers(app, admin))
    assert too_small.status_code == 422


async def test_sla_acknowledgement_and_classification(client, db, app):
    def march(day, hour=8):
        return vn(f"2026-03-{day:02d} {hour:02d}:00")

    far = vn("2099-01-01 00:00")
    a, b, _c, d, _e = await make_tips(
        db,
        [
            {  # acknowledged by the deadline; classified within 24 h
                "created_at": march(1),
                "acknowledge_by": march(4),
                "acknowledged_at": march(3),
                "classify_by": march(2),
                "status": "verifying",
            },
            {  # acknowledged late; reclassified (a correction) after 24 h
                "created_at": march(2),
                "acknowledge_by": march(5),
                "acknowledged_at": march(6),
                "classify_by": march(3),
            },
            {  # never acknowledged, never classified, both deadlines past
                "created_at": march(3),
                "acknowledge_by": march(6),
                "classify_by": march(4),
            },
            {  # transferred on 10 Mar: the new unit classifies late (its own 24 h)
                "created_at": march(7),
                "received_at": march(10),
                "acknowledge_by": march(13),
                "acknowledged_at": march(10),
                "classify_by": march(11),
                "status": "in_progress",
            },
            {  # waiting, nothing due yet
                "created_at": march(9),
                "acknowledge_by": far,
                "classify_by": far,
            },
        ],
    )
    db.add_all(
        [
            event_row(
                a, "tip.status_changed", at=march(1, 20), from_status="received",
                to_status="verifying",
            ),
            event_row(b, "tip.assigned", at=march(2, 9)),  # not a classification
            event_row(b, "tip.corrected", at=march(4), data={}),
            event_row(
                d, "tip.status_changed", at=march(8), from_status="received",
                to_status="verifying",
            ),  # at the former unit, before the transfer
            event_row(
                d, "tip.status_changed", at=march(12), from_status="received",
                to_status="in_progress",
            ),
        ]
    )  # fmt: skip
    await db.commit()
    supervisor = await make_user(db, role="province_supervisor", province_code=HCMC)

    r = await client.get(
        SLA, params={"period": "month:2026-03"}, headers=auth_headers(app, supervisor)
    )

    assert r.status_code == 200, r.text
    [unit] = r.json()["units"]
    assert {
        k: unit[k]
        for k in (
            "received",
            "acknowledged_on_time",
            "acknowledged_late",
            "acknowledge_overdue",
            "classified_on_time",
            "classified_late",
            "classify_overdue",
        )
    } == {
        "received": 5,
        "acknowledged_on_time": 2,  # a, d
        "acknowledged_late": 1,  # b
        "acknowledge_overdue": 1,  # c
        "classified_on_time": 1,  # a
        "classified_late": 2,  # b (the correction), d (after its transfer)
        "classify_overdue": 1,  # c
    }
