#!/usr/bin/env bash
# `tiergate scenario diff` against one `tiergate determine` pass over the same order book, side by side in one run.
#
#   bench/scenario.sh [N]        (default N = 1000000 orders)
#
# Input: N requests from bench/gen_requests.py (seeded; dated 2025 to 2027, every authorization path) and the
# scenario examples/scenarios/allies-plus.toml (Poland and Israel in Tier 1, India assured, UVEU 10 %, LPP halved),
# written over the codified timeline. A diff determines every order twice (under the scenario and under its
# base) and counts; `determine` answers once and writes every answer. Each command runs RUNS times, alternating;
# medians and peak memory are reported, and the diff's peak memory is measured again on N/10 orders to show it
# does not grow with the input. Target (issue 17): the diff within 2.5x one determine pass. Results go to
# bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-1000000}"
RUNS="${RUNS:-3}"
# shellcheck source=bench/common.sh
. bench/common.sh

INPUT="$WORK/requests-$N.jsonl"
[ -s "$INPUT" ] || python3 bench/gen_requests.py "$N" > "$INPUT"
SMALL="$WORK/requests-$((N / 10)).jsonl"
[ -s "$SMALL" ] || head -n $((N / 10)) "$INPUT" > "$SMALL"
SCENARIO=examples/scenarios/allies-plus.toml

det_t=(); det_m=(); diff_t=(); diff_m=(); list_t=(); list_m=()
for ((i = 1; i <= RUNS; i++)); do
  read -r t m < <(measure "$BIN" determine --progress never "$INPUT"); det_t+=("$t"); det_m+=("$m")
  read -r t m < <(measure "$BIN" scenario diff "$SCENARIO" "$INPUT" --progress never); diff_t+=("$t"); diff_m+=("$m")
  read -r t m < <(measure "$BIN" scenario diff "$SCENARIO" "$INPUT" --format jsonl --progress never); list_t+=("$t"); list_m+=("$m")
done
read -r _ small_m < <(measure "$BIN" scenario diff "$SCENARIO" "$SMALL" --progress never)

med() { printf '%s\n' "$@" | median; }
peak() { printf '%s\n' "$@" | sort -n | tail -1 | awk '{printf "%.1f", $1 / 1024}'; }
det_med=$(med "${det_t[@]}"); diff_med=$(med "${diff_t[@]}"); list_med=$(med "${list_t[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
rps() { awk -v n="$N" -v d="$1" 'BEGIN {printf "%.0f", n / d}'; }
summary=$("$BIN" scenario diff "$SCENARIO" "$INPUT" --progress never | python3 -c '
import json, sys
d = json.load(sys.stdin)
top = ", ".join(f"{k} {v}" for k, v in sorted(d["by_change"].items(), key=lambda kv: -kv[1])[:4])
n, c, e = d["orders"], d["changed"], d["errors"]
print(f"{n} orders, {c} changed, {e} not answered; most common: {top}")' || true)

stamp=$(date -u +%Y-%m-%d)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
out="bench/results/scenario-$stamp.md"
{
  echo "# tiergate scenario diff against one determine pass"
  echo
  echo "Run $stamp with \`bench/scenario.sh $N\` (RUNS=$RUNS), commit $(git describe --always --dirty 2>/dev/null || echo unknown)."
  echo
  echo "Machine: $cpu; $(nproc) cores; $(free -g | awk '/Mem:/ {print $2 " GiB"}') memory; $(uname -sr); $(rustc --version)."
  echo "Input: $N requests from \`bench/gen_requests.py\` ($(du -h "$INPUT" | cut -f1)); scenario \`$SCENARIO\` over \`codified\`."
  echo "Diff: $summary."
  echo
  echo "| | median seconds (runs) | orders/second | peak memory | ratio to determine |"
  echo "|---|---|---|---|---|"
  echo "| \`tiergate determine\` (one pass, every answer written) | $det_med (${det_t[*]}) | $(rps "$det_med") | $(peak "${det_m[@]}") MiB | 1.00 |"
  echo "| \`tiergate scenario diff\` (two determinations per order, counts) | $diff_med (${diff_t[*]}) | $(rps "$diff_med") | $(peak "${diff_m[@]}") MiB | $(ratio "$diff_med" "$det_med") |"
  echo "| \`tiergate scenario diff --format jsonl\` (and each changed order written) | $list_med (${list_t[*]}) | $(rps "$list_med") | $(peak "${list_m[@]}") MiB | $(ratio "$list_med" "$det_med") |"
  echo
  echo "Peak memory of the diff on $((N / 10)) orders: $(awk -v m="$small_m" 'BEGIN {printf "%.1f", m / 1024}') MiB; on $N: $(peak "${diff_m[@]}") MiB."
  echo
  echo "Target: the diff within 2.5x one determine pass. Both run on one core; the diff skips writing every answer,"
  echo "which is much of determine's time, so it does twice the determinations in little more time."
} > "$out"
cat "$out"
awk -v a="$(ratio "$diff_med" "$det_med")" -v b="$(ratio "$list_med" "$det_med")" 'BEGIN {exit (a <= 2.5 && b <= 2.5) ? 0 : 1}' \
  || { echo "OUTSIDE TARGET: the diff over 2.5x one determine pass" >&2; exit 1; }
