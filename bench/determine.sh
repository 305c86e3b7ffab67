#!/usr/bin/env bash
# End-to-end throughput and memory of `tiergate determine`, against a floor measured in the same run.
#
#   bench/determine.sh [N]        (default N = 1000000 requests)
#
# The floor is `jsonl_floor` (crates/tiergate/examples/jsonl_floor.rs): it parses every line of the same input
# into a JSON value and writes it back, with the same buffering. The script generates N varied requests
# (bench/gen_requests.py, seeded), runs floor and determine alternately RUNS times each, output to /dev/null,
# and reports the medians, records per second, the ratio to the floor and peak resident memory (GNU time).
# Peak memory is also measured at N/10 to show it does not grow with input size.
# Targets (issue 2): ratio <= 2.0, peak memory < 200 MiB. Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-1000000}"
RUNS="${RUNS:-3}"
# shellcheck source=bench/common.sh
. bench/common.sh

INPUT="$WORK/requests-$N.jsonl"
SMALL_N=$((N / 10))
SMALL="$WORK/requests-$SMALL_N.jsonl"
[ -s "$INPUT" ] || python3 bench/gen_requests.py "$N" > "$INPUT"
[ -s "$SMALL" ] || python3 bench/gen_requests.py "$SMALL_N" > "$SMALL"

floor_t=(); det_t=(); det_m=()
for ((i = 1; i <= RUNS; i++)); do
  read -r t _ < <(measure "$FLOOR" < "$INPUT"); floor_t+=("$t")
  read -r t m < <(measure "$BIN" determine --progress never "$INPUT"); det_t+=("$t"); det_m+=("$m")
done
read -r _ small_m < <(measure "$BIN" determine --progress never "$SMALL")

floor_med=$(printf '%s\n' "${floor_t[@]}" | median)
det_med=$(printf '%s\n' "${det_t[@]}" | median)
det_mem=$(printf '%s\n' "${det_m[@]}" | sort -n | tail -1)
answers=$("$BIN" determine --progress never "$INPUT" | wc -l || true)

ratio=$(awk -v d="$det_med" -v f="$floor_med" 'BEGIN {printf "%.2f", d / f}')
det_rps=$(awk -v n="$N" -v d="$det_med" 'BEGIN {printf "%.0f", n / d}')
floor_rps=$(awk -v n="$N" -v f="$floor_med" 'BEGIN {printf "%.0f", n / f}')
mem_mib=$(awk -v k="$det_mem" 'BEGIN {printf "%.1f", k / 1024}')
small_mib=$(awk -v k="$small_m" 'BEGIN {printf "%.1f", k / 1024}')
verdict=$(awk -v r="$ratio" -v m="$mem_mib" 'BEGIN {print (r <= 2.0 && m < 200) ? "within target" : "OUTSIDE TARGET"}')

stamp=$(date -u +%Y-%m-%d)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem_total=$(free -g | awk '/Mem:/ {print $2 " GiB"}')
out="bench/results/determine-$stamp.md"
{
  echo "# tiergate determine: throughput against the parse-and-reserialise floor"
  echo
  echo "Run $stamp with \`bench/determine.sh $N\` (RUNS=$RUNS), commit $(git describe --always --dirty 2>/dev/null || echo unknown)."
  echo
  echo "Machine: $cpu; $(nproc) cores; $mem_total memory; $(uname -sr); $(rustc --version)."
  echo "Input: $N requests from bench/gen_requests.py ($(du -h "$INPUT" | cut -f1)), every authorization path and some rejected lines; $answers answer lines."
  echo
  echo "| | median seconds (runs) | records/second | peak memory |"
  echo "|---|---|---|---|"
  echo "| floor: parse + reserialise (jsonl_floor) | $floor_med (${floor_t[*]}) | $floor_rps | |"
  echo "| tiergate determine | $det_med (${det_t[*]}) | $det_rps | $mem_mib MiB |"
  echo "| tiergate determine, $SMALL_N requests | | | $small_mib MiB |"
  echo
  echo "Ratio to the floor: **$ratio** (target <= 2.0). Peak memory: **$mem_mib MiB** at $N requests, $small_mib MiB at $SMALL_N (target < 200 MiB, flat in input size): $verdict."
} > "$out"
cat "$out"
[ "$verdict" = "within target" ]
