#!/usr/bin/env python3
"""Builds examples/taiwan-8542-flows.csv: Taiwan's exports of HS 8542 by destination, 2013-2025, as canonical flows.

Run from the repository root:
    python3 data/build/taiwan_flows.py ../shared/data/taiwan-ic-exports > examples/taiwan-8542-flows.csv

Source: Taiwan Customs (Ministry of Finance) export statistics as extracted in
`a0013333j-png/data-visualization-labs` (Open Government Data License, Taiwan v1.0; see data/licenses/TAIWAN-OGDL.md):
`taiwan_exports_by_country_2013_2025.csv` (Year, Country in Traditional Chinese, 11-digit CCC code, description,
export value in USD; 2025 is January to July, preliminary) and `country_name_map_full.json` (Chinese to English
names). Each row becomes `period,exporter,importer,product,value_usd` with the destination's ISO code, matched on
Tiergate's country names and aliases (data/countries.toml) as Tiergate matches them; a destination that is no
country ("Others", the dissolved "Netherlands Antilles") becomes `area:NAME`, counted in the totals with no tier.
"""
import csv
import json
import re
import sys
import tomllib
from pathlib import Path


def fold(text):
    """As Tiergate matches country names (crates/tiergate-core/src/country.rs `fold`), less the diacritics."""
    return " ".join(re.sub(r"[^0-9a-z]", " ", re.sub(r"[.'`]", "", text.lower())).split())


def main():
    src = Path(sys.argv[1])
    names = json.loads((src / "country_name_map_full.json").read_text(encoding="utf-8"))
    with open("data/countries.toml", "rb") as f:
        iso = {}
        for c in tomllib.load(f)["country"]:
            for n in [c["name"], c["code"], *c.get("aliases", [])]:
                iso[fold(n)] = c["code"]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["period", "exporter", "importer", "product", "value_usd"])
    unmatched = set()
    with open(src / "taiwan_exports_by_country_2013_2025.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            english = names.get(row["Country"], row["Country"])
            code = iso.get(fold(english))
            if code is None:
                unmatched.add(english)
                code = f"area:{english}"
            out.writerow([row["Year"], "TW", code, row["HS Code"].strip(), row["Export Value (USD)"].strip()])
    if unmatched:
        print(f"destinations that are no country, kept as areas: {sorted(unmatched)}", file=sys.stderr)


if __name__ == "__main__":
    main()
