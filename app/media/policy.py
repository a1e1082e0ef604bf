"""How much cleaning an upload may cost: the bounds that keep image bombs out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ImagePolicy:
    max_pixels: int = 40_000_000
    memory_bytes: int = 256 * 1024 * 1024  # per image being re-encoded


@dataclass(frozen=True)
class MediaPolicy:
    image: ImagePolicy = field(default_factory=ImagePolicy)
    concurrency: int = 2  # files cleaned at once per worker process
