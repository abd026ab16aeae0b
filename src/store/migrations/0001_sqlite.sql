-- citecheck history store, schema 1 (SQLite). Times are Unix milliseconds (UTC).
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    complete BIGINT NOT NULL DEFAULT 0,
    version TEXT NOT NULL,
    settings TEXT NOT NULL,
    urls BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    checked_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    http_status BIGINT,
    final_url TEXT,
    error TEXT,
    elapsed_ms BIGINT NOT NULL,
    link TEXT NOT NULL,
    fingerprint TEXT,
    page_changed BIGINT NOT NULL DEFAULT 0,
    cached BIGINT NOT NULL DEFAULT 0,
    reusable BIGINT NOT NULL DEFAULT 0,
    page TEXT
);
CREATE INDEX IF NOT EXISTS checks_by_url ON checks (url, checked_at);
CREATE INDEX IF NOT EXISTS checks_by_run ON checks (run_id);
CREATE TABLE IF NOT EXISTS citations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    claim_key TEXT NOT NULL,
    path TEXT NOT NULL,
    line BIGINT NOT NULL,
    claim TEXT NOT NULL,
    status TEXT,
    verdict TEXT,
    reason TEXT,
    evidence TEXT,
    change TEXT,
    failing BIGINT NOT NULL DEFAULT 0,
    confirmed_dead BIGINT NOT NULL DEFAULT 0,
    archive TEXT
);
CREATE INDEX IF NOT EXISTS citations_by_run ON citations (run_id);
CREATE INDEX IF NOT EXISTS citations_by_url ON citations (url);
CREATE TABLE IF NOT EXISTS links (
    url TEXT PRIMARY KEY,
    first_seen BIGINT NOT NULL,
    last_checked BIGINT NOT NULL,
    last_ok BIGINT,
    failing_since BIGINT,
    last_failure BIGINT,
    failures BIGINT NOT NULL DEFAULT 0,
    last_status TEXT,
    fingerprint TEXT
);
CREATE TABLE IF NOT EXISTS claims (
    url TEXT NOT NULL,
    claim_key TEXT NOT NULL,
    verdict TEXT,
    evidence TEXT,
    archive TEXT,
    checked_at BIGINT NOT NULL,
    PRIMARY KEY (url, claim_key)
);
