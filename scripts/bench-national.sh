#!/usr/bin/env bash
# National-size data, step by step, on SQLite and PostgreSQL (release build):
#   1. `manyi demo --offices OFFICES --years YEARS --responses-per-office-year PER`
#      (the generator's rate: responses per second, whole command);
#   2. `manyi snapshot rebuild` (every response read into the columnar snapshot);
#   3. `manyi analyze` of the last year, and of every year, by year and item
#      (whole commands, after the snapshot is up to date);
#   4. `manyi snapshot export --format parquet` (the Hive-partitioned export).
# Each step's wall time and peak memory (GNU time's maximum resident set).
#
#   scripts/bench-national.sh                       # 370 offices, 10 years, 270 each: 1 M
#   PER=2700 scripts/bench-national.sh sqlite       # 10 M
# 370 × 10 × 27,000 ≈ 100 M is a country's decade; see docs/BENCHMARKS.md for
# how far this machine goes. Needs PostgreSQL at MANYI_TEST_POSTGRES_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
OFFICES=${OFFICES:-370}
YEARS=${YEARS:-10}
PER=${PER:-270}
LAST=${LAST:-113}
ADMIN=${MANYI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
engines=("$@")
[ ${#engines[@]} -eq 0 ] && engines=(sqlite postgres)
if [ -z "${MANYI_BIN:-}" ]; then
  cargo bench --bench analytics --no-run --quiet
fi
bin=${MANYI_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/manyi}
work=$(mktemp -d "${WORK_DIR:-/tmp}/manyi-national-XXXXXX")
pgdb="manyi_national_$$"
cleanup() {
  rm -rf "$work"
  psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
total=$((OFFICES * YEARS * PER))
first=$((LAST - YEARS + 1))

# step NAME COMMAND…: runs it under GNU time, prints seconds and peak MiB.
step() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
    cat "$work/err"
    exit 1
  }
  read -r secs kib <"$work/time"
  printf '%-34s %9.2f s %8.0f MiB\n' "$name" "$secs" "$((kib / 1024))"
  echo "$secs" >"$work/last"
}

for engine in "${engines[@]}"; do
  if [ "$engine" = sqlite ]; then
    url="sqlite://$work/national.db"
  else
    psql -q "$ADMIN" -c "CREATE DATABASE $pgdb" >/dev/null
    url="${ADMIN%/*}/$pgdb"
  fi
  export MANYI_SNAPSHOT_DIR="$work/snapshot-$engine" RUST_LOG=warn
  echo "== $engine: $OFFICES offices × $YEARS years × $PER = $total responses"
  step "demo generator" "$bin" --database-url "$url" demo --offices "$OFFICES" --years "$YEARS" \
    --last-year "$LAST" --responses-per-office-year "$PER"
  printf '%-34s %9.0f responses/s\n' "  rate" "$(python3 -c "print($total / $(cat "$work/last"))")"
  step "snapshot rebuild" "$bin" --database-url "$url" snapshot rebuild
  step "analyze: the last year" "$bin" --database-url "$url" analyze --from "$LAST" --to "$LAST" --by year,item
  step "analyze: $YEARS years" "$bin" --database-url "$url" analyze --from "$first" --to "$LAST" --by year,item
  step "parquet export" "$bin" --database-url "$url" snapshot export --format parquet "$work/parquet-$engine"
  du -sh "$work/parquet-$engine" "$MANYI_SNAPSHOT_DIR" | sed 's/^/  /'
  [ "$engine" = sqlite ] && du -sh "$work/national.db" | sed 's/^/  /'
  if [ "$engine" = postgres ]; then
    psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null
  fi
done
