from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.media.sniff import ALL_KINDS


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    filename: str
    content_type: str
    size: int
    uploaded_by: Literal["staff", "reporter"] = Field(
        description="staff: a unit's file (on the tip, or in a message to the reporter); "
        "reporter: sent with the tip or a message (also when staff filed the tip for them)."
    )


def download_response(description: str) -> dict[str, Any]:
    """The 200 of a download in OpenAPI: one entry per content type a stored file may have."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "description": description,
        "content": {kind.content_type: binary for kind in ALL_KINDS},
    }
