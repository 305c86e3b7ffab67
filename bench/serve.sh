#!/usr/bin/env bash
# HTTP load on loopback: POST /v1/determinations against the same server's GET /healthz (the floor of the HTTP
# stack on this machine), with wrk, bounded in time.
#
#   bench/serve.sh [SECONDS] [CONNECTIONS] [PAIRS]   (default 3 s, 32 connections, 9 pairs; wrk from Debian)
#
# The server is the release build on a fresh SQLite ledger; determinations read their balances from it (the
# API always does) but do not record. Each request is one determination (an LPP-sized H100 order, Tier 2)
# with an id of its own and one of 50 consignees, authenticated with an analyst token. Healthz and
# determinations run alternately PAIRS times, in short runs (this machine's rates drift by tens of percent
# within a minute, so a pair's two runs should be close in time); the report gives every pair and the median
# ratio.
# Targets (issue 4): determinations within 2x of the healthz rate, p99 under 10 ms at 32 connections. Results go
# to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN="${1:-3}"
CONNECTIONS="${2:-32}"
PAIRS="${3:-9}"
WORK=bench/work
mkdir -p "$WORK" bench/results
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --bin tiergate
BIN=target/release/tiergate

DB="$WORK/serve-bench.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
TOKEN=$("$BIN" --db "sqlite://$DB" token create --name bench --role analyst | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
RUST_LOG=warn "$BIN" --db "sqlite://$DB" serve --bind 127.0.0.1:0 > "$WORK/serve.out" 2>/dev/null &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do [ -s "$WORK/serve.out" ] && break; sleep 0.1; done
URL=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["listening"])' "$WORK/serve.out")

# Every request its own id (the ledger looks each up: a re-run must not count its own reservation), per wrk
# thread a prefix of its own.
cat > "$WORK/determine.lua" <<LUA
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("prefix", "t" .. threads)
end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
local n = 0
function request()
  n = n + 1
  local body = string.format('{"id":"%s-%d","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":1000,"destination":"MY","consignee":{"name":"Example DC %d Sdn Bhd","headquarters":"MY"}}', prefix, n, n % 50)
  return wrk.format(nil, nil, nil, body)
end
LUA

run() { # prints "requests_per_second p50_ms p99_ms non_2xx"
  wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$@" 2>&1 | python3 -c '
import re, sys
text = sys.stdin.read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
p50, p99 = ms("50%"), ms("99%")
print("%.0f %.2f %.2f %s" % (rps, p50, p99, bad.group(1) if bad else 0))'
}

# Warm up, then measure in alternating pairs.
wrk -t2 -c"$CONNECTIONS" -d2s "$URL/healthz" >/dev/null
rows=(); ratios=(); p99s=(); bads=0
for ((i = 1; i <= PAIRS; i++)); do
  read -r h_rps h_p50 h_p99 h_bad < <(run "$URL/healthz")
  read -r d_rps d_p50 d_p99 d_bad < <(run -s "$WORK/determine.lua" "$URL/v1/determinations")
  r=$(awk -v h="$h_rps" -v d="$d_rps" 'BEGIN {printf "%.2f", h / d}')
  rows+=("| $i | $h_rps | $h_p99 | $d_rps | $d_p50 | $d_p99 | $r |")
  ratios+=("$r"); p99s+=("$d_p99"); bads=$((bads + h_bad + d_bad))
done
# Where the gap comes from: the same HTTP stack with a token and a small JSON answer but no database
# (GET /v1/countries/MY), and with one ledger read (GET /v1/pools/country:MY), between the floor and a determination.
read -r c_rps _ c_p99 c_bad < <(run -H "Authorization: Bearer $TOKEN" "$URL/v1/countries/MY")
read -r p_rps _ p_p99 p_bad < <(run -H "Authorization: Bearer $TOKEN" "$URL/v1/pools/country:MY?date=2025-06-01")
bads=$((bads + c_bad + p_bad))
ratio=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
d_p99=$(printf '%s\n' "${p99s[@]}" | sort -n | tail -1)
verdict=$(awk -v r="$ratio" -v p="$d_p99" -v b="$bads" 'BEGIN {print (r <= 2.0 && p < 10 && b == 0) ? "within target" : "OUTSIDE TARGET"}')

stamp=$(date -u +%Y-%m-%d)
out="bench/results/serve-$stamp.md"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
  echo "# tiergate serve: determinations against the HTTP floor (GET /healthz)"
  echo
  echo "Run $stamp with \`bench/serve.sh $SECONDS_PER_RUN $CONNECTIONS $PAIRS\`, commit $(git describe --always --dirty 2>/dev/null || echo unknown)."
  echo
  echo "Machine: $cpu; $(nproc) cores; $(free -g | awk '/Mem:/ {print $2}') GiB memory; $(uname -sr); $(rustc --version);"
  echo "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), 2 threads, $CONNECTIONS connections, ${SECONDS_PER_RUN} s per run, client and server on the same 2 cores."
  echo
  echo "| pair | healthz req/s | healthz p99 ms | determinations req/s | p50 ms | p99 ms | ratio |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Median ratio healthz / determinations: **$ratio** (target <= 2.0); worst determinations p99 **$d_p99 ms** (target < 10 ms); non-2xx answers: $bads: $verdict."
  echo
  echo "Steps between the floor and a determination, one run each after the pairs (ratio to the last healthz run):"
  echo
  echo "| route | req/s | p99 ms | ratio |"
  echo "|---|---|---|---|"
  echo "| GET /healthz | $h_rps | $h_p99 | 1.00 |"
  echo "| GET /v1/countries/MY (token, small JSON, no database) | $c_rps | $c_p99 | $(awk -v h="$h_rps" -v d="$c_rps" 'BEGIN {printf "%.2f", h / d}') |"
  echo "| GET /v1/pools/country:MY (token, one SQLite read) | $p_rps | $p_p99 | $(awk -v h="$h_rps" -v d="$p_rps" 'BEGIN {printf "%.2f", h / d}') |"
  echo "| POST /v1/determinations (last pair) | $d_rps | $d_p99 | $r |"
} > "$out"
cat "$out"
[ "$verdict" = "within target" ]
