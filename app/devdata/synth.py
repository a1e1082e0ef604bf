"""Synthetic tips as rows: plain tuples in the column order of the ``*_COLUMNS`` below.

Nothing goes through the ORM or the services (a million tips must take minutes), so this
module re-states what intake and triage write, and tests/devdata checks the result against
the same rules. What the rows follow:

* places: every active commune, weighted (wards weigh more than rural communes, and a
  seeded log-normal factor makes some communes much busier than others), so provinces are
  weighted by their number of communes. 70 % of tips carry a point inside their commune (a
  pool of jittered points per commune, each checked with the locator), 4 % a pre-2025
  commune code that was merged whole into it.
* categories: a fixed mix (theft and fraud most, national security least); routing is
  ``app.units.routing.route``, exactly as at intake (watching copies included).
* handling (app.devdata.handling): a simulated timeline per tip, each step at a sampled
  time, stopping at ``now``.
  Crime tips received by a commune police are mostly transferred to the provincial
  investigation agency (CSDT) within 24 h (48 h for remote communes); the agency enters them
  in its register and has 20 days from the hand-over. Then verification, handling, and an end
  that fits the kind: crime tips ``resolved`` with prosecuted / not_prosecuted, ``suspended``,
  ``referred``; security/order reports ``resolved`` with handled / mediated / unfounded /
  noted, ``rejected`` or ``referred``; a few tips are ``merged`` into an earlier tip of the
  same place and category; some close late, a few stay open past their deadline. Every change
  is a ``TipEvent`` as the services write it, and every deadline that passed while the clock
  ran has its ``tip.overdue`` event (as the scheduler would have written), so a server
  started on the data has no backlog of jobs.
* registers: numbers are gapless per unit and year and continue the counters given.
* reporters: 40 % identified; the identity is encrypted with the data key and the tip id as
  associated data, exactly as at intake. A pool of ciphertexts cannot be reused, because
  each one is bound to its tip id; encrypting costs about a microsecond.
* receipts are not kept, so the stored receipt hashes are random: nobody can track a
  generated tip.

Not generated: attachments, messages, assignees (there are no officers), staff intake
(hotline, walk-in: they need officers), deadline extensions, ``location_unknown`` tips
(they need a file), ``location_mismatch``.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from app.admin_units.fold import fold
from app.core.security import DataCipher
from app.devdata import texts
from app.devdata.handling import Handling
from app.devdata.shapes import (
    CATEGORY_WEIGHTS,
    COMMUNE_TYPE_WEIGHT,
    DEFAULT_CATEGORY_WEIGHT,
    HOUR_WEIGHTS,
    SHARE_FRONT,
    SHARE_IDENTIFIED,
    SHARE_LEGACY_CODE,
    SHARE_ON_BEHALF,
    SHARE_OPEN311,
    SHARE_WEB,
    SHARE_WITH_POINT,
    URGENT_SHARE,
    URGENT_SHARE_CRIME,
    URGENT_SHARE_OTHER,
    UTC_OFFSET,
    YEARS_BACK,
    Batch,
    CategoryRef,
    CommuneRef,
    ReferenceData,
    crockford,
    uuid7,
)
from app.devdata.tip_state import TipState
from app.tips.sealed import people_aad
from app.units.deadlines import compute_deadlines
from app.units.models import UnitKind
from app.units.routing import (
    Routing,
    provincial_unit_code,
    route,
)


class Synthesizer:
    """Builds batches of tips from the reference data; deterministic for a seed and ``now``."""

    def __init__(
        self,
        reference: ReferenceData,
        *,
        cipher: DataCipher,
        points: dict[str, list[tuple[float, float]]],
        now: datetime,
        seed: int,
    ) -> None:
        self.reference = reference
        self.cipher = cipher
        self.points = points
        self.now = now
        self.rng = random.Random(seed)
        # Ids come from a generator of their own, seeded afresh: the same seed run twice
        # makes the same kind of data, never the same ids.
        self._ids = random.Random(int.from_bytes(os.urandom(16), "big"))
        self.batch = Batch()
        self._routes: dict[tuple[str, str], Routing] = {}
        # (commune, category) -> the last tip there that a duplicate can be merged into:
        # (id, reference, unit holding it)
        self._duplicates: dict[tuple[str, str], tuple[str, str, str]] = {}
        # How each tip is handled (app.devdata.handling); it draws from the same generator.
        self._handling = Handling(
            self.rng, now=now, unit_codes=reference.unit_codes, duplicates=self._duplicates
        )

        weights_rng = random.Random(seed ^ 0x5EED)
        self._communes = reference.communes
        commune_weights = [
            COMMUNE_TYPE_WEIGHT.get(c.type, 1.0) * weights_rng.lognormvariate(0.0, 0.9)
            for c in self._communes
        ]
        self._commune_cum = _cumulative(commune_weights)
        self._categories = reference.categories
        self._category_cum = _cumulative(
            [CATEGORY_WEIGHTS.get(c.code, DEFAULT_CATEGORY_WEIGHT) for c in self._categories]
        )
        self._folded_communes = {c.code: fold(c.full_name) for c in self._communes}
        self._folded_openings = {
            code: [(text, fold(text)) for text in openings]
            for code, openings in texts.OPENINGS.items()
        }
        self._folded_when = [(text, fold(text)) for text in texts.WHEN]
        self._folded_details = [(text, fold(text)) for text in texts.DETAILS]
        self._identities = self._identity_pool(400)

    # -- times -----------------------------------------------------------------------------

    def creation_times(self, count: int, *, years: int = YEARS_BACK) -> list[datetime]:
        """``count`` submission times over the last ``years`` years, oldest first: more tips
        in recent years (the service grows), more in the evening, none in the last hour."""
        rng = self.rng
        end = self.now - timedelta(hours=1)
        span_days = years * 365.25
        first_day = (end - timedelta(days=span_days) + UTC_OFFSET).date()
        hours_cum = _cumulative(list(HOUR_WEIGHTS))
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        stamps: list[float] = []
        while len(stamps) < count:
            # Density grows linearly from 1 to 3 across the span: inverse CDF of 1 + 2x.
            u = rng.random()
            x = (-1.0 + math.sqrt(1.0 + 8.0 * u)) / 2.0
            day = first_day + timedelta(days=int(x * span_days))
            hour = bisect.bisect_right(hours_cum, rng.random() * hours_cum[-1])
            local = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                hours=min(hour, 23), seconds=rng.random() * 3600
            )
            at = local - UTC_OFFSET
            if at < end:
                stamps.append((at - epoch).total_seconds())
        stamps.sort()
        return [epoch + timedelta(microseconds=round(s * 1_000_000)) for s in stamps]

    # -- people ----------------------------------------------------------------------------

    def _identity_pool(self, size: int) -> list[dict[str, Any]]:
        rng = random.Random(0x1D)
        pool = []
        for _ in range(size):
            given, given_ascii = rng.choice(texts.GIVEN_NAMES)
            name = f"{rng.choice(texts.FAMILY_NAMES)} {rng.choice(texts.MIDDLE_NAMES)} {given}"
            number = rng.randrange(1_000_000)
            has_email = rng.random() < 0.4
            pool.append(
                {
                    "full_name": name,
                    "phone": f"+84 900 {number // 1000:03d} {number % 1000:03d}",
                    "email": f"{given_ascii}{number % 1000}@example.com" if has_email else None,
                    "address": (
                        f"Số {rng.randrange(1, 300)} {rng.choice(texts.STREETS)}"
                        if rng.random() < 0.6
                        else None
                    ),
                }
            )
        return pool

    # -- a batch ---------------------------------------------------------------------------

    def _sealed_people(
        self, tip_id: str, persons: str | None, victim: str | None
    ) -> tuple[str | None, bytes | None]:
        """Persons involved and victim sealed as intake seals them (app.tips.sealed)."""
        if persons is None and victim is None:
            return None, None
        document = json.dumps({"persons_involved": persons, "victim": victim}, ensure_ascii=False)
        return self.cipher.encrypt(document.encode(), aad=people_aad(tip_id))

    def _route(self, commune: CommuneRef, category: CategoryRef) -> Routing:
        key = (commune.code, category.code)
        found = self._routes.get(key)
        if found is None:
            found = route(
                commune_code=commune.code,
                province_code=commune.province_code,
                category=category.rule,
                unit_codes=self.reference.unit_codes,
                province_rules=self.reference.province_rules,
            )
            self._routes[key] = found
        return found

    def _reference(self) -> str:
        taken = self.reference.taken_references
        while True:
            symbols = crockford(self._ids.getrandbits(40), 8)
            reference = f"TB-{symbols[:4]}-{symbols[4:]}"
            if reference not in taken:
                taken.add(reference)
                return reference

    def batch_for(self, created: Sequence[datetime]) -> Batch:
        """The rows of one tip per submission time in ``created`` (ascending)."""
        self.batch = Batch()
        rng = self.rng
        communes = rng.choices(self._communes, cum_weights=self._commune_cum, k=len(created))
        categories = rng.choices(self._categories, cum_weights=self._category_cum, k=len(created))
        for at, commune, category in zip(created, communes, categories, strict=True):
            self._tip(at, commune, category)
        return self.batch

    def _tip(self, created: datetime, commune: CommuneRef, category: CategoryRef) -> None:
        # long: one tip's row, drawn in a fixed order from one seeded generator (origin,
        # place, text, intake, handling, the row): moving the draws apart changes the data.
        rng = self.rng
        reference_data = self.reference
        tip_id = uuid7(int(created.timestamp() * 1000), self._ids)
        reference = self._reference()
        tip = TipState(self, tip_id=tip_id, reference=reference, created=created)
        province = commune.province_code
        crime = category.kind == "crime"
        duty_desk = provincial_unit_code(province)

        # Origin and reporter
        roll = rng.random()
        front = reference_data.front.get(province) if roll < SHARE_FRONT else None
        if front is not None:
            channel = "front"
        elif roll < SHARE_FRONT + SHARE_OPEN311:
            channel = "open311"
        elif roll < SHARE_FRONT + SHARE_OPEN311 + SHARE_WEB:
            channel = "web"
        else:
            channel = "mobile"
        identity: dict[str, Any] | None = None
        on_behalf = False
        if front is not None:
            identity = {
                "full_name": front.full_name,
                "phone": None,
                "email": None,
                "address": None,
                "organization_name": front.organization_name,
            }
            on_behalf = True
        elif rng.random() < SHARE_IDENTIFIED:
            identity = dict(rng.choice(self._identities))
            if rng.random() < SHARE_ON_BEHALF:
                on_behalf = True
                identity["organization_name"] = rng.choice(texts.ORGANIZATIONS)
                identity["organization_tax_code"] = f"{rng.randrange(10**9, 10**10)}"
        anonymous = identity is None
        tip_type = ("tin_bao" if on_behalf else "to_giac") if crime else "phan_anh"
        urgent = rng.random() < URGENT_SHARE.get(
            category.code, URGENT_SHARE_CRIME if crime else URGENT_SHARE_OTHER
        )

        # Place
        lat = lon = None
        pool = self.points.get(commune.code)
        if pool and rng.random() < SHARE_WITH_POINT:
            lat, lon = pool[rng.randrange(len(pool))]
        legacy_code = None
        legacy = reference_data.legacy_codes.get(commune.code)
        if legacy and rng.random() < SHARE_LEGACY_CODE:
            legacy_code = legacy[rng.randrange(len(legacy))]
        address = (
            f"Số {rng.randrange(1, 500)} đường {rng.choice(texts.STREETS)}"
            if rng.random() < 0.5
            else None
        )

        # Description: pieces joined by spaces, folded piece by piece (see texts).
        openings = self._folded_openings.get(category.code) or self._folded_openings["other"]
        opening, opening_f = openings[rng.randrange(len(openings))]
        when, when_f = self._folded_when[rng.randrange(len(self._folded_when))]
        detail, detail_f = self._folded_details[rng.randrange(len(self._folded_details))]
        description = f"{opening} {when} tại {commune.full_name}. {detail}"
        search_text = (
            f"{opening_f} {when_f} tai {self._folded_communes[commune.code]}. {detail_f} "
            f"{reference.casefold()}"
        )
        occurred_at = (
            created - timedelta(minutes=rng.randrange(30, 72 * 60)) if rng.random() < 0.8 else None
        )
        persons = texts.PERSONS[rng.randrange(len(texts.PERSONS))] if rng.random() < 0.15 else None
        victim = texts.VICTIMS[rng.randrange(len(texts.VICTIMS))] if rng.random() < 0.05 else None

        # Intake: routing, register, deadlines, watchers, timeline (app.tips.intake)
        routing = self._route(commune, category)
        tip.unit = routing.assigned_unit_code
        tip.register(tip.unit, created)
        commune_unit = tip.unit in reference_data.commune_units
        deadlines = compute_deadlines(
            kind=category.kind,
            unit_kind=UnitKind.commune if commune_unit else UnitKind.provincial,
            unit_remote=tip.unit in reference_data.remote_units,
            acknowledge_working_days=category.acknowledge_working_days,
            resolve_days=category.resolve_days,
            received_at=created,
            calendar=reference_data.calendar,
        )
        acknowledge_by = deadlines.acknowledge_by
        tip.classify_by = deadlines.classify_by
        tip.transfer_due_at = deadlines.transfer_due_at
        tip.due_at = deadlines.due_at
        for code in routing.watching_unit_codes:
            if code != tip.unit:
                tip.watchers[code] = "routing"
        if urgent and duty_desk != tip.unit:
            tip.watchers.setdefault(duty_desk, "urgent")
        actor = front.username if front is not None else "reporter"
        tip.event(
            "tip.created",
            created,
            actor=actor,
            to_status="received",
            public=True,
            data={
                "register_number": tip.register_number,
                "unit_code": tip.unit,
                "category_code": category.code,
                "channel": channel,
                "urgent": urgent,
            },
        )
        if urgent:
            tip.event(
                "tip.urgent",
                created,
                actor=actor,
                unit=duty_desk,
                data={"alerted_unit_code": duty_desk, "assigned_unit_code": tip.unit},
            )

        self._handling.handle(tip, commune, category, crime=crime, commune_unit=commune_unit)
        tip.reach(self.now)  # deadlines that passed since the last step

        if identity is not None:
            key_id, blob = self.cipher.encrypt(
                json.dumps(identity, ensure_ascii=False).encode(), aad=tip_id.encode()
            )
            self.batch.identities.append((tip_id, key_id, blob, None, created, created))
        for code, reason in tip.watchers.items():
            self.batch.watchers.append((tip_id, code, reason, created, created, created))
        if tip.status != "merged":
            self._duplicates[(commune.code, category.code)] = (tip_id, reference, tip.unit)
        self.batch.tips.append(
            (
                tip_id,
                reference,
                f"{self._ids.getrandbits(256):064x}",
                category.code,
                category.kind,
                tip_type,
                description,
                search_text,
                occurred_at,
                *self._sealed_people(tip_id, persons, victim),
                commune.code,
                province,
                legacy_code,
                address,
                lat,
                lon,
                False,
                False,
                anonymous,
                on_behalf,
                channel,
                front.user_id if front is not None else None,
                front.organization_id if front is not None else None,
                rng.choice(texts.MOVEMENT_MODELS) if front is not None else None,
                tip.status,
                urgent,
                1 if urgent else 0,
                tip.unit,
                None,
                tip.register_number,
                tip.received_at,
                created,
                acknowledge_by,
                tip.acknowledged_at,
                tip.classify_by,
                tip.transfer_due_at,
                tip.due_at,
                tip.first_response_at,
                tip.outcome,
                tip.outcome_summary,
                tip.merged_into_id,
                tip.closed_at,
                tip.notified,
                created,
                tip.last_change,
            )
        )


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return out
