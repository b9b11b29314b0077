-- manyi foundation schema (SQLite dialect). Kept column-for-column in step with
-- migrations/postgres/2026-11-24-000001_foundation/up.sql; a test compares the two.
-- Instants are UTC, stored as TIMESTAMP text (diesel NaiveDateTime).

CREATE TABLE offices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    county_zh TEXT NOT NULL,
    county_en TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE counters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    code TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    UNIQUE (office_id, code)
);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    code TEXT NOT NULL,
    display_name TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    UNIQUE (office_id, code)
);

CREATE TABLE service_types (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    sort_order INTEGER NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1
);

CREATE TABLE form_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    form_key TEXT NOT NULL,
    version_hash TEXT NOT NULL UNIQUE,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    definition TEXT NOT NULL,
    first_loaded_at TIMESTAMP NOT NULL,
    retired BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX form_versions_key ON form_versions (form_key);

-- Tablets enrolled at a counter; enrolment and tokens come with the kiosk.
CREATE TABLE devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    counter_id INTEGER REFERENCES counters(id),
    label TEXT NOT NULL,
    token_hash TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    channel TEXT NOT NULL CHECK (channel IN ('counter', 'web', 'internal')),
    form_version_id INTEGER NOT NULL REFERENCES form_versions(id),
    submitted_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    counter_id INTEGER REFERENCES counters(id),
    staff_id INTEGER REFERENCES staff(id),
    service_type_id INTEGER REFERENCES service_types(id),
    device_id INTEGER REFERENCES devices(id),
    idempotency_key TEXT NOT NULL UNIQUE
);
CREATE INDEX responses_office_submitted ON responses (office_id, submitted_at);

CREATE TABLE answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    item_key TEXT NOT NULL,
    score SMALLINT,
    choice TEXT,
    text_value TEXT,
    UNIQUE (response_id, item_key)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('counter_staff', 'research', 'director', 'county_admin', 'system_admin')),
    office_id INTEGER REFERENCES offices(id),
    county_zh TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL
);

-- Append-only: the application never updates or deletes rows here.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    actor_user_id INTEGER REFERENCES users(id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    office_id INTEGER REFERENCES offices(id),
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    client_addr TEXT
);
CREATE INDEX audit_log_office_at ON audit_log (office_id, at);
