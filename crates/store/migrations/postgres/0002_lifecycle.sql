-- The full licensing lifecycle: heartbeats, processes, components, pools,
-- password resets. Identical text for SQLite and PostgreSQL.

ALTER TABLE machines ADD COLUMN last_death_event_at BIGINT;
ALTER TABLE machines ADD COLUMN heartbeat_resurrected_at BIGINT;
CREATE INDEX machines_license ON machines (license_id);
CREATE INDEX machines_heartbeat ON machines (last_heartbeat_at);

ALTER TABLE users ADD COLUMN password_reset_digest TEXT;
ALTER TABLE users ADD COLUMN password_reset_expiry BIGINT;

CREATE TABLE processes (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    license_id TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    machine_id TEXT NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
    pid TEXT NOT NULL,
    last_heartbeat_at BIGINT NOT NULL,
    last_death_event_at BIGINT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (machine_id, pid)
);
CREATE INDEX processes_account_created ON processes (account_id, created_at);
CREATE INDEX processes_license ON processes (license_id);
CREATE INDEX processes_heartbeat ON processes (last_heartbeat_at);

CREATE TABLE components (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    license_id TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    machine_id TEXT NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL,
    name TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (machine_id, fingerprint)
);
CREATE INDEX components_account_created ON components (account_id, created_at);
CREATE INDEX components_account_fingerprint ON components (account_id, fingerprint);
CREATE INDEX components_license ON components (license_id);

CREATE TABLE pool_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, key)
);
CREATE INDEX pool_keys_account_created ON pool_keys (account_id, created_at);
CREATE INDEX pool_keys_policy_created ON pool_keys (policy_id, created_at);
