"""Reporter identities never reach the disk or the logs in clear.

A tip is written through the API with a unique name, phone, email and address; then the raw
bytes of the database (SQLite: the file and its -wal; PostgreSQL: `pg_dump`) and every log
record (all loggers at DEBUG, SQL statements and their parameters included) are searched for
them. A unique word of the description is searched too, and must be found: it proves the
search reads the right bytes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app.core.config import Settings
from tests.privacy.helpers import REQUESTS, TRACK_REQUESTS
from tests.tips.helpers import payload
from tests.triage.helpers import make_staff

REASON = "Cần liên hệ người báo tin để xác minh"


def unique_reporter() -> dict[str, str]:
    tag = secrets.token_hex(4)
    return {
        "full_name": f"Lê Văn Đặng Xuân {tag.upper()}",
        "phone": f"+84 9{secrets.randbelow(10**8):08d}",
        "email": f"nguoi.bao.{tag}@example.vn",
        "address": f"Số {secrets.randbelow(900) + 100} đường Bí Mật {tag}",
    }


def variants(value: str) -> set[bytes]:
    """The ways a value could be stored: UTF-8, JSON-escaped, digits only (phones)."""
    forms = {value.encode(), json.dumps(value).strip('"').encode()}
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) >= 9 and not value.startswith("Số"):
        forms.add(digits.encode())
    return forms


def leaks(blob: bytes, reporter: dict[str, str]) -> list[str]:
    return [field for field, value in reporter.items() if any(v in blob for v in variants(value))]


async def file_tip(client: Any, reporter: dict[str, str], marker: str) -> dict[str, Any]:
    body = payload(
        anonymous=False,
        reporter=reporter,
        description=f"Có người buôn bán ma túy ở hẻm 12, dấu hiệu {marker}.",
    )
    r = await client.post("/api/v1/tips", json=body, headers={"Idempotency-Key": marker})
    assert r.status_code == 201, r.text
    return r.json()


async def database_bytes(settings: Settings) -> bytes:
    if settings.is_sqlite:
        path = Path(settings.database_url.split(":///", 1)[1])
        assert Path(f"{path}-wal").exists(), "the test database runs in WAL mode"
        # Read by another process: closing a descriptor of the database file in this one
        # would drop the POSIX locks its SQLite connections hold (and invite corruption).
        command = ["cat", str(path), f"{path}-wal"]
    else:
        url = make_url(settings.database_url)
        command = [
            "pg_dump",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "--no-owner",
            url.database or "",
        ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out


async def test_no_plaintext_identity_in_the_database_files(app, client, db, settings):
    staff = await make_staff(db, app)
    reporter = unique_reporter()
    marker = f"DAU-{secrets.token_hex(6)}"
    tip = await file_tip(client, reporter, marker)
    # The identity was kept (a lead can reveal it) ...
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/reporter/reveal",
        json={"reason": REASON},
        headers=staff.headers["lead_a"],
    )
    assert r.json()["reporter"]["email"] == reporter["email"]

    raw = await database_bytes(settings)
    assert marker.encode() in raw  # we are reading the database that holds the tip
    assert leaks(raw, reporter) == []  # ... and never in clear
    assert tip["receipt"].encode() not in raw  # nor the receipt (replay records included)


async def test_no_personal_data_in_any_log(app, client, db, caplog):
    staff = await make_staff(db, app)
    reporter = unique_reporter()
    marker = f"DAU-{secrets.token_hex(6)}"
    caplog.set_level(logging.DEBUG)  # every logger: sqlalchemy.engine, httpx, tinbao, ...
    for name in ("sqlalchemy.engine", "sqlalchemy.pool", "uvicorn", "uvicorn.access", "httpx"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        tip = await file_tip(client, reporter, marker)
        receipt = {"X-Tip-Receipt": tip["receipt"]}
        assert (await client.get("/api/v1/track", headers=receipt)).status_code == 200
        r = await client.post(
            "/api/v1/track/messages", json={"body": "Bổ sung thông tin."}, headers=receipt
        )
        assert r.status_code == 201
        r = await client.post(
            f"/api/v1/tips/{tip['id']}/reporter/reveal",
            json={"reason": REASON},
            headers=staff.headers["lead_a"],
        )
        assert r.json()["reporter"]["phone"] == reporter["phone"]
        # An access request, and the reporter reading the data back on /track.
        r = await client.post(TRACK_REQUESTS, json={"kind": "access"}, headers=receipt)
        r = await client.post(
            f"{REQUESTS}/{r.json()['id']}/complete", headers=staff.headers["lead_a"]
        )
        assert r.status_code == 200
        r = await client.get(TRACK_REQUESTS, headers=receipt)
        assert r.json()[0]["contact_data"]["email"] == reporter["email"]
        # Failures log too: a wrong receipt, a replayed key with another body.
        await client.get("/api/v1/track", headers={"X-Tip-Receipt": "0000-0000-0000-0000-0000"})
        await client.post(
            "/api/v1/tips",
            json=payload(anonymous=False, reporter=reporter),
            headers={"Idempotency-Key": marker},
        )
    finally:
        for name in ("sqlalchemy.engine", "sqlalchemy.pool", "uvicorn", "uvicorn.access", "httpx"):
            logging.getLogger(name).setLevel(logging.NOTSET)

    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_text:
            lines.append(record.exc_text)
    text = "\n".join(lines).encode()
    assert b"INSERT INTO reporter_identities" in text  # SQL and its parameters were captured
    assert marker.encode() in text
    assert leaks(text, reporter) == []
    assert tip["receipt"].encode() not in text


async def test_persons_victim_and_messages_are_sealed_at_rest(app, client, db, settings):
    """Issue 10: persons involved, victim and message bodies (both directions) were stored
    in clear. They are read back by those who may see them, and nowhere on disk in clear."""
    staff = await make_staff(db, app)
    tag = secrets.token_hex(4)
    secrets_of = {
        "persons_involved": f"Đối tượng Trương Văn Khải {tag} khoảng 40 tuổi",
        "victim": f"Cháu Hoàng Thị Mận {tag}",
        "from_reporter": f"Tối qua họ lại giao hàng ở nhà số {tag}",
        "to_reporter": f"Xin cho biết thêm biển số xe {tag}",
    }
    marker = f"DAU-{secrets.token_hex(6)}"
    body = payload(
        description=f"Có người buôn bán ma túy ở hẻm 12, dấu hiệu {marker}.",
        persons_involved=secrets_of["persons_involved"],
        victim=secrets_of["victim"],
    )
    r = await client.post("/api/v1/tips", json=body)
    assert r.status_code == 201, r.text
    tip = r.json()
    receipt = {"X-Tip-Receipt": tip["receipt"]}
    r = await client.post(
        "/api/v1/track/messages", json={"body": secrets_of["from_reporter"]}, headers=receipt
    )
    assert r.status_code == 201, r.text
    assert r.json()["body"] == secrets_of["from_reporter"]
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/messages",
        json={"body": secrets_of["to_reporter"]},
        headers=staff.headers["officer_a"],
    )
    assert r.status_code == 201, r.text
    assert r.json()["body"] == secrets_of["to_reporter"]

    detail = await client.get(f"/api/v1/tips/{tip['id']}", headers=staff.headers["officer_a"])
    assert detail.json()["persons_involved"] == secrets_of["persons_involved"]
    assert detail.json()["victim"] == secrets_of["victim"]
    messages = await client.get(
        f"/api/v1/tips/{tip['id']}/messages", headers=staff.headers["officer_a"]
    )
    assert [m["body"] for m in messages.json()["items"]] == [
        secrets_of["from_reporter"],
        secrets_of["to_reporter"],
    ]
    tracked = await client.get("/api/v1/track", headers=receipt)
    assert [m["body"] for m in tracked.json()["messages"]] == [
        secrets_of["from_reporter"],
        secrets_of["to_reporter"],
    ]
    for reader in ("analyst_79", "analyst_key_79"):
        seen = await client.get(f"/api/v1/tips/{tip['id']}", headers=staff.headers[reader])
        assert seen.status_code == 200
        assert tag not in seen.text
        listed = await client.get(
            f"/api/v1/tips/{tip['id']}/messages", headers=staff.headers[reader]
        )
        assert listed.status_code in (403, 404)

    raw = await database_bytes(settings)
    assert marker.encode() in raw  # the description is in clear (it is searched)
    assert [name for name, value in secrets_of.items() if value.encode() in raw] == []
    assert tag.encode() not in raw
