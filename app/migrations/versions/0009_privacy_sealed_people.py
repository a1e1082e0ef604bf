"""privacy: persons involved, victim and message bodies sealed; Open311 filer key; Front filers

Revision ID: 0009_privacy_sealed_people
Revises: 0008_records_pg_trgm

Persons involved and victim (``tips``) and the conversation's bodies (``tip_messages``) were
stored in clear. They move to ciphertext under the data keys, with the associated data the
application uses (app.tips.sealed), and the clear columns are dropped. Encrypting needs the
keys: ``tinbao migrate`` (app.core.migrate) hands this migration a cipher built from
``TINBAO_DATA_KEYS``, under the deployment's migration lock, so existing rows are converted in
the same transaction that drops their clear columns. A database holding such rows migrated
without keys (plain ``alembic upgrade``) stops here with an error and changes nothing.

Also: ``tips.submitted_by_key_id`` (the Open311 key that filed a tip), and a Front member's
user id is cleared from the tips they filed (the person stays only in the sealed identity).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0009_privacy_sealed_people"
down_revision: str | None = "0008_records_pg_trgm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000

_tips = sa.table(
    "tips",
    sa.column("id", sa.String),
    sa.column("persons_involved", sa.Text),
    sa.column("victim", sa.Text),
    sa.column("people_key_id", sa.String),
    sa.column("people_ciphertext", sa.LargeBinary),
    sa.column("organization_id", sa.String),
    sa.column("submitted_by_id", sa.String),
)
_messages = sa.table(
    "tip_messages",
    sa.column("id", sa.String),
    sa.column("body", sa.Text),
    sa.column("body_key_id", sa.String),
    sa.column("body_ciphertext", sa.LargeBinary),
)


def _people_aad(tip_id: str) -> bytes:  # as app.tips.sealed.people_aad
    return f"tip-people:{tip_id}".encode()


def _message_aad(message_id: str) -> bytes:  # as app.tips.sealed.message_aad
    return f"tip-message:{message_id}".encode()


def _cipher(needed: bool) -> Any:
    cipher = context.config.attributes.get("cipher")
    if needed and cipher is None:
        raise RuntimeError(
            "0009_privacy_sealed_people must encrypt (or decrypt) existing rows: run "
            "`tinbao migrate` with TINBAO_DATA_KEYS set"
        )
    return cipher


def _batches(query: sa.Select[Any], key: Any) -> Iterator[Sequence[Any]]:
    """Rows of ``query`` in primary-key order, a batch at a time (keyset)."""
    bind = op.get_bind()
    after: str | None = None
    while True:
        page = query if after is None else query.where(key > after)
        rows = bind.execute(page.order_by(key).limit(_BATCH)).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


_CLEAR = sa.or_(_tips.c.persons_involved.is_not(None), _tips.c.victim.is_not(None))


def _any(query: sa.Select[Any]) -> bool:
    return op.get_bind().execute(query.limit(1)).first() is not None


def _seal_existing(cipher: Any) -> None:
    bind = op.get_bind()
    clear = _CLEAR
    query = sa.select(_tips.c.id, _tips.c.persons_involved, _tips.c.victim).where(clear)
    for rows in _batches(query, _tips.c.id):
        for tip_id, persons, victim in rows:
            document = json.dumps(
                {"persons_involved": persons, "victim": victim}, ensure_ascii=False
            )
            key_id, blob = cipher.encrypt(document.encode(), aad=_people_aad(tip_id))
            bind.execute(
                _tips.update()
                .where(_tips.c.id == tip_id)
                .values(people_key_id=key_id, people_ciphertext=blob)
            )
    query = sa.select(_messages.c.id, _messages.c.body)
    for rows in _batches(query, _messages.c.id):
        for message_id, body in rows:
            key_id, blob = cipher.encrypt((body or "").encode(), aad=_message_aad(message_id))
            bind.execute(
                _messages.update()
                .where(_messages.c.id == message_id)
                .values(body_key_id=key_id, body_ciphertext=blob)
            )


def upgrade() -> None:
    # Refuse before any change when rows need encrypting and no cipher was given.
    cipher = _cipher(_any(sa.select(_tips.c.id).where(_CLEAR)) or _any(sa.select(_messages.c.id)))
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("people_key_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("people_ciphertext", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("submitted_by_key_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tips_submitted_by_key_id_api_keys"),
            "api_keys",
            ["submitted_by_key_id"],
            ["id"],
        )
    with op.batch_alter_table("tip_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_key_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("body_ciphertext", sa.LargeBinary(), nullable=True))

    _seal_existing(cipher)
    # A Front member who filed a tip is its reporter: only the sealed identity names them.
    op.execute(
        _tips.update().where(_tips.c.organization_id.is_not(None)).values(submitted_by_id=None)
    )

    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_column("victim")
        batch_op.drop_column("persons_involved")
    with op.batch_alter_table("tip_messages", schema=None) as batch_op:
        batch_op.alter_column("body_key_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("body_ciphertext", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("body")


def _open_existing(cipher: Any) -> None:
    bind = op.get_bind()
    sealed = _tips.c.people_ciphertext.is_not(None)
    query = sa.select(_tips.c.id, _tips.c.people_key_id, _tips.c.people_ciphertext).where(sealed)
    for rows in _batches(query, _tips.c.id):
        for tip_id, key_id, blob in rows:
            document = json.loads(cipher.decrypt(key_id, blob, aad=_people_aad(tip_id)))
            bind.execute(
                _tips.update()
                .where(_tips.c.id == tip_id)
                .values(
                    persons_involved=document.get("persons_involved"), victim=document.get("victim")
                )
            )
    query = sa.select(_messages.c.id, _messages.c.body_key_id, _messages.c.body_ciphertext)
    for rows in _batches(query, _messages.c.id):
        for message_id, key_id, blob in rows:
            body = cipher.decrypt(key_id, blob, aad=_message_aad(message_id)).decode()
            bind.execute(_messages.update().where(_messages.c.id == message_id).values(body=body))


def downgrade() -> None:
    cipher = _cipher(
        _any(sa.select(_tips.c.id).where(_tips.c.people_ciphertext.is_not(None)))
        or _any(sa.select(_messages.c.id))
    )
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("persons_involved", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("victim", sa.Text(), nullable=True))
    with op.batch_alter_table("tip_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
    _open_existing(cipher)
    with op.batch_alter_table("tip_messages", schema=None) as batch_op:
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("body_ciphertext")
        batch_op.drop_column("body_key_id")
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_tips_submitted_by_key_id_api_keys"), type_="foreignkey"
        )
        batch_op.drop_column("submitted_by_key_id")
        batch_op.drop_column("people_ciphertext")
        batch_op.drop_column("people_key_id")
