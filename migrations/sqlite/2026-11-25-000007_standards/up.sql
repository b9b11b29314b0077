-- Minimum satisfaction standards (服務品質滿意度標準) per ROC year, for the whole
-- deployment, a county or one office. Kept in step with migrations/postgres/…_standards.
CREATE TABLE satisfaction_standards (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    roc_year INTEGER NOT NULL CHECK (roc_year BETWEEN 1 AND 200),
    -- '' (every office), 'county:金門縣' or 'office:<id>': one standard per scope and year.
    scope_key TEXT NOT NULL,
    office_id INTEGER REFERENCES offices(id),
    county_zh TEXT,
    min_rate DOUBLE NOT NULL CHECK (min_rate > 0 AND min_rate <= 1),
    set_by TEXT NOT NULL,
    set_at TIMESTAMP NOT NULL,
    UNIQUE (roc_year, scope_key)
);
