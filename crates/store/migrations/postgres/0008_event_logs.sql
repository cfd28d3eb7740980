-- Event logs (Keygen's event_logs): who (whodunnit bearer, request id) did what
-- (event) to which resource. Written by the outbox in the transaction of the change,
-- whether or not any webhook endpoint subscribes.
CREATE TABLE event_logs (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    whodunnit_type TEXT,
    whodunnit_id TEXT,
    request_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX event_logs_account_created ON event_logs (account_id, created_at);
CREATE INDEX event_logs_resource ON event_logs (account_id, resource_type, resource_id);
CREATE INDEX event_logs_created ON event_logs (created_at);

-- Request logs (Keygen's request_logs): one row per API request, written in
-- batches off the request path.
CREATE TABLE request_logs (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    request_id TEXT NOT NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    status BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    requestor_type TEXT,
    requestor_id TEXT,
    resource_type TEXT,
    resource_id TEXT,
    duration_ms BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX request_logs_account_created ON request_logs (account_id, created_at);
CREATE INDEX request_logs_created ON request_logs (created_at);
