"""EXPLAIN (ANALYZE, BUFFERS) of the candidate query GET /tips/{id}/similar runs on PostgreSQL,
built by app.triage.similar itself (the same SQL, parameters and scope clause the server sends
through asyncpg), for bench_similar.py's ``--explain``.

Each tip's query is prepared and executed once under EXPLAIN, with the plan PostgreSQL makes
for its values (``custom``) and, as asyncpg's cached prepared statements may get after five
executions, the generic plan (``generic``, ``plan_cache_mode = force_generic_plan``). The
execution time inside the database and the buffers touched depend far less on the load of a
shared machine than a request's wall time does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql as psql
from sqlalchemy import func, literal
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg

from app.admin_units.fold import fold
from app.admin_units.geo import get_locator
from app.core.principal import Principal
from app.tips.models import Tip
from app.triage import similar


@dataclass(frozen=True)
class Plan:
    execution_ms: float
    planning_ms: float
    shared_hit: int
    shared_read: int
    rows: int
    text: str


def _statement(conn: psycopg.Connection[Any], tip_id: str, role: str) -> tuple[str, list[Any]]:
    row = conn.execute(
        "SELECT id, created_at, commune_code, province_code, description FROM tips WHERE id = %s",
        (tip_id,),
    ).fetchone()
    if row is None:
        raise SystemExit(f"no tip {tip_id}")
    tip = Tip(
        id=row[0], created_at=row[1], commune_code=row[2], province_code=row[3], description=row[4]
    )
    if role == "admin":
        principal = Principal(kind="user", id="bench", role="admin", label="admin")
    else:
        principal = Principal(
            kind="user", id="bench", role=role, label="bench", province_code=row[3]
        )
    # As similar_tips builds it for PostgreSQL.
    query = similar._candidates_query(tip, principal, get_locator())
    score = func.similarity(Tip.search_text, literal(fold(tip.description))).label("text_score")
    stmt = query.add_columns(score).order_by(score.desc()).limit(similar.CANDIDATES)
    compiled = stmt.compile(
        dialect=pg_asyncpg.dialect(), compile_kwargs={"render_postcompile": True}
    )
    return str(compiled), [compiled.params[name] for name in compiled.positiontup or ()]


def explain_many(
    url: str, tip_ids: list[str], role: str, *, generic: bool, text: bool = False
) -> list[Plan]:
    """EXPLAIN (ANALYZE, BUFFERS) of each tip's /similar query as ``role``, on one connection
    (as the server's pool reuses them) warmed first: pg_trgm loaded, the tips table and its
    indexes opened. With ``text``, a second run gives the plan as text."""
    with psycopg.connect(url, autocommit=True) as conn:
        mode = "force_generic_plan" if generic else "force_custom_plan"
        conn.execute(psql.SQL("SET plan_cache_mode = {}").format(psql.Identifier(mode)))
        conn.execute("SELECT similarity('warm', 'up')")
        conn.execute("SELECT id FROM tips WHERE commune_code = '' AND created_at > now() LIMIT 1")
        return [_explain(conn, tip_id, role, text=text) for tip_id in tip_ids]


def _explain(conn: psycopg.Connection[Any], tip_id: str, role: str, *, text: bool) -> Plan:
    statement, params = _statement(conn, tip_id, role)
    conn.execute(psql.SQL("PREPARE similar_q AS ") + psql.SQL(statement))  # type: ignore[arg-type]
    args = psql.SQL(", ").join(psql.Literal(p) for p in params)

    def run(fmt: str) -> list[Any]:
        query = psql.SQL("EXPLAIN (ANALYZE, BUFFERS, FORMAT {}) EXECUTE similar_q(").format(
            psql.SQL(fmt)  # type: ignore[arg-type]
        )
        return conn.execute(query + args + psql.SQL(")")).fetchall()

    try:
        top = run("JSON")[0][0][0]
        lines = run("TEXT") if text else []
    finally:
        conn.execute("DEALLOCATE similar_q")
    return Plan(
        execution_ms=float(top["Execution Time"]),
        planning_ms=float(top.get("Planning Time", 0.0)),
        shared_hit=int(top["Plan"].get("Shared Hit Blocks", 0)),
        shared_read=int(top["Plan"].get("Shared Read Blocks", 0)),
        rows=int(top["Plan"]["Actual Rows"]),
        text="\n".join(str(r[0]) for r in lines),
    )
