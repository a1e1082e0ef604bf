"""Create the first admin at startup (TINBAO_BOOTSTRAP_ADMIN_PASSWORD)."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.accounts import service
from app.accounts.passwords import password_problem
from app.core.i18n import Lang
from app.core.messages import pick

log = logging.getLogger("tinbao.accounts")


async def ensure_bootstrap_admin(app: FastAPI) -> None:
    """When the password is set and no admin exists, create user `admin`. Idempotent, and
    safe when several workers start at once: the unique username lets one insert win."""
    password = app.state.settings.bootstrap_admin_password
    if not password:
        return
    # Production refuses to start with a weak one (Settings); development only skips it.
    problem = password_problem(password, username=service.BOOTSTRAP_USERNAME)
    if problem is not None:
        log.warning(
            "bootstrap admin not created: TINBAO_BOOTSTRAP_ADMIN_PASSWORD: %s",
            pick(problem, Lang.en),
        )
        return
    async with app.state.sessionmaker() as session:
        try:
            user = await service.create_bootstrap_admin(session, password=password)
            await session.commit()
        except IntegrityError:
            await session.rollback()
            log.info("bootstrap admin: created by another process")
            return
        except DBAPIError as exc:
            # Not migrated yet, say: /readyz reports it; the admin comes on the next start.
            await session.rollback()
            log.warning("bootstrap admin skipped, database not ready: %s", type(exc.orig).__name__)
            return
    if user is not None:
        log.info("bootstrap admin: created user %r", user.username)
