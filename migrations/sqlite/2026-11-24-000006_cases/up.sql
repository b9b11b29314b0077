-- The complaint and feedback register (受理人民陳情案件登記簿): cases and their
-- append-only event history. Kept in step with migrations/postgres/…_cases.

CREATE TABLE case_categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    sort_order INTEGER NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1
);
INSERT INTO case_categories (code, name_zh, name_en, sort_order) VALUES
    ('attitude', '服務態度', 'Service attitude', 10),
    ('waiting', '等候時間', 'Waiting time', 20),
    ('process', '作業流程', 'Procedures', 30),
    ('law', '法令規定', 'Laws and regulations', 40),
    ('facilities', '設施環境', 'Facilities and environment', 50),
    ('online', '網站線上服務', 'Website and online services', 60),
    ('other', '其他', 'Other', 990);

-- Working days to answer, per kind of case; office_id NULL is the default.
CREATE TABLE case_deadline_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id INTEGER REFERENCES offices(id),
    kind TEXT NOT NULL,
    working_days SMALLINT NOT NULL CHECK (working_days BETWEEN 1 AND 30),
    UNIQUE (office_id, kind)
);
INSERT INTO case_deadline_rules (office_id, kind, working_days) VALUES
    (NULL, 'mailbox', 3),
    (NULL, 'simple', 3),
    (NULL, 'other_unit', 5),
    (NULL, 'complex', 30);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_no TEXT NOT NULL UNIQUE,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    channel TEXT NOT NULL,
    category_id INTEGER NOT NULL REFERENCES case_categories(id),
    subject TEXT NOT NULL,
    content TEXT NOT NULL,
    petitioner_name TEXT,
    petitioner_contact TEXT,
    language TEXT NOT NULL,
    confidential BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    deadline_kind TEXT NOT NULL,
    received_on DATE NOT NULL,
    due_on DATE NOT NULL,
    due_assumed BOOLEAN NOT NULL,
    assigned_to INTEGER REFERENCES users(id),
    first_reply_on DATE,
    closed_on DATE,
    lookup_secret_hash TEXT,
    published_reply TEXT,
    citizen_rating SMALLINT,
    citizen_comment TEXT,
    idempotency_key TEXT UNIQUE,
    personal_purged_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX cases_office_status_due ON cases (office_id, status, due_on);
CREATE INDEX cases_office_received ON cases (office_id, received_on);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    at TIMESTAMP NOT NULL,
    actor_user_id INTEGER REFERENCES users(id),
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;
