#!/usr/bin/env bash
# The analytics snapshot against each engine (release build):
# - full rebuild: `manyi snapshot rebuild` over N demo responses (~10 answers each);
# - refresh after a day: DAY new responses imported, then `manyi snapshot refresh`;
# each beside the engine's own floor: reading the very same rows (responses
# joined with their answers) with the engine's own client and nothing else.
# Whole commands are timed (process start, connection, migration check included).
#
#   scripts/bench-snapshot.sh                 # N=1000000 DAY=40000
#   N=200000 DAY=40000 scripts/bench-snapshot.sh
# Needs the sqlite3 shell (Debian sqlite3) and PostgreSQL at MANYI_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
N=${N:-1000000}
DAY=${DAY:-40000}
ADMIN=${MANYI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# Built by the benchmark build: the same features as `cargo bench`, so polars is
# not compiled a second time for a plain release build (~20 min on 2 cores).
cargo bench --bench analytics --no-run --quiet
bin=${CARGO_TARGET_DIR:-$root/target}/release/manyi
work=$(mktemp -d)
pgdb="manyi_bench_$$"
cleanup() {
  rm -rf "$work"
  psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }

# A day of responses: DAY rows for the demo offices, 113/12/30.
python3 - "$DAY" >"$work/day.csv" <<'PY'
import random, sys
random.seed(7)
n = int(sys.argv[1])
items = ["staff_attitude", "staff_efficiency", "waiting_time", "staff_expertise",
         "volunteer_attitude", "process_design", "facilities", "cleanliness", "wayfinding", "overall"]
print(",".join(["office_code", "submitted_at", "channel", "service_type", "counter"] + items + ["comment"]))
for i in range(n):
    office = random.choice(["JS", "JC", "DA"])
    t = f"113/12/30 {8 + i * 9 // n:02d}:{(i * 7) % 60:02d}"
    scores = [str(random.choice([3, 4, 4, 5, 5, 5])) for _ in items]
    comment = "叫號很慢，等候很久" if i % 20 == 0 else ""
    print(",".join([office, t, "counter", "", ""] + scores + [comment]))
PY

read_sql="SELECT r.id, r.office_id, r.channel, r.form_version_id, r.submitted_at, r.counter_id, \
r.staff_id, r.service_type_id, a.item_key, a.score, a.text_value FROM responses r \
JOIN answers a ON a.response_id = r.id WHERE r.id > %s AND (a.score IS NOT NULL OR a.text_value IS NOT NULL)"

floor_sqlite() { # db after_id: the sqlite3 shell, output discarded
  local t0 t1
  t0=$(now)
  sqlite3 "$1" "$(printf "$read_sql" "$2")" >/dev/null
  t1=$(now)
  secs "$t0" "$t1"
}

floor_pg() { # url after_id
  local t0 t1
  t0=$(now)
  psql -q "$1" -c "\\copy ($(printf "$read_sql" "$2")) TO '/dev/null'" >/dev/null
  t1=$(now)
  secs "$t0" "$t1"
}

run_engine() { # name url floor_fn floor_target
  local name=$1 url=$2 floor=$3 target=$4 snap="$work/snap-$1"
  (cd "$work" && RUST_LOG=warn "$bin" --database-url "$url" demo --forms "$root/survey-forms" \
     --responses "$N" --seed 1 --last-year 113 >/dev/null)
  local t0 t1 rebuild refresh max_id
  t0=$(now)
  (cd "$work" && MANYI_SNAPSHOT_DIR="$snap" RUST_LOG=warn "$bin" --database-url "$url" snapshot rebuild >/dev/null)
  t1=$(now)
  rebuild=$(secs "$t0" "$t1")
  local rebuild_floor
  rebuild_floor=$($floor "$target" 0)
  max_id=$(python3 -c "import json;print(json.load(open('$snap/manifest.json'))['max_id'])")
  (cd "$work" && RUST_LOG=warn "$bin" --database-url "$url" import responses "$work/day.csv" \
     --form counter --forms "$root/survey-forms" >/dev/null)
  t0=$(now)
  (cd "$work" && MANYI_SNAPSHOT_DIR="$snap" RUST_LOG=warn "$bin" --database-url "$url" snapshot refresh)
  t1=$(now)
  refresh=$(secs "$t0" "$t1")
  local refresh_floor
  refresh_floor=$($floor "$target" "$max_id")
  echo "$name: rebuild ${rebuild}s (floor ${rebuild_floor}s, ratio $(python3 -c "print(f'{$rebuild/$rebuild_floor:.2f}')")); \
refresh after $DAY ${refresh}s (floor ${refresh_floor}s, ratio $(python3 -c "print(f'{$refresh/$refresh_floor:.2f}')"))"
}

echo "responses: $N, a day: $DAY"
run_engine SQLite "sqlite://$work/bench.db" floor_sqlite "$work/bench.db"
psql -q "$ADMIN" -c "CREATE DATABASE $pgdb" >/dev/null
pgurl="${ADMIN%/*}/$pgdb"
run_engine PostgreSQL "$pgurl" floor_pg "$pgurl"
