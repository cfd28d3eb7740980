-- Releases and distribution (Keygen's releases, release_artifacts, release_packages,
-- release_entitlement_constraints, and the channel/platform/arch/filetype/engine
-- lookups). Channel, platform, arch, filetype and engine are stored as their keys on
-- the rows that use them; `release_terms` gives each key of an account a stable id
-- for the read-only `/channels`, `/platforms`, `/arches` and `/engines` routes.
CREATE TABLE release_terms (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, kind, key)
);
CREATE INDEX release_terms_account_created ON release_terms (account_id, created_at);

CREATE TABLE release_packages (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    engine TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, key)
);
CREATE INDEX release_packages_account_created ON release_packages (account_id, created_at);

CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    package_id TEXT REFERENCES release_packages(id) ON DELETE SET NULL,
    name TEXT,
    description TEXT,
    version TEXT NOT NULL,
    tag TEXT,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    backdated_at BIGINT,
    yanked_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, tag)
);
CREATE INDEX releases_account_created ON releases (account_id, created_at);
CREATE INDEX releases_product_version ON releases (product_id, version);

CREATE TABLE release_entitlement_constraints (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    release_id TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    entitlement_id TEXT NOT NULL REFERENCES entitlements(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (release_id, entitlement_id)
);
CREATE INDEX release_constraints_account_created ON release_entitlement_constraints (account_id, created_at);

CREATE TABLE release_artifacts (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    release_id TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    filetype TEXT,
    filesize BIGINT,
    platform TEXT,
    arch TEXT,
    signature TEXT,
    checksum TEXT,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (release_id, filename)
);
CREATE INDEX release_artifacts_account_created ON release_artifacts (account_id, created_at);
CREATE INDEX release_artifacts_checksum ON release_artifacts (product_id, checksum);
