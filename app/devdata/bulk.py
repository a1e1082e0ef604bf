"""Writing generated rows fast: PostgreSQL ``COPY … FROM STDIN`` (psycopg's ``cursor.copy``),
SQLite ``executemany`` in one transaction per batch.

Ids of ``tip_events`` and ``register_entries`` are reserved per batch (PostgreSQL: the
column's sequence is advanced past the batch; SQLite: after the largest id), and a timeline
row's ``feed_position`` is its id: the feed sees generated events as already sequenced, so
the sequencer has nothing to catch up on. This assumes nothing else writes tips meanwhile
(generate into an idle database, not one a server is taking tips into).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, DateTime, text
from sqlalchemy.engine import Connection, Engine

from app.core import dialect
from app.core.db import UTCDateTime
from app.core.time import utcnow
from app.devdata.shapes import (
    ENTRY_COLUMNS,
    EVENT_AT,
    EVENT_COLUMNS,
    IDENTITY_COLUMNS,
    TIP_COLUMNS,
    WATCHER_COLUMNS,
    Batch,
)
from app.models import Base
from app.tips.models import RegisterCounter
from app.tips.provinces import record_provinces_sync

TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tips", TIP_COLUMNS),
    ("reporter_identities", IDENTITY_COLUMNS),
    ("register_entries", ENTRY_COLUMNS),
    ("tip_events", EVENT_COLUMNS),
    ("tip_watchers", WATCHER_COLUMNS),
)

_TIP_ID = TIP_COLUMNS.index("id")
# Also vacuumed after a load: index-only scans of the province rule's rows need the
# visibility map.
DERIVED_TABLES = ("tip_provinces",)


def check_columns() -> None:
    """Every column the rows leave out must be nullable or have a server default, or the
    generator is out of step with the models (a new required column): say so plainly."""
    for name, columns in TABLES:
        table = Base.metadata.tables[name]
        unknown = set(columns) - set(table.columns.keys())
        missing = [
            c.name
            for c in table.columns
            if c.name not in columns and not c.nullable and c.server_default is None
        ]
        if unknown or missing:
            raise RuntimeError(
                f"app.devdata is out of step with the {name} model: "
                f"unknown columns {sorted(unknown)}, required columns not generated {missing}"
            )


def _sqlite_value_converters(table: str, columns: Sequence[str]) -> list[Callable[[Any], Any]]:
    """SQLite stores what SQLAlchemy's types would: naive UTC text times, 0/1 booleans."""
    model = Base.metadata.tables[table]

    def as_text_time(value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def as_int(value: bool | None) -> int | None:
        return None if value is None else int(value)

    def same(value: Any) -> Any:
        return value

    converters: list[Callable[[Any], Any]] = []
    for name in columns:
        kind = model.columns[name].type
        if isinstance(kind, (DateTime, UTCDateTime)):
            converters.append(as_text_time)
        elif isinstance(kind, Boolean):
            converters.append(as_int)
        else:
            converters.append(same)
    return converters


class BulkWriter:
    """Writes one :class:`Batch` per call, in the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        check_columns()
        self.conn = conn
        self.dialect = conn.dialect.name
        self._converters = {
            name: _sqlite_value_converters(name, columns) for name, columns in TABLES
        }

    def _reserve_ids(self, table: str, count: int) -> int:
        """The first of ``count`` consecutive ids nobody else will use."""
        if self.dialect == "postgresql":
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            first = int(self.conn.execute(text(f"SELECT nextval({sequence})")).scalar_one())
            self.conn.execute(
                text(f"SELECT setval({sequence}, :last)"), {"last": first + count - 1}
            )
            return first
        # Table names come from TABLES above, never from input.
        query = f"SELECT coalesce(max(id), 0) FROM {table}"  # noqa: S608
        last = self.conn.execute(text(query)).scalar_one()
        return int(last) + 1

    def _copy(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        raw: Any = self.conn.connection.dbapi_connection
        if self.dialect == "postgresql":
            with raw.cursor() as cursor:
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
            return
        converters = self._converters[table]
        placeholders = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
        cursor = raw.cursor()
        try:
            cursor.executemany(
                statement,
                (tuple(f(v) for f, v in zip(converters, row, strict=True)) for row in rows),
            )
        finally:
            cursor.close()

    def write(self, batch: Batch) -> int:
        """Insert the batch and bring the register counters it used up to date; rows written."""
        events = sorted(batch.events, key=itemgetter(EVENT_AT))  # the feed in time order
        first_event = self._reserve_ids("tip_events", len(events)) if events else 0
        first_entry = self._reserve_ids("register_entries", len(batch.entries))
        self._copy("tips", TIP_COLUMNS, batch.tips)
        self._copy("reporter_identities", IDENTITY_COLUMNS, batch.identities)
        self._copy(
            "register_entries",
            ENTRY_COLUMNS,
            [(first_entry + i, *row) for i, row in enumerate(batch.entries)],
        )
        self._copy(
            "tip_events",
            EVENT_COLUMNS,
            [(first_event + i, first_event + i, *row) for i, row in enumerate(events)],
        )
        self._copy("tip_watchers", WATCHER_COLUMNS, batch.watchers)
        # The province rule's stored rows, by the rule itself (set-based, from the rows above).
        record_provinces_sync(self.conn, [row[_TIP_ID] for row in batch.tips])
        self._save_counters(batch.counters)
        return batch.rows

    def _save_counters(self, counters: dict[tuple[str, int], int]) -> None:
        if not counters:
            return
        now = utcnow()
        statement = dialect.insert(self.conn, RegisterCounter)
        statement = statement.on_conflict_do_update(
            index_elements=["unit_code", "year"],
            set_={
                "last_number": statement.excluded.last_number,
                "updated_at": statement.excluded.updated_at,
            },
        )
        self.conn.execute(
            statement,
            [
                {
                    "unit_code": unit,
                    "year": year,
                    "last_number": last,
                    "created_at": now,
                    "updated_at": now,
                }
                for (unit, year), last in counters.items()
            ],
        )


def vacuum_analyze(engine: Engine) -> None:
    """Fresh planner statistics (and, on PostgreSQL, the visibility map and hint bits), so
    that the first queries after a load are not the ones paying for it."""
    tables = ", ".join([*(name for name, _ in TABLES), *DERIVED_TABLES])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"VACUUM (ANALYZE) {tables}"))
            # The rest too (reference data, users): fresh from a load, possibly never analyzed.
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
