"""Points per second of the commune locator (target: 20,000/s in-process). Prints figures."""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path

from app.admin_units.geo import get_locator

DATA = Path(__file__).resolve().parents[1] / "app" / "admin_units" / "data" / "communes.csv"


def main() -> None:
    started = time.perf_counter()
    locator = get_locator()
    print(f"load: {time.perf_counter() - started:.3f} s for {len(locator)} communes")
    with DATA.open(encoding="utf-8") as f:
        inside = [(float(r["inside_lat"]), float(r["inside_lon"])) for r in csv.DictReader(f)]
    rng = random.Random(1)
    anywhere = [(rng.uniform(8.0, 23.5), rng.uniform(102.0, 110.0)) for _ in range(20_000)]
    for name, points in (("inside points", inside * 5), ("random in bbox", anywhere)):
        started = time.perf_counter()
        for lat, lon in points:
            locator.locate(lat, lon)
        rate = len(points) / (time.perf_counter() - started)
        print(f"locate, {name}: {rate:,.0f} points/s")
    started = time.perf_counter()
    locator.locate_many([p[0] for p in anywhere], [p[1] for p in anywhere])
    print(f"locate_many: {len(anywhere) / (time.perf_counter() - started):,.0f} points/s")


if __name__ == "__main__":
    main()
