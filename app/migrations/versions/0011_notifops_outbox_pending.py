"""notifops: a partial index of notice deliveries not yet settled, by channel
(tinbao_outbox_pending{kind} counts it, never the whole table)

Revision ID: 0011_notifops_outbox_pending
Revises: 0010_stats_first_received
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_notifops_outbox_pending"
down_revision: str | None = "0010_stats_first_received"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING = "status IN ('pending', 'failed', 'sending')"


def upgrade() -> None:
    op.create_index(
        "ix_notification_deliveries_waiting",
        "notification_deliveries",
        ["channel"],
        postgresql_where=sa.text(_WAITING),
        sqlite_where=sa.text(_WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_notification_deliveries_waiting", table_name="notification_deliveries")
