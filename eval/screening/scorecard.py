#!/usr/bin/env python3
"""Prints the screening scorecard: recall and false-positive rate per transformation of eval/screening/set.jsonl.

Imports the full CSL (2022), OFAC SDN (2024) and BIS DPL (2022) from tests/data/us-screening-lists into a fresh
SQLite database, screens every query of the set with `tiergate screen --batch` (once, at a low threshold), and
scores the answers at every threshold from 0.70 to 0.99:
  recall         share of positives whose expected entry is among the hits (score >= threshold)
  false positive share of negatives that get any hit (score >= threshold)
The default threshold (data/screening.toml `thresholds.review`) is marked. Writes eval/screening/SCORECARD.md.

    python3 eval/screening/scorecard.py [--check]    (--check: exit 1 unless recall >= 0.98 and FP <= 0.02)
"""
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LISTS = ROOT / "tests" / "data" / "us-screening-lists"
SET = ROOT / "eval" / "screening" / "set.jsonl"
OUT = ROOT / "eval" / "screening" / "SCORECARD.md"
FLOOR = 0.70


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "tiergate"], cwd=ROOT, check=True)
    binary = ROOT / "target" / "release" / "tiergate"
    config = tomllib.loads((ROOT / "data" / "screening.toml").read_text())
    default = config["thresholds"]["review"]
    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite://{tmp}/eval.db"
        for f in ("consolidated_2022-05.csv", "sdn_2024-05-03.csv", "dpl_2022-09.txt"):
            subprocess.run([binary, "--db", db, "lists", "import", LISTS / f], check=True, stdout=subprocess.DEVNULL)
        queries = "".join(json.dumps({"id": r["id"], "name": r["name"]}) + "\n" for r in rows)
        done = subprocess.run([binary, "--db", db, "screen", "--batch", "-", "--threshold", str(FLOOR)],
                              input=queries, capture_output=True, text=True, check=True)
    answers = {a["id"]: a for a in map(json.loads, done.stdout.splitlines())}

    def outcome(r, t):
        hits = [h for h in answers[r["id"]]["hits"] if h["score"] >= t]
        if r["expect"] is None:
            return bool(hits)
        return any(h["list"] == r["expect"]["list"] and h["entry_id"] == r["expect"]["entry_id"] for h in hits)

    kinds = sorted({r["transformation"] for r in rows if r["expect"] is not None})
    positives = [r for r in rows if r["expect"] is not None]
    negatives = [r for r in rows if r["expect"] is None]

    def totals(t):
        recall = sum(outcome(r, t) for r in positives) / len(positives)
        fp = sum(outcome(r, t) for r in negatives) / len(negatives)
        return recall, fp

    lines = ["# Screening scorecard", "",
             f"Algorithm `{config['version']}`; set `eval/screening/set.jsonl` ({len(positives)} positives, "
             f"{len(negatives)} negatives); lists: CSL 2022-05, SDN 2024-05-03, DPL 2022-09.", "",
             f"## At the default threshold {default}", "",
             "| transformation | queries | recall |", "|---|---|---|"]
    for k in kinds:
        rs = [r for r in positives if r["transformation"] == k]
        lines.append(f"| {k} | {len(rs)} | {sum(outcome(r, default) for r in rs) / len(rs):.3f} |")
    recall, fp = totals(default)
    lines += [f"| **all positives** | {len(positives)} | **{recall:.3f}** |", "",
              f"False positives (negatives with any hit): **{fp:.3f}** "
              f"({sum(outcome(r, default) for r in negatives)} of {len(negatives)}).", "",
              "## By threshold", "",
              "The default is the threshold with the highest recall minus false-positive rate (Youden's J).", "",
              "| threshold | recall | false positives | J |", "|---|---|---|---|"]
    for i in range(70, 100):
        t = i / 100
        r, f = totals(t)
        mark = " (default)" if abs(t - default) < 1e-9 else ""
        lines.append(f"| {t:.2f}{mark} | {r:.3f} | {f:.3f} | {r - f:.3f} |")
    missed = [r for r in positives if not outcome(r, default)]
    flagged = [r for r in negatives if outcome(r, default)]
    lines += ["", "## Misses at the default threshold", ""]
    lines += [f"- {r['transformation']}: `{r['name']}` (expected {r['expect']['list']} {r['expect']['entry_id']})"
              for r in missed[:40]]
    lines += ["", "## Negatives flagged at the default threshold", ""]
    for r in flagged:
        best = max((h for h in answers[r["id"]]["hits"] if h["score"] >= default), key=lambda h: h["score"])
        lines.append(f"- `{r['name']}` → {best['list']} `{best['matched_name']}` ({best['score']})")
    text = "\n".join(lines) + "\n"
    OUT.write_text(text, encoding="utf-8")
    print(text)
    if "--check" in sys.argv and not (recall >= 0.98 and fp <= 0.02):
        print(f"OUTSIDE TARGET: recall {recall:.3f} (>= 0.98), false positives {fp:.3f} (<= 0.02)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
