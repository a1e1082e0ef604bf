"""workflow: classification time and the once-only markers of the acknowledge/classify checks

Revision ID: 0006_workflow_acknowledgement
Revises: 0005_security
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_workflow_acknowledgement"
down_revision: str | None = "0005_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("classified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("acknowledge_overdue_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("classify_overdue_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_column("classify_overdue_at")
        batch_op.drop_column("acknowledge_overdue_at")
        batch_op.drop_column("classified_at")
