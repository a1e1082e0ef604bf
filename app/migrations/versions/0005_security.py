"""security: forced password change, tip event hash chain, correction requests

Revision ID: 0005_security
Revises: 0004_notifications
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_security"
down_revision: str | None = "0004_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS_BEFORE = "kind IN ('access', 'erasure')"
_KINDS_AFTER = "kind IN ('access', 'erasure', 'correction')"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("tip_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("correction_key_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("correction_ciphertext", sa.LargeBinary(), nullable=True))
        batch_op.drop_constraint(op.f("ck_privacy_requests_kind_enum"), type_="check")
        batch_op.create_check_constraint(op.f("ck_privacy_requests_kind_enum"), _KINDS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM privacy_requests WHERE kind = 'correction'")
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_privacy_requests_kind_enum"), type_="check")
        batch_op.create_check_constraint(op.f("ck_privacy_requests_kind_enum"), _KINDS_BEFORE)
        batch_op.drop_column("correction_ciphertext")
        batch_op.drop_column("correction_key_id")
    with op.batch_alter_table("tip_events", schema=None) as batch_op:
        batch_op.drop_column("chain_hash")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
