#!/usr/bin/env bash
# The console's analysis page (`/console/analytics`, whole request: session,
# scope, one analysis pass with the trend and item groupings beside the one
# asked, complaint figures, three charts as SVG, HTML) against `manyi analyze`
# of the same request (whole command, as the issue asks) and against the
# server's JSON analysis of it (`/api/v1/analytics/all`, the analysis alone in
# a warm process), on the same demo data, measured in turn.
# Release build, SQLite, the snapshot brought up to date first.
#
#   scripts/bench-analytics-page.sh          # N=200000 responses, RUNS=5
#   N=1000000 RUNS=5 scripts/bench-analytics-page.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
N=${N:-200000}
RUNS=${RUNS:-5}
cargo build --release --locked --quiet
bin=${CARGO_TARGET_DIR:-$root/target}/release/manyi
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
db="sqlite://$work/bench.db"
"$bin" --database-url "$db" demo --responses "$N" --extra-taipei 9 --last-year 114 >/dev/null
"$bin" --database-url "$db" snapshot refresh >/dev/null
RUST_LOG=warn "$bin" --database-url "$db" serve --bind "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
python3 - "$bin" "$db" "$port" "$RUNS" <<'PY'
import http.cookiejar, re, statistics, subprocess, sys, time, urllib.parse, urllib.request
bin, db, port, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
base = f"http://127.0.0.1:{port}"
jar = http.cookiejar.CookieJar()
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k): return None
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
page = op.open(base + "/login").read().decode()
csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
form = urllib.parse.urlencode({"username": "kinmen", "password": "manyi-demo-2026", "csrf": csrf, "next": "/console"}).encode()
try:
    op.open(base + "/login", form)
except urllib.error.HTTPError as e:
    assert e.code == 303, e
cases = [
    ("year,item", "county:金門縣", "金門縣"),
    ("year,quarter,item", "county:金門縣", "金門縣"),
    ("year,office,item", "", None),
]
for by, scope, county in cases:
    q = urllib.parse.urlencode({"from": "110", "to": "114", "scope": scope, "by": by})
    page, cli, api = [], [], []
    aq = urllib.parse.urlencode({k: v for k, v in {"from": "110", "to": "114", "county": county, "by": by}.items() if v})
    for i in range(runs + 1):
        ta = time.perf_counter()
        op.open(f"{base}/api/v1/analytics/all?{aq}").read()
        t0 = time.perf_counter()
        body = op.open(f"{base}/console/analytics?{q}").read()
        t1 = time.perf_counter()
        args = [bin, "--database-url", db, "analyze", "--from", "110", "--to", "114", "--by", by, "--json"]
        if county: args += ["--county", county]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env={"RUST_LOG": "warn"})
        t2 = time.perf_counter()
        if i == 0:
            assert b"figures-table" in body, body[:500]
            continue  # warm-up
        page.append(t1 - t0); cli.append(t2 - t1); api.append(t0 - ta)
    mp, mc, ma = statistics.median(page), statistics.median(cli), statistics.median(api)
    print(f"by {by:20} scope {scope or 'all (kinmen: 金門縣)':16}: page {mp*1000:7.1f} ms, manyi analyze {mc*1000:7.1f} ms (ratio {mp/mc:.2f}), JSON API {ma*1000:7.1f} ms (ratio {mp/ma:.2f})")
PY
