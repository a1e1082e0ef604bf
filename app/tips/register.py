"""The units' registers ("sổ tiếp nhận"): gapless numbers per unit and local year."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import dialect
from app.core.time import local_day
from app.tips.models import RegisterCounter, RegisterEntry, Tip
from app.tips.provinces import record_provinces


async def enter_in_register(
    session: AsyncSession, *, tip: Tip, unit_code: str, at: datetime
) -> RegisterEntry:
    """Enter ``tip`` in ``unit_code``'s register for the local year of ``at``.

    Numbers are gapless and unique per unit and year: one upsert creates the counter row at 1
    or increments it (``INSERT … ON CONFLICT DO UPDATE … RETURNING``), which holds its row
    lock (PostgreSQL) or the database write lock (SQLite) until the transaction ends; a
    rolled-back intake gives its number back. Sets ``tip.register_number``, writes the tip
    and the entry, and brings the tip's provinces (app.tips.provinces) up to date: the unit
    that receives it, and its place, count.
    """
    year = local_day(at).year
    stmt = dialect.insert(session, RegisterCounter).values(
        unit_code=unit_code, year=year, last_number=1, created_at=at, updated_at=at
    )
    seq = (
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["unit_code", "year"],
                set_={"last_number": RegisterCounter.last_number + 1, "updated_at": at},
            ).returning(RegisterCounter.last_number)
        )
    ).scalar_one()
    number = f"{unit_code}/{year}/{seq:06d}"
    tip.register_number = number
    await session.flush()  # a new tip is inserted before the rows that refer to it
    entry = RegisterEntry(
        tip_id=tip.id,
        unit_code=unit_code,
        year=year,
        seq=seq,
        register_number=number,
        registered_at=at,
    )
    session.add(entry)
    await record_provinces(session, [tip.id])
    return entry
