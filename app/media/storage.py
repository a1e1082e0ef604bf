"""Content-addressed file storage on the local disk.

Blobs are named by the SHA-256 of their (sanitised) content and sharded in two directory
levels: ``<media_dir>/ab/cd/abcd…``. Uploads are first streamed into ``<media_dir>/tmp`` and
then renamed into place, so a blob is either absent or complete.

Blobs are written before the database transaction commits. When the transaction fails the blob
stays behind, unreferenced; that is harmless (same content, same name; nothing points at it)
and ``purge_orphan_blobs`` removes such blobs once they are older than a grace period. A blob
reused by a new upload is touched, so the sweep never removes one that a transaction in flight
is about to reference.

All methods are blocking; callers run them through ``anyio.to_thread.run_sync``.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from app.media.policy import MediaPolicy

CHUNK_SIZE = 64 * 1024
_HEX = frozenset("0123456789abcdef")


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and set(value) <= _HEX


def _private_dir(path: Path) -> None:
    """Make ``path`` (its parent exists or is made) a folder only the owner can enter; also
    tightens a folder an older version made 0755."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)


class MediaStorage:
    """Blobs are 0600 and folders 0700: only the service's own user reads them."""

    def __init__(self, root: Path, policy: MediaPolicy | None = None) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.policy = policy or MediaPolicy()

    def blob_path(self, sha256: str) -> Path:
        if not _is_sha256(sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def new_temp_path(self) -> Path:
        """A fresh name under tmp/ (the directory is made by ``ensure_dirs``)."""
        return self.tmp_dir / f"upload-{secrets.token_hex(16)}"

    def ensure_dirs(self) -> None:
        _private_dir(self.root)
        _private_dir(self.tmp_dir)

    def exists(self, sha256: str) -> bool:
        return self.blob_path(sha256).is_file()

    def store(self, temp_path: Path, sha256: str) -> Path:
        """Move a finished temp file into place under its content hash."""
        target = self.blob_path(sha256)
        if target.is_file():
            # Same content already stored: keep the old blob, mark it as in use again.
            os.utime(target)
            os.chmod(target, 0o600)
            temp_path.unlink(missing_ok=True)
            return target
        _private_dir(self.root)
        _private_dir(target.parent.parent)
        _private_dir(target.parent)
        os.chmod(temp_path, 0o600)
        os.replace(temp_path, target)
        return target

    def iter_chunks(self, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        with self.blob_path(sha256).open("rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk

    def iter_blobs(self) -> Iterator[tuple[str, Path]]:
        if not self.root.is_dir():
            return
        for first in self.root.iterdir():
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in first.iterdir():
                if not second.is_dir():
                    continue
                for blob in second.iterdir():
                    if _is_sha256(blob.name):
                        yield blob.name, blob

    def remove_orphans(self, referenced: Iterable[str], *, older_than_seconds: float) -> int:
        """Delete blobs not in ``referenced`` whose mtime is older than the grace period,
        and stale temp files."""
        keep = set(referenced)
        cutoff = time.time() - older_than_seconds
        removed = 0
        for sha256, path in list(self.iter_blobs()):
            if sha256 not in keep and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        if self.tmp_dir.is_dir():
            for path in self.tmp_dir.iterdir():
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
        return removed
