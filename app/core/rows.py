"""Rows for a Core INSERT of a mapped table, filled as a unit-of-work flush would fill them.

A hot path (intake) writes its rows with cached Core ``INSERT`` statements instead of adding
objects to the session: no flush, no unit of work. :class:`Rows` is the one place that knows
how to turn values into such a row: every column is sent, and one left out takes its
Python-side default (``default=``: a scalar, or a callable such as ``utcnow`` or ``new_id``)
or NULL, as the ORM would. A column the database alone fills (a server default and no Python
one) would get NULL instead, so such a table is refused when its ``Rows`` is built (at
import), not found wrong in a stored row. The one exception is a database-numbered integer
primary key (an autoincrement id): it is left out of the row, and the INSERT answers it with
``RETURNING`` when the caller needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Column, Insert, Table, inspect


class Rows:
    """The INSERT and the rows of ``model``'s table (see the module)."""

    def __init__(self, model: type[Any]) -> None:
        mapper = inspect(model)
        self.table = cast(Table, mapper.local_table)
        numbered = self.table.autoincrement_column
        self.numbered: Column[Any] | None = numbered
        columns: list[tuple[str, Column[Any]]] = []
        refused: list[str] = []
        for prop in mapper.column_attrs:
            column = cast(Column[Any], prop.columns[0])
            if column is numbered:
                continue
            default = column.default
            if default is None and column.server_default is not None:
                refused.append(column.key)
            elif default is not None and not (default.is_scalar or default.is_callable):
                refused.append(column.key)  # a SQL expression or a sequence: not known here
            columns.append((prop.key, column))
        if refused:
            raise RuntimeError(
                f"{self.table.name} columns need a Python default for a Core INSERT: {refused}"
            )
        self._columns = tuple(columns)
        self._keys = frozenset(key for key, _ in columns)
        # inline: no RETURNING of a numbered id nobody reads (the caller adds one if it does).
        self.insert: Insert = self.table.insert().inline()

    def row(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The row for ``values`` (by attribute name): every column, defaults filled. A name
        that is no column is refused, as the model's constructor would."""
        unknown = values.keys() - self._keys
        if unknown:
            raise TypeError(f"{self.table.name} has no columns {sorted(unknown)}")
        row: dict[str, Any] = {}
        for key, column in self._columns:
            row[column.key] = values[key] if key in values else _default(column)
        return row

    def row_of(self, obj: Any) -> dict[str, Any]:
        """The row of ``obj`` (an instance not in any session); a default it takes is set on
        ``obj`` too, as a flush would."""
        values = obj.__dict__
        row: dict[str, Any] = {}
        for key, column in self._columns:
            if key in values:
                value = values[key]
            else:
                value = _default(column)
                setattr(obj, key, value)
            row[column.key] = value
        return row


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg  # type: ignore[attr-defined]
    return default.arg(None)  # type: ignore[attr-defined]
