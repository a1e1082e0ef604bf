"""What starts and stops with the app: geometry, bootstrap admin, background workers."""

from __future__ import annotations

from fastapi import FastAPI


async def startup(app: FastAPI) -> None:
    from app.admin_units.geo import get_locator

    app.state.locator = get_locator()

    from app.accounts.bootstrap import ensure_bootstrap_admin

    await ensure_bootstrap_admin(app)

    if app.state.settings.scheduler_enabled:
        from app.triage import jobs

        jobs.start(app)

        from app.integration import worker as webhook_worker

        webhook_worker.start(app)

        from app.notifications import worker as notification_worker

        notification_worker.start(app)


async def shutdown(app: FastAPI) -> None:
    from app.triage import jobs

    await jobs.stop(app)

    from app.integration import worker as webhook_worker

    await webhook_worker.stop(app)

    from app.notifications import worker as notification_worker

    await notification_worker.stop(app)
    await app.state.engine.dispose()
