-- Webhooks (Keygen's webhook_endpoints / webhook_events). A webhook event row is
-- also the outbox: it is inserted in the transaction of the change it announces,
-- holds a snapshot of the resource (rendered at delivery, so a deleted resource
-- still delivers its last state) and the delivery state the worker claims rows by.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_id TEXT REFERENCES products(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    subscriptions TEXT NOT NULL,
    signature_algorithm TEXT NOT NULL,
    api_version TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_account_created ON webhook_endpoints (account_id, created_at);

CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    endpoint_id TEXT REFERENCES webhook_endpoints(id) ON DELETE SET NULL,
    product_id TEXT,
    endpoint_url TEXT NOT NULL,
    api_version TEXT NOT NULL,
    signature_algorithm TEXT NOT NULL,
    event TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_response_code BIGINT,
    last_response_body TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_events_account_created ON webhook_events (account_id, created_at);
CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
