"""stats: the columns a summary groups and filters by, copied onto ``tip_provinces``

A province-year summary read ``tip_provinces`` for the ids, then ~19,000 tips by primary key
(random heap reads) for the grouping columns. The rows now carry those columns (the tip's
category, unit, status, outcome, kind, type, channel, organization, movement model and the
place's province as ``place_province_code``; app.tips.provinces keeps them equal to the tip's)
and, on PostgreSQL, the range index carries them too (INCLUDE), so the summary is an
index-only scan of one range.

The rows are rewritten from the rule (the statement of 0012 with the columns), in
(province, first receipt) order: a fresh table without dead rows whose heap follows the index.

Revision ID: 0013_stats_province_columns
Revises: 0012_stats_province_marker
"""

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op

revision: str = "0013_stats_province_columns"
down_revision: str | None = "0012_stats_province_marker"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_tip_provinces_province_received"
# tips column -> tip_provinces column, type, nullable (as the tips columns).
_COLUMNS: tuple[tuple[str, str, sa.types.TypeEngine[str], bool], ...] = (
    ("category_code", "category_code", sa.String(length=40), False),
    ("assigned_unit_code", "assigned_unit_code", sa.String(length=32), False),
    ("status", "status", sa.String(length=16), False),
    ("outcome", "outcome", sa.String(length=24), True),
    ("kind", "kind", sa.String(length=16), False),
    ("tip_type", "tip_type", sa.String(length=24), False),
    ("channel", "channel", sa.String(length=16), False),
    ("organization_id", "organization_id", sa.String(length=36), True),
    ("movement_model", "movement_model", sa.String(length=120), True),
    ("province_code", "place_province_code", sa.String(length=2), False),
)
_COPIES = ", ".join(f"t.{tip}" for tip, _, _, _ in _COLUMNS)
_STORED = ", ".join(stored for _, stored, _, _ in _COLUMNS)

# 0012's rule, with the copies; ordered so that the heap follows the index. (Built from the
# constant column names above only.)
_FILL = f"""
INSERT INTO tip_provinces (tip_id, province_code, first_received_at, {_STORED})
SELECT * FROM (
  SELECT t.id, t.province_code, t.first_received_at, {_COPIES} FROM tips t
  UNION
  SELECT t.id, u.province_code, t.first_received_at, {_COPIES}
    FROM tips t JOIN police_units u ON u.code = t.assigned_unit_code
  UNION
  SELECT r.tip_id, u.province_code, t.first_received_at, {_COPIES}
    FROM register_entries r
    JOIN tips t ON t.id = r.tip_id
    JOIN police_units u ON u.code = r.unit_code
) AS rule
ORDER BY 2, 3, 1
"""  # noqa: S608


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _rebuild() -> Literal["auto", "always"]:
    return "auto" if _postgresql() else "always"


def upgrade() -> None:
    op.drop_index(_INDEX, table_name="tip_provinces")
    # Emptied and refilled below (the columns are NOT NULL; no per-row UPDATE of 1,000,000
    # rows leaving as many dead ones behind).
    op.execute("TRUNCATE tip_provinces" if _postgresql() else "DELETE FROM tip_provinces")
    # SQLite adds a NOT NULL column without a default only by rebuilding the (empty) table.
    with op.batch_alter_table("tip_provinces", recreate=_rebuild()) as batch:
        for _, stored, kind, nullable in _COLUMNS:
            batch.add_column(sa.Column(stored, kind, nullable=nullable))
    if _postgresql():
        # The UNION's de-duplication and the ORDER BY sort in memory (this transaction only).
        op.execute("SET LOCAL work_mem = '256MB'")
    op.execute(_FILL)
    op.create_index(
        _INDEX,
        "tip_provinces",
        ["province_code", "first_received_at", "tip_id"],
        postgresql_include=[stored for _, stored, _, _ in _COLUMNS],
    )
    if _postgresql():
        op.execute("ANALYZE tip_provinces")


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="tip_provinces")
    with op.batch_alter_table("tip_provinces") as batch:
        for _, stored, _, _ in reversed(_COLUMNS):
            batch.drop_column(stored)
    op.create_index(_INDEX, "tip_provinces", ["province_code", "first_received_at", "tip_id"])
