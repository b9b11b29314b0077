-- Improvement measures (改善措施) staff record per office, ROC year and subject
-- of the yearly report's improvement plan, and the console's report runs.
-- Kept in step with migrations/sqlite/…_reports.
CREATE TABLE improvement_measures (
    id SERIAL PRIMARY KEY,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    roc_year INTEGER NOT NULL CHECK (roc_year BETWEEN 1 AND 200),
    -- 'item' (a survey item key) or 'category' (a complaint category code).
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('item', 'category')),
    subject_key TEXT NOT NULL,
    measure TEXT NOT NULL,
    responsible TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (office_id, roc_year, subject_kind, subject_key)
);

CREATE TABLE report_runs (
    id SERIAL PRIMARY KEY,
    roc_year INTEGER NOT NULL,
    -- 'office:<code>', 'county:<name>' or 'all'.
    scope TEXT NOT NULL,
    formats TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    progress INTEGER NOT NULL DEFAULT 0,
    step TEXT NOT NULL DEFAULT '',
    error TEXT,
    -- The directory of the files, relative to the reports directory.
    output TEXT,
    requested_by INTEGER NOT NULL REFERENCES users(id),
    requested_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX report_runs_requested ON report_runs (requested_by, requested_at);
