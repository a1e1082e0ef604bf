"""What starts and stops with the app: geometry, bootstrap admin, background workers."""

from __future__ import annotations

from fastapi import FastAPI


async def startup(app: FastAPI) -> None:
    from app.admin_units.geo import get_locator

    app.state.locator = get_locator()


async def shutdown(app: FastAPI) -> None:
    await app.state.engine.dispose()
