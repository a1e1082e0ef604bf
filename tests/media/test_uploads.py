"""Uploads: limits while streaming, types by content, metadata stripped from images."""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.errors import PayloadTooLarge
from app.main import create_app
from app.media.models import Attachment
from app.media.service import purge_orphan_blobs, storage_for
from app.media.storage import MediaStorage
from app.media.upload import UploadLimits, read_body_limited, read_multipart
from tests.tips.helpers import PDF_BYTES, TIPS, counts, jpeg_bytes, payload, post_multipart

GPS_IFD = 0x8825


def _tmp_files(settings: Settings) -> list[Path]:
    tmp = storage_for(settings).tmp_dir
    return list(tmp.iterdir()) if tmp.is_dir() else []


def _blob(settings: Settings, sha256: str) -> bytes:
    return storage_for(settings).blob_path(sha256).read_bytes()


async def _only_attachment(db: AsyncSession) -> Attachment:
    return (await db.scalars(select(Attachment))).one()


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x010F] = "CanonSecretMake"  # Make
    exif[0x0112] = 6  # Orientation: the camera was turned; display rotated 90° clockwise
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (10.0, 46.0, 47.8)
    gps[3] = "E"
    gps[4] = (106.0, 42.0, 8.9)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"secret comment")
    data = out.getvalue()
    # The fixture really carries GPS data.
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)[2] == (10.0, 46.0, 47.8)
    return data


