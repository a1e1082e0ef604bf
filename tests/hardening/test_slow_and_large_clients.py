"""Against the real server (``tinbao serve`` in a subprocess), with raw sockets: 100 MiB bodies
are refused with flat memory, a client that drops mid-upload is a 499 and no error, slow
clients are cut off by the header and body timeouts, half-sent requests per worker are bounded,
and the worker keeps serving everyone else meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.hardening.server import Server

MiB = 1024 * 1024
JSON = b"Content-Type: application/json\r\n"


@contextlib.asynccontextmanager
async def server(settings, tmp_path: Path, **env: str) -> AsyncIterator[Server]:
    async with Server(settings, tmp_path / "server.log", **env) as running:
        yield running


def address(srv: Server) -> tuple[str, int]:
    host, port = srv.url.removeprefix("http://").split(":")
    return host, int(port)


async def open_raw(srv: Server) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(*address(srv))


async def read_answer(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes (or resets) the connection."""
    received = bytearray()
    with contextlib.suppress(ConnectionError, TimeoutError):
        while data := await asyncio.wait_for(reader.read(65536), timeout=30):
            received += data
    return bytes(received)


async def closed_by_server(reader: asyncio.StreamReader, timeout: float = 30) -> bool:
    """Whether the server closes the connection (EOF or reset) before ``timeout`` — a bound
    for a hung test, not a measured duration."""
    try:
        while await asyncio.wait_for(reader.read(65536), timeout=timeout):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


def rss(srv: Server) -> int:
    assert srv.process is not None
    return psutil.Process(srv.process.pid).memory_info().rss


async def metrics(srv: Server) -> str:
    async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
        return (await client.get("/metrics")).text


def counted(text: str, *, status: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith("tinbao_http_requests_total{") and f'status="{status}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def push_body(
    srv: Server, *, chunked: bool, size: int = 100 * MiB, piece: int = 256 * 1024
) -> tuple[bytes, int]:
    """POST ``size`` bytes to /api/v1/users, anonymous, until the server answers or closes;
    returns the answer and how many body bytes could be written."""
    reader, writer = await open_raw(srv)
    length = f"Content-Length: {size}\r\n".encode()
    framing = b"Transfer-Encoding: chunked\r\n" if chunked else length
    writer.write(b"POST /api/v1/users HTTP/1.1\r\nHost: t\r\n" + JSON + framing + b"\r\n")
    data = b"x" * piece
    sent = 0
    answer = asyncio.ensure_future(read_answer(reader))
    try:
        while sent < size and not answer.done():
            writer.write(f"{piece:x}\r\n".encode() + data + b"\r\n" if chunked else data)
            sent += piece
            try:
                await asyncio.wait_for(writer.drain(), timeout=0.5)
            except TimeoutError:
                break  # the server stopped reading: its answer (and close) follows
    except ConnectionError:
        pass
    result = await answer
    writer.transport.abort()
    return result, sent


async def test_100_mib_bodies_are_refused_with_flat_memory(settings, tmp_path, app):
    async with server(settings, tmp_path) as srv:
        for _ in range(3):  # warm up: first requests import and allocate
            await push_body(srv, chunked=False, size=MiB)
        before = rss(srv)
        results = await asyncio.gather(
            *(push_body(srv, chunked=chunked) for chunked in (False, True) * 4)
        )
        after = rss(srv)
        for answer, sent in results:
            assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
            assert b"application/problem+json" in answer
            assert b'"code":"payload_too_large"' in answer
            assert sent < 100 * MiB  # refused long before the end
        assert after - before < 30 * MiB, (before, after)
        assert counted(await metrics(srv), status="413") >= 8


async def test_a_refused_body_ends_with_the_answer_and_a_clean_close_not_a_reset(
    settings, tmp_path, app
):
    """The 413 leaves part of the body unread in the server's socket. Closing it then would make
    the kernel send a reset, and a reset makes the client's stack drop an answer it has not read
    yet. The server half-closes after the answer instead and discards what still arrives."""
    async with server(settings, tmp_path) as srv:
        for _ in range(3):
            reader, writer = await open_raw(srv)
            writer.write(
                b"POST /api/v1/users HTTP/1.1\r\nHost: t\r\n"
                + JSON
                + b"Content-Length: %d\r\n\r\n" % (100 * MiB)
                + b"x" * (512 * 1024)  # unread by the server when it answers
            )
            await writer.drain()
            received = bytearray()
            while data := await asyncio.wait_for(reader.read(65536), timeout=30):
                received += data  # a reset here (ConnectionResetError) fails the test
            assert received.startswith(b"HTTP/1.1 413 "), received[:200]
            assert b'"code":"payload_too_large"' in received
            writer.write(b"x" * 65536)  # the client may go on sending: thrown away
            await writer.drain()
            writer.transport.abort()


