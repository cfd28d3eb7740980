-- Group owners (Keygen's group_owners): users who own a group and so see its
-- members. Detached when the group or the user goes away.
CREATE TABLE group_owners (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES account_groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (group_id, user_id)
);
CREATE INDEX group_owners_account_created ON group_owners (account_id, created_at);
CREATE INDEX group_owners_user ON group_owners (user_id);
