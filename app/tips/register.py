"""The units' registers ("sổ tiếp nhận"): gapless numbers per unit and local year."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import dialect
from app.core.db import UTCDateTime
from app.core.rows import Rows
from app.core.time import local_day
from app.tips.models import RegisterCounter, RegisterEntry, Tip
from app.tips.provinces import record_new_tip, record_provinces

# One upsert creates the counter row at 1 or increments it, and answers the number. Plain SQL
# built once (PostgreSQL and SQLite >= 3.35 read it alike): SQLAlchemy 2.0 never caches the
# compiled form of a dialect ``insert().on_conflict_do_update()``, so that construct was
# compiled again on every tip; a ``text()`` with typed parameters is compiled once.
_NEXT_NUMBER = text(
    "INSERT INTO register_counters (unit_code, year, last_number, created_at, updated_at) "
    "VALUES (:unit_code, :year, 1, :at, :at) "
    "ON CONFLICT (unit_code, year) DO UPDATE "
    "SET last_number = register_counters.last_number + 1, updated_at = excluded.updated_at "
    "RETURNING last_number"
).bindparams(
    bindparam("unit_code", type_=String()),
    bindparam("year", type_=Integer()),
    bindparam("at", type_=UTCDateTime()),
)


# A new tip's row and its register entry go in by Core INSERTs (one compiled form each,
# cached: app.core.rows), not by a unit-of-work flush: the tip is never added to the session
# (nothing on the intake path changes it after this INSERT, and nothing refers to it but by
# its id).
_TIP_ROWS = Rows(Tip)
_ENTRY_ROWS = Rows(RegisterEntry)


async def _number(
    session: AsyncSession, *, tip: Tip, unit_code: str, at: datetime
) -> dict[str, Any]:
    """Take the next number of ``unit_code``'s register for the local year of ``at``: sets
    ``tip.register_number`` and answers the entry's values (by attribute name).

    Numbers are gapless and unique per unit and year: the upsert holds the counter's row lock
    (PostgreSQL) or the database write lock (SQLite) until the transaction ends; a
    rolled-back intake gives its number back."""
    year = local_day(at).year
    result = await session.execute(_NEXT_NUMBER, {"unit_code": unit_code, "year": year, "at": at})
    seq = int(result.scalar_one())
    number = f"{unit_code}/{year}/{seq:06d}"
    tip.register_number = number
    return {
        "tip_id": tip.id,
        "unit_code": unit_code,
        "year": year,
        "seq": seq,
        "register_number": number,
        "registered_at": at,
    }


async def reserve_numbers(
    session: AsyncSession, *, unit_code: str, count: int, at: datetime
) -> tuple[int, int]:
    """Reserve ``count`` consecutive numbers of ``unit_code``'s register for the local year of
    ``at`` at once (a change-set moving many tips): answers the year and the first number.
    Same counter and lock as :func:`_number`."""
    year = local_day(at).year
    statement = dialect.insert(session, RegisterCounter).values(
        unit_code=unit_code, year=year, last_number=count, created_at=at, updated_at=at
    )
    last = (
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["unit_code", "year"],
                set_={"last_number": RegisterCounter.last_number + count, "updated_at": at},
            ).returning(RegisterCounter.last_number)
        )
    ).scalar_one()
    return year, last - count + 1


async def enter_in_register(
    session: AsyncSession, *, tip: Tip, unit_code: str, at: datetime
) -> RegisterEntry:
    """Enter a tip already stored (a transfer, a correction's re-routing) in ``unit_code``'s
    register for the local year of ``at``, and bring the tip's provinces
    (app.tips.provinces) up to date: the unit that receives it now counts too."""
    entry = RegisterEntry(**await _number(session, tip=tip, unit_code=unit_code, at=at))
    await session.flush()  # the tip's new number before the entry that repeats it
    session.add(entry)
    await record_provinces(session, [tip.id])
    return entry


async def enter_new_tip(session: AsyncSession, *, tip: Tip, unit_code: str, at: datetime) -> str:
    """Store a new tip (not in the session, and not added to it) entered in ``unit_code``'s
    register, with its provinces (app.tips.provinces.record_new_tip: its place's and the
    receiving unit's), by Core INSERTs; answers its register number."""
    entry = await _number(session, tip=tip, unit_code=unit_code, at=at)
    # The tip before the rows that refer to it; a taken reference raises IntegrityError here.
    await session.execute(_TIP_ROWS.insert, _TIP_ROWS.row_of(tip))
    await session.execute(_ENTRY_ROWS.insert, _ENTRY_ROWS.row(entry))
    await record_new_tip(
        session,
        tip_id=tip.id,
        province_code=tip.province_code,
        unit_code=unit_code,
    )
    return tip.register_number
