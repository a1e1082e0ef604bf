"""Attachments keep no identifying metadata: real PDFs, videos, audio and HEIC photos carrying
an author, GPS, device and tags are uploaded, and the stored files are checked to lack them."""

from __future__ import annotations

import io
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import av
import httpx
import numpy as np
import pikepdf
import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.media.models import Attachment
from app.media.service import storage_for
from tests.tips.helpers import jpeg_bytes, payload, post_multipart

SECRETS = (b"NguyenVanSecret", b"SecretPhone", b"+10.7769+106.7009", b"SecretTag")
GPS_IFD = 0x8825
Upload = Callable[[str, bytes, str], Awaitable[tuple[Attachment, bytes, Path]]]


@pytest.fixture
def upload(client: httpx.AsyncClient, db: AsyncSession, settings: Settings) -> Upload:
    async def upload_one(
        name: str, content: bytes, declared: str
    ) -> tuple[Attachment, bytes, Path]:
        response = await post_multipart(client, payload(), [(name, content, declared)])
        assert response.status_code == 201, response.text
        attachment = (await db.scalars(select(Attachment))).one()
        path = storage_for(settings).blob_path(attachment.sha256)
        return attachment, path.read_bytes(), path

    return upload_one


def _assert_no_secret(stored: bytes) -> None:
    for marker in SECRETS:
        assert marker not in stored, marker


# PDF ------------------------------------------------------------------------------------------


def _dirty_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Author"] = "NguyenVanSecret"
    pdf.docinfo["/Creator"] = "SecretPhone Scanner"
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = ["NguyenVanSecret"]
        meta["xmp:CreatorTool"] = "SecretPhone"
    js = pdf.make_stream(b"app.alert('SecretTag')")
    action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=js)
    pdf.Root.OpenAction = pdf.make_indirect(action)
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array(["doc", pdf.make_indirect(action)]))
    )
    pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, b"SecretTag attached notes")
    page = pdf.pages[0]
    page.obj.AA = pikepdf.Dictionary(O=pdf.make_indirect(action))
    link = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Link,
        Rect=[0, 0, 10, 10],
        A=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("SecretTag()")),
    )
    page.obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    data = out.getvalue()
    assert b"NguyenVanSecret" in data and b"SecretTag" in data  # the fixture really carries them
    return data


async def test_pdf_author_xmp_javascript_and_embedded_files_do_not_survive(
    client: httpx.AsyncClient, upload: Upload, db: AsyncSession
) -> None:
    _, stored, _ = await upload("to-giac.pdf", _dirty_pdf(), "application/pdf")
    _assert_no_secret(stored)
    with pikepdf.open(io.BytesIO(stored)) as clean:
        assert len(clean.pages) == 1
        assert "/Info" not in clean.trailer
        assert "/Metadata" not in clean.Root
        assert "/OpenAction" not in clean.Root
        assert "/Names" not in clean.Root or (
            "/JavaScript" not in clean.Root.Names and "/EmbeddedFiles" not in clean.Root.Names
        )
        assert len(clean.attachments) == 0
        page = clean.pages[0].obj
        assert "/AA" not in page
        for annot in page.get("/Annots", []):
            assert "/A" not in annot
        for obj in clean.objects:
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                assert "/JS" not in obj and obj.get("/Type") != "/EmbeddedFile"


async def test_encrypted_pdf_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(user="u-secret", owner="o-secret"))
    response = await post_multipart(
        client, payload(), [("locked.pdf", out.getvalue(), "application/pdf")]
    )
    assert response.status_code == 415, response.text
    assert (await db.scalars(select(Attachment))).all() == []


# Video ----------------------------------------------------------------------------------------


