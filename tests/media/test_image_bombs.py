"""Image bombs are refused from their header, before decoding; re-encoding is bounded in
memory and in how many run at once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from app.core.config import Settings
from app.media import clean
from app.media.policy import ImagePolicy
from app.media.sanitize import ImageRejected, reencode_image
from tests.media.bombs import png_bomb
from tests.tips.helpers import payload, post_multipart

ROOT = Path(__file__).resolve().parents[2]
# The attack of issue 10: 47.6 megapixels in about 135 KB.
BOMB_SIZE = (8000, 5950)
# The peak RSS of a worker refusing 1 + 4 bombs may not grow by more than this. Before the fix
# each one cost +662 MB; decoding even one would cost > 180 MB.
RSS_BOUND_KB = 64 * 1024


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = png_bomb(*BOMB_SIZE)
    assert len(data) < 150_000
    with Image.open(__import__("io").BytesIO(data)) as img:  # a real, valid PNG header
        assert img.size == BOMB_SIZE and img.mode == "RGB"
    return data


@pytest.fixture(scope="module")
def memory_bomb() -> bytes:
    """34.7 MP: under the pixel bound, but RGB at 4 bytes a pixel twice is over 256 MiB."""
    return png_bomb(6200, 5600)


async def test_47_megapixel_png_is_refused_413(client: httpx.AsyncClient, bomb: bytes) -> None:
    response = await post_multipart(client, payload(), [("bomb.png", bomb, "image/png")])
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["errors"][0]["field"] == "files[0]"


async def test_image_over_the_memory_budget_is_refused(
    client: httpx.AsyncClient, memory_bomb: bytes
) -> None:
    response = await post_multipart(client, payload(), [("big.png", memory_bomb, "image/png")])
    assert response.status_code == 413, response.text
    assert "MiB" in response.json()["detail"] or response.json()["errors"]


def test_refusal_happens_before_decoding(tmp_path: Path, bomb: bytes) -> None:
    """The bound is checked from the header: with decoding made impossible, the bomb is still
    refused as too large (not as undecodable), so no pixel was decoded."""
    source = tmp_path / "bomb.png"
    source.write_bytes(bomb[:200])  # header only: IDAT cut short, decoding would fail
    with pytest.raises(ImageRejected) as refused:
        reencode_image(source, tmp_path / "out.png", "PNG", ImagePolicy(), output_format="PNG")
    assert refused.value.reason == "too_many_pixels"


def test_worker_rss_stays_bounded_while_bombs_are_refused(
    settings: Settings, sync_engine: Any, tmp_path: Path, bomb: bytes
) -> None:
    """A fresh process uploads the 47.6 MP bomb once, then 4 at once; its peak RSS grows by
    less than RSS_BOUND_KB (64 MiB)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.media.bombs",
            settings.database_url,
            str(tmp_path / "media"),
            str(tmp_path / "var"),
            "4",
        ],
        input=bomb,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    report = json.loads(result.stdout.decode().strip().splitlines()[-1])
    assert report["statuses"] == [201, 413, 413, 413, 413, 413], report
    assert report["after"] - report["before"] < RSS_BOUND_KB, report


@pytest.fixture
def spy_concurrency(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Wraps the real cleaner: counts how many run at once; a barrier of 2 makes every clean
    wait for a partner, so the test also proves two do run in parallel."""
    state = {"active": 0, "max": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(2, timeout=20)
    real = clean.clean_file

    def counting(*args: Any) -> None:
        with lock:
            state["active"] += 1
            state["max"] = max(state["max"], state["active"])
        try:
            barrier.wait()
            real(*args)
        finally:
            with lock:
                state["active"] -= 1

    monkeypatch.setattr(clean, "clean_file", counting)
    yield state


async def test_at_most_two_files_are_cleaned_at_once(
    client: httpx.AsyncClient, spy_concurrency: dict[str, int]
) -> None:
    from tests.tips.helpers import jpeg_bytes

    files = [("a.jpg", jpeg_bytes(), "image/jpeg")]
    responses = await asyncio.gather(*(post_multipart(client, payload(), files) for _ in range(6)))
    assert [r.status_code for r in responses] == [201] * 6
    assert spy_concurrency["max"] == 2
