# Shared by bench/determine.sh and bench/regimes.sh (sourced after `cd` to the repository): builds the release
# binary and the JSON Lines floor, and defines how one run is measured.
WORK=bench/work
mkdir -p "$WORK" bench/results

# BENCH_NO_BUILD=1 measures the release binary already built (the report must then say which tree it came from).
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  cargo build --release --quiet --bin tiergate --example jsonl_floor
fi
BIN=target/release/tiergate
FLOOR=target/release/examples/jsonl_floor

# Prints "seconds max_rss_kb" for one run of the command.
measure() {
  local tf
  tf=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$tf" "$@" > /dev/null || true
  tail -n 1 "$tf"  # GNU time first notes a non-zero exit status on a line of its own
  rm -f "$tf"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
