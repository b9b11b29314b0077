#!/usr/bin/env bash
# The yearly report of a county of 10 offices over 5 years of demo data, end
# to end (`manyi report annual --county 臺北市`, every format), beside its
# analytics floor: `manyi analyze` over the same offices and years (the
# analytics pass of issue 6, whole command). Release build, SQLite, the
# snapshot brought up to date first (a one-off cost, timed separately).
#
#   scripts/bench-report.sh            # N=200000 responses, RUNS=3
#   N=1000000 RUNS=5 scripts/bench-report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
N=${N:-200000}
RUNS=${RUNS:-3}
# Built by the benchmark build (same features as `cargo bench`; see bench-snapshot.sh).
cargo bench --bench analytics --no-run --quiet
bin=${CARGO_TARGET_DIR:-$root/target}/release/manyi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="sqlite://$work/bench.db"
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }

t0=$(now)
"$bin" --database-url "$db" demo --responses "$N" --extra-taipei 9 --last-year 114 >/dev/null
t1=$(now)
echo "demo: $N responses, 12 offices (Taipei City: 10) in $(secs "$t0" "$t1") s"
t0=$(now)
"$bin" --database-url "$db" snapshot refresh >/dev/null
t1=$(now)
echo "snapshot (once): $(secs "$t0" "$t1") s"

report=()
floor=()
for i in $(seq 1 "$RUNS"); do
  t0=$(now)
  "$bin" --database-url "$db" analyze --from 110 --to 114 --county 臺北市 --by year,item --json >/dev/null
  t1=$(now)
  floor+=("$(secs "$t0" "$t1")")
  rm -rf "$work/out"
  t0=$(now)
  "$bin" --database-url "$db" report annual --year 114 --county 臺北市 --out "$work/out" --quiet >/dev/null
  t1=$(now)
  report+=("$(secs "$t0" "$t1")")
  echo "run $i: analyze ${floor[-1]} s, report ${report[-1]} s"
done
for fmt in html pdf odt xlsx ods csv; do
  rm -rf "$work/one"
  t0=$(now)
  "$bin" --database-url "$db" report annual --year 114 --county 臺北市 --out "$work/one" --format "$fmt" --quiet >/dev/null
  t1=$(now)
  echo "format $fmt alone: $(secs "$t0" "$t1") s ($(du -sh "$work/one" | cut -f1) with charts)"
done
python3 - "${floor[*]}" "${report[*]}" <<'PY'
import statistics, sys
f = [float(x) for x in sys.argv[1].split()]
r = [float(x) for x in sys.argv[2].split()]
mf, mr = statistics.median(f), statistics.median(r)
print(f"median: analyze {mf:.3f} s, report {mr:.3f} s, ratio report/analyze {mr/mf:.2f}")
PY
ls -la "$work/out" | sed 's/^/  /'
