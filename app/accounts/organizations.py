"""The Fatherland Front's structure: a committee reviews the reports of the organizations and
committees below it (``organizations.parent_id``)."""

from __future__ import annotations

from sqlalchemy import Select, select

from app.accounts.models import Organization


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
