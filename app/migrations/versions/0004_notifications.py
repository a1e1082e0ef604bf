"""notifications: outbox (causes), inbox, deliveries, urgent alerts, contacts, escalation

Revision ID: 0004_notifications
Revises: 0003_reference_admin
Create Date: 2026-12-01 11:07:31.056847
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_notifications"
down_revision: str | None = "0003_reference_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_causes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("tip_id", sa.String(length=36), nullable=True),
        sa.Column("tip_event_id", sa.BigInteger(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=80), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("expanded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tip_id"], ["tips.id"], name=op.f("fk_notification_causes_tip_id_tips")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_causes")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_causes_dedupe_key")),
        sa.UniqueConstraint("tip_event_id", name=op.f("uq_notification_causes_tip_event_id")),
    )
    with op.batch_alter_table("notification_causes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_causes_pending",
            ["id"],
            unique=False,
            postgresql_where=sa.text("expanded_at IS NULL"),
            sqlite_where=sa.text("expanded_at IS NULL"),
        )
        batch_op.create_index(batch_op.f("ix_notification_causes_tip_id"), ["tip_id"], unique=False)

    op.create_table(
        "reporter_notify_contacts",
        sa.Column("tip_id", sa.String(length=36), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tip_id"], ["tips.id"], name=op.f("fk_reporter_notify_contacts_tip_id_tips")
        ),
        sa.PrimaryKeyConstraint("tip_id", name=op.f("pk_reporter_notify_contacts")),
    )
    op.create_table(
        "urgent_alerts",
        sa.Column("tip_id", sa.String(length=36), nullable=False),
        sa.Column("duty_desk_code", sa.String(length=32), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.String(length=36), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["users.id"],
            name=op.f("fk_urgent_alerts_acknowledged_by_id_users"),
        ),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"], name=op.f("fk_urgent_alerts_tip_id_tips")),
        sa.PrimaryKeyConstraint("tip_id", name=op.f("pk_urgent_alerts")),
    )
    with op.batch_alter_table("urgent_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_urgent_alerts_open",
            ["raised_at"],
            unique=False,
            postgresql_where=sa.text("acknowledged_at IS NULL AND escalated_at IS NULL"),
            sqlite_where=sa.text("acknowledged_at IS NULL AND escalated_at IS NULL"),
        )

    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cause_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("tip_id", sa.String(length=36), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('email', 'sms', 'web_push')",
            name=op.f("ck_notification_deliveries_channel_enum"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'failed', 'sending', 'delivered', 'dead', 'suppressed')",
            name=op.f("ck_notification_deliveries_status_enum"),
        ),
        sa.ForeignKeyConstraint(
            ["cause_id"],
            ["notification_causes.id"],
            name=op.f("fk_notification_deliveries_cause_id_notification_causes"),
        ),
        sa.ForeignKeyConstraint(
            ["tip_id"], ["tips.id"], name=op.f("fk_notification_deliveries_tip_id_tips")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_deliveries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint(
            "cause_id",
            "recipient",
            "channel",
            name=op.f("uq_notification_deliveries_cause_id_recipient_channel"),
        ),
    )
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_deliveries_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_notification_deliveries_recipient", ["recipient", "created_at"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("cause_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("tip_id", sa.String(length=36), nullable=True),
        sa.Column("reference", sa.String(length=16), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cause_id"],
            ["notification_causes.id"],
            name=op.f("fk_notifications_cause_id_notification_causes"),
        ),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"], name=op.f("fk_notifications_tip_id_tips")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("cause_id", "user_id", name=op.f("uq_notifications_cause_id_user_id")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_user", ["user_id", "id"], unique=False)
        batch_op.create_index(
            "ix_notifications_user_unread",
            ["user_id", "id"],
            unique=False,
            postgresql_where=sa.text("read_at IS NULL"),
            sqlite_where=sa.text("read_at IS NULL"),
        )

    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("locale", sa.String(length=2), server_default="vi", nullable=False)
        )
        batch_op.add_column(
            sa.Column("notify_channels", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("web_push", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("notify_new_tips", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("notify_new_tips")
        batch_op.drop_column("web_push")
        batch_op.drop_column("notify_channels")
        batch_op.drop_column("locale")
        batch_op.drop_column("phone")
        batch_op.drop_column("email")

    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_column("escalation_level")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_notifications_user_unread",
            postgresql_where=sa.text("read_at IS NULL"),
            sqlite_where=sa.text("read_at IS NULL"),
        )
        batch_op.drop_index("ix_notifications_user")

    op.drop_table("notifications")
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_deliveries_recipient")
        batch_op.drop_index("ix_notification_deliveries_due")

    op.drop_table("notification_deliveries")
    with op.batch_alter_table("urgent_alerts", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_urgent_alerts_open",
            postgresql_where=sa.text("acknowledged_at IS NULL AND escalated_at IS NULL"),
            sqlite_where=sa.text("acknowledged_at IS NULL AND escalated_at IS NULL"),
        )

    op.drop_table("urgent_alerts")
    op.drop_table("reporter_notify_contacts")
    with op.batch_alter_table("notification_causes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_causes_tip_id"))
        batch_op.drop_index(
            "ix_notification_causes_pending",
            postgresql_where=sa.text("expanded_at IS NULL"),
            sqlite_where=sa.text("expanded_at IS NULL"),
        )

    op.drop_table("notification_causes")
