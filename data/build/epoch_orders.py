#!/usr/bin/env python3
"""Builds examples/epoch-cluster-orders.jsonl: a real-data order book for `tiergate scenario diff`.

Run from the repository root:
    python3 data/build/epoch_orders.py > examples/epoch-cluster-orders.jsonl

Each order is one GPU cluster of Epoch AI's GPU clusters dataset (data/sources/epoch-gpu-clusters.csv, CC BY 4.0)
outside the United States whose primary chip is in Tiergate's catalog: its chips, to its country, consigned to its
owner. The question it lets an analyst ask: what would it take to ship each country's AI compute as it stands in
Epoch's data, on one date (ORDER_DATE), under one regime or another. Epoch gives no headquarters, so the
consignee is taken as headquartered where the cluster is; rows Epoch marks as decommissioned, unlikely, possible
duplicates or superseded are left out, as `tiergate scenario capacity` leaves them out. What was left out is
counted on standard error.
"""
import collections
import csv
import json
import sys
import re
import tomllib

ORDER_DATE = "2026-06-01"
SOURCE = "data/sources/epoch-gpu-clusters.csv"


def fold(text):
    """As Tiergate matches country names (crates/tiergate-core/src/country.rs `fold`), less the diacritics."""
    return " ".join(re.sub(r"[^0-9a-z]", " ", re.sub(r"[.'`]", "", text.lower())).split())


def main():
    with open("data/accelerators.toml", "rb") as f:
        catalog = {a["name"].lower(): a["id"] for a in tomllib.load(f)["accelerator"]}
    with open("data/countries.toml", "rb") as f:
        countries = {}
        for c in tomllib.load(f)["country"]:
            for name in [c["name"], c["code"], *c.get("aliases", [])]:
                countries[fold(name)] = c["code"]
    skipped = collections.Counter()
    n = 0
    with open(SOURCE, newline="") as f:
        for row in csv.DictReader(f):
            if row["Status"] not in ("Existing", "Planned"):
                skipped["decommissioned"] += 1
                continue
            if row["Certainty"] == "Unlikely" or row["Possible Duplicate"].upper() == "TRUE" or row["Superseded by"]:
                skipped["unlikely, a possible duplicate or superseded"] += 1
                continue
            name = row["Country"].strip()
            code = countries.get(fold(name)) or countries.get(fold(name.removesuffix("(the)")))
            if not code:
                skipped["no country, or not recognised"] += 1
                continue
            if code == "US":
                skipped["in the United States (no export)"] += 1
                continue
            item = catalog.get(row["Chip type (primary)"].strip().lower())
            try:
                quantity = int(float(row["Chip quantity (primary)"]))
            except ValueError:
                quantity = 0
            if not item or quantity < 1:
                skipped["no catalog chip with a quantity"] += 1
                continue
            n += 1
            order = {
                "id": f"epoch-{n:04d}",
                "date": ORDER_DATE,
                "item": item,
                "quantity": quantity,
                "destination": code,
                "consignee": {"name": (row["Owner"] or row["Name"]).strip()[:300], "headquarters": code},
            }
            print(json.dumps(order, ensure_ascii=False))
    print(f"{n} orders; left out: {dict(skipped)}", file=sys.stderr)


if __name__ == "__main__":
    main()
