"""records: pg_trgm and the indexes of possible-duplicate search

Revision ID: 0008_records_pg_trgm
Revises: 0007_cases_complaints

PostgreSQL: the pg_trgm extension and a GIN trigram index on ``tips.search_text`` (the
diacritic-folded description and reference, in clear: the description is not encrypted).
SQLite has no trigram index: the same index is declared empty there (``WHERE 0 = 1``) so the
models describe both schemas. Both: ``(commune_code, created_at)`` for a commune's tips
around a time. The extension is left in place on downgrade (other objects may use it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_records_pg_trgm"
down_revision: str | None = "0007_cases_complaints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.create_index("ix_tips_commune_created", ["commune_code", "created_at"])
        batch_op.create_index(
            "ix_tips_search_text_trgm",
            ["search_text"],
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=sa.text("0 = 1"),
        )


def downgrade() -> None:
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_index("ix_tips_search_text_trgm")
        batch_op.drop_index("ix_tips_commune_created")
