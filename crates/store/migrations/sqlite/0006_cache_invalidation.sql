-- Validation cache invalidation (store::snapshot_cache). Every write that can change
-- a validation snapshot names what it touched: 'license:<id>', 'policy:<id>',
-- 'user:<id>' or 'all'. Processes are not cached (their counts are read live), so
-- they have no trigger; neither do inserts of licenses, policies, users and
-- entitlements (nothing cached can refer to a row that did not exist).
-- A licenses update that only moves last_validated_at (the batched validation
-- timestamp) changes no verdict and keeps the cache.
-- SQLite (one process): the triggers append to cache_changes inside the writing
-- transaction; the store drains it in the same transaction and applies the keys to
-- the cache once committed (store::db).

CREATE TABLE cache_changes (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL
);

CREATE TRIGGER licenses_cache_update AFTER UPDATE ON licenses
WHEN OLD.id IS NOT NEW.id
  OR OLD.account_id IS NOT NEW.account_id
  OR OLD.product_id IS NOT NEW.product_id
  OR OLD.policy_id IS NOT NEW.policy_id
  OR OLD.owner_id IS NOT NEW.owner_id
  OR OLD.group_id IS NOT NEW.group_id
  OR OLD.name IS NOT NEW.name
  OR OLD.key IS NOT NEW.key
  OR OLD.expiry IS NOT NEW.expiry
  OR OLD.suspended IS NOT NEW.suspended
  OR OLD.protected IS NOT NEW.protected
  OR OLD.uses IS NOT NEW.uses
  OR OLD.max_machines IS NOT NEW.max_machines
  OR OLD.max_processes IS NOT NEW.max_processes
  OR OLD.max_users IS NOT NEW.max_users
  OR OLD.max_cores IS NOT NEW.max_cores
  OR OLD.max_memory IS NOT NEW.max_memory
  OR OLD.max_disk IS NOT NEW.max_disk
  OR OLD.max_uses IS NOT NEW.max_uses
  OR OLD.last_check_in_at IS NOT NEW.last_check_in_at
  OR OLD.last_check_out_at IS NOT NEW.last_check_out_at
  OR OLD.metadata IS NOT NEW.metadata
  OR OLD.created_at IS NOT NEW.created_at
  OR OLD.updated_at IS NOT NEW.updated_at
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || OLD.id), ('license:' || NEW.id);
END;

CREATE TRIGGER licenses_cache_delete AFTER DELETE ON licenses
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || OLD.id);
END;

CREATE TRIGGER machines_cache_insert AFTER INSERT ON machines
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || NEW.license_id);
END;

CREATE TRIGGER machines_cache_update AFTER UPDATE ON machines
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || OLD.license_id), ('license:' || NEW.license_id);
END;

CREATE TRIGGER machines_cache_delete AFTER DELETE ON machines
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || OLD.license_id);
END;

CREATE TRIGGER components_cache_insert AFTER INSERT ON components
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || NEW.license_id);
END;

CREATE TRIGGER components_cache_update AFTER UPDATE ON components
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || OLD.license_id), ('license:' || NEW.license_id);
END;

CREATE TRIGGER components_cache_delete AFTER DELETE ON components
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || OLD.license_id);
END;

CREATE TRIGGER license_users_cache_insert AFTER INSERT ON license_users
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || NEW.license_id);
END;

CREATE TRIGGER license_users_cache_update AFTER UPDATE ON license_users
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || OLD.license_id), ('license:' || NEW.license_id);
END;

CREATE TRIGGER license_users_cache_delete AFTER DELETE ON license_users
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || OLD.license_id);
END;

CREATE TRIGGER license_entitlements_cache_insert AFTER INSERT ON license_entitlements
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || NEW.license_id);
END;

CREATE TRIGGER license_entitlements_cache_update AFTER UPDATE ON license_entitlements
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || OLD.license_id), ('license:' || NEW.license_id);
END;

CREATE TRIGGER license_entitlements_cache_delete AFTER DELETE ON license_entitlements
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || OLD.license_id);
END;

CREATE TRIGGER policies_cache_update AFTER UPDATE ON policies
BEGIN
    INSERT INTO cache_changes (key) VALUES ('policy:' || OLD.id), ('policy:' || NEW.id);
END;

CREATE TRIGGER policies_cache_delete AFTER DELETE ON policies
BEGIN
    INSERT INTO cache_changes (key) VALUES ('policy:' || OLD.id);
END;

CREATE TRIGGER policy_entitlements_cache_insert AFTER INSERT ON policy_entitlements
BEGIN
    INSERT INTO cache_changes (key) VALUES ('policy:' || NEW.policy_id);
END;

CREATE TRIGGER policy_entitlements_cache_update AFTER UPDATE ON policy_entitlements
BEGIN
    INSERT INTO cache_changes (key) VALUES ('policy:' || OLD.policy_id), ('policy:' || NEW.policy_id);
END;

CREATE TRIGGER policy_entitlements_cache_delete AFTER DELETE ON policy_entitlements
BEGIN
    INSERT INTO cache_changes (key) VALUES ('policy:' || OLD.policy_id);
END;

CREATE TRIGGER users_cache_update AFTER UPDATE ON users
BEGIN
    INSERT INTO cache_changes (key) VALUES ('user:' || OLD.id), ('user:' || NEW.id);
END;

CREATE TRIGGER users_cache_delete AFTER DELETE ON users
BEGIN
    INSERT INTO cache_changes (key) VALUES ('user:' || OLD.id);
END;

CREATE TRIGGER entitlements_cache_update AFTER UPDATE ON entitlements
BEGIN
    INSERT INTO cache_changes (key) VALUES ('all');
END;

CREATE TRIGGER entitlements_cache_delete AFTER DELETE ON entitlements
BEGIN
    INSERT INTO cache_changes (key) VALUES ('all');
END;

CREATE TRIGGER accounts_cache_update AFTER UPDATE ON accounts
BEGIN
    INSERT INTO cache_changes (key) VALUES ('all');
END;

CREATE TRIGGER accounts_cache_delete AFTER DELETE ON accounts
BEGIN
    INSERT INTO cache_changes (key) VALUES ('all');
END;
