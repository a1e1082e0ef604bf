"""HTTP load generator for bench_intake.py, run in its own process.

A minimal HTTP/1.1 keep-alive client on asyncio streams (uvloop when installed): requests
are encoded before the clock starts and responses are parsed just enough (status line,
Content-Length or chunked body), so one client process costs the machine far less than
httpx would and a trivial endpoint is not measured at the client's speed. Loopback only.

Two modes:

* ``closed``: ``--concurrency`` connections, each sending its next request when the last
  answer arrived, until ``--count`` requests or ``--duration`` seconds: the peak rate.
* ``open``: requests are due at a fixed ``--rate`` (request i at t0 + i/rate), sent by up to
  ``--concurrency`` connections; a request's latency counts from when it was due, so a
  server that falls behind shows it (no coordinated omission).

Prints nothing; writes a JSON summary (and, for intake, the references of the acknowledged
tips) to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "app"
TIMEOUT = 30.0


# --- requests ----------------------------------------------------------------------------


def _places() -> tuple[list[tuple[str, float, float]], list[str]]:
    with (DATA / "admin_units" / "data" / "communes.csv").open(encoding="utf-8") as f:
        communes = [
            (r["code"], float(r["inside_lat"]), float(r["inside_lon"]))
            for r in csv.DictReader(f)
            if r["inside_lat"]
        ]
    split: set[str] = set()
    whole: dict[str, str] = {}
    with (DATA / "admin_units" / "data" / "old_to_new.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["merge_type"] == "partial":
                split.add(r["old_code"])
            elif r["old_code"] != r["new_code"]:
                whole[r["old_code"]] = r["new_code"]
    return communes, sorted(code for code in whole if code not in split)


def _categories() -> list[str]:
    with (DATA / "units" / "data" / "categories.csv").open(encoding="utf-8") as f:
        return [r["code"] for r in csv.DictReader(f)]


WORDS = (
    "nhóm thanh niên",
    "tụ tập gây rối",
    "trộm cắp xe máy",
    "lừa đảo chuyển tiền",
    "đánh bạc",
    "ma túy",
    "hàng xóm mâu thuẫn",
    "tiếng ồn ban đêm",
    "cháy nổ",
    "lấn chiếm lòng đường",
    "đề nghị kiểm tra xử lý",
)


def intake_bodies(count: int, seed: int) -> list[bytes]:
    """``count`` distinct valid tips: commune codes, points (the locator), pre-2025 codes,
    anonymous and identified reporters, the category mix of the shipped categories."""
    rng = random.Random(seed)
    communes, legacy = _places()
    categories = _categories()
    now = datetime.now(UTC)
    bodies = []
    for i in range(count):
        code, lat, lon = rng.choice(communes)
        roll = rng.random()
        location: dict[str, Any]
        if roll < 0.50:
            location = {"commune_code": code}
        elif roll < 0.80:
            location = {"lat": lat, "lon": lon}
        elif roll < 0.95:
            location = {"commune_code": code, "lat": lat, "lon": lon}
        else:
            location = {"legacy_commune_code": rng.choice(legacy)}
        if rng.random() < 0.5:
            location["address"] = f"Số {rng.randrange(1, 400)} đường Lê Lợi"
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 15)))
        tip: dict[str, Any] = {
            "category_code": rng.choice(categories),
            "description": f"Tin báo thử tải số {seed}-{i}: {words}.",
            "occurred_at": (now - timedelta(hours=rng.randrange(1, 72))).isoformat(),
            "location": location,
            "channel": rng.choice(("mobile", "mobile", "web")),
            "urgent": rng.random() < 0.02,
        }
        if rng.random() < 0.4:
            tip["anonymous"] = False
            tip["reporter"] = {
                "full_name": "Nguyễn Văn Thử",
                "phone": f"+84 900 {rng.randrange(1000):03d} {rng.randrange(1000):03d}",
            }
        bodies.append(json.dumps(tip, ensure_ascii=False).encode())
    return bodies


def encode(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def requests_for(scenario: str, count: int, seed: int) -> list[bytes]:
    if scenario == "healthz":
        return [encode("GET", "/healthz")] * count
    return [
        encode(
            "POST",
            "/api/v1/tips",
            body,
            {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
        )
        for body in intake_bodies(count, seed)
    ]


# --- the client --------------------------------------------------------------------------


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is not None and self.reader.at_eof():
            self.close()  # the server closed it while idle (keep-alive timeout): a new one
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self.reader, self.writer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        reader, writer = await self._open()
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        body = b""
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            end = lower.index(b"\r\n", at + 2)
            body = await reader.readexactly(int(lower[at + 17 : end]))
        elif b"transfer-encoding: chunked" in lower:
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(p[:-2] for p in parts)
        if b"\r\nconnection: close" in lower:
            self.close()
        return status, body


async def run(args: argparse.Namespace) -> dict[str, Any]:
    requests = requests_for(args.scenario, args.count, args.seed)
    latencies: list[float] = []
    sent_at: list[float] = []  # when each timed request was due, from the start (s)
    codes: list[int] = []  # each timed request's status
    statuses: dict[str, int] = {}
    references: list[str] = []
    failures: dict[str, int] = {}
    next_index = 0
    started = time.perf_counter()
    deadline = started + args.duration
    rate = args.rate

    async def worker() -> None:
        nonlocal next_index
        connection = Connection(args.port)
        while True:
            index = next_index
            if index >= len(requests):
                break
            next_index += 1
            if rate:
                due = started + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                due = time.perf_counter()
            if due >= deadline:
                break
            try:
                status, body = await asyncio.wait_for(connection.send(requests[index]), TIMEOUT)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                name = type(exc).__name__
                failures[name] = failures.get(name, 0) + 1
                connection.close()
                continue
            latencies.append(time.perf_counter() - due)
            sent_at.append(due - started)
            codes.append(status)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status == 201 and args.scenario == "intake":
                references.append(json.loads(body)["reference"])
        connection.close()

    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "scenario": args.scenario,
        "mode": "open" if rate else "closed",
        "rate": rate,
        "concurrency": args.concurrency,
        "elapsed": elapsed,
        "sent": len(latencies) + sum(failures.values()),
        "statuses": statuses,
        "failures": failures,
        "latencies": latencies,
        "sent_at": sent_at,
        "codes": codes,
        "references": references,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--scenario", choices=("intake", "healthz"), required=True)
    parser.add_argument("--count", type=int, required=True, help="at most this many requests")
    parser.add_argument("--duration", type=float, required=True, help="at most this long (s)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=0.0, help="open loop: requests/s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(args))
    else:
        result = uvloop.run(run(args))
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
