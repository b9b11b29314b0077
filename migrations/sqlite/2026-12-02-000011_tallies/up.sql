-- Aggregated tallies: the quarterly count of each answer per item, as many
-- offices kept their paper surveys before manyi (非常滿意 37, 滿意 52 …).
-- The analysis counts them in every figure that counts allow; reliability,
-- key drivers and IPA need individual answers and leave them out.
-- Kept in step with the other engine's migration.
CREATE TABLE tallies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    form_version_id INTEGER NOT NULL REFERENCES form_versions(id),
    roc_year INTEGER NOT NULL CHECK (roc_year BETWEEN 1 AND 400),
    quarter SMALLINT NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    item_key TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('counter', 'web', 'internal')),
    n1 INTEGER NOT NULL CHECK (n1 >= 0),
    n2 INTEGER NOT NULL CHECK (n2 >= 0),
    n3 INTEGER NOT NULL CHECK (n3 >= 0),
    n4 INTEGER NOT NULL CHECK (n4 >= 0),
    n5 INTEGER NOT NULL CHECK (n5 >= 0),
    imported_at TIMESTAMP NOT NULL,
    UNIQUE (office_id, form_version_id, roc_year, quarter, item_key, channel)
);
