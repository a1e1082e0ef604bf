"""Possible duplicates of a tip (``GET /tips/{id}/similar``), within the caller's scope.

Candidates: the caller's visible tips (app.scope.visibility), not merged, created within
``WINDOW`` of the tip, in the same or a neighbouring commune (app.admin_units.geo) — or, for a
tip without a commune, in the same province. Each is scored 0–1 from four parts:

* text: the folded description (``tips.search_text``; descriptions are stored in clear). On
  PostgreSQL pg_trgm's ``similarity()`` over the trigram index, the best ``CANDIDATES`` taken
  in SQL; on SQLite the ``CANDIDATES`` nearest in time, scored by token Jaccard in Python;
* place: the distance between the two points when both have one (0 m → 1, ``NEAR_M`` → 0),
  else same commune 0.6, neighbouring 0.3;
* time: 1 at the same instant, 0 at ``WINDOW`` apart;
* category: 1 when the same.

Best first; below ``MIN_SCORE`` is not a possible duplicate.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.principal import Principal
from app.admin_units.fold import fold
from app.admin_units.geo import CommuneLocator
from app.core import dialect
from app.core.time import as_utc
from app.scope.visibility import visible_tips_clause
from app.tips.models import Tip, TipStatus
from app.tips.schemas import LocalDateTime

WINDOW = timedelta(days=30)
CANDIDATES = 200
NEAR_M = 2000.0
MIN_SCORE = 0.45
WEIGHTS = {"text": 0.45, "place": 0.25, "time": 0.15, "category": 0.15}
SAME_COMMUNE, NEIGHBOUR = 0.6, 0.3
EARTH_RADIUS_M = 6_371_008.8
_TOKEN = re.compile(r"\w+")


class SimilarTip(BaseModel):
    id: str
    reference: str
    score: float = Field(ge=0, le=1, description="0–1, higher is more alike.")
    distance_m: float | None = Field(
        description="Metres between the two tips' points; null unless both have one."
    )
    created_at: LocalDateTime
    status: TipStatus


@dataclass(frozen=True)
class _Candidate:
    id: str
    reference: str
    status: str
    created_at: datetime
    commune_code: str | None
    category_code: str
    lat: float | None
    lon: float | None
    text_score: float


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _tokens(text: str) -> set[str]:
    return {t for t in _TOKEN.findall(fold(text)) if len(t) > 1}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _place(tip: Tip, c: _Candidate, distance: float | None) -> float:
    if distance is not None:
        return max(0.0, 1.0 - distance / NEAR_M)
    if tip.commune_code is not None and c.commune_code == tip.commune_code:
        return SAME_COMMUNE
    return NEIGHBOUR if c.commune_code is not None and tip.commune_code is not None else 0.0


def _score(tip: Tip, c: _Candidate) -> tuple[float, float | None]:
    """The candidate's score (rounded as answered) and the distance between the points."""
    distance = None
    if None not in (tip.lat, tip.lon, c.lat, c.lon):
        distance = distance_m(tip.lat, tip.lon, c.lat, c.lon)  # type: ignore[arg-type]
    apart = abs((as_utc(c.created_at) - as_utc(tip.created_at)).total_seconds())
    parts = {
        "text": max(0.0, min(1.0, c.text_score)),
        "place": _place(tip, c, distance),
        "time": max(0.0, 1.0 - apart / WINDOW.total_seconds()),
        "category": 1.0 if c.category_code == tip.category_code else 0.0,
    }
    score = sum(WEIGHTS[k] * v for k, v in parts.items())
    return round(min(1.0, score), 3), distance


def _answer(c: _Candidate, score: float, distance: float | None) -> SimilarTip:
    return SimilarTip(
        id=c.id,
        reference=c.reference,
        score=score,
        distance_m=round(distance, 1) if distance is not None else None,
        created_at=c.created_at,
        status=TipStatus(c.status),
    )


def _candidates_query(tip: Tip, principal: Principal, locator: CommuneLocator) -> Select[Any]:
    created = as_utc(tip.created_at)
    query = select(
        Tip.id,
        Tip.reference,
        Tip.status,
        Tip.created_at,
        Tip.commune_code,
        Tip.category_code,
        Tip.lat,
        Tip.lon,
    ).where(
        visible_tips_clause(principal),
        Tip.id != tip.id,
        Tip.status != TipStatus.merged.value,
        Tip.created_at >= created - WINDOW,
        Tip.created_at <= created + WINDOW,
    )
    if tip.commune_code is not None:
        communes = [tip.commune_code, *locator.neighbours(tip.commune_code)]
        return query.where(Tip.commune_code.in_(communes))
    return query.where(Tip.province_code == tip.province_code)


async def _nearest_in_time(session: AsyncSession, query: Select[Any], tip: Tip) -> list[_Candidate]:
    """SQLite: the ``CANDIDATES`` tips nearest in time (half before, half after the tip),
    their text scored by token Jaccard."""
    created = as_utc(tip.created_at)
    query = query.add_columns(Tip.search_text)
    before = query.where(Tip.created_at <= created).order_by(Tip.created_at.desc())
    after = query.where(Tip.created_at > created).order_by(Tip.created_at)
    mine = _tokens(tip.description)
    candidates = []
    for half in (before, after):
        for row in (await session.execute(half.limit(CANDIDATES // 2))).mappings():
            columns = dict(row)
            theirs = _tokens(columns.pop("search_text"))
            candidates.append(_Candidate(**columns, text_score=jaccard(mine, theirs)))
    return candidates


async def similar_tips(
    session: AsyncSession,
    *,
    principal: Principal,
    tip: Tip,
    locator: CommuneLocator,
    limit: int = 10,
) -> list[SimilarTip]:
    """Possible duplicates of ``tip`` the caller may see, best first (at most ``limit``)."""
    query = _candidates_query(tip, principal, locator)
    wanted = fold(tip.description)
    if dialect.dialect_name(session) == "postgresql":
        text_score = func.similarity(Tip.search_text, literal(wanted)).label("text_score")
        rows = await session.execute(
            query.add_columns(text_score).order_by(text_score.desc()).limit(CANDIDATES)
        )
        candidates = [_Candidate(**row) for row in rows.mappings()]
    else:
        candidates = await _nearest_in_time(session, query, tip)
    # Only the answered few become response models (up to CANDIDATES are scored).
    scored = [(c, *_score(tip, c)) for c in candidates]
    found = sorted(
        (row for row in scored if row[1] >= MIN_SCORE),
        key=lambda row: (-row[1], row[0].created_at, row[0].id),
    )
    return [_answer(c, score, distance) for c, score, distance in found[:limit]]
