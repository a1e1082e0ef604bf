"""Image bombs made on the fly (a few KB of zlib per hundred MB of pixels), and a worker that
uploads them to a fresh app in its own process so its peak RSS can be read.

Run as ``python -m tests.media.bombs DATABASE_URL MEDIA_DIR VAR_DIR N_PARALLEL`` with the PNG
on standard input; prints one JSON line: the statuses and the process's peak RSS (VmHWM, kB)
before and after the uploads.
"""

from __future__ import annotations

import asyncio
import json
import struct
import sys
import zlib
from pathlib import Path


def png_bomb(width: int, height: int) -> bytes:
    """A valid 8-bit RGB PNG of ``width × height`` black pixels, built row by row so making it
    never holds the pixels (47.6 MP → about 135 KB)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data)
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + width * 3)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def peak_rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


async def _main(database_url: str, media_dir: str, var_dir: str, parallel: int) -> None:
    import httpx

    from app.core.config import Settings
    from app.main import create_app
    from tests.conftest import TEST_DATA_KEY
    from tests.tips.helpers import payload, post_multipart

    bomb = sys.stdin.buffer.read()
    settings = Settings(
        database_url=database_url,
        media_dir=Path(media_dir),
        var_dir=Path(var_dir),
        secret_key="test-secret-key-0123456789abcdef",
        receipt_key="test-receipt-key-0123456789abcdef",
        data_keys=[TEST_DATA_KEY],
        scheduler_enabled=False,
        rate_limit_intake="10000/minute",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            # Warm up every code path once with a small image, so the baseline includes them.
            from tests.tips.helpers import jpeg_bytes

            warm = await post_multipart(c, payload(), [("w.jpg", jpeg_bytes(), "image/jpeg")])
            before = peak_rss_kb()
            files = [("bomb.png", bomb, "image/png")]
            first = await post_multipart(c, payload(), files)
            rest = await asyncio.gather(
                *(post_multipart(c, payload(), files) for _ in range(parallel))
            )
            after = peak_rss_kb()
    statuses = [warm.status_code, first.status_code, *(r.status_code for r in rest)]
    codes = [first.json().get("code"), *(r.json().get("code") for r in rest)]
    print(json.dumps({"statuses": statuses, "codes": codes, "before": before, "after": after}))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