def _video(fmt: str, **options: str) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format=fmt, options=options) as container:
        container.metadata["location"] = "+10.7769+106.7009/"
        container.metadata["make"] = "Apple"
        container.metadata["model"] = "SecretPhone 15"
        container.metadata["title"] = "SecretTag"
        container.metadata["artist"] = "NguyenVanSecret"
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        stream.metadata["handler_name"] = "SecretTag handler"
        for i in range(5):
            pixels = np.full((32, 32, 3), i * 40, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "fmt", "declared", "options"),
    [
        ("IMG_0001.MOV", "mov", "video/quicktime", {}),
        ("clip.mp4", "mp4", "video/mp4", {"movflags": "use_metadata_tags"}),
    ],
)
async def test_video_gps_and_device_atoms_do_not_survive(
    client: httpx.AsyncClient,
    upload: Upload,
    db: AsyncSession,
    name: str,
    fmt: str,
    declared: str,
    options: dict[str, str],
) -> None:
    original = _video(fmt, **options)
    assert b"+10.7769+106.7009" in original and b"SecretPhone" in original
    attachment, stored, _ = await upload(name, original, declared)
    assert attachment.content_type == declared
    _assert_no_secret(stored)
    assert b"\xa9xyz" not in stored and b"\xa9mod" not in stored and b"Lavf" not in stored
    with av.open(io.BytesIO(stored)) as clean:
        assert not any(k in clean.metadata for k in ("location", "make", "model", "title"))
        video = clean.streams.video[0]
        assert (video.width, video.height) == (32, 32)
        assert sum(1 for _ in clean.demux(video) if _.size) == 5  # every frame kept


# Audio ----------------------------------------------------------------------------------------


def _audio(fmt: str, codec: str, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        container.metadata["artist"] = "NguyenVanSecret"
        container.metadata["title"] = "SecretTag"
        container.metadata["comment"] = "recorded on SecretPhone"
        stream = container.add_stream(codec, rate=rate)
        samples = np.zeros((1, rate // 2), dtype=np.int16)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "fmt", "codec", "declared"),
    [
        ("ghi-am.mp3", "mp3", "libmp3lame", "audio/mpeg"),
        ("ghi-am.wav", "wav", "pcm_s16le", "audio/wav"),
        ("ghi-am.m4a", "ipod", "aac", "audio/mp4"),
    ],
)
async def test_audio_tags_do_not_survive(
    client: httpx.AsyncClient,
    upload: Upload,
    db: AsyncSession,
    name: str,
    fmt: str,
    codec: str,
    declared: str,
) -> None:
    original = _audio(fmt, codec)
    assert b"NguyenVanSecret" in original
    attachment, stored, _ = await upload(name, original, declared)
    assert attachment.content_type == declared
    _assert_no_secret(stored)
    with av.open(io.BytesIO(stored)) as clean:
        assert "artist" not in clean.metadata and "title" not in clean.metadata
        assert clean.streams.audio[0].rate == 8000


# HEIC -----------------------------------------------------------------------------------------


def _heic_with_gps() -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    image = Image.new("RGB", (64, 48), "blue")
    exif = Image.Exif()
    exif[0x010F] = "SecretPhone"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (10.0, 46.0, 47.8)
    out = io.BytesIO()
    image.save(out, format="HEIF", exif=exif.tobytes(), quality=80)
    data = out.getvalue()
    assert data[4:12] == b"ftypheic" and b"SecretPhone" in data
    return data


async def test_heic_photo_is_accepted_and_stored_as_clean_jpeg(
    client: httpx.AsyncClient, upload: Upload, db: AsyncSession
) -> None:
    attachment, stored, _ = await upload("IMG_4321.HEIC", _heic_with_gps(), "image/heic")
    assert attachment.content_type == "image/jpeg"
    assert attachment.filename == "IMG_4321.jpg"
    _assert_no_secret(stored)
    clean = Image.open(io.BytesIO(stored))
    assert clean.format == "JPEG" and clean.size == (64, 48)
    assert dict(clean.getexif()) == {}


# File modes -----------------------------------------------------------------------------------


async def test_stored_files_are_0600_and_media_folders_0700(
    client: httpx.AsyncClient, upload: Upload, db: AsyncSession, settings: Settings
) -> None:
    _, _, path = await upload("a.jpg", jpeg_bytes(), "image/jpeg")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (path.parent, path.parent.parent, settings.media_dir, settings.media_dir / "tmp"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
