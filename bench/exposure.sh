#!/usr/bin/env bash
# `tiergate exposure` against DuckDB (the Python package) on the same Parquet file, side by side in one run.
#
#   bench/exposure.sh [N]        (default N = 30000000 rows)
#
# Input: N BACI-shaped rows (`t,i,j,k,v,q`) written to Parquet by bench/gen_baci_parquet.py (seeded). Tiergate runs
# `exposure FILE --by period,tier --format jsonl --date 2026-06-01` (release build, whole process); DuckDB runs the
# same three queries (rows, bad rows, the grouping joined with BACI's codes and the tiers) in bench/exposure_duckdb.py,
# whole process (Python's start and DuckDB's import included), both on every core. Each runs RUNS times,
# alternating; medians and peak memory are reported, and the two answers are checked equal. Target (issue 18):
# Tiergate within 1.5x DuckDB's time. Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-30000000}"
RUNS="${RUNS:-3}"
DATE=2026-06-01
# shellcheck source=bench/common.sh
. bench/common.sh

FILE="$PWD/$WORK/baci-$N.parquet"
[ -s "$FILE" ] || python3 bench/gen_baci_parquet.py "$N" "$FILE"
TIERS="$WORK/tiers-$DATE.csv"
"$BIN" countries --date "$DATE" --format jsonl | python3 -c '
import json, sys
print("country,tier")
for l in sys.stdin:
    c = json.loads(l)
    tier = "" if c["tier"] is None else c["tier"]
    print(f"{c['"'"'code'"'"']},{tier}")' > "$TIERS"
CODES="$WORK/baci-codes.csv"
# BACI's codes as tiergate maps them (crates/tiergate-exposure/src/input.rs): alpha-2 where the table has one,
# Namibia by its alpha-3, and the overrides 490 Taiwan and 380 Italy.
python3 -c '
import csv
over = {490: "TW", 380: "IT"}
rows = {}
for r in csv.DictReader(open("data/trade/baci-country-codes.csv", newline="")):
    code, a2, a3 = int(r["country_code"]), r["iso_2digit_alpha"].strip(), r["iso_3digit_alpha"].strip()
    iso = a2 if len(a2) == 2 and a2.isalpha() and a2.isupper() else ("NA" if a3 == "NAM" else None)
    if iso:
        rows[code] = iso
rows.update(over)
print("code,iso")
for code, iso in sorted(rows.items()):
    print(f"{code},{iso}")' > "$CODES"

TG=("$BIN" exposure "$FILE" --by period,tier --format jsonl --date "$DATE")
DK=(python3 bench/exposure_duckdb.py "$FILE" "$TIERS" "$CODES")
tg_t=(); tg_m=(); dk_t=(); dk_m=()
for ((i = 1; i <= RUNS; i++)); do
  read -r t m < <(measure "${TG[@]}"); tg_t+=("$t"); tg_m+=("$m")
  read -r t m < <(measure "${DK[@]}"); dk_t+=("$t"); dk_m+=("$m")
done

# The same answer: every group's flows and counterparties equal, values within a billionth.
"${TG[@]}" > "$WORK/exposure-tiergate.jsonl"
"${DK[@]}" > "$WORK/exposure-duckdb.jsonl" 2> /dev/null
same=$(python3 - "$WORK/exposure-tiergate.jsonl" "$WORK/exposure-duckdb.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
ok = len(a) == len(b) and all(
    x["period"] == y["period"] and x["tier"] == y["tier"] and x["flows"] == y["flows"]
    and x["counterparties"] == y["counterparties"]
    and abs(x["value_usd"] - y["value_usd"]) <= 1e-9 * max(1.0, abs(y["value_usd"]))
    and abs(x["share"] - y["share"]) <= 1e-9
    for x, y in zip(a, b))
print(f"{'equal' if ok else 'DIFFERENT'} ({len(a)} groups)")
PY
)

med() { printf '%s\n' "$@" | median; }
peak() { printf '%s\n' "$@" | sort -n | tail -1 | awk '{printf "%.0f", $1 / 1024}'; }
tg_med=$(med "${tg_t[@]}"); dk_med=$(med "${dk_t[@]}")
ratio=$(awk -v a="$tg_med" -v b="$dk_med" 'BEGIN {printf "%.2f", a / b}')
rps() { awk -v n="$N" -v d="$1" 'BEGIN {printf "%.1f", n / d / 1e6}'; }
duck=$(python3 -c 'import duckdb; print(duckdb.__version__)')

stamp=$(date -u +%Y-%m-%d)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
out="bench/results/exposure-$stamp.md"
{
  echo "# tiergate exposure against DuckDB on $N BACI-shaped rows"
  echo
  echo "Run $stamp with \`bench/exposure.sh $N\` (RUNS=$RUNS), commit $(git describe --always --dirty 2>/dev/null || echo unknown)${BENCH_NOTE:+; $BENCH_NOTE}."
  echo
  echo "Machine: $cpu; $(nproc) cores; $(free -g | awk '/Mem:/ {print $2 " GiB"}') memory; $(uname -sr); $(rustc --version); DuckDB $duck (Python $(python3 -c 'import platform; print(platform.python_version())'))."
  echo "Input: \`bench/gen_baci_parquet.py $N\`: $(du -h "$FILE" | cut -f1) of Parquet (row groups of 1,048,576 rows), years 2017-2022, BACI's country codes, 5,000 products."
  echo "Query: by period and tier, tiers of $DATE (codified); both answers $same."
  echo
  echo "| | median seconds (runs) | million rows/second | peak memory | ratio to DuckDB |"
  echo "|---|---|---|---|---|"
  echo "| \`tiergate exposure --by period,tier --format jsonl\` (DataFusion, embedded) | $tg_med (${tg_t[*]}) | $(rps "$tg_med") | $(peak "${tg_m[@]}") MiB | $ratio |"
  echo "| DuckDB, the same queries (\`bench/exposure_duckdb.py\`) | $dk_med (${dk_t[*]}) | $(rps "$dk_med") | $(peak "${dk_m[@]}") MiB | 1.00 |"
  echo
  echo "Whole processes, wall clock, from /usr/bin/time; peak memory is the maximum resident set size."
  echo "Target: Tiergate within 1.5x DuckDB's time."
} > "$out"
cat "$out"
case "$same" in equal*) ;; *) echo "THE ANSWERS DIFFER" >&2; exit 1 ;; esac
awk -v r="$ratio" 'BEGIN {exit (r <= 1.5) ? 0 : 1}' || { echo "OUTSIDE TARGET: over 1.5x DuckDB" >&2; exit 1; }
