#!/usr/bin/env python3
"""Builds crates/tiergate-wire/assets/world.json, the world map of the dashboard and the reports, from the shared data.

Input: world-atlas 2.0.2 `countries-110m.json` (Natural Earth 1:110m, public domain; packaging ISC) and
world-countries `countries.csv` (ODbL 1.0) for the ISO numeric -> alpha-2 mapping. Each geometry's `id` becomes
its ISO alpha-2 code; the three areas without an ISO code (N. Cyprus, Somaliland, Kosovo) keep no id and are
drawn as "no data". Dependencies drawn inside their sovereign's shape that the EAR lists as destinations of their
own (French Guiana) are split out, so that the map paints them by their own tier.

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


def first_lon(arc_ref):
    """Longitude of the first point of a (possibly reversed) arc, in degrees."""
    arc = topo["arcs"][arc_ref if arc_ref >= 0 else ~arc_ref]
    x = 0
    points = []
    for dx, _ in arc:
        x += dx
        points.append(x)
    q = points[0] if arc_ref >= 0 else points[-1]
    return q * topo["transform"]["scale"][0] + topo["transform"]["translate"][0]


# Natural Earth draws some dependencies as parts of their sovereign's shape. Where the EAR lists such a dependency
# as a destination of its own (rules/ai-diffusion-2025.toml, [dependencies]), the map must paint it by its own
# row, so its polygons become a geometry of their own: (sovereign, dependency, west, east) by longitude.
SPLIT = [("FR", "GF", -60.0, -50.0)]
geometries = topo["objects"]["countries"]["geometries"]
for sovereign, dependency, west, east in SPLIT:
    g = next(g for g in geometries if g.get("id") == sovereign)
    assert g["type"] == "MultiPolygon", f"{sovereign} is not a MultiPolygon"
    inside = [poly for poly in g["arcs"] if west <= first_lon(poly[0][0]) <= east]
    assert inside, f"no polygon of {sovereign} between {west} and {east}"
    g["arcs"] = [poly for poly in g["arcs"] if poly not in inside]
    geometries.append({"type": "MultiPolygon", "arcs": inside, "id": dependency, "properties": {"name": dependency}})

# Countries and territories too small to point at on a 1:110m map, or not drawn at all (Singapore, Macau, Hong Kong,
# Bahrain, Malta...), get a marker: [longitude, latitude] from world-countries, for every ISO code without a shape
# or with an area under MARKER_AREA_KM2. The dashboard draws each as a circle that is hovered, clicked and reached
# by keyboard like a shape.
MARKER_AREA_KM2 = 5000
drawn = {g.get("id") for g in geometries if g.get("id")}
markers = {}
with open(shared / "world-countries" / "countries.csv", newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        lat, lng = (float(x) for x in row["latlng"].split(","))
        if row["cca2"] not in drawn or float(row["area"] or 0) < MARKER_AREA_KM2:
            markers[row["cca2"]] = [round(lng, 3), round(lat, 3)]
topo["markers"] = dict(sorted(markers.items()))

out = root / "crates" / "tiergate-wire" / "assets" / "world.json"
out.write_text(json.dumps(topo, separators=(",", ":")), encoding="utf-8")
print(f"{out}: {out.stat().st_size} bytes; without an ISO code: {', '.join(sorted(unmapped))}; {len(markers)} markers")
