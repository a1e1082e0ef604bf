"""The SQL one POST /api/v1/tips costs in TinBáo, counted on the app's own engine.

Builds the app in this process (the settings of server_env, scheduler off), submits tips from
bench/loadgen.py through httpx's ASGI transport and records every statement the engine sends
(SQLAlchemy's ``before_cursor_execute``), per request. Prints the statements of one tip and the
mean count per tip; ``--json`` writes them for bench_intake.py and peer_intake.py's doubts.
Nothing here runs in the product.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import add_database_arguments, database_url, server_env
from loadgen import intake_bodies


def normalise(statement: str) -> str:
    return re.sub(r"\s+", " ", statement).strip()


async def capture(count: int, seed: int) -> list[list[str]]:
    import httpx
    from sqlalchemy import event

    from app.core.config import get_settings
    from app.main import create_app

    app = create_app(get_settings())
    per_request: list[list[str]] = []
    current: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        current.append(normalise(statement))

    async with app.router.lifespan_context(app):
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", record)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for body in intake_bodies(count, seed):
                current = []
                answer = await client.post(
                    "/api/v1/tips",
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "Idempotency-Key": uuid.uuid4().hex,
                    },
                )
                if answer.status_code != 201:
                    raise SystemExit(f"intake answered {answer.status_code}: {answer.text[:300]}")
                per_request.append(current)
    return per_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--tips", type=int, default=50)
    parser.add_argument("--seed", type=int, default=909)
    parser.add_argument("--show", action="store_true", help="print the statements of tip 1")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    env = server_env(database_url(args), scheduler=False)
    os.environ.update(env)
    # Warm-up tips first (snapshots, prepared statements) so the counts are the steady state.
    per_request = asyncio.run(capture(args.tips + 5, args.seed))[5:]
    counts = [len(r) for r in per_request]
    mean = sum(counts) / len(counts)
    if args.show:
        for statement in per_request[0]:
            print(statement[:400])
    print(f"statements per tip: mean {mean:.2f}, min {min(counts)}, max {max(counts)}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"mean": mean, "counts": counts, "first": per_request[0], "all": per_request}
            )
        )


if __name__ == "__main__":
    main()
