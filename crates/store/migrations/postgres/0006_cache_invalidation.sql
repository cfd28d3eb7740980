-- Validation cache invalidation (store::snapshot_cache). Every write that can change
-- a validation snapshot names what it touched: 'license:<id>', 'policy:<id>',
-- 'user:<id>' or 'all'. Processes are not cached (their counts are read live), so
-- they have no trigger; neither do inserts of licenses, policies, users and
-- entitlements (nothing cached can refer to a row that did not exist).
-- A licenses update that only moves last_validated_at (the batched validation
-- timestamp) changes no verdict and keeps the cache.
-- PostgreSQL: pg_notify inside the writing transaction, delivered on commit to every
-- node's LISTEN latchkey_cache (identical notifications in one transaction fold).
-- The keys are also gathered in the session setting latchkey.cache_keys (reverted
-- with the transaction if it rolls back), which the store takes just before commit
-- (latchkey_cache_take) so the writing node drops them before it answers: the next
-- validation on that node needs no notification round trip.

CREATE FUNCTION latchkey_cache_note(key TEXT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    gathered TEXT := coalesce(current_setting('latchkey.cache_keys', true), '');
BEGIN
    PERFORM pg_notify('latchkey_cache', key);
    IF gathered = 'all' OR position(key IN gathered) > 0 THEN
        RETURN;
    END IF;
    IF key = 'all' OR length(gathered) > 8000 THEN
        gathered := 'all';
    ELSIF gathered = '' THEN
        gathered := key;
    ELSE
        gathered := gathered || ' ' || key;
    END IF;
    PERFORM set_config('latchkey.cache_keys', gathered, false);
END
$$;

CREATE FUNCTION latchkey_cache_take() RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
    gathered TEXT := coalesce(current_setting('latchkey.cache_keys', true), '');
BEGIN
    IF gathered <> '' THEN
        PERFORM set_config('latchkey.cache_keys', '', false);
    END IF;
    RETURN gathered;
END
$$;

CREATE FUNCTION latchkey_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind TEXT := TG_ARGV[0];
    old_id TEXT;
    new_id TEXT;
BEGIN
    IF kind = 'all' THEN
        PERFORM latchkey_cache_note('all');
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_id := to_jsonb(OLD) ->> TG_ARGV[1];
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_id := to_jsonb(NEW) ->> TG_ARGV[1];
    END IF;
    IF old_id IS NOT NULL THEN
        PERFORM latchkey_cache_note(kind || ':' || old_id);
    END IF;
    IF new_id IS NOT NULL AND new_id IS DISTINCT FROM old_id THEN
        PERFORM latchkey_cache_note(kind || ':' || new_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER licenses_cache_update AFTER UPDATE ON licenses
    FOR EACH ROW
    WHEN ((to_jsonb(OLD) - 'last_validated_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_validated_at'))
    EXECUTE FUNCTION latchkey_cache_notify('license', 'id');

CREATE TRIGGER licenses_cache_delete AFTER DELETE ON licenses
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'id');

CREATE TRIGGER machines_cache_insert AFTER INSERT ON machines
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER machines_cache_update AFTER UPDATE ON machines
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER machines_cache_delete AFTER DELETE ON machines
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER components_cache_insert AFTER INSERT ON components
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER components_cache_update AFTER UPDATE ON components
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER components_cache_delete AFTER DELETE ON components
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER license_users_cache_insert AFTER INSERT ON license_users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER license_users_cache_update AFTER UPDATE ON license_users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER license_users_cache_delete AFTER DELETE ON license_users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER license_entitlements_cache_insert AFTER INSERT ON license_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER license_entitlements_cache_update AFTER UPDATE ON license_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER license_entitlements_cache_delete AFTER DELETE ON license_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('license', 'license_id');

CREATE TRIGGER policies_cache_update AFTER UPDATE ON policies
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('policy', 'id');

CREATE TRIGGER policies_cache_delete AFTER DELETE ON policies
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('policy', 'id');

CREATE TRIGGER policy_entitlements_cache_insert AFTER INSERT ON policy_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('policy', 'policy_id');

CREATE TRIGGER policy_entitlements_cache_update AFTER UPDATE ON policy_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('policy', 'policy_id');

CREATE TRIGGER policy_entitlements_cache_delete AFTER DELETE ON policy_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('policy', 'policy_id');

CREATE TRIGGER users_cache_update AFTER UPDATE ON users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('user', 'id');

CREATE TRIGGER users_cache_delete AFTER DELETE ON users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('user', 'id');

CREATE TRIGGER entitlements_cache_update AFTER UPDATE ON entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('all');

CREATE TRIGGER entitlements_cache_delete AFTER DELETE ON entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('all');

CREATE TRIGGER accounts_cache_update AFTER UPDATE ON accounts
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('all');

CREATE TRIGGER accounts_cache_delete AFTER DELETE ON accounts
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_notify('all');
