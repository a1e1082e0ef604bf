"""Which commune contains a point: the shipped commune boundaries in an STRtree.

The boundaries (``data/communes_geometry.npy.gz``, built by ``scripts/build_reference_data.py``
from the coverage-simplified source, about 30 m tolerance) are stored compactly: coordinates as
integers of 1e-5 degree (about 1 m), delta-encoded, as a gzip-compressed sequence of
``.npy`` arrays (plain numbers, no pickles) that ``shapely.from_ragged_array`` turns back into
MultiPolygons in well under a second. The locator is built once per process (``get_locator``);
the geometries are prepared, so a point test is an indexed point-in-polygon lookup (tens of
microseconds).
"""

from __future__ import annotations

import gzip
import io
import math
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray

DATA_DIR = Path(__file__).resolve().parent / "data"
GEOMETRY_FILE = DATA_DIR / "communes_geometry.npy.gz"

# Coordinates are stored as integer multiples of 1e-5 degree.
SCALE = 100_000


def encode_geometries(codes: Sequence[str], geometries: NDArray[np.object_]) -> bytes:
    """The shipped file's bytes for MultiPolygons (EPSG:4326) on the 1e-5 degree grid."""
    geometry_type, coords, (ring_offsets, part_offsets, geom_offsets) = shapely.to_ragged_array(
        geometries
    )
    if geometry_type != shapely.GeometryType.MULTIPOLYGON:
        raise ValueError("every geometry must be a MultiPolygon")
    grid = np.rint(coords * SCALE).astype(np.int64)
    deltas = np.diff(grid, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    if np.abs(deltas).max() >= 2**31:
        raise ValueError("coordinate deltas do not fit in 32 bits")
    buffer = io.BytesIO()
    for array in (
        np.array(codes, dtype="S5"),
        deltas.astype(np.int32),
        ring_offsets.astype(np.int32),
        part_offsets.astype(np.int32),
        geom_offsets.astype(np.int32),
    ):
        np.save(buffer, array, allow_pickle=False)
    return gzip.compress(buffer.getvalue(), compresslevel=9, mtime=0)


def decode_geometries(blob: bytes) -> tuple[list[str], NDArray[np.object_]]:
    buffer = io.BytesIO(gzip.decompress(blob))
    raw_codes, deltas, ring_offsets, part_offsets, geom_offsets = (
        np.load(buffer, allow_pickle=False) for _ in range(5)
    )
    codes = [code.decode() for code in raw_codes]
    coords = np.cumsum(deltas.astype(np.int64), axis=0) / SCALE
    offsets = (ring_offsets, part_offsets, geom_offsets)
    geometries = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords, offsets)
    return codes, geometries


class CommuneLocator:
    """Point → commune code over a fixed set of commune boundaries."""

    def __init__(self, codes: Sequence[str], geometries: NDArray[np.object_]) -> None:
        if len(codes) != len(geometries):
            raise ValueError("one code per geometry")
        self._codes = list(codes)
        self._index = {code: i for i, code in enumerate(self._codes)}
        self._geometries = geometries
        shapely.prepare(self._geometries)
        self._tree = shapely.STRtree(self._geometries)
        self._neighbours: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_file(cls, path: Path = GEOMETRY_FILE) -> CommuneLocator:
        codes, geometries = decode_geometries(path.read_bytes())
        return cls(codes, geometries)

    def __len__(self) -> int:
        return len(self._codes)

    @property
    def codes(self) -> list[str]:
        return list(self._codes)

    def locate(self, lat: float, lon: float) -> str | None:
        """The code of the commune containing the point, or None (outside Vietnam, at sea).

        A point exactly on a border shared by two communes goes to the lower code.
        """
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return None
        best: str | None = None
        for i in self._tree.query(shapely.Point(lon, lat)):
            if shapely.intersects_xy(self._geometries[i], lon, lat):
                code = self._codes[i]
                if best is None or code < best:
                    best = code
        return best

    def locate_many(self, lats: Sequence[float], lons: Sequence[float]) -> list[str | None]:
        """``locate`` for many points at once (vectorised; for statistics and batch jobs)."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        found: list[str | None] = [None] * len(points)
        point_idx, geom_idx = self._tree.query(points, predicate="intersects")
        for p, g in zip(point_idx.tolist(), geom_idx.tolist(), strict=True):
            code = self._codes[g]
            current = found[p]
            if current is None or code < current:
                found[p] = code
        return found

    def geometry(self, code: str) -> shapely.Geometry | None:
        """The commune's boundary (a MultiPolygon), or None for an unknown code."""
        i = self._index.get(code)
        return None if i is None else self._geometries[i]

    def neighbours(self, code: str) -> tuple[str, ...]:
        """The communes bordering ``code`` (within about 50 m of its boundary, so a
        simplified shared edge still counts), itself excluded; () for an unknown code."""
        found = self._neighbours.get(code)
        if found is None:
            i = self._index.get(code)
            found = ()
            if i is not None:
                hits = self._tree.query(self._geometries[i], predicate="dwithin", distance=0.0005)
                found = tuple(sorted(self._codes[j] for j in hits.tolist() if j != i))
            self._neighbours[code] = found
        return found

    def contains(self, code: str, lat: float, lon: float) -> bool:
        """Whether the commune ``code`` contains the point (False for an unknown code)."""
        i = self._index.get(code)
        if i is None or not (math.isfinite(lat) and math.isfinite(lon)):
            return False
        return bool(shapely.intersects_xy(self._geometries[i], lon, lat))


@cache
def get_locator() -> CommuneLocator:
    """The process-wide locator, loaded from the shipped file on first use."""
    return CommuneLocator.from_file()
