#!/usr/bin/env bash
# Reservations per second with 1, 8 and 32 concurrent clients on SQLite and PostgreSQL, against the physical
# floor of the same database on the same machine, measured in the same run.
#
#   bench/ledger.sh [OPERATIONS]      (default 6400 per measurement, split across the clients)
#
# Floors: a single-row insert-and-update transaction (INSERT INTO floor_log ...; UPDATE floor_counter SET n =
# n + 1 WHERE id = 1) with the ledger's durability: for SQLite the ledger_bench `floor` mode (WAL,
# synchronous=FULL, BEGIN IMMEDIATE, cached statements); for PostgreSQL pgbench with that script in prepared
# mode (fsync and synchronous_commit at their defaults, on). Ledger: `ledger` mode gives each client its own
# connection (as separate processes would); `shared` mode has the clients share one connection through
# SharedLedger, which commits concurrent reservations together (group commit), as a server process would.
# Ratio = floor rate / ledger rate (target <= 2.0). PostgreSQL at $TIERGATE_BENCH_PG (default
# postgres://postgres@127.0.0.1:5432/postgres) must accept CREATE DATABASE. Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

OPS="${1:-6400}"
ADMIN="${TIERGATE_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
BASE="${ADMIN%/*}"
WORK=bench/work
mkdir -p "$WORK" bench/results
cargo build --release --quiet -p tiergate-store --example ledger_bench
B=target/release/examples/ledger_bench

fresh_pg() { psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null 2>&1; echo "$BASE/$1"; }
rate() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["per_second"])'; }
commits() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["commits"])'; }

cat > "$WORK/floor.sql" <<'SQL'
BEGIN;
INSERT INTO floor_log (client, n) VALUES (:client_id, 1);
UPDATE floor_counter SET n = n + 1 WHERE id = 1;
END;
SQL

rows=()
for backend in sqlite postgres; do
  for clients in 1 8 32; do
    per=$((OPS / clients))
    if [ "$backend" = sqlite ]; then
      rm -f "$WORK"/bench-*.db*
      floor=$("$B" floor "sqlite://$WORK/bench-floor.db" "$clients" "$per" | rate)
      own=$("$B" ledger "sqlite://$WORK/bench-own.db" "$clients" "$per")
      shared=$("$B" shared "sqlite://$WORK/bench-shared.db" "$clients" "$per")
    else
      url=$(fresh_pg tiergate_bench_floor)
      "$B" floor "$url" 1 1 >/dev/null # creates the floor tables
      floor=$(pgbench "$url" -n -M prepared -c "$clients" -j 2 -t "$per" -f "$WORK/floor.sql" 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}')
      own=$("$B" ledger "$(fresh_pg tiergate_bench_own)" "$clients" "$per")
      shared=$("$B" shared "$(fresh_pg tiergate_bench_shared)" "$clients" "$per")
    fi
    own_rate=$(echo "$own" | rate)
    shared_rate=$(echo "$shared" | rate)
    shared_commits=$(echo "$shared" | commits)
    r_own=$(awk -v f="$floor" -v l="$own_rate" 'BEGIN {printf "%.2f", f / l}')
    r_shared=$(awk -v f="$floor" -v l="$shared_rate" 'BEGIN {printf "%.2f", f / l}')
    rows+=("| $backend | $clients | $floor | $own_rate | $r_own | $shared_rate ($((clients * per)) in $shared_commits commits) | $r_shared |")
    echo "$backend clients=$clients floor=$floor own=$own_rate ($r_own) shared=$shared_rate ($r_shared)" >&2
  done
done

stamp=$(date -u +%Y-%m-%d)
out="bench/results/ledger-$stamp.md"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
  echo "# Ledger reservations per second against the database's own floor"
  echo
  echo "Run $stamp with \`bench/ledger.sh $OPS\`, commit $(git describe --always --dirty 2>/dev/null || echo unknown)."
  echo
  echo "Machine: $cpu; $(nproc) cores; $(free -g | awk '/Mem:/ {print $2}') GiB memory; $(uname -sr); $(rustc --version);"
  echo "SQLite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)' 2>/dev/null || echo '?') (system, for reference; the ledger bundles its own via rusqlite);"
  echo "$(psql "$ADMIN" -Atc 'SHOW server_version' | sed 's/^/PostgreSQL /') on the same machine, fsync=$(psql "$ADMIN" -Atc 'SHOW fsync'), synchronous_commit=$(psql "$ADMIN" -Atc 'SHOW synchronous_commit')."
  echo
  echo "Each cell is operations per second over $OPS operations split across the clients; one run each."
  echo
  echo "| backend | clients | floor (insert + update txn) | ledger, a connection per client | ratio | ledger, shared connection, group commit | ratio |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Ratio = floor / ledger (target <= 2.0). A reservation is a read of the key, the pool and overdue"
  echo "reservations, a cap check, and writes of the reservation, the pool, an audit entry chained with HMAC-SHA256 and the"
  echo "ledger head, all under one lock that serializes movements; the floor is one insert and one update."
} > "$out"
cat "$out"
