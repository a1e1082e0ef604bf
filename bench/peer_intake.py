"""The peer of intake for bench_intake.py: a hand-written FastAPI endpoint on raw asyncpg.

Written for the benchmark only (the app never imports it). ``POST /api/v1/tips`` reads the
same JSON body as TinBáo's intake and runs, in ONE transaction on one pooled connection, the
statements one tip costs in TinBáo today (as ``bench/intake_sql.py`` records them on the
app's own engine): the idempotency look-up, the reference's uniqueness check, the register
counter's upsert, the tip, its register entry, its ``tip.created`` event, its notification
cause, the idempotency record, and for an identified reporter the identity and the notify
contact (40 % of the load generator's tips), for an urgent tip or a tip in its province's
department the watcher row. The values have the app's shapes and sizes (a 64-hex receipt
hash, random bytes where the app stores ciphertext of the same length, the folded text).

It writes into tables of its own, ``peer_*``, which :func:`setup` creates ``LIKE`` the real
ones ``INCLUDING ALL`` (columns, defaults, checks, indexes) with the same foreign keys (to
``peer_tips`` where the real ones point at ``tips``, to the real reference tables otherwise),
so the database does the same work as for the app while the app's background runner never
sees these rows. What it leaves out, on purpose: validation beyond JSON parsing, the point
locator (a tip given only by a point goes to a commune drawn from the body's seed), routing
rules (the commune's police unit), encryption and hashing beyond ``os.urandom``/sha256, the
rate limits and the middleware stack. That is the gap the app's rate is measured against.

Run by bench_intake.py: ``python bench/peer_intake.py --database-url URL --port P``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request, Response

PEER_TABLES = (
    "tips",
    "register_counters",
    "register_entries",
    "tip_events",
    "notification_causes",
    "idempotency_records",
    "reporter_identities",
    "reporter_notify_contacts",
    "tip_watchers",
)

FOREIGN_KEYS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY($1::text[])
"""


async def setup(conn: Any) -> None:
    """(Re)create the peer's tables like the real ones, with the same foreign keys."""
    for table in PEER_TABLES:
        await conn.execute(f"DROP TABLE IF EXISTS peer_{table} CASCADE")
    for table in PEER_TABLES:
        await conn.execute(f"CREATE TABLE peer_{table} (LIKE {table} INCLUDING ALL)")
    for table, name, definition in await conn.fetch(FOREIGN_KEYS, list(PEER_TABLES)):
        definition = definition.replace("REFERENCES tips(", "REFERENCES peer_tips(")
        await conn.execute(f"ALTER TABLE peer_{table} ADD CONSTRAINT peer_{name} {definition}")
    await conn.execute("DROP TABLE IF EXISTS peer_units")
    await conn.execute(
        "CREATE TABLE peer_units AS SELECT row_number() OVER (ORDER BY code) AS n, code, "
        "province_code, commune_code FROM police_units WHERE kind = 'commune' AND active"
    )
    await conn.execute("ALTER TABLE peer_units ADD PRIMARY KEY (n)")


IDEMPOTENCY = (
    "SELECT key_hash, request_hash, tip_id, key_id, response_ciphertext, expires_at, "
    "created_at, updated_at FROM peer_idempotency_records WHERE key_hash = $1"
)
REFERENCE = "SELECT id FROM peer_tips WHERE reference = $1"
COUNTER = (
    "INSERT INTO peer_register_counters (unit_code, year, last_number, created_at, updated_at) "
    "VALUES ($1, $2, 1, $3, $3) ON CONFLICT (unit_code, year) DO UPDATE SET "
    "last_number = peer_register_counters.last_number + 1, updated_at = $3 "
    "RETURNING last_number"
)
TIP = (
    "INSERT INTO peer_tips (id, reference, receipt_hash, category_code, kind, tip_type, "
    "description, search_text, occurred_at, people_key_id, people_ciphertext, commune_code, "
    "province_code, legacy_commune_code, address, lat, lon, location_unknown, "
    "location_mismatch, anonymous, on_behalf_of_organization, channel, status, urgent, "
    "priority, assigned_unit_code, register_number, received_at, first_received_at, "
    "acknowledge_by, classify_by, due_at, escalation_level, created_at, updated_at) VALUES "
    "($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, $10, $11, $12, $13, $14, $15, false, "
    "false, $16, false, $17, 'received', $18, 0, $19, $20, $21, $21, $22, $23, $24, 0, $21, $21)"
)
ENTRY = (
    "INSERT INTO peer_register_entries (tip_id, unit_code, year, seq, register_number, "
    "registered_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $6) RETURNING id"
)
EVENT = (
    "INSERT INTO peer_tip_events (tip_id, type, at, actor_label, unit_code, to_status, public, "
    "public_status, data, created_at, updated_at) VALUES ($1, 'tip.created', $2, 'reporter', "
    "$3, 'received', true, 'received', $4, $2, $2) RETURNING id"
)
CAUSE = (
    "INSERT INTO peer_notification_causes (type, tip_id, tip_event_id, at, data, created_at, "
    "updated_at) VALUES ('tip.created', $1, $2, $3, '{}', $3, $3) RETURNING id"
)
RECORD = (
    "INSERT INTO peer_idempotency_records (key_hash, request_hash, tip_id, key_id, "
    "response_ciphertext, expires_at, created_at, updated_at) VALUES ($1, $2, $3, 'dev1', $4, "
    "$5, $6, $6)"
)
IDENTITY = (
    "INSERT INTO peer_reporter_identities (tip_id, key_id, ciphertext, created_at, updated_at) "
    "VALUES ($1, 'dev1', $2, $3, $3)"
)
CONTACT = (
    "INSERT INTO peer_reporter_notify_contacts (tip_id, key_id, ciphertext, created_at, "
    "updated_at) VALUES ($1, 'dev1', $2, $3, $3)"
)
WATCHER = (
    "INSERT INTO peer_tip_watchers (tip_id, unit_code, reason, tip_created_at, created_at, "
    "updated_at) VALUES ($1, $2, 'urgent', $3, $3, $3)"
)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def reference() -> str:
    code = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"TB-{code[:4]}-{code[4:]}"


