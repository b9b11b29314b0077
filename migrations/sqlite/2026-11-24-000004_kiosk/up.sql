-- Kiosk enrolment, one-time staff-survey links, dissatisfaction alerts.
-- Kept in step with migrations/postgres/2026-11-24-000004_kiosk/up.sql.

-- Alert when any 5-point item is rated at or below this (2 = 不滿意).
ALTER TABLE offices ADD COLUMN alert_threshold SMALLINT NOT NULL DEFAULT 2;

CREATE TABLE device_enrolments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    counter_id INTEGER NOT NULL REFERENCES counters(id),
    code_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    device_id INTEGER REFERENCES devices(id)
);

CREATE TABLE survey_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    form_key TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX survey_tokens_office ON survey_tokens (office_id, form_key);

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    response_id INTEGER NOT NULL UNIQUE REFERENCES responses(id),
    created_at TIMESTAMP NOT NULL,
    lowest_score SMALLINT NOT NULL,
    items TEXT NOT NULL,
    acknowledged_at TIMESTAMP,
    acknowledged_by INTEGER REFERENCES users(id),
    note TEXT
);
CREATE INDEX alerts_office_created ON alerts (office_id, created_at);
