"""Build the shipped administrative-unit data from the seed sources (a development-time tool).

Reads ``/work/shared/data/admin_units/`` (see SOURCES.md there; override with ``--source``)
and writes the project's own copy under ``app/admin_units/data/``:

- ``provinces.csv``   code, name, full_name, name_en, type (tinh | thanh_pho)
- ``communes.csv``    code, name, full_name, name_en, type (xa | phuong | dac_khu),
                      province_code, inside_lat, inside_lon (a point inside the full-resolution
                      boundary, used by tests and benchmarks)
- ``old_to_new.csv``  old_code, old_name, old_district_name, old_province_code,
                      old_province_name, new_code, merge_type (rows without an old code, i.e.
                      areas that had no commune code, are left out)
- ``communes_geometry.npy.gz``  the commune boundaries for ``app.admin_units.geo``, from the
                      coverage-simplified source: invalid parts repaired, snapped to the 1e-5
                      degree grid

The product reads only these files at run time. The build fails if any commune's inside point
does not locate to that commune with the shipped geometry, or the geometry exceeds 10 MB.

Run: ``.venv/bin/python scripts/build_reference_data.py``
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
import unicodedata
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.admin_units.geo import CommuneLocator, decode_geometries, encode_geometries  # noqa: E402

DEFAULT_SOURCE = Path("/work/shared/data/admin_units")
OUT = ROOT / "app" / "admin_units" / "data"
MAX_GEOMETRY_BYTES = 10 * 1024 * 1024

PROVINCE_TYPES = {"Tỉnh": "tinh", "Thành phố": "thanh_pho"}
COMMUNE_TYPES = {"Xã": "xa", "Phường": "phuong", "Đặc khu": "dac_khu"}
MERGE_TYPES = {"full", "partial", "unchanged", "renamed", "retyped"}


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip())


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{path.relative_to(ROOT)}: {len(rows)} rows")


def build_provinces(source: Path) -> list[dict[str, str]]:
    rows = [
        {
            "code": r["code"],
            "name": nfc(r["name"]),
            "full_name": nfc(r["full_name"]),
            "name_en": nfc(r["name_en"]),
            "type": PROVINCE_TYPES[nfc(r["type"])],
        }
        for r in read_csv(source / "provinces.csv")
    ]
    return sorted(rows, key=lambda r: r["code"])


def build_communes(source: Path, province_codes: set[str]) -> list[dict[str, str]]:
    inside = {r["code"]: r for r in read_csv(source / "communes_centroids.csv")}
    rows = []
    for r in read_csv(source / "communes.csv"):
        if r["province_code"] not in province_codes:
            raise SystemExit(f"commune {r['code']}: unknown province {r['province_code']}")
        point = inside[r["code"]]
        rows.append(
            {
                "code": r["code"],
                "name": nfc(r["name"]),
                "full_name": nfc(r["full_name"]),
                "name_en": nfc(r["name_en"]),
                "type": COMMUNE_TYPES[nfc(r["type"])],
                "province_code": r["province_code"],
                "inside_lat": point["inside_lat"],
                "inside_lon": point["inside_lon"],
            }
        )
    return sorted(rows, key=lambda r: r["code"])


def build_old_to_new(source: Path, commune_codes: set[str]) -> list[dict[str, str]]:
    rows = []
    seen: set[tuple[str, str]] = set()
    for r in read_csv(source / "old_to_new.csv"):
        if not r["old_code"]:
            continue  # an area that had no commune code: nothing a client could send
        key = (r["old_code"], r["new_code"])
        if r["new_code"] not in commune_codes or r["merge_type"] not in MERGE_TYPES:
            raise SystemExit(f"old_to_new row {key}: bad new code or merge type")
        if key in seen:
            raise SystemExit(f"old_to_new: duplicate row {key}")
        seen.add(key)
        rows.append(
            {
                "old_code": r["old_code"],
                "old_name": nfc(r["old_name"]),
                "old_district_name": nfc(r["old_district_name"]),
                "old_province_code": r["old_province_code"],
                "old_province_name": nfc(r["old_province_name"]),
                "new_code": r["new_code"],
                "merge_type": r["merge_type"],
            }
        )
    return sorted(rows, key=lambda r: (r["old_code"], r["new_code"]))


def as_multipolygon(geometry: shapely.Geometry) -> shapely.MultiPolygon:
    if isinstance(geometry, shapely.MultiPolygon):
        return geometry
    if isinstance(geometry, shapely.Polygon):
        return shapely.MultiPolygon([geometry])
    polygons = [g for g in shapely.get_parts(geometry) if isinstance(g, shapely.Polygon)]
    return shapely.MultiPolygon(polygons)


def build_geometry(source: Path, communes: list[dict[str, str]]) -> bytes:
    with gzip.open(source / "communes_simplified.geojson.gz", "rt", encoding="utf-8") as f:
        features = json.load(f)["features"]
    by_code = {f["properties"]["code"]: shape(f["geometry"]) for f in features}
    codes = [c["code"] for c in communes]
    missing = [code for code in codes if code not in by_code]
    if missing:
        raise SystemExit(f"no boundary for communes {missing[:10]}")
    geometries = np.array([by_code[code] for code in codes], dtype=object)
    invalid = ~shapely.is_valid(geometries)
    # Simplification collapsed some rings; "structure" repair keeps the polygons' extent.
    geometries[invalid] = shapely.make_valid(
        geometries[invalid], method="structure", keep_collapsed=False
    )
    geometries = shapely.set_precision(geometries, 1e-5)
    geometries = np.array([as_multipolygon(g) for g in geometries], dtype=object)
    blob = encode_geometries(codes, geometries)

    # Check what ships: valid, every commune's inside point found in that commune.
    decoded_codes, decoded = decode_geometries(blob)
    if decoded_codes != codes or not shapely.is_valid(decoded).all():
        raise SystemExit("geometry round trip failed")
    locator = CommuneLocator(decoded_codes, decoded)
    wrong = [
        c["code"]
        for c in communes
        if locator.locate(float(c["inside_lat"]), float(c["inside_lon"])) != c["code"]
    ]
    if wrong:
        raise SystemExit(f"inside points not located to their commune: {wrong[:20]}")
    if len(blob) > MAX_GEOMETRY_BYTES:
        raise SystemExit(f"geometry is {len(blob)} bytes, over {MAX_GEOMETRY_BYTES}")
    return blob


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args()
    source: Path = args.source
    OUT.mkdir(parents=True, exist_ok=True)

    provinces = build_provinces(source)
    communes = build_communes(source, {p["code"] for p in provinces})
    old_to_new = build_old_to_new(source, {c["code"] for c in communes})
    write_csv(OUT / "provinces.csv", list(provinces[0]), provinces)
    write_csv(OUT / "communes.csv", list(communes[0]), communes)
    write_csv(OUT / "old_to_new.csv", list(old_to_new[0]), old_to_new)

    blob = build_geometry(source, communes)
    path = OUT / "communes_geometry.npy.gz"
    path.write_bytes(blob)
    print(f"{path.relative_to(ROOT)}: {len(communes)} communes, {len(blob) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
