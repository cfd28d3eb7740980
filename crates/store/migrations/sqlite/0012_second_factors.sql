-- Second factors (Keygen's second_factors): one TOTP factor per user. `secret` holds
-- the shared secret sealed under the server secret (bound to the account and factor
-- id); `last_verified_at` is the start (unix ms) of the last step whose code was
-- accepted, so no code is accepted twice. Deleted with the user and the account.
CREATE TABLE second_factors (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    last_verified_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX second_factors_user ON second_factors (user_id);
CREATE INDEX second_factors_account_created ON second_factors (account_id, created_at, id);
