"""The type of a file is decided by its bytes; the declared type and extension must agree."""

from __future__ import annotations

import pytest

from app.media.service import safe_filename
from app.media.sniff import (
    AAC,
    HEIC,
    JPEG,
    M4A,
    MP3,
    MP4,
    PDF,
    PNG,
    QUICKTIME,
    WAV,
    WEBP,
    decide_kind,
)

JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
WEBP_HEAD = b"RIFF\x10\x00\x00\x00WEBPVP8 "
WAV_HEAD = b"RIFF\x10\x00\x00\x00WAVEfmt "
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
MOV_HEAD = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  "
M4A_HEAD = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42"
HEIC_HEAD = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00"
MP3_FRAME = b"\xff\xfb\x90\x64\x00"
ADTS = b"\xff\xf1\x50\x80\x00"


@pytest.mark.parametrize(
    ("head", "declared", "ext", "kind"),
    [
        (JPEG_HEAD, "image/jpeg", ".jpg", JPEG),
        (JPEG_HEAD, "image/jpg", ".jpeg", JPEG),
        (JPEG_HEAD, "", "", JPEG),
        (JPEG_HEAD, "application/octet-stream", ".jpg", JPEG),
        (PNG_HEAD, "image/png", ".png", PNG),
        (WEBP_HEAD, "image/webp", ".webp", WEBP),
        (b"%PDF-1.7\n", "application/pdf", ".pdf", PDF),
        (WAV_HEAD, "audio/x-wav", ".wav", WAV),
        (MP3_ID3, "audio/mpeg", ".mp3", MP3),
        (MP3_FRAME, "audio/mp3", ".mp3", MP3),
        (ADTS, "audio/aac", ".aac", AAC),
        (MP4_HEAD, "video/mp4", ".mp4", MP4),
        (MP4_HEAD, "audio/mp4", ".m4a", M4A),  # same brand, audio declared: stored as audio
        (MP4_HEAD, "", ".m4a", M4A),
        (MP4_HEAD, "video/quicktime", ".mov", QUICKTIME),
        (MOV_HEAD, "video/quicktime", ".mov", QUICKTIME),
        (M4A_HEAD, "audio/x-m4a", ".m4a", M4A),
        (HEIC_HEAD, "image/heic", ".heic", HEIC),  # converted to JPEG when stored
        (HEIC_HEAD, "", ".HEIC".lower(), HEIC),
    ],
)
def test_allowed(head: bytes, declared: str, ext: str, kind: object) -> None:
    assert decide_kind(head, declared_type=declared, extension=ext) == (kind, None)


@pytest.mark.parametrize(
    ("head", "declared", "ext", "reason"),
    [
        (b"GIF89a\x01\x00", "image/gif", ".gif", "type"),
        (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1avif", "image/avif", ".avif", "type"),
        (b"PK\x03\x04", "application/zip", ".zip", "type"),
        (b"MZ\x90\x00", "application/octet-stream", ".exe", "type"),
        (b"<!DOCTYPE html><script>", "image/jpeg", ".jpg", "type"),
        (b"", "image/jpeg", ".jpg", "type"),
        (PNG_HEAD, "image/jpeg", ".jpg", "declared"),  # spoofed type
        (JPEG_HEAD, "image/png", "", "declared"),
        (JPEG_HEAD, "", ".png", "extension"),
        (JPEG_HEAD, "image/jpeg", ".html", "extension"),
        (b"%PDF-1.4", "application/pdf", ".jpg", "extension"),
        (MP4_HEAD, "audio/mpeg", ".mp3", "declared"),
    ],
)
def test_refused(head: bytes, declared: str, ext: str, reason: str) -> None:
    assert decide_kind(head, declared_type=declared, extension=ext) == (None, reason)


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("ảnh hiện trường.JPG", JPEG, "ảnh hiện trường.jpg"),
        ("../../etc/passwd.jpg", JPEG, "passwd.jpg"),
        ("C:\\Users\\an\\IMG_0001.jpeg", JPEG, "IMG_0001.jpeg"),
        ("photo\u202egpj.exe", JPEG, "photogpj.jpg"),  # bidi override dropped, extension fixed
        ("a\x00b<>:|?*.png", PNG, "ab______.png"),
        ("", PDF, "tep-dinh-kem.pdf"),
        ("...", PDF, "tep-dinh-kem.pdf"),
        ("bao cao", PDF, "bao cao.pdf"),
        ("x" * 300 + ".pdf", PDF, "x" * 120 + ".pdf"),
    ],
)
def test_safe_filename(raw: str, kind: object, expected: str) -> None:
    assert safe_filename(raw, kind) == expected  # type: ignore[arg-type]
