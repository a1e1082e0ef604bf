"""Front movement models ("mô hình"): the list Front intake and reviews use.

National models (``province_code`` None) are open to every province; a province's own models
only to its Front organizations. Front intake takes a code; an inactive or another province's
model answers 422 ``invalid_choice``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import MovementModel
from app.core.errors import ValidationFailed, msg


class UnknownMovementModel(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(errors=[("movement_model", msg("accounts.unknown_movement_model"))])


async def list_models(
    session: AsyncSession, *, province_code: str | None, include_inactive: bool = False
) -> Sequence[MovementModel]:
    """National models and, with ``province_code``, that province's (else every province's)."""
    stmt = select(MovementModel).order_by(
        MovementModel.province_code.is_not(None), MovementModel.province_code, MovementModel.name
    )
    if province_code:
        stmt = stmt.where(
            or_(MovementModel.province_code.is_(None), MovementModel.province_code == province_code)
        )
    if not include_inactive:
        stmt = stmt.where(MovementModel.active.is_(True))
    return (await session.scalars(stmt)).all()


async def check_model(session: AsyncSession, *, code: str, province_code: str) -> str:
    """``code`` if it is an active model open to ``province_code``; else UnknownMovementModel."""
    model = await session.get(MovementModel, code)
    if (
        model is None
        or not model.active
        or (model.province_code is not None and model.province_code != province_code)
    ):
        raise UnknownMovementModel()
    return model.code
