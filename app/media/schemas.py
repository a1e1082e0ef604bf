from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from app.media.sniff import ALL_KINDS


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    filename: str
    content_type: str
    size: int


def download_response(description: str) -> dict[str, Any]:
    """The 200 of a download in OpenAPI: one entry per content type a stored file may have."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "description": description,
        "content": {kind.content_type: binary for kind in ALL_KINDS},
    }
