#!/usr/bin/env python3
"""Screening speed: `tiergate screen --batch` against rapidfuzz's brute force on the same names, same machine.

    python3 bench/screen.py [QUERIES]     (default 10000; needs `pip install rapidfuzz` for the baseline)

Lists: the full CSL (2022) and OFAC SDN (2024) from tests/data/us-screening-lists, imported into a fresh SQLite
database. Queries: the names of eval/screening/set.jsonl, cycled through in order up to QUERIES.
Tiergate: one `screen --batch` run; the CLI reports the time spent screening and, apart, the time to load the lists
from the database and build the index; the process's peak resident memory is read from the kernel (ru_maxrss).
Baselines, over every name and alias of the same lists, on a sample of the queries (they are slow): rapidfuzz
`process.extractOne(query, names, scorer=WRatio)` and `process.extractOne(query, names, scorer=token_set_ratio)`
(the naive token-set brute force issue 14 compares with), both with `default_process`, giving milliseconds per
query. Targets (issues 5 and 14): per query at most 0.1x the time of either baseline, index built in under 2 s.
Results go to bench/results/.
"""
import csv
import datetime
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LISTS = ROOT / "tests" / "data" / "us-screening-lists"
N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
BASELINE_SAMPLE = 300


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) // (1024 * 1024) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cpu}; {os.cpu_count()} cores; {mem} GiB memory; Linux {platform.release()}; {rustc}; Python {platform.python_version()}"


def list_names():
    names = []
    with open(LISTS / "consolidated_2022-05.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            names.append(r["name"])
            names.extend(a for a in r["alt_names"].split("; ") if a.strip())
    with open(LISTS / "sdn_2024-05-03.csv", newline="", encoding="utf-8", errors="replace") as f:
        for row in csv.reader(f):
            if len(row) == 12:
                names.append(row[1])
                names.extend(re.findall(r"[afn]\.k\.a\. '([^']+)'", row[11]))
    return names


def main():
    from rapidfuzz import fuzz, process, utils

    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "tiergate"], cwd=ROOT, check=True)
    binary = ROOT / "target" / "release" / "tiergate"
    base = [json.loads(l)["name"] for l in (ROOT / "eval/screening/set.jsonl").read_text().splitlines() if l.strip()]
    queries = [base[i % len(base)] for i in range(N)]
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite://{tmp}/bench.db"
        for f in ("consolidated_2022-05.csv", "sdn_2024-05-03.csv"):
            subprocess.run([binary, "--db", db, "lists", "import", LISTS / f], check=True, stdout=subprocess.DEVNULL)
        text = "".join(json.dumps({"id": str(i), "name": q}) + "\n" for i, q in enumerate(queries))
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        run = subprocess.run([binary, "--db", db, "screen", "--batch", "-"], input=text, capture_output=True,
                             text=True, check=True)
        wall = time.perf_counter() - started
        peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    m = re.search(r"screened (\d+) queries against (\d+) names in ([\d.]+) ms \(([\d.]+) ms per query; lists loaded "
                  r"and indexed in ([\d.]+) ms\)", run.stderr)
    if not m:
        sys.exit(f"unexpected summary from tiergate: {run.stderr}")
    answered = len(run.stdout.splitlines())
    tg_ms = float(m.group(3)) / int(m.group(1))
    index_ms = float(m.group(5))
    names = list_names()
    processed = [utils.default_process(n) for n in names]
    sample = queries[:BASELINE_SAMPLE]
    def per_query(scorer):
        started = time.perf_counter()
        for q in sample:
            process.extractOne(utils.default_process(q), processed, scorer=scorer, processor=None)
        return (time.perf_counter() - started) * 1000 / len(sample)

    rf_ms = per_query(fuzz.WRatio)
    ts_ms = per_query(fuzz.token_set_ratio)
    ratio, ts_ratio = rf_ms / tg_ms, ts_ms / tg_ms
    ok = ratio >= 10 and ts_ratio >= 10 and index_ms < 2000 and answered == N
    today = datetime.date.today().isoformat()
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    report = f"""# Screening speed against rapidfuzz brute force

Run {today} with `bench/screen.py {N}`, commit {commit}.

Machine: {machine()}; rapidfuzz {__import__('rapidfuzz').__version__}.

| | queries | ms per query |
|---|---|---|
| tiergate screen --batch (CSL + SDN, {m.group(2)} indexed names) | {m.group(1)} | {tg_ms:.4f} |
| rapidfuzz extractOne WRatio over {len(names)} names | {len(sample)} | {rf_ms:.3f} |
| rapidfuzz extractOne token_set_ratio over {len(names)} names | {len(sample)} | {ts_ms:.3f} |

Tiergate is **{ratio:.0f}x** faster per query than WRatio and **{ts_ratio:.0f}x** faster than token_set_ratio (target
>= 10x each). Loading the lists from SQLite and building the index: **{index_ms:.0f} ms** (target < 2000 ms). Peak
resident memory of the tiergate process: **{peak_mb:.0f} MB**. Whole run, process start to exit: {wall:.2f} s for
{answered} answers.
{'Within target.' if ok else 'OUTSIDE TARGET.'}
"""
    out = ROOT / "bench" / "results" / f"screen-{today}.md"
    out.write_text(report)
    print(report)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
