"""Re-encode images so that no EXIF (GPS, camera serial), XMP, IPTC, ICC or comment survives.

Image bombs are refused before any pixel is decoded: ``Image.open`` reads only the header, so
the size and mode are known first. Two bounds apply (``ImagePolicy``): the pixel count, and the
memory the decode and re-encode would need (the decoded image plus the clean copy written from
it, at Pillow's bytes per pixel). A 135 KB PNG that claims 47 megapixels is refused in
microseconds. HEIC/HEIF (pillow-heif) is decoded the same way and written as JPEG.

Blocking and CPU-bound: call through ``app.media.clean`` (a bounded number at once, in a thread).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from app.media.policy import ImagePolicy

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
# What Pillow keeps in memory per pixel (RGB is stored as 4 bytes).
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}


class ImageRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "undecodable", "too_many_pixels" or "too_much_memory"


def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def estimated_memory(size: tuple[int, int], mode: str, output_format: str) -> int:
    """Bytes the re-encoding of an image of this size and mode holds at its peak: the decoded
    image, a converted copy when the output format needs another mode, and the clean copy."""
    width, height = size
    per_pixel = _BYTES_PER_PIXEL.get(mode, 4)
    if mode in _MODES[output_format]:
        per_pixel *= 2
    else:
        per_pixel += 4 * 2
    return width * height * per_pixel


def check_header(img: Image.Image, policy: ImagePolicy, output_format: str) -> None:
    """Refuse a bomb from what its header says, before any pixel is decoded."""
    width, height = img.size
    if width <= 0 or height <= 0:
        raise ImageRejected("undecodable")
    if width * height > policy.max_pixels:
        raise ImageRejected("too_many_pixels")
    if estimated_memory(img.size, img.mode, output_format) > policy.memory_bytes:
        raise ImageRejected("too_much_memory")


def reencode_image(
    source: Path, target: Path, image_format: str, policy: ImagePolicy, *, output_format: str
) -> None:
    """Decode ``source`` (``image_format``), apply its EXIF orientation to the pixels, and write
    only the pixels to ``target`` as ``output_format``."""
    if image_format == "HEIF":
        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(source, formats=[image_format])
        with img:
            check_header(img, policy, output_format)
            img.load()
            ImageOps.exif_transpose(img, in_place=True)
            clean = _pixels_only(img, output_format)
    except ImageRejected:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        RuntimeError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise ImageRejected("undecodable") from None
    clean.save(target, format=output_format, **_SAVE_OPTIONS[output_format])


def _pixels_only(img: Image.Image, output_format: str) -> Image.Image:
    """A fresh image with the pixels and nothing else: no info dict (exif, xmp, icc_profile,
    comment...)."""
    if img.mode not in _MODES[output_format]:
        has_alpha = "A" in img.mode or "transparency" in img.info
        wanted = "RGBA" if has_alpha and "RGBA" in _MODES[output_format] else "RGB"
        img = img.convert(wanted)
    clean = Image.new(img.mode, img.size)
    clean.paste(img, (0, 0))
    return clean
