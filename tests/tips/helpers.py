"""Helpers for intake and follow-up tests."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.media.models import Attachment
from app.tips.models import (
    IdempotencyRecord,
    RegisterCounter,
    RegisterEntry,
    ReporterIdentity,
    Tip,
    TipEvent,
    TipWatcher,
)

TIPS = "/api/v1/tips"
TRACK = "/api/v1/track"

# Phường Sài Gòn (HCMC) and a point inside it.
SAI_GON = "26740"
SAI_GON_POINT = (10.779947, 106.702495)
TAN_DINH_POINT = (10.790895, 106.695003)

DESCRIPTION = "Nhóm thanh niên tụ tập sử dụng ma túy ở cuối hẻm 12 mỗi tối."
LONG_DESCRIPTION = (
    "Tôi không nhớ rõ địa điểm, chỉ biết là ở một con hẻm gần chợ; có ảnh chụp kèm theo đây."
)


def payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category_code": "drugs",
        "description": DESCRIPTION,
        "location": {"commune_code": SAI_GON, "address": "Hẻm 12"},
        "anonymous": True,
        "channel": "mobile",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def identified(**overrides: Any) -> dict[str, Any]:
    return payload(
        anonymous=False,
        reporter={"full_name": "Nguyễn Văn A", "phone": "0912 345 678"},
        **overrides,
    )


def jpeg_bytes(size: tuple[int, int] = (32, 24), color: str = "red", **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", **save)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (16, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 255, 200)).save(out, format="PNG")
    return out.getvalue()


# A one-page PDF exactly as the cleaner writes it: cleaning it again changes no byte, so it is
# stored and downloaded unchanged.
PDF_BYTES = (
    b"%PDF-1.3\n%\xbf\xf7\xa2\xfe\n1 0 obj\n<< /Pages 2 0 R /Type /Catalog >>\nendobj\n"
    b"2 0 obj\n<< /Count 1 /Kids [ 3 0 R ] /Type /Pages >>\nendobj\n3 0 obj\n"
    b"<< /Contents 4 0 R /MediaBox [ 0 0 200 200 ] /Parent 2 0 R /Resources << >> /Type /Page >>"
    b"\nendobj\n4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\nxref\n0 5\n"
    b"0000000000 65535 f \n0000000015 00000 n \n0000000064 00000 n \n0000000123 00000 n \n"
    b"0000000229 00000 n \ntrailer << /Root 1 0 R /Size 5 /ID "
    b"[<ea39fdfaff66bf71554485745305eec0><2afa904275549147546497bd16b70fea>] >>\n"
    b"startxref\n278\n%%EOF\n"
)


async def post_multipart(
    client: httpx.AsyncClient,
    body: Any,
    files: list[tuple[str, bytes, str]],
    *,
    headers: dict[str, str] | None = None,
    part: str = "tip",
    url: str = TIPS,
) -> httpx.Response:
    document = body if isinstance(body, str) else json.dumps(body)
    return await client.post(
        url,
        data={part: document},
        files=[("files", f) for f in files],
        headers=headers or {},
    )


async def count(db: AsyncSession, model: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def counts(db: AsyncSession) -> dict[str, int]:
    """Rows in every table intake writes to."""
    models = (
        Tip,
        ReporterIdentity,
        Attachment,
        RegisterEntry,
        RegisterCounter,
        TipEvent,
        TipWatcher,
        IdempotencyRecord,
    )
    return {m.__tablename__: await count(db, m) for m in models}


def field_names(problem: dict[str, Any]) -> list[str]:
    return [e["field"] for e in problem.get("errors") or []]
