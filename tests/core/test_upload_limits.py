"""Multipart bodies refused early still end in a 4xx the client can read, and header lengths
count characters."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from app.media.upload import MAX_BOUNDARY_CHARS
from tests.hardening.server import Server
from tests.tips.helpers import TIPS, payload


def _multipart(boundary: str, parts: int) -> bytes:
    one = f'--{boundary}\r\nContent-Disposition: form-data; name="x{{}}"\r\n\r\nv\r\n'.encode()
    return b"".join(one.replace(b"{}", str(i).encode()) for i in range(parts)) + (
        f"--{boundary}--\r\n".encode()
    )


@pytest.mark.parametrize("length", [MAX_BOUNDARY_CHARS + 1, 5000])
async def test_an_overlong_boundary_is_a_422(client: httpx.AsyncClient, length: int) -> None:
    boundary = "b" * length
    response = await client.post(
        TIPS,
        content=_multipart(boundary, 1),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "Boundary của multipart phải từ 1 đến 256 ký tự."


def _raw_post(port: int, path: str, headers: dict[str, str], body: bytes) -> bytes:
    """Send the whole body, then read the whole answer (a reset raises)."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.fixture
async def server(settings: Settings, tmp_path: Path) -> Any:
    async with Server(settings, tmp_path / "server.log") as running:
        yield running


@pytest.mark.parametrize("boundary", ["x" * 40, "y" * 300])
async def test_a_100000_part_upload_ends_in_a_4xx_not_a_reset(server: Any, boundary: str) -> None:
    body = _multipart(boundary, 100_000)
    port = int(server.url.rsplit(":", 1)[1])
    answer = _raw_post(
        port, TIPS, {"Content-Type": f"multipart/form-data; boundary={boundary}"}, body
    )
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 422 Unprocessable Entity"
    assert b"application/problem+json" in answer


async def test_the_idempotency_key_length_counts_characters(client: httpx.AsyncClient) -> None:
    key = "khóa-" + "đ" * 120  # 125 characters, 246 bytes in UTF-8
    headers = {"Idempotency-Key": key.encode()}
    first = await client.post(TIPS, json=payload(), headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post(TIPS, json=payload(), headers=headers)
    assert again.json()["reference"] == first.json()["reference"]
    too_long = {"Idempotency-Key": ("đ" * 129).encode()}
    refused = await client.post(TIPS, json=payload(), headers=too_long)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "Idempotency-Key"
