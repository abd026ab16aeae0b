-- citecheck history store, schema 2 (PostgreSQL): the work queue of distributed runs
-- (`check --distributed`, `citecheck worker`) and the fleet-wide politeness state.
CREATE TABLE IF NOT EXISTS dist_runs (
    run_id BIGINT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    max_attempts BIGINT NOT NULL,
    lease_timeout_ms BIGINT NOT NULL,
    plan TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS work_items (
    id BIGSERIAL PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    url_key TEXT NOT NULL,
    url TEXT NOT NULL,
    host TEXT NOT NULL,
    concurrency BIGINT NOT NULL,
    -- Items of the same host in the run: the busiest hosts are leased first.
    priority BIGINT NOT NULL DEFAULT 0,
    citations TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    leased_by TEXT,
    leased_until BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    done_by TEXT,
    finished_at BIGINT,
    results TEXT,
    UNIQUE (run_id, url_key)
);
CREATE INDEX IF NOT EXISTS work_items_by_run ON work_items (run_id, state);
CREATE INDEX IF NOT EXISTS work_items_by_state ON work_items (state, host);
CREATE INDEX IF NOT EXISTS work_items_open ON work_items (priority DESC, id)
    WHERE state IN ('queued', 'leased');
-- Times in microseconds (the database's clock, so that machines' clocks need not agree).
CREATE TABLE IF NOT EXISTS fleet_hosts (
    host TEXT PRIMARY KEY,
    next_allowed_at BIGINT NOT NULL DEFAULT 0,
    backoff_until BIGINT NOT NULL DEFAULT 0
);