def create_app(database_url: str) -> Any:
    import asyncpg

    state: dict[str, Any] = {}

    async def lifespan(_app: Any) -> Any:
        pool = await asyncpg.create_pool(database_url, min_size=10, max_size=20)
        units = await pool.fetch("SELECT commune_code, code, province_code FROM peer_units")
        state["pool"] = pool
        state["units"] = {r["commune_code"]: (r["code"], r["province_code"]) for r in units}
        state["communes"] = sorted(state["units"])
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/api/v1/tips", status_code=201)
    async def intake(request: Request) -> Response:
        raw = await request.body()
        body = json.loads(raw)
        location = body.get("location") or {}
        commune = location.get("commune_code")
        if commune not in state["units"]:
            commune = random.choice(state["communes"])
        unit, province = state["units"][commune]
        now = datetime.now(UTC)
        tip_id = secrets.token_hex(16)
        ref = reference()
        identified = body.get("anonymous") is False
        key_hash = hashlib.sha256(request.headers.get("idempotency-key", "").encode()).hexdigest()
        async with state["pool"].acquire() as conn, conn.transaction():
            await conn.fetchrow(IDEMPOTENCY, key_hash)
            await conn.fetchval(REFERENCE, ref)
            seq = await conn.fetchval(COUNTER, unit, now.year, now)
            number = f"{unit}/{now.year}/{seq:06d}"
            await conn.execute(
                TIP,
                tip_id,
                ref,
                secrets.token_hex(32),
                body["category_code"],
                "crime",
                "to_giac",
                body["description"],
                fold(f"{body['description']} {ref}"),
                datetime.fromisoformat(body["occurred_at"]),
                commune,
                province,
                location.get("legacy_commune_code"),
                location.get("address"),
                location.get("lat"),
                location.get("lon"),
                not identified,
                body.get("channel", "web"),
                bool(body.get("urgent")),
                unit,
                number,
                now,
                now + timedelta(days=1),
                now + timedelta(days=1),
                now + timedelta(days=15),
            )
            await conn.fetchval(ENTRY, tip_id, unit, now.year, seq, number, now)
            data = json.dumps({"register_number": number, "unit_code": unit, "urgent": False})
            event_id = await conn.fetchval(EVENT, tip_id, now, unit, data)
            await conn.fetchval(CAUSE, tip_id, event_id, now)
            await conn.execute(
                RECORD,
                key_hash,
                hashlib.sha256(raw).hexdigest(),
                tip_id,
                os.urandom(700),
                now + timedelta(days=1),
                now,
            )
            if identified:
                await conn.execute(IDENTITY, tip_id, os.urandom(124), now)
                await conn.execute(CONTACT, tip_id, os.urandom(72), now)
            if body.get("urgent") or random.random() < 0.15:
                await conn.execute(WATCHER, tip_id, unit, now)
        answer = {"reference": ref, "receipt": secrets.token_urlsafe(24), "register_number": number}
        return Response(json.dumps(answer), status_code=201, media_type="application/json")

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    import asyncio

    import asyncpg
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--setup", action="store_true", help="create the peer_* tables and exit")
    args = parser.parse_args()
    if args.setup:

        async def run_setup() -> None:
            conn = await asyncpg.connect(args.database_url)
            try:
                await setup(conn)
            finally:
                await conn.close()

        asyncio.run(run_setup())
        return
    uvicorn.run(
        create_app(args.database_url),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
