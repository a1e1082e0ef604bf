"""stats: the province rule stored per tip (``tip_provinces``), filled from the existing tips
by the rule (the place, the unit holding it, every unit whose register it is in)

Statistics and reviews read a province's tips of a window from it with one index range
(``province_code, first_received_at, tip_id``) instead of evaluating the rule's three
branches. app.tips.provinces keeps it up to date from here on.

Revision ID: 0012_stats_province_marker
Revises: 0011_notifops_outbox_pending
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_stats_province_marker"
down_revision: str | None = "0011_notifops_outbox_pending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One set-based statement (the rule as app.tips.provinces.rule_rows writes it): at 1,000,000
# tips a few hash joins and one de-duplication, no per-tip round trip.
_BACKFILL = """
INSERT INTO tip_provinces (tip_id, province_code, first_received_at)
SELECT t.id, t.province_code, t.first_received_at FROM tips t
UNION
SELECT t.id, u.province_code, t.first_received_at
  FROM tips t JOIN police_units u ON u.code = t.assigned_unit_code
UNION
SELECT r.tip_id, u.province_code, t.first_received_at
  FROM register_entries r
  JOIN tips t ON t.id = r.tip_id
  JOIN police_units u ON u.code = r.unit_code
"""


def upgrade() -> None:
    op.create_table(
        "tip_provinces",
        sa.Column("tip_id", sa.String(length=36), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("first_received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tip_id"], ["tips.id"], name=op.f("fk_tip_provinces_tip_id_tips"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
            name=op.f("fk_tip_provinces_province_code_provinces"),
        ),
        sa.PrimaryKeyConstraint("tip_id", "province_code", name=op.f("pk_tip_provinces")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # The UNION's de-duplication sorts ~3 rows per tip: in memory, not in temporary files
        # (this transaction only).
        op.execute("SET LOCAL work_mem = '128MB'")
    op.execute(_BACKFILL)
    # After the rows: one sort instead of a million index insertions.
    op.create_index(
        "ix_tip_provinces_province_received",
        "tip_provinces",
        ["province_code", "first_received_at", "tip_id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE tip_provinces")


def downgrade() -> None:
    op.drop_index("ix_tip_provinces_province_received", table_name="tip_provinces")
    op.drop_table("tip_provinces")
