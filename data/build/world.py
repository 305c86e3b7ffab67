#!/usr/bin/env python3
"""Builds crates/tiergate-server/assets/world.json, the dashboard's world map, from the shared data.

Input: world-atlas 2.0.2 `countries-110m.json` (Natural Earth 1:110m, public domain; packaging ISC) and
world-countries `countries.csv` (ODbL 1.0) for the ISO numeric -> alpha-2 mapping. Each geometry's `id` becomes
its ISO alpha-2 code; the three areas without an ISO code (N. Cyprus, Somaliland, Kosovo) keep no id and are
drawn as "no data". Everything else is kept as is.

Usage: python3 data/build/world.py [SHARED_DATA_DIR]   (default ../shared/data)
"""
import csv
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[2]
shared = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data"

numeric = {}
with open(shared / "world-countries" / "countries.csv", newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        if row["ccn3"]:
            numeric[row["ccn3"].zfill(3)] = row["cca2"]

topo = json.loads((shared / "world-atlas" / "countries-110m.json").read_text(encoding="utf-8"))
unmapped = []
for g in topo["objects"]["countries"]["geometries"]:
    code = numeric.get(g.get("id") or "")
    if code:
        g["id"] = code
    else:
        unmapped.append(g["properties"]["name"])
        g.pop("id", None)
del topo["objects"]["land"]

out = root / "crates" / "tiergate-server" / "assets" / "world.json"
out.write_text(json.dumps(topo, separators=(",", ":")), encoding="utf-8")
print(f"{out}: {out.stat().st_size} bytes; without an ISO code: {', '.join(sorted(unmapped))}")
