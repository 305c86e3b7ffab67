#!/usr/bin/env python3
"""Writes N realistic, varied determination requests as JSON Lines to standard output.

    python3 bench/gen_requests.py 1000000 > requests.jsonl
    python3 bench/gen_requests.py 1000000 --span > requests.jsonl   # dates over every regime, 2023-11-17 to 2027-12-31

Deterministic (seeded), so runs are comparable. The mix covers every authorization path: catalog parts,
computers, spec sheets and model weights; Tier 1, 2 and 3 destinations and headquarters; VEUs; ledger context.
"""
import datetime
import json
import random
import sys

SPAN_FROM = datetime.date(2023, 11, 17)
SPAN_DAYS = (datetime.date(2027, 12, 31) - SPAN_FROM).days

ITEMS = ["nvidia-h100-sxm", "nvidia-h200-sxm", "nvidia-b200", "nvidia-h20", "nvidia-a100-sxm", "nvidia-l40",
         "nvidia-rtx-4090", "amd-mi300x", "intel-gaudi-3", "huawei-ascend-910b", "google-tpu-v5p"]
DEST = ["MY", "AE", "IN", "SG", "DE", "JP", "US", "CN", "VN", "SA", "BR", "Republic of Korea", "HK", "MX", "IL", "KH"]
HQ = ["MY", "AE", "IN", "SG", "DE", "US", "CN", "GB", "FR", "SA"]


def request(rng: random.Random, n: int, span: bool = False) -> dict:
    if span:
        date = (SPAN_FROM + datetime.timedelta(days=rng.randint(0, SPAN_DAYS))).isoformat()
    else:
        date = f"{rng.choice([2025, 2026, 2027])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    r = {"id": f"po-{n}", "date": date}
    kind = rng.random()
    if kind < 0.75:
        r["item"] = rng.choice(ITEMS)
    elif kind < 0.85:
        r["item"] = {"catalog": rng.choice(ITEMS), "per_unit": 8}
    elif kind < 0.95:
        r["item"] = {"tpp": rng.choice([1800, 3000, 6000, 16000]), "die_area_mm2": rng.choice([300, 800, 1500]),
                     "datacenter": rng.random() < 0.8}
    else:
        r["item"] = {"model_weights": {"training_operations": rng.choice([5e25, 1.2e26, 3e26]), "published": False}}
    if "model_weights" not in str(r["item"]):
        r["quantity"] = rng.choice([1, 8, 100, 1000, 5000, 20000])
    r["transaction"] = rng.choice(["export", "export", "reexport", "transfer"])
    r["destination"] = rng.choice(DEST)
    r["end_use"] = rng.choice(["deployment"] * 6 + ["development", "storage"])
    c = {"name": f"Consignee {rng.randint(1, 5000)}", "headquarters": rng.choice(HQ)}
    if rng.random() < 0.2:
        c["ultimate_parent_headquarters"] = rng.choice(HQ)
    v = rng.random()
    if v < 0.1:
        c["veu"] = {"kind": "uveu"}
    elif v < 0.15:
        c["veu"] = {"kind": "nveu", "country": r["destination"] if rng.random() < 0.8 else "IN"}
    c["storage_compliant"] = rng.random() < 0.5
    r["consignee"] = c
    r["context"] = {"lpp_received_tpp": rng.choice([0, 0, 10_000_000, 25_000_000]),
                    "country_licensed_tpp": rng.choice([0, 400_000_000, 780_000_000]),
                    "nveu_installed_tpp": rng.choice([0, 600_000_000])}
    return r


def main() -> None:
    n = int(sys.argv[1])
    span = "--span" in sys.argv[2:]
    rng = random.Random(20250113)
    out = sys.stdout
    for i in range(n):
        out.write(json.dumps(request(rng, i, span), separators=(",", ":")))
        out.write("\n")


if __name__ == "__main__":
    main()
