#!/usr/bin/env bash
# The cost of answering each request under the regime of its own date, against one pack for every date, measured
# side by side in the same run.
#
#   bench/regimes.sh [N]        (default N = 1000000 requests)
#
# Input: N requests (bench/gen_requests.py --span, seeded) dated evenly from 2023-11-17 to 2027-12-31, so the
# codified timeline answers them under its 5 packs and the enforced one under its 6. Baselines: the JSON Lines floor
# (crates/tiergate/examples/jsonl_floor.rs) and one pack for every date: a copy of the framework pack
# (rules/ai-diffusion-2025.toml) with reading R1 set to `determine`, so that no date is rejected and every request
# runs the framework's full evaluation. Each command runs RUNS times, alternating; medians and peak memory are
# reported. Target (issue 15): a timeline within 1.2x the single pack. Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-1000000}"
RUNS="${RUNS:-3}"
# shellcheck source=bench/common.sh
. bench/common.sh

INPUT="$WORK/requests-span-$N.jsonl"
[ -s "$INPUT" ] || python3 bench/gen_requests.py "$N" --span > "$INPUT"
ONE="$WORK/one-pack.toml"
sed 's/^before_effective_date = { reading = "R1", value = "error"/before_effective_date = { reading = "R1", value = "determine"/' \
  rules/ai-diffusion-2025.toml > "$ONE"
grep -q 'reading = "R1", value = "determine"' "$ONE"

floor_t=(); one_t=(); one_m=(); cod_t=(); cod_m=(); enf_t=(); enf_m=()
for ((i = 1; i <= RUNS; i++)); do
  read -r t _ < <(measure "$FLOOR" < "$INPUT"); floor_t+=("$t")
  read -r t m < <(measure "$BIN" --pack "$ONE" determine --progress never "$INPUT"); one_t+=("$t"); one_m+=("$m")
  read -r t m < <(measure "$BIN" --regime codified determine --progress never "$INPUT"); cod_t+=("$t"); cod_m+=("$m")
  read -r t m < <(measure "$BIN" --regime enforced determine --progress never "$INPUT"); enf_t+=("$t"); enf_m+=("$m")
done

med() { printf '%s\n' "$@" | median; }
peak() { printf '%s\n' "$@" | sort -n | tail -1 | awk '{printf "%.1f", $1 / 1024}'; }
floor_med=$(med "${floor_t[@]}"); one_med=$(med "${one_t[@]}"); cod_med=$(med "${cod_t[@]}"); enf_med=$(med "${enf_t[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
rps() { awk -v n="$N" -v d="$1" 'BEGIN {printf "%.0f", n / d}'; }
packs() { "$BIN" --regime "$1" determine --progress never "$INPUT" | python3 -c '
import collections, json, sys
c = collections.Counter(json.loads(l).get("regime", {}).get("pack", "(error)") for l in sys.stdin)
print(", ".join(f"{k} {v}" for k, v in sorted(c.items())))'; }

stamp=$(date -u +%Y-%m-%d)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
out="bench/results/regimes-$stamp.md"
{
  echo "# tiergate determine: a timeline against one pack for every date"
  echo
  echo "Run $stamp with \`bench/regimes.sh $N\` (RUNS=$RUNS), commit $(git describe --always --dirty 2>/dev/null || echo unknown)."
  echo
  echo "Machine: $cpu; $(nproc) cores; $(free -g | awk '/Mem:/ {print $2 " GiB"}') memory; $(uname -sr); $(rustc --version)."
  echo "Input: $N requests from \`bench/gen_requests.py --span\` ($(du -h "$INPUT" | cut -f1)), dated 2023-11-17 to 2027-12-31."
  echo "Answers by pack, codified: $(packs codified)."
  echo "Answers by pack, enforced: $(packs enforced)."
  echo
  echo "| | median seconds (runs) | records/second | peak memory | ratio to one pack | ratio to the floor |"
  echo "|---|---|---|---|---|---|"
  echo "| floor: parse + reserialise | $floor_med (${floor_t[*]}) | $(rps "$floor_med") | | | 1.00 |"
  echo "| one pack (framework, R1 = determine) | $one_med (${one_t[*]}) | $(rps "$one_med") | $(peak "${one_m[@]}") MiB | 1.00 | $(ratio "$one_med" "$floor_med") |"
  echo "| \`--regime codified\` | $cod_med (${cod_t[*]}) | $(rps "$cod_med") | $(peak "${cod_m[@]}") MiB | $(ratio "$cod_med" "$one_med") | $(ratio "$cod_med" "$floor_med") |"
  echo "| \`--regime enforced\` | $enf_med (${enf_t[*]}) | $(rps "$enf_med") | $(peak "${enf_m[@]}") MiB | $(ratio "$enf_med" "$one_med") | $(ratio "$enf_med" "$floor_med") |"
  echo
  echo "Target: a timeline within 1.2x one pack. The packs differ in work (a regime without tiers tries three"
  echo "authorizations, the framework seven), so the ratio measures the timeline's cost and the regimes' together."
} > "$out"
cat "$out"
awk -v c="$(ratio "$cod_med" "$one_med")" -v e="$(ratio "$enf_med" "$one_med")" 'BEGIN {exit (c <= 1.2 && e <= 1.2) ? 0 : 1}' \
  || { echo "OUTSIDE TARGET: a timeline over 1.2x one pack" >&2; exit 1; }
