-- Government office calendar years imported with `manyi calendar import`
-- (the official yearly CSV). They replace the shipped year of the same number.
CREATE TABLE calendar_days (
    day DATE NOT NULL PRIMARY KEY,
    is_holiday BOOLEAN NOT NULL,
    description TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL
);
