-- citecheck history store, schema 3: the soft-404 probe of each host, shared by the
-- workers of distributed runs (one probe per host for the whole fleet). Times in
-- milliseconds on the database's clock.
CREATE TABLE IF NOT EXISTS fleet_probes (
    origin TEXT PRIMARY KEY,
    claimed_by TEXT,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    -- NULL until the claimer has published the answer.
    fetched_at BIGINT,
    -- JSON: {"title", "main_text"} of the answer to a random path, or null (no page).
    answer TEXT
);
