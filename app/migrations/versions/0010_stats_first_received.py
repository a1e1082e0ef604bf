"""stats: the time a tip was first received (statistics count by it)

``tips.received_at`` is when the *current* unit received the tip (a transfer resets it);
``first_received_at`` keeps the original receipt: the intake record's time for a back-dated
walk-in or hotline intake, else the submission time.

Revision ID: 0010_stats_first_received
Revises: 0009_privacy_sealed_people
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_stats_first_received"
down_revision: str | None = "0009_privacy_sealed_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_received_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE tips SET first_received_at = COALESCE("
        "(SELECT intake_records.received_at FROM intake_records"
        " WHERE intake_records.tip_id = tips.id), tips.created_at)"
    )
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.alter_column(
            "first_received_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index(
            "ix_tips_province_first_received", ["province_code", "first_received_at"]
        )
        batch_op.create_index(
            "ix_tips_unit_first_received", ["assigned_unit_code", "first_received_at"]
        )
        batch_op.create_index("ix_tips_first_received", ["first_received_at"])


def downgrade() -> None:
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_index("ix_tips_first_received")
        batch_op.drop_index("ix_tips_unit_first_received")
        batch_op.drop_index("ix_tips_province_first_received")
        batch_op.drop_column("first_received_at")
