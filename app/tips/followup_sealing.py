"""Sealing the reporter's free text of complaints and protection requests (AES-GCM under
the data keys, bound to the row: AAD ``<kind>:<id>``)."""

from __future__ import annotations

from app.core.security import DataCipher

COMPLAINT = "complaint"
PROTECTION = "protection"


def aad(kind: str, row_id: str) -> bytes:
    return f"{kind}:{row_id}".encode()


def seal(cipher: DataCipher, kind: str, row_id: str, text: str) -> tuple[str, bytes]:
    return cipher.encrypt(text.encode(), aad=aad(kind, row_id))


def open_text(cipher: DataCipher, kind: str, row_id: str, key_id: str, blob: bytes) -> str:
    return cipher.decrypt(key_id, blob, aad=aad(kind, row_id)).decode()
