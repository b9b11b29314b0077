-- Public rate limits shared by every app instance on one database: each
-- instance adds the requests it let through to the count of their key
-- (`addr:…`, `device:…`) in the current minute, every second or so, and reads
-- back the sum of all instances. Rows older than two minutes are deleted.
-- Kept in step with the other engine's migration.
CREATE TABLE rate_counts (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL CHECK (hits >= 0),
    PRIMARY KEY (key, window_start)
);
