"""Organizations (Front committees and member organizations): creating and listing them, and
the Fatherland Front's structure: a committee reviews the reports of the organizations and
committees below it (``organizations.parent_id``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization, Role
from app.accounts.paging import OUTSIDE_PROVINCE, id_after
from app.accounts.schemas import OrganizationCreate
from app.admin_units.models import Commune, Province
from app.core import audit_log as audit
from app.core.errors import Message, ValidationFailed, msg
from app.core.pagination import split_page
from app.core.principal import Principal


def organization_subtree(organization_id: str) -> Select[tuple[str]]:
    """The ids of the organization and every organization below it (a recursive query).

    Parents are set only when an organization is created, to one that already exists, so
    the tree has no cycles.
    """
    tree = (
        select(Organization.id)
        .where(Organization.id == organization_id)
        .cte("organization_tree", recursive=True)
    )
    tree = tree.union_all(select(Organization.id).where(Organization.parent_id == tree.c.id))
    return select(tree.c.id)


async def _resolve_commune(session: AsyncSession, code: str) -> Commune | None:
    """Today's commune for a code (a commune retired by a later merger leads to its heir)."""
    seen: set[str] = set()
    commune = await session.get(Commune, code)
    while commune is not None and commune.merged_into and commune.code not in seen:
        seen.add(commune.code)
        commune = await session.get(Commune, commune.merged_into)
    return commune


async def create_organization(
    session: AsyncSession, *, actor: Principal, data: OrganizationCreate
) -> Organization:
    errors: list[tuple[str, Message]] = []
    if await session.get(Province, data.province_code) is None:
        errors.append(("province_code", msg("accounts.unknown_province")))
    elif actor.role != Role.admin and data.province_code != actor.province_code:
        errors.append(("province_code", OUTSIDE_PROVINCE))
    commune_code = None
    if data.commune_code is not None:
        commune = await _resolve_commune(session, data.commune_code)
        if commune is None:
            errors.append(("commune_code", msg("accounts.unknown_commune")))
        elif commune.province_code != data.province_code:
            errors.append(("commune_code", msg("accounts.commune_not_in_province")))
        else:
            commune_code = commune.code
    if data.parent_id is not None:
        parent = await session.get(Organization, data.parent_id)
        if parent is None or parent.province_code != data.province_code:
            # Another province's organization is not found (a supervisor learns nothing).
            errors.append(("parent_id", msg("accounts.unknown_parent")))
    if errors:
        raise ValidationFailed(errors=errors)
    organization = Organization(
        name=data.name,
        kind=data.kind,
        province_code=data.province_code,
        commune_code=commune_code,
        parent_id=data.parent_id,
    )
    session.add(organization)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="organization.created",
        object_type="organization",
        object_id=organization.id,
        data={
            "kind": organization.kind,
            "province_code": organization.province_code,
            "commune_code": organization.commune_code,
            "parent_id": organization.parent_id,
        },
    )
    return organization


async def list_organizations(
    session: AsyncSession,
    *,
    actor: Principal,
    province_code: str | None = None,
    commune_code: str | None = None,
    kind: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[Sequence[Organization], str | None]:
    query = select(Organization).order_by(Organization.id).limit(limit + 1)
    if actor.role != Role.admin:
        query = query.where(Organization.province_code == actor.province_code)
    if province_code:
        query = query.where(Organization.province_code == province_code)
    if commune_code:
        query = query.where(Organization.commune_code == commune_code)
    if kind:
        query = query.where(Organization.kind == kind)
    if cursor:
        query = query.where(Organization.id > id_after(cursor))
    rows = (await session.execute(query)).scalars().all()
    return split_page(rows, limit)
