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

-- One trigger function per keyed table (direct column reads: cheaper than a generic
-- function going through to_jsonb on every row).

CREATE FUNCTION latchkey_cache_licenses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('license:' || NEW.id);
    ELSE
        PERFORM latchkey_cache_note('license:' || OLD.id);
        IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
            PERFORM latchkey_cache_note('license:' || NEW.id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER licenses_cache_update AFTER UPDATE ON licenses
    FOR EACH ROW
    WHEN ((to_jsonb(OLD) - 'last_validated_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_validated_at'))
    EXECUTE FUNCTION latchkey_cache_licenses();

CREATE TRIGGER licenses_cache_delete AFTER DELETE ON licenses
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_licenses();

CREATE FUNCTION latchkey_cache_machines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('license:' || NEW.license_id);
    ELSE
        PERFORM latchkey_cache_note('license:' || OLD.license_id);
        IF TG_OP = 'UPDATE' AND NEW.license_id IS DISTINCT FROM OLD.license_id THEN
            PERFORM latchkey_cache_note('license:' || NEW.license_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER machines_cache_insert AFTER INSERT ON machines
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_machines();

CREATE TRIGGER machines_cache_update AFTER UPDATE ON machines
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_machines();

CREATE TRIGGER machines_cache_delete AFTER DELETE ON machines
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_machines();

CREATE FUNCTION latchkey_cache_components() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('license:' || NEW.license_id);
    ELSE
        PERFORM latchkey_cache_note('license:' || OLD.license_id);
        IF TG_OP = 'UPDATE' AND NEW.license_id IS DISTINCT FROM OLD.license_id THEN
            PERFORM latchkey_cache_note('license:' || NEW.license_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER components_cache_insert AFTER INSERT ON components
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_components();

CREATE TRIGGER components_cache_update AFTER UPDATE ON components
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_components();

CREATE TRIGGER components_cache_delete AFTER DELETE ON components
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_components();

CREATE FUNCTION latchkey_cache_license_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('license:' || NEW.license_id);
    ELSE
        PERFORM latchkey_cache_note('license:' || OLD.license_id);
        IF TG_OP = 'UPDATE' AND NEW.license_id IS DISTINCT FROM OLD.license_id THEN
            PERFORM latchkey_cache_note('license:' || NEW.license_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER license_users_cache_insert AFTER INSERT ON license_users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_users();

CREATE TRIGGER license_users_cache_update AFTER UPDATE ON license_users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_users();

CREATE TRIGGER license_users_cache_delete AFTER DELETE ON license_users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_users();

CREATE FUNCTION latchkey_cache_license_entitlements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('license:' || NEW.license_id);
    ELSE
        PERFORM latchkey_cache_note('license:' || OLD.license_id);
        IF TG_OP = 'UPDATE' AND NEW.license_id IS DISTINCT FROM OLD.license_id THEN
            PERFORM latchkey_cache_note('license:' || NEW.license_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER license_entitlements_cache_insert AFTER INSERT ON license_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_entitlements();

CREATE TRIGGER license_entitlements_cache_update AFTER UPDATE ON license_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_entitlements();

CREATE TRIGGER license_entitlements_cache_delete AFTER DELETE ON license_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_entitlements();

CREATE FUNCTION latchkey_cache_policies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('policy:' || NEW.id);
    ELSE
        PERFORM latchkey_cache_note('policy:' || OLD.id);
        IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
            PERFORM latchkey_cache_note('policy:' || NEW.id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER policies_cache_update AFTER UPDATE ON policies
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_policies();

CREATE TRIGGER policies_cache_delete AFTER DELETE ON policies
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_policies();

CREATE FUNCTION latchkey_cache_policy_entitlements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('policy:' || NEW.policy_id);
    ELSE
        PERFORM latchkey_cache_note('policy:' || OLD.policy_id);
        IF TG_OP = 'UPDATE' AND NEW.policy_id IS DISTINCT FROM OLD.policy_id THEN
            PERFORM latchkey_cache_note('policy:' || NEW.policy_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER policy_entitlements_cache_insert AFTER INSERT ON policy_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_policy_entitlements();

CREATE TRIGGER policy_entitlements_cache_update AFTER UPDATE ON policy_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_policy_entitlements();

CREATE TRIGGER policy_entitlements_cache_delete AFTER DELETE ON policy_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_policy_entitlements();

CREATE FUNCTION latchkey_cache_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('user:' || NEW.id);
    ELSE
        PERFORM latchkey_cache_note('user:' || OLD.id);
        IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
            PERFORM latchkey_cache_note('user:' || NEW.id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_cache_update AFTER UPDATE ON users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_users();

CREATE TRIGGER users_cache_delete AFTER DELETE ON users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_users();

CREATE FUNCTION latchkey_cache_entitlements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM latchkey_cache_note('all');
    RETURN NULL;
END
$$;

CREATE TRIGGER entitlements_cache_update AFTER UPDATE ON entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_entitlements();

CREATE TRIGGER entitlements_cache_delete AFTER DELETE ON entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_entitlements();

CREATE FUNCTION latchkey_cache_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM latchkey_cache_note('all');
    RETURN NULL;
END
$$;

CREATE TRIGGER accounts_cache_update AFTER UPDATE ON accounts
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_accounts();

CREATE TRIGGER accounts_cache_delete AFTER DELETE ON accounts
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_accounts();
