"""Running the notification worker from a test, with a chosen clock and settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.notifications import worker
from app.notifications.models import Notification, NotificationDelivery

INBOX = "/api/v1/notifications"


async def run_worker(
    app: Any, *, now: datetime | None = None, settings: Settings | None = None
) -> int:
    async with worker.http_client() as http:
        return await worker.run_once(
            app.state.sessionmaker,
            settings=settings or app.state.settings,
            cipher=app.state.cipher,
            http=http,
            now=now,
        )


async def inbox_types(db: AsyncSession, user_id: str, tip_id: str | None = None) -> list[str]:
    db.expire_all()
    query = select(Notification.type).where(Notification.user_id == user_id)
    if tip_id is not None:
        query = query.where(Notification.tip_id == tip_id)
    return list(await db.scalars(query.order_by(Notification.id)))


async def deliveries(db: AsyncSession, **where: Any) -> list[NotificationDelivery]:
    db.expire_all()
    query = select(NotificationDelivery).filter_by(**where).order_by(NotificationDelivery.id)
    return list(await db.scalars(query))


def with_settings(app: Any, **values: Any) -> Settings:
    settings: Settings = app.state.settings
    return settings.model_copy(update=values)
