"""Applying an administrative change-set at scale: two communes merged while the retired one
holds ``--tips`` open tips (10,000 by default), on a database of its own.

Each run also counts, over the moved tips, what the move must keep or write: receipts
unchanged, the old register entries, the new ones, the ``tip.rerouted`` events and their outbox
rows (the successor's leads are told, ``tip.new``).

The tips are written directly (Core, in bulk) at Phường Tân Định (26737), which is merged into
Phường Sài Gòn (26740); then the change-set is run as a dry run and applied, in process, through
``app.administration.changesets.apply`` — the code behind POST /admin-units/change-sets.

Baseline in the same run: moving ``--baseline-tips`` tips of another commune one at a time
through the ordinary transfer (``app.triage.handover.transfer``, one ORM transaction per tip),
which is what re-routing a merger would cost without the bulk path. Prints seconds, tips/s and
the process's peak resident memory; asserts nothing.

    python bench/bench_changesets.py --db postgresql --tips 10000
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import Report, add_database_arguments, command_line, database_url, server_env

RETIRED, SURVIVOR = "26737", "26740"
BASELINE_FROM, BASELINE_TO = "26743", "26758"


def fresh_database(url: str) -> None:
    if url.startswith("sqlite"):
        from pathlib import Path

        path = Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(
        admin.replace("postgresql+psycopg", "postgresql"), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{parsed.database}"')


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def insert_open_tips(session: Any, *, commune: str, count: int) -> None:
    """``count`` open public-disorder tips at the commune, with gapless register entries."""
    from sqlalchemy import insert

    from app.core.db import new_id
    from app.tips.models import RegisterCounter, RegisterEntry, Tip

    unit = f"CAX-{commune}"
    now = datetime.now(UTC)
    year = (now + timedelta(hours=7)).year
    tips, entries = [], []
    for seq in range(1, count + 1):
        tip_id = new_id()
        number = f"{unit}/{year}/{seq:06d}"
        tips.append(
            {
                "id": tip_id,
                "reference": f"TB-{secrets.token_hex(4).upper()}",
                "receipt_hash": secrets.token_hex(32),
                "category_code": "public_disorder",
                "kind": "security_order",
                "tip_type": "phan_anh",
                "description": "Tụ tập gây mất trật tự công cộng vào ban đêm (benchmark).",
                "search_text": "tu tap gay mat trat tu cong cong",
                "commune_code": commune,
                "province_code": "79",
                "anonymous": True,
                "on_behalf_of_organization": False,
                "location_unknown": False,
                "location_mismatch": False,
                "channel": "web",
                "status": "received" if seq % 3 else "in_progress",
                "urgent": False,
                "priority": 0,
                "assigned_unit_code": unit,
                "register_number": number,
                "received_at": now,
                "first_received_at": now,
                "acknowledge_by": now + timedelta(days=3),
                "due_at": now + timedelta(days=15),
                "created_at": now,
                "updated_at": now,
            }
        )
        entries.append(
            {
                "tip_id": tip_id,
                "unit_code": unit,
                "year": year,
                "seq": seq,
                "register_number": number,
                "registered_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, count, 2000):
        await session.execute(insert(Tip), tips[start : start + 2000])
        await session.execute(insert(RegisterEntry), entries[start : start + 2000])
    await session.execute(
        insert(RegisterCounter).values(
            unit_code=unit, year=year, last_number=count, created_at=now, updated_at=now
        )
    )
    await session.commit()


async def what_the_move_kept(session: Any, receipts: dict[str, str]) -> dict[str, int]:
    """Counts over the moved tips (ids of ``receipts``): receipts unchanged, the retired
    unit's register entries kept, the successor's entries, tip.rerouted events and their
    outbox rows (notices to the successor's leads)."""
    from sqlalchemy import func, select

    from app.notifications.models import NotificationCause
    from app.tips.models import RegisterEntry, Tip, TipEvent

    ids = list(receipts)
    counts = {
        "receipts unchanged": 0,
        "old register entries": 0,
        "new register entries": 0,
        "tip.rerouted events": 0,
        "outbox rows": 0,
    }
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for tip_id, receipt in await session.execute(
            select(Tip.id, Tip.receipt_hash).where(Tip.id.in_(chunk))
        ):
            counts["receipts unchanged"] += receipt == receipts[tip_id]
        for unit, key in ((RETIRED, "old register entries"), (SURVIVOR, "new register entries")):
            counts[key] += await session.scalar(
                select(func.count())
                .select_from(RegisterEntry)
                .where(RegisterEntry.tip_id.in_(chunk), RegisterEntry.unit_code == f"CAX-{unit}")
            )
        for model, key in ((TipEvent, "tip.rerouted events"), (NotificationCause, "outbox rows")):
            counts[key] += await session.scalar(
                select(func.count())
                .select_from(model)
                .where(model.tip_id.in_(chunk), model.type == "tip.rerouted")
            )
    return counts


async def run(args: argparse.Namespace, report: Report) -> None:
    import os

    from sqlalchemy import select

    from app.accounts.principal import Principal
    from app.administration.changesets import apply, count_open_tips
    from app.administration.schemas import ChangeSetIn
    from app.core.config import Settings
    from app.core.db import make_async_engine, make_sessionmaker
    from app.notifications import hooks as notification_hooks
    from app.tips.models import Tip
    from app.triage.handover import transfer

    settings = Settings(database_url=os.environ["TINBAO_DATABASE_URL"])
    engine = make_async_engine(settings)
    sessions = make_sessionmaker(engine)
    # As the server: outbox rows unless TINBAO_NOTIFICATIONS_ENABLED=false (--no-notifications
    # measures what the moved tips' outbox rows cost).
    notification_hooks.configure(sessions, enabled=args.notifications)
    actor = Principal(kind="api_key", id="bench", role="admin", label="bench")
    async with sessions() as session:
        await insert_open_tips(session, commune=RETIRED, count=args.tips)
        await insert_open_tips(session, commune=BASELINE_FROM, count=args.baseline_tips)

    body = {
        "effective_at": datetime.now(UTC).isoformat(),
        "note": "benchmark",
        "changes": [
            {
                "type": "merge_communes",
                "from": [SURVIVOR, RETIRED],
                "into": {"code": SURVIVOR, "name": "Sài Gòn", "type": "phuong"},
            }
        ],
    }
    async with sessions() as session:
        receipts = dict(
            (
                await session.execute(
                    select(Tip.id, Tip.receipt_hash).where(
                        Tip.assigned_unit_code == f"CAX-{RETIRED}"
                    )
                )
            ).all()
        )
    rows = []
    for dry_run in (True, False):
        data = ChangeSetIn.model_validate({**body, "dry_run": dry_run})
        async with sessions() as session:
            started = time.perf_counter()
            result = await apply(session, actor=actor, data=data)
            await session.commit()
            seconds = time.perf_counter() - started
        moved = sum(r.open_tips for r in result.reroutes)
        rows.append(
            [
                "change-set, dry run" if dry_run else "change-set, applied",
                moved,
                f"{seconds:.2f}",
                f"{moved / seconds:,.0f}",
            ]
        )
    async with sessions() as session:
        left = await count_open_tips(session, f"CAX-{RETIRED}")
        arrived = await count_open_tips(session, f"CAX-{SURVIVOR}")
        intact = await what_the_move_kept(session, receipts)

    # Baseline: the same kind of move, one tip per transaction through the ordinary transfer.
    async with sessions() as session:
        ids = list(
            await session.scalars(
                select(Tip.id).where(Tip.assigned_unit_code == f"CAX-{BASELINE_FROM}")
            )
        )
    started = time.perf_counter()
    for tip_id in ids:
        async with sessions() as session:
            tip = await session.get(Tip, tip_id)
            assert tip is not None
            await transfer(
                session, tip=tip, actor=actor, unit_code=f"CAX-{BASELINE_TO}", reason="benchmark"
            )
            await session.commit()
    seconds = time.perf_counter() - started
    rows.append(
        [
            "baseline: transfer one at a time",
            len(ids),
            f"{seconds:.2f}",
            f"{len(ids) / seconds:,.0f}",
        ]
    )
    await engine.dispose()

    report.line(
        f"{args.tips:,} open tips at CAX-{RETIRED} merged into CAX-{SURVIVOR} (notifications "
        f"{'on' if args.notifications else 'off'}); after applying: "
        f"{left} open at the retired unit, {arrived:,} at the successor."
    )
    report.line()
    report.line(
        "checked after applying, over the moved tips: "
        + ", ".join(f"{name} {value:,}" for name, value in intact.items())
    )
    report.line()
    report.table(["what", "tips moved", "seconds", "tips/s"], rows)
    report.line(f"peak resident memory of the process: {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_arguments(parser)
    parser.add_argument("--tips", type=int, default=10_000)
    parser.add_argument("--baseline-tips", type=int, default=1_000)
    parser.add_argument(
        "--no-notifications",
        dest="notifications",
        action="store_false",
        help="write no outbox rows (as TINBAO_NOTIFICATIONS_ENABLED=false)",
    )
    args = parser.parse_args()
    url = database_url(args)
    if url.startswith("postgresql") and not args.database_url:
        url = url.replace("tinbao_bench", "tinbao_bench_changesets")
    fresh_database(url)
    env = server_env(url)
    from harness import prepare_database

    prepare_database(env)
    import os

    os.environ.update(env)
    report = Report(name="Administrative change-set: a merger at scale", url=url)
    report.command = command_line()
    asyncio.run(run(args, report))
    report.save()


if __name__ == "__main__":
    main()
