#!/usr/bin/env bash
# Load benchmark of POST /api/v1/responses on SQLite and PostgreSQL against a
# bare single-row INSERT handler on the same database (the ceiling), release
# build. See benches/load.rs; results go to docs/BENCHMARKS.md as ratios.
#   scripts/bench-load.sh                    # 5 s per phase; 1, 8, 32, 128 clients; 2,000/s open loop
#   LOAD_SECONDS=10 LOAD_RATE=800 LOAD_CLIENTS=32 scripts/bench-load.sh
# Needs PostgreSQL at MANYI_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
RUST_LOG=${RUST_LOG:-warn} cargo bench --bench load