async def test_jpeg_gps_exif_and_comment_do_not_survive(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    original = _jpeg_with_gps()
    response = await post_multipart(client, payload(), [("IMG_0001.JPG", original, "image/jpeg")])
    assert response.status_code == 201, response.text
    attachment = await _only_attachment(db)
    stored = _blob(settings, attachment.sha256)
    assert hashlib.sha256(stored).hexdigest() == attachment.sha256
    assert attachment.size == len(stored)
    assert attachment.filename == "IMG_0001.jpg"
    for marker in (b"Exif", b"CanonSecretMake", b"secret comment", b"http://ns.adobe.com"):
        assert marker not in stored
    clean = Image.open(io.BytesIO(stored))
    assert clean.format == "JPEG"
    assert dict(clean.getexif()) == {}
    assert "comment" not in clean.info and "exif" not in clean.info
    assert clean.size == (20, 40)  # the orientation was applied to the pixels


async def test_png_text_and_exif_do_not_survive(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    info = PngInfo()
    info.add_text("Author", "Nguyen Van Secret")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMakerSecret"
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (1, 2, 3, 4)).save(out, format="PNG", pnginfo=info, exif=exif)
    assert b"Nguyen Van Secret" in out.getvalue() and b"PhoneMakerSecret" in out.getvalue()
    response = await post_multipart(client, payload(), [("s.png", out.getvalue(), "image/png")])
    assert response.status_code == 201, response.text
    stored = _blob(settings, (await _only_attachment(db)).sha256)
    assert b"Nguyen Van Secret" not in stored and b"PhoneMakerSecret" not in stored
    assert b"tEXt" not in stored and b"eXIf" not in stored
    clean = Image.open(io.BytesIO(stored))
    assert clean.mode == "RGBA" and clean.getpixel((0, 0)) == (1, 2, 3, 4)


async def test_webp_exif_and_xmp_do_not_survive(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    exif = Image.Exif()
    exif[0x010F] = "WebpMakerSecret"
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "green").save(
        out, format="WEBP", exif=exif, xmp=b"<x:xmpmeta>XmpSecret</x:xmpmeta>"
    )
    assert b"WebpMakerSecret" in out.getvalue() and b"XmpSecret" in out.getvalue()
    response = await post_multipart(client, payload(), [("w.webp", out.getvalue(), "image/webp")])
    assert response.status_code == 201, response.text
    stored = _blob(settings, (await _only_attachment(db)).sha256)
    assert b"WebpMakerSecret" not in stored and b"XmpSecret" not in stored


async def test_clean_pdf_is_stored_content_addressed(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    response = await post_multipart(
        client, payload(), [("bien ban.pdf", PDF_BYTES, "application/pdf")]
    )
    assert response.status_code == 201, response.text
    rows = list(await db.scalars(select(Attachment).order_by(Attachment.filename)))
    assert [(r.filename, r.content_type, r.size) for r in rows] == [
        ("bien ban.pdf", "application/pdf", len(PDF_BYTES)),
    ]
    # PDF_BYTES is already clean: the cleaner's rewrite of it is byte for byte the same.
    # (pikepdf < 10.5, qpdf 12.2, wrote its empty content stream as /FlateDecode over zero
    # bytes, a stream some readers and printers reject: hence pikepdf>=10.5.)
    assert rows[0].sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert _blob(settings, rows[0].sha256) == PDF_BYTES
    # Content-addressed and sharded: <media_dir>/ab/cd/abcd…
    path = storage_for(settings).blob_path(rows[0].sha256)
    assert path.parent.parent.name == rows[0].sha256[:2]
    assert path.parent.name == rows[0].sha256[2:4]
    assert _tmp_files(settings) == []


async def test_media_that_cannot_be_cleaned_is_refused_not_stored(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    """The magic bytes of an MP4 followed by nothing FFmpeg can demux: it cannot be re-muxed
    without metadata, so it is refused rather than stored as received."""
    fake_mp4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64
    fake_pdf = b"%PDF-1.4\n" + b"\x00garbage" * 10
    for name, content, declared in (
        ("clip.mp4", fake_mp4, "video/mp4"),
        ("a.pdf", fake_pdf, "application/pdf"),
    ):
        response = await post_multipart(client, payload(), [(name, content, declared)])
        assert response.status_code == 415, (name, response.text)
        assert response.json()["code"] == "unsupported_media_type"
    assert (await db.scalars(select(Attachment))).all() == []
    stored = {path.read_bytes() for _, path in storage_for(settings).iter_blobs()}
    assert fake_mp4 not in stored and fake_pdf not in stored
    assert _tmp_files(settings) == []


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("a.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00", "image/gif"),
        ("a.html", b"<html><script>alert(1)</script></html>", "text/html"),
        ("a.zip", b"PK\x03\x04\x14\x00\x00\x00", "application/zip"),
        ("a.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),  # spoofed
        ("a.jpg", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/jpeg"),  # PNG declared as JPEG
        ("a.png", jpeg_bytes(), "application/octet-stream"),  # extension lies
        ("a.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 10, "image/jpeg"),  # undecodable image
    ],
)
async def test_refused_files_answer_415_and_write_nothing(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    name: str,
    content: bytes,
    declared: str,
) -> None:
    response = await post_multipart(
        client, payload(), [("ok.pdf", PDF_BYTES, "application/pdf"), (name, content, declared)]
    )
    assert response.status_code == 415, response.text
    problem = response.json()
    assert problem["code"] == "unsupported_media_type"
    assert [e["field"] for e in problem["errors"]] == ["files[1]"]
    assert set((await counts(db)).values()) == {0}
    assert _tmp_files(settings) == []


@pytest.fixture
async def small_client(app: Any, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app on the same database with tiny upload limits."""
    small = create_app(
        settings.model_copy(
            update={
                "max_file_bytes": 4000,
                "max_tip_bytes": 6000,
                "max_files_per_tip": 3,
                "max_json_bytes": 2048,
            }
        )
    )
    async with small.router.lifespan_context(small):
        transport = httpx.ASGITransport(app=small)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def _pdf(size: int) -> bytes:
    return PDF_BYTES + b"%" * (size - len(PDF_BYTES))


@pytest.mark.parametrize(
    "files",
    [
        [("big.pdf", _pdf(4001), "application/pdf")],  # one file over its cap
        [("a.pdf", _pdf(3500), "application/pdf"), ("b.pdf", _pdf(3500), "application/pdf")],
        [(f"{i}.pdf", _pdf(100), "application/pdf") for i in range(4)],  # too many files
    ],
    ids=["file", "total", "count"],
)
async def test_upload_limits_answer_413(
    small_client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    files: list[tuple[str, bytes, str]],
) -> None:
    response = await post_multipart(small_client, payload(), files)
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload_too_large"
    assert set((await counts(db)).values()) == {0}
    assert _tmp_files(settings) == []


async def test_within_limits_is_accepted(small_client: httpx.AsyncClient) -> None:
    files = [(f"{i}.pdf", _pdf(1900), "application/pdf") for i in range(3)]
    response = await post_multipart(small_client, payload(), files)
    assert response.status_code == 201, response.text


async def test_oversize_json_part(small_client: httpx.AsyncClient) -> None:
    body = payload(persons_involved="x" * 3000)
    response = await post_multipart(small_client, body, [("a.pdf", PDF_BYTES, "application/pdf")])
    assert response.status_code == 413


async def _must_not_be_read() -> AsyncIterator[bytes]:
    raise AssertionError("the body was read")
    yield b""  # pragma: no cover


LIMITS = UploadLimits(max_file_bytes=10, max_total_bytes=20, max_files=2, max_field_bytes=10)


async def test_content_length_over_the_caps_is_refused_before_reading(tmp_path: Path) -> None:
    headers = {
        "content-type": "multipart/form-data; boundary=xyz",
        "content-length": str(LIMITS.max_request_bytes + 1),
    }
    with pytest.raises(PayloadTooLarge):
        await read_multipart(
            headers,
            _must_not_be_read(),
            storage=MediaStorage(tmp_path),
            limits=LIMITS,
            field_names=frozenset({"tip"}),
        )
    with pytest.raises(PayloadTooLarge):
        await read_body_limited(_must_not_be_read(), content_length=11, max_bytes=10)


async def test_a_chunked_body_is_bounded_without_content_length(tmp_path: Path) -> None:
    sent: list[int] = []

    async def endless_epilogue() -> AsyncIterator[bytes]:
        yield b'--xyz\r\nContent-Disposition: form-data; name="tip"\r\n\r\n{}\r\n--xyz--\r\n'
        while True:  # after the closing boundary the parser discards everything
            sent.append(1)
            yield b"x" * 1024

    with pytest.raises(PayloadTooLarge):
        await read_multipart(
            {"content-type": "multipart/form-data; boundary=xyz"},
            endless_epilogue(),
            storage=MediaStorage(tmp_path),
            limits=LIMITS,
            field_names=frozenset({"tip"}),
        )
    assert len(sent) <= LIMITS.max_request_bytes // 1024 + 1


async def test_a_truncated_multipart_body_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 and then the connection drops"
    )
    response = await client.post(
        TIPS,
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=xyz", "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "The multipart body is truncated."
    assert _tmp_files(settings) == []


async def test_orphan_blobs_are_purged_after_a_grace_period(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    response = await post_multipart(client, payload(), [("a.pdf", PDF_BYTES, "application/pdf")])
    assert response.status_code == 201
    storage = storage_for(settings)
    referenced = storage.blob_path((await _only_attachment(db)).sha256)
    old_orphan_sha = hashlib.sha256(b"left by a failed transaction").hexdigest()
    new_orphan_sha = hashlib.sha256(b"written a moment ago").hexdigest()
    for sha in (old_orphan_sha, new_orphan_sha):
        path = storage.blob_path(sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    two_days_ago = time.time() - 2 * 86400
    for path in (referenced, storage.blob_path(old_orphan_sha)):
        os.utime(path, (two_days_ago, two_days_ago))

    removed = await purge_orphan_blobs(db, storage=storage)
    assert removed >= 1
    assert referenced.exists()
    assert not storage.blob_path(old_orphan_sha).exists()
    assert storage.blob_path(new_orphan_sha).exists()


@pytest.mark.parametrize(
    ("lang", "detail", "item"),
    [
        ("en", "A file was refused.", "This type of file is not accepted"),
        ("vi", "Có tệp không được chấp nhận.", "Loại tệp không được chấp nhận"),
    ],
)
async def test_a_refused_file_answers_from_the_catalogue_in_both_languages(
    client: httpx.AsyncClient, lang: str, detail: str, item: str
) -> None:
    response = await post_multipart(
        client,
        payload(),
        [("a.zip", b"PK\x03\x04\x14\x00\x00\x00", "application/zip")],
        headers={"Accept-Language": lang},
    )
    assert response.status_code == 415, response.text
    problem = response.json()
    assert (problem["code"], problem["detail"]) == ("unsupported_media_type", detail)
    [error] = problem["errors"]
    assert (error["field"], error["code"]) == ("files[0]", "invalid_choice")
    assert error["message"].startswith(item) and "PDF" in error["message"]
