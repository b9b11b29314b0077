#!/usr/bin/env bash
# Times `manyi demo --responses N` (release build) on SQLite and on PostgreSQL,
# beside the floor of each engine: copying the very same rows into tables with
# the same constraints and indexes with one INSERT … SELECT. The ratio
# demo/floor is what docs/BENCHMARKS.md records (machines are noisy; ratios
# from one session are comparable, absolute seconds less so).
#
#   scripts/bench-demo.sh            # N=100000
#   N=20000 scripts/bench-demo.sh
# Needs PostgreSQL at MANYI_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
N=${N:-100000}
ADMIN=${MANYI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$root/target}/release/manyi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

echo "responses: $N"
# --- SQLite ---
t0=$(now)
(cd "$work" && RUST_LOG=warn "$bin" demo --database-url "sqlite://$work/demo.db" \
   --forms "$root/survey-forms" --responses "$N" --seed 1 --last-year 113 >/dev/null)
t1=$(now)
lite_demo=$(secs "$t0" "$t1")
lite_floor=$(python3 - "$work/demo.db" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=NORMAL")
ddl = [r[0] for r in c.execute(
    "SELECT sql FROM sqlite_master WHERE tbl_name IN ('responses','answers') AND sql IS NOT NULL")]
for d in ddl:
    d = d.replace("responses", "responses_copy").replace("answers", "answers_copy")
    d = d.replace("INDEX responses_copy_office", "INDEX responses_copy_office")
    c.execute(d)
# the copies reference the originals' parents; foreign keys stay on as in the app
c.execute("PRAGMA foreign_keys=ON")
t = time.perf_counter()
with c:
    c.execute("INSERT INTO responses_copy SELECT * FROM responses")
    c.execute("INSERT INTO answers_copy SELECT * FROM answers")
print(f"{time.perf_counter() - t:.2f}")
PY
)
echo "sqlite: demo ${lite_demo}s, floor ${lite_floor}s, ratio $(python3 -c "print(f'{$lite_demo/$lite_floor:.1f}')")"

# --- PostgreSQL ---
db="manyi_bench_$$"
base=${ADMIN%/*}
psql -q "$ADMIN" -c "CREATE DATABASE $db"
trap 'psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; rm -rf "$work"' EXIT
t0=$(now)
(cd "$work" && RUST_LOG=warn "$bin" demo --database-url "$base/$db" \
   --forms "$root/survey-forms" --responses "$N" --seed 1 --last-year 113 >/dev/null)
t1=$(now)
pg_demo=$(secs "$t0" "$t1")
psql -q "$base/$db" -c "CREATE TABLE responses_copy (LIKE responses INCLUDING ALL)" \
  -c "CREATE TABLE answers_copy (LIKE answers INCLUDING ALL)" \
  -c "ALTER TABLE answers_copy ADD FOREIGN KEY (response_id) REFERENCES responses_copy(id)"
t0=$(now)
psql -q "$base/$db" -c "BEGIN" -c "INSERT INTO responses_copy SELECT * FROM responses" \
  -c "INSERT INTO answers_copy SELECT * FROM answers" -c "COMMIT"
t1=$(now)
pg_floor=$(secs "$t0" "$t1")
echo "postgres: demo ${pg_demo}s, floor ${pg_floor}s, ratio $(python3 -c "print(f'{$pg_demo/$pg_floor:.1f}')")"
