"""The shapes of synthetic data (app.devdata.synth): the rows' columns, the shares and
weights that make the data look real, the reference data the generator draws from, a batch
of rows, and the points inside communes."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from app.core.security import CROCKFORD
from app.tips.models import TipStatus
from app.tips.status import public_status_for
from app.units.deadlines import WorkingCalendar
from app.units.routing import (
    CategoryRule,
)

TIP_COLUMNS = (
    "id",
    "reference",
    "receipt_hash",
    "category_code",
    "kind",
    "tip_type",
    "description",
    "search_text",
    "occurred_at",
    "people_key_id",
    "people_ciphertext",
    "commune_code",
    "province_code",
    "legacy_commune_code",
    "address",
    "lat",
    "lon",
    "location_unknown",
    "location_mismatch",
    "anonymous",
    "on_behalf_of_organization",
    "channel",
    "submitted_by_id",
    "organization_id",
    "movement_model",
    "status",
    "urgent",
    "priority",
    "assigned_unit_code",
    "assignee_id",
    "register_number",
    "received_at",
    "first_received_at",
    "acknowledge_by",
    "acknowledged_at",
    "classify_by",
    "transfer_due_at",
    "due_at",
    "first_response_at",
    "outcome",
    "outcome_summary",
    "merged_into_id",
    "closed_at",
    "overdue_notified_for",
    "created_at",
    "updated_at",
)
# Ids (and feed positions, equal to the ids) are given when the batch is written.
EVENT_COLUMNS = (
    "id",
    "feed_position",
    "tip_id",
    "type",
    "at",
    "actor_id",
    "actor_label",
    "unit_code",
    "from_status",
    "to_status",
    "public",
    "public_status",
    "public_message",
    "note",
    "data",
    "created_at",
    "updated_at",
)
EVENT_AT = EVENT_COLUMNS.index("at") - 2  # in a row without id and feed_position
ENTRY_COLUMNS = (
    "id",
    "tip_id",
    "unit_code",
    "year",
    "seq",
    "register_number",
    "registered_at",
    "created_at",
    "updated_at",
)
WATCHER_COLUMNS = ("tip_id", "unit_code", "reason", "tip_created_at", "created_at", "updated_at")
IDENTITY_COLUMNS = ("tip_id", "key_id", "ciphertext", "purged_at", "created_at", "updated_at")

YEARS_BACK = 5
POINTS_PER_COMMUNE = 48
SHARE_WITH_POINT = 0.70
SHARE_LEGACY_CODE = 0.04
SHARE_IDENTIFIED = 0.40
SHARE_ON_BEHALF = 0.05  # of identified citizens' tips
SHARE_FRONT = 0.06  # of all tips, when Front organizations exist
SHARE_OPEN311 = 0.04
SHARE_WEB = 0.30  # the rest comes from the mobile app
COMMUNE_TRANSFER_SHARE = 0.85  # crime tips a commune police forwards to the CSDT
LATE_SHARE = 0.12  # handled, but closed after the deadline
AWAITING_INFO_SHARE = 0.10
STUCK_MOSTLY_BEFORE = timedelta(days=180)  # older "stuck" tips were mostly closed late
CLOCK_TICK = timedelta(minutes=1)  # the scheduler's interval: overdue events follow deadlines
UTC_OFFSET = timedelta(hours=7)  # Asia/Ho_Chi_Minh, no daylight saving

CATEGORY_WEIGHTS: dict[str, float] = {
    "theft_fraud": 22,
    "public_disorder": 13,
    "neighbour_dispute": 12,
    "traffic_safety": 9,
    "online_fraud": 9,
    "drugs": 8,
    "environment": 5,
    "violent_crime": 4.5,
    "gambling_prostitution": 4,
    "fire_hazard": 4,
    "other": 4,
    "weapons_explosives": 2,
    "hostile_online_content": 2,
    "national_security": 0.5,
}
DEFAULT_CATEGORY_WEIGHT = 2.0  # categories an admin added
URGENT_SHARE = {"violent_crime": 0.12, "national_security": 0.05, "weapons_explosives": 0.04}
URGENT_SHARE_CRIME = 0.02
URGENT_SHARE_OTHER = 0.005
COMMUNE_TYPE_WEIGHT = {"phuong": 2.5, "xa": 1.0, "dac_khu": 0.6}
# Local hour of day a tip is sent (evenings are busiest).
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 5, 5, 5, 5, 6, 7, 8, 9, 9, 8, 5, 2)

# How a tip ends, once a unit that can resolve it has it: (path, weight). "stuck" stays
# open (in progress or awaiting information) past its deadline.
CRIME_PATHS = (
    ("prosecuted", 0.24),
    ("not_prosecuted", 0.42),
    ("suspended", 0.12),
    ("referred", 0.08),
    ("merged", 0.06),
    ("stuck", 0.08),
)
SECURITY_PATHS = (
    ("handled", 0.38),
    ("mediated", 0.17),
    ("unfounded", 0.12),
    ("noted", 0.10),
    ("rejected", 0.08),
    ("referred", 0.05),
    ("merged", 0.04),
    ("stuck", 0.06),
)
# Crime tips a commune police does not forward: duplicates, or not for the police at all.
COMMUNE_CRIME_KEPT_PATHS = (("merged", 0.5), ("referred", 0.5))

CLOCK_STOPPED = frozenset({"resolved", "rejected", "referred", "merged", "suspended"})
TERMINAL = frozenset({"resolved", "rejected", "referred", "merged"})
# The reporter's view of each status (app.tips.status), as plain strings.
PUBLIC_STATUS = {str(status): public_status_for(status) for status in TipStatus}
SYSTEM_LABEL = "system"
STAFF_LABEL = "devdata"


@dataclass(frozen=True)
class CommuneRef:
    code: str
    province_code: str
    full_name: str
    type: str


@dataclass(frozen=True)
class CategoryRef:
    code: str
    kind: str
    rule: CategoryRule
    acknowledge_working_days: int
    resolve_days: int


@dataclass(frozen=True)
class FrontRef:
    """A Front organization of a province and the (disabled) member who files its tips."""

    organization_id: str
    organization_name: str
    user_id: str
    username: str
    full_name: str


@dataclass
class ReferenceData:
    communes: list[CommuneRef]
    categories: list[CategoryRef]
    unit_codes: frozenset[str]  # active police units
    remote_units: frozenset[str]
    commune_units: frozenset[str]
    calendar: WorkingCalendar
    inside_points: dict[str, tuple[float, float]]  # commune code -> (lat, lon)
    legacy_codes: dict[str, list[str]]  # commune code -> pre-2025 codes merged whole into it
    front: dict[str, FrontRef] = field(default_factory=dict)  # province code -> Front member
    # (category code, province code) -> a province's own routing rule
    province_rules: dict[tuple[str, str], CategoryRule] = field(default_factory=dict)
    counters: dict[tuple[str, int], int] = field(default_factory=dict)  # register counters
    taken_references: set[str] = field(default_factory=set)


@dataclass
class Batch:
    tips: list[tuple[Any, ...]] = field(default_factory=list)
    identities: list[tuple[Any, ...]] = field(default_factory=list)
    entries: list[tuple[Any, ...]] = field(default_factory=list)  # without id
    events: list[tuple[Any, ...]] = field(default_factory=list)  # without id, feed_position
    watchers: list[tuple[Any, ...]] = field(default_factory=list)
    counters: dict[tuple[str, int], int] = field(default_factory=dict)  # touched counters

    @property
    def rows(self) -> int:
        return (
            len(self.tips)
            + len(self.identities)
            + len(self.entries)
            + len(self.events)
            + len(self.watchers)
            + len(self.counters)
        )


def point_pools(
    boundaries: tuple[Sequence[str], NDArray[np.object_]],
    inside_points: dict[str, tuple[float, float]],
    *,
    seed: int,
    size: int = POINTS_PER_COMMUNE,
) -> dict[str, list[tuple[float, float]]]:
    """Up to ``size`` distinct points per commune, each inside its boundary: the commune's
    inside point plus jitter, in narrower rounds for small communes. ``boundaries`` are the
    shipped codes and geometries (``app.admin_units.geo.decode_geometries``); each candidate
    is tested against its own commune only, vectorised."""
    codes, geometries = boundaries
    index = {code: i for i, code in enumerate(codes)}
    shapely.prepare(geometries)
    rng = np.random.default_rng(seed)
    pools: dict[str, list[tuple[float, float]]] = {
        code: [(round(lat, 6), round(lon, 6))]
        for code, (lat, lon) in inside_points.items()
        if code in index
    }
    per = 2 * size
    for sigma in (0.02, 0.007, 0.0025, 0.0008, 0.0003):
        wanting = [code for code, pool in pools.items() if len(pool) < size]
        if not wanting:
            break
        owners = np.repeat([index[c] for c in wanting], per)
        lats = np.repeat([inside_points[c][0] for c in wanting], per)
        lons = np.repeat([inside_points[c][1] for c in wanting], per)
        lats = np.round(lats + rng.normal(0.0, sigma, lats.shape), 6)
        lons = np.round(lons + rng.normal(0.0, sigma, lons.shape), 6)
        inside = shapely.intersects_xy(geometries[owners], lons, lats)
        for k in np.flatnonzero(inside).tolist():
            pool = pools[wanting[k // per]]
            if len(pool) < size:
                pool.append((float(lats[k]), float(lons[k])))
    return pools


def uuid7(ms: int, rng: random.Random) -> str:
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= rng.getrandbits(12) << 64
    value |= 0b10 << 62
    value |= rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def crockford(bits: int, symbols: int) -> str:
    return "".join(CROCKFORD[(bits >> (5 * i)) & 31] for i in range(symbols))


def local_year(at: datetime) -> int:
    return (at + UTC_OFFSET).year


def choose(rng: random.Random, paths: Sequence[tuple[str, float]]) -> str:
    roll = rng.random() * sum(w for _, w in paths)
    for name, weight in paths:
        roll -= weight
        if roll < 0:
            return name
    return paths[-1][0]
