from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.admin_units.geo import CommuneLocator, get_locator


def get_app_locator(request: Request) -> CommuneLocator:
    """The locator loaded at startup (``app.state.locator``); the process-wide one otherwise."""
    locator = getattr(request.app.state, "locator", None)
    return locator if isinstance(locator, CommuneLocator) else get_locator()


LocatorDep = Annotated[CommuneLocator, Depends(get_app_locator)]
