"""What starts and stops with the app: geometry, bootstrap admin, background workers."""

from __future__ import annotations

import logging

from fastapi import FastAPI

log = logging.getLogger("tinbao")


async def _migrated(app: FastAPI) -> bool:
    """False when the database is reachable but not at the code's migration head: one line
    says so (/readyz says it too) and nothing touches the schema. Unreachable counts as
    migrated here: start as before and let /readyz tell."""
    from app.core.ops import current_revision, not_migrated_message

    head = app.state.migration_head
    try:
        async with app.state.engine.connect() as conn:
            current = await current_revision(conn)
    except Exception as exc:
        log.warning("database not reachable at start-up (%s)", type(exc).__name__)
        return True
    if current != head:
        log.error(not_migrated_message(current, head))
        return False
    return True


async def startup(app: FastAPI) -> None:
    from app.admin_units.geo import get_locator

    app.state.locator = get_locator()
    if not await _migrated(app):
        return  # no bootstrap admin, no scheduler: restart once `tinbao migrate` has run

    from app.accounts.bootstrap import ensure_bootstrap_admin

    await ensure_bootstrap_admin(app)

    if app.state.settings.scheduler_enabled:
        from app import background

        background.start(app)  # scheduled jobs and outbox delivery


async def freeze_heap(app: FastAPI) -> None:
    """A serving worker's last start-up step (TINBAO_GC_FREEZE, app.core.gc_tuning): load the
    reference snapshots intake reads on every tip, so that they are frozen with the rest of
    the start-up heap instead of being walked by the first full collections, then freeze."""
    from app.admin_units.places import place_snapshot
    from app.core.gc_tuning import freeze_startup_heap
    from app.units.deadlines import load_calendar
    from app.units.service import units_snapshot

    try:
        async with app.state.sessionmaker() as session:
            await units_snapshot(session)
            await place_snapshot(session)
            await load_calendar(session)
    except Exception as exc:  # not migrated or not reachable: the first request loads them
        log.warning("reference snapshots not loaded at start-up (%s)", type(exc).__name__)
    freeze_startup_heap()


async def shutdown(app: FastAPI) -> None:
    from app import background

    await background.stop(app)
    await app.state.engine.dispose()
    if app.state.read_router.replica_engine is not None:
        await app.state.read_router.replica_engine.dispose()