MULTIPART_HEAD = (
    b"POST /api/v1/tips HTTP/1.1\r\nHost: t\r\n"
    b"Content-Type: multipart/form-data; boundary=b\r\n"
    b"Content-Length: %d\r\n\r\n"
)
FILE_PART = (
    b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.jpg"\r\n'
    b"Content-Type: image/jpeg\r\n\r\n"
)


async def test_a_client_dropping_mid_upload_is_499_not_a_server_error(settings, tmp_path, app):
    async with server(settings, tmp_path) as srv:
        for _ in range(5):
            reader, writer = await open_raw(srv)
            writer.write(MULTIPART_HEAD % (4 * MiB) + FILE_PART + b"\xff" * MiB)
            await writer.drain()
            writer.close()  # half the body sent, then gone
            await closed_by_server(reader)
        text = await metrics(srv)
        for _ in range(500):  # the server notices each close on its own: ask until it has
            if counted(text, status="499") >= 5:
                break
            text = await metrics(srv)
        assert counted(text, status="499") == 5
        assert counted(text, status="500") == 0
        log = srv.output()
        assert "Traceback" not in log
        assert not re.search(r"^ERROR", log, re.MULTILINE), log[-3000:]
        assert "client closed the connection" in log


async def test_slow_headers_and_bodies_are_cut_off(settings, tmp_path, app):
    env = {"TINBAO_HEADER_TIMEOUT_SECONDS": "1", "TINBAO_BODY_TIMEOUT_SECONDS": "1"}
    async with server(settings, tmp_path, **env) as srv:
        # Half a request line and never the rest.
        reader, writer = await open_raw(srv)
        writer.write(b"POST /api/v1/tips HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        await writer.drain()
        assert await closed_by_server(reader)
        # Headers complete, the body promised and only half sent.
        reader, writer = await open_raw(srv)
        writer.write(
            b"POST /api/v1/tips HTTP/1.1\r\nHost: t\r\n" + JSON + b"Content-Length: 100\r\n\r\n{"
        )
        await writer.drain()
        answer = await read_answer(reader)
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:300]
        assert b'"code":"request_timeout"' in answer
        writer.transport.abort()
        text = await metrics(srv)
        assert 'tinbao_http_slow_clients_total{reason="header_timeout"} 1.0' in text
        assert counted(text, status="408") == 1


@pytest.mark.parametrize("bounded", [False, True])
async def test_one_worker_serves_others_while_300_slow_connections_are_open(
    settings, tmp_path, app, bounded
):
    """300 connections trickling their headers; meanwhile every fast request is answered. With
    TINBAO_MAX_PENDING_REQUESTS=100 the worker keeps at most 100 of them open."""
    env = {"TINBAO_HEADER_TIMEOUT_SECONDS": "120"}
    if bounded:
        env["TINBAO_MAX_PENDING_REQUESTS"] = "100"
    async with server(settings, tmp_path, **env) as srv:
        slow = []
        for _ in range(300):
            reader, writer = await open_raw(srv)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
            slow.append((reader, writer))
        await asyncio.gather(*(w.drain() for _, w in slow))
        ok = 0
        async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
            for _ in range(50):
                r = await client.get("/api/v1/categories")
                ok += r.status_code == 200
        assert ok == 50  # every fast request answered while the slow ones are held
        # Closed by the worker: every one beyond the bound, none without it.
        alive = await asyncio.gather(*(still_open(reader) for reader, _ in slow))
        if bounded:
            assert sum(alive) <= 100
        else:
            assert sum(alive) == 300
        for _, writer in slow:
            writer.transport.abort()


async def still_open(reader: asyncio.StreamReader) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(1), timeout=0.2)
    except TimeoutError:
        return True
    except ConnectionError:
        return False
    return bool(data)
