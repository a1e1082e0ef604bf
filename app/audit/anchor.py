"""Anchors: the chain heads written outside the database, so that deleting the newest audit
entries or tip events (which leaves a shorter chain that still verifies) is detected.

``tinbao audit anchor`` (and the scheduler, daily) first seals the tip events' head into the
audit log (an ``audit.anchored`` entry carrying the events' position and hash), commits, then
appends one JSON line ``{"at", "audit_id", "audit_hash", "events_position", "events_hash"}`` to
``TINBAO_AUDIT_ANCHOR_FILE`` and, when ``TINBAO_AUDIT_ANCHOR_WEBHOOK_URL`` is set, POSTs the
same JSON there (a system the database's administrators cannot rewrite). ``tinbao audit
verify --anchors FILE`` then checks that every anchored entry and event is still there with the
same hash. Anchors hold hashes only: nothing personal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import events
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.core.config import Settings

ANCHOR_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Anchor:
    at: str
    audit_id: int
    audit_hash: str
    events_position: int | None
    events_hash: str | None

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


async def seal(session: AsyncSession, *, now: datetime) -> Anchor:
    """Record the events' head in the audit log (flushed; the caller commits)."""
    head = await events.head(session)
    entry = await audit.record(
        session,
        actor=None,
        action="audit.anchored",
        data={
            "events_position": head[0] if head else None,
            "events_hash": head[1] if head else None,
        },
    )
    return Anchor(
        at=audit.canonical_time(now),
        audit_id=entry.id,
        audit_hash=entry.hash,
        events_position=head[0] if head else None,
        events_hash=head[1] if head else None,
    )


def append_to_file(path: Path, anchor: Anchor) -> None:
    """One line per anchor, appended (never rewritten), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(anchor.as_json() + "\n")
        f.flush()
        os.fsync(f.fileno())


async def publish(anchor: Anchor, *, settings: Settings) -> None:
    """Write the anchor where the settings say (file, webhook). Call after the commit."""
    if settings.audit_anchor_file is not None:
        append_to_file(settings.audit_anchor_file, anchor)
    if settings.audit_anchor_webhook_url:
        async with httpx.AsyncClient(
            timeout=ANCHOR_TIMEOUT_SECONDS, follow_redirects=False
        ) as http:
            response = await http.post(
                settings.audit_anchor_webhook_url,
                content=anchor.as_json().encode(),
                headers={"Content-Type": "application/json", "User-Agent": "TinBao-Anchor/1"},
            )
            response.raise_for_status()


def read_anchors(lines: Iterable[str]) -> list[Anchor]:
    anchors = []
    for line in lines:
        if line.strip():
            anchors.append(Anchor(**json.loads(line)))
    return anchors


async def check_anchors(session: AsyncSession, anchors: Iterable[Anchor]) -> list[str]:
    """What no longer matches an anchor: entries or events deleted or changed since."""
    problems: list[str] = []
    for anchor in anchors:
        stored = await session.scalar(
            select(AuditEntry.hash).where(AuditEntry.id == anchor.audit_id)
        )
        if stored is None:
            problems.append(f"audit entry {anchor.audit_id} (anchored {anchor.at}) is missing")
        elif stored != anchor.audit_hash:
            problems.append(f"audit entry {anchor.audit_id} (anchored {anchor.at}) differs")
        if anchor.events_position is not None:
            event_hash = await events.hash_at(session, anchor.events_position)
            if event_hash is None:
                problems.append(
                    f"tip event {anchor.events_position} (anchored {anchor.at}) is missing"
                )
            elif event_hash != anchor.events_hash:
                problems.append(
                    f"tip event {anchor.events_position} (anchored {anchor.at}) differs"
                )
    return problems


async def anchor_job(session: AsyncSession, *, now: datetime, settings: Settings) -> int:
    """The scheduler's daily anchor: seal, commit, publish; the anchored audit entry's id."""
    anchor = await seal(session, now=now)
    await session.commit()  # publish only what is durable
    await publish(anchor, settings=settings)
    return anchor.audit_id


@dataclass(frozen=True)
class FullVerifyResult:
    audit: audit.VerifyResult
    events: events.EventsVerifyResult
    anchor_problems: list[str]

    @property
    def ok(self) -> bool:
        return self.audit.ok and self.events.ok and not self.anchor_problems


async def verify_everything(
    session: AsyncSession, *, anchors: Iterable[Anchor] = ()
) -> FullVerifyResult:
    """The audit chain, the tip events' chain, and the anchors given."""
    return FullVerifyResult(
        audit=await audit.verify(session),
        events=await events.verify_events(session),
        anchor_problems=await check_anchors(session, anchors),
    )
