CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    protected BOOLEAN NOT NULL DEFAULT FALSE,
    ed25519_public TEXT NOT NULL,
    ed25519_private TEXT NOT NULL,
    ecdsa_public TEXT NOT NULL,
    ecdsa_private TEXT NOT NULL,
    rsa_public TEXT NOT NULL,
    rsa_private TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE account_groups (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    max_users BIGINT,
    max_licenses BIGINT,
    max_machines BIGINT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX groups_account_created ON account_groups (account_id, created_at);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    password_digest TEXT,
    role TEXT NOT NULL,
    banned_at BIGINT,
    group_id TEXT REFERENCES account_groups(id) ON DELETE SET NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, email)
);
CREATE INDEX users_account_created ON users (account_id, created_at);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    code TEXT,
    distribution_strategy TEXT NOT NULL,
    url TEXT,
    platforms TEXT NOT NULL DEFAULT '[]',
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, code)
);
CREATE INDEX products_account_created ON products (account_id, created_at);

CREATE TABLE policies (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    duration BIGINT,
    strict BOOLEAN NOT NULL,
    floating BOOLEAN NOT NULL,
    use_pool BOOLEAN NOT NULL,
    max_machines BIGINT,
    max_processes BIGINT,
    max_users BIGINT,
    max_cores BIGINT,
    max_memory BIGINT,
    max_disk BIGINT,
    max_uses BIGINT,
    machine_uniqueness_strategy TEXT NOT NULL,
    machine_matching_strategy TEXT NOT NULL,
    component_uniqueness_strategy TEXT NOT NULL,
    component_matching_strategy TEXT NOT NULL,
    expiration_strategy TEXT NOT NULL,
    expiration_basis TEXT NOT NULL,
    renewal_basis TEXT NOT NULL,
    transfer_strategy TEXT NOT NULL,
    authentication_strategy TEXT NOT NULL,
    machine_leasing_strategy TEXT NOT NULL,
    process_leasing_strategy TEXT NOT NULL,
    overage_strategy TEXT NOT NULL,
    scheme TEXT,
    encrypted BOOLEAN NOT NULL,
    protected BOOLEAN NOT NULL,
    require_product_scope BOOLEAN NOT NULL,
    require_policy_scope BOOLEAN NOT NULL,
    require_machine_scope BOOLEAN NOT NULL,
    require_fingerprint_scope BOOLEAN NOT NULL,
    require_components_scope BOOLEAN NOT NULL,
    require_user_scope BOOLEAN NOT NULL,
    require_checksum_scope BOOLEAN NOT NULL,
    require_version_scope BOOLEAN NOT NULL,
    require_check_in BOOLEAN NOT NULL,
    check_in_interval TEXT,
    check_in_interval_count BIGINT,
    require_heartbeat BOOLEAN NOT NULL,
    heartbeat_duration BIGINT,
    heartbeat_cull_strategy TEXT NOT NULL,
    heartbeat_resurrection_strategy TEXT NOT NULL,
    heartbeat_basis TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX policies_account_created ON policies (account_id, created_at);
CREATE INDEX policies_product ON policies (product_id);

CREATE TABLE licenses (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    owner_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    group_id TEXT REFERENCES account_groups(id) ON DELETE SET NULL,
    name TEXT,
    key TEXT NOT NULL,
    expiry BIGINT,
    suspended BOOLEAN NOT NULL DEFAULT FALSE,
    protected BOOLEAN,
    uses BIGINT NOT NULL DEFAULT 0,
    max_machines BIGINT,
    max_processes BIGINT,
    max_users BIGINT,
    max_cores BIGINT,
    max_memory BIGINT,
    max_disk BIGINT,
    max_uses BIGINT,
    last_validated_at BIGINT,
    last_check_in_at BIGINT,
    last_check_out_at BIGINT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, key)
);
CREATE INDEX licenses_account_created ON licenses (account_id, created_at);
CREATE INDEX licenses_policy ON licenses (policy_id);
CREATE INDEX licenses_owner ON licenses (owner_id);

CREATE TABLE license_users (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    license_id TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (license_id, user_id)
);
CREATE INDEX license_users_user ON license_users (user_id);

CREATE TABLE machines (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    license_id TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    owner_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    group_id TEXT REFERENCES account_groups(id) ON DELETE SET NULL,
    fingerprint TEXT NOT NULL,
    name TEXT,
    ip TEXT,
    hostname TEXT,
    platform TEXT,
    cores BIGINT,
    memory BIGINT,
    disk BIGINT,
    max_processes BIGINT,
    last_heartbeat_at BIGINT,
    last_check_out_at BIGINT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (license_id, fingerprint)
);
CREATE INDEX machines_account_created ON machines (account_id, created_at);
CREATE INDEX machines_account_fingerprint ON machines (account_id, fingerprint);

CREATE TABLE entitlements (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    code TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, code)
);
CREATE INDEX entitlements_account_created ON entitlements (account_id, created_at);

CREATE TABLE policy_entitlements (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    entitlement_id TEXT NOT NULL REFERENCES entitlements(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (policy_id, entitlement_id)
);

CREATE TABLE license_entitlements (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    license_id TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    entitlement_id TEXT NOT NULL REFERENCES entitlements(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (license_id, entitlement_id)
);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    bearer_type TEXT NOT NULL,
    bearer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    name TEXT,
    expiry BIGINT,
    max_activations BIGINT,
    activations BIGINT NOT NULL DEFAULT 0,
    max_deactivations BIGINT,
    deactivations BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tokens_account_created ON tokens (account_id, created_at);
CREATE INDEX tokens_bearer ON tokens (bearer_id);
