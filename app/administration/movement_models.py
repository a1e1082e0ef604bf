"""Creating and editing movement models: admins any, province supervisors their province's."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import MovementModel, Role
from app.admin_units.fold import fold
from app.admin_units.models import Province
from app.administration.events import ReferenceKind, reference_changed
from app.administration.schemas import MovementModelCreate, MovementModelPatch
from app.core.errors import Conflict, NotFound, ValidationFailed, msg
from app.core.principal import Principal
from app.scope.province import ensure_may_change_province

_NATIONAL_IS_ADMINS = msg("movement_models.national_is_admins")


def _may_edit(actor: Principal, province_code: str | None) -> None:
    ensure_may_change_province(actor, province_code, refusal=_NATIONAL_IS_ADMINS)


async def create_model(
    session: AsyncSession, *, actor: Principal, data: MovementModelCreate
) -> MovementModel:
    province_code = data.province_code
    if actor.role == Role.province_supervisor and province_code is None:
        province_code = actor.province_code  # a supervisor's model is their province's
    _may_edit(actor, province_code)
    if province_code is not None and await session.get(Province, province_code) is None:
        raise ValidationFailed(errors=[("province_code", msg("administration.unknown_province"))])
    if await session.get(MovementModel, data.code) is not None:
        raise Conflict(msg("movement_models.code_taken"))
    model = MovementModel(
        code=data.code,
        name=data.name,
        name_folded=fold(data.name),
        province_code=province_code,
        active=True,
    )
    session.add(model)
    await session.flush()
    await reference_changed(
        session,
        actor=actor,
        kind=ReferenceKind.movement_model,
        code=model.code,
        action="movement_model.created",
        data={"name": model.name, "province_code": province_code},
    )
    return model


async def update_model(
    session: AsyncSession, *, actor: Principal, code: str, data: MovementModelPatch
) -> MovementModel:
    model = await session.get(MovementModel, code)
    if model is None:
        raise NotFound(msg("movement_models.not_found"))
    _may_edit(actor, model.province_code)
    changes: dict[str, dict[str, object]] = {}
    if data.name is not None and data.name != model.name:
        changes["name"] = {"from": model.name, "to": data.name}
        model.name, model.name_folded = data.name, fold(data.name)
    if data.active is not None and data.active != model.active:
        changes["active"] = {"from": model.active, "to": data.active}
        model.active = data.active
    if changes:
        await session.flush()
        await reference_changed(
            session,
            actor=actor,
            kind=ReferenceKind.movement_model,
            code=code,
            action="movement_model.updated",
            data={"changes": changes},
        )
    return model
