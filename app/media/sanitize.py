"""Re-encode images so that no EXIF (GPS, camera serial), XMP, IPTC, ICC or comment survives.

Blocking and CPU-bound: call through ``anyio.to_thread.run_sync``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from app.media.storage import CHUNK_SIZE

# Decoded pixels are held in memory while re-encoding; bound them (48 MP covers phone cameras).
MAX_IMAGE_PIXELS = 48_000_000

_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 90, "optimize": True},
    "PNG": {"optimize": False, "compress_level": 6},
    "WEBP": {"quality": 90, "method": 4},
}
_MODES: dict[str, tuple[str, ...]] = {
    "JPEG": ("RGB", "L"),
    "PNG": ("1", "L", "LA", "RGB", "RGBA", "I;16", "I"),
    "WEBP": ("RGB", "RGBA"),
}


class ImageRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "undecodable" or "too_many_pixels"


def reencode_image(source: Path, target: Path, image_format: str) -> tuple[str, int]:
    """Decode ``source``, apply its EXIF orientation to the pixels, and write only the pixels to
    ``target`` in the same format. Returns (sha256, size) of what was written."""
    try:
        with Image.open(source, formats=[image_format]) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ImageRejected("too_many_pixels")
            img.load()
            upright = ImageOps.exif_transpose(img)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRejected("undecodable") from None

    if upright.mode not in _MODES[image_format]:
        has_alpha = "A" in upright.mode or "transparency" in upright.info
        wanted = "RGBA" if has_alpha and "RGBA" in _MODES[image_format] else "RGB"
        upright = upright.convert(wanted)
    # Only the pixels: a fresh image carries no info dict (exif, xmp, icc_profile, comment...).
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    del upright
    clean.save(target, format=image_format, **_SAVE_OPTIONS[image_format])

    digest = hashlib.sha256()
    size = 0
    with target.open("rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
