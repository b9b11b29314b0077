-- Case numbers from a counter per office and ROC year (never count(*)+1), and
-- login throttling as one counted row per key, updated atomically.
-- Kept in step with migrations/sqlite/2026-12-01-000009_integrity/up.sql.

CREATE TABLE case_counters (
    office_id INTEGER NOT NULL REFERENCES offices(id),
    roc_year INTEGER NOT NULL,
    last_no INTEGER NOT NULL,
    PRIMARY KEY (office_id, roc_year)
);

-- key: `account:NAME`, `pair:NAME|ADDRESS` or `address:ADDRESS`.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    next_allowed_at TIMESTAMP NOT NULL,
    last_at TIMESTAMP NOT NULL
);
