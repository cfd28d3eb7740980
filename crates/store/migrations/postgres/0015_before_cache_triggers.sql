-- Cache keys are noted by BEFORE row triggers, not AFTER ones (0006, 0014): a row's
-- BEFORE trigger has run when the statement computes that row's RETURNING list, so a
-- single-row write outside a transaction (store::Db::write_returning: heartbeats,
-- check-outs, license usage and lifecycle actions) takes its keys in its own RETURNING
-- (latchkey_cache_take()) instead of a second round trip. A BEFORE trigger must return
-- the row for the write to go ahead (NEW, or OLD for a delete); the keys and the
-- pg_notify are the same as before and still revert with a rolled-back transaction.
-- The statement-level endpoint trigger (0013) stays AFTER: endpoint writes run in
-- transactions, whose commit takes the keys.

CREATE OR REPLACE FUNCTION latchkey_cache_licenses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('license:' || NEW.id);
    ELSE
        PERFORM latchkey_cache_note('license:' || OLD.id);
        IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
            PERFORM latchkey_cache_note('license:' || NEW.id);
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION latchkey_cache_machines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('license:' || NEW.license_id);
    ELSE
        PERFORM latchkey_cache_note('license:' || OLD.license_id);
        IF TG_OP = 'UPDATE' AND NEW.license_id IS DISTINCT FROM OLD.license_id THEN
            PERFORM latchkey_cache_note('license:' || NEW.license_id);
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION latchkey_cache_components() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('license:' || NEW.license_id);
    ELSE
        PERFORM latchkey_cache_note('license:' || OLD.license_id);
        IF TG_OP = 'UPDATE' AND NEW.license_id IS DISTINCT FROM OLD.license_id THEN
            PERFORM latchkey_cache_note('license:' || NEW.license_id);
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION latchkey_cache_license_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('license:' || NEW.license_id);
    ELSE
        PERFORM latchkey_cache_note('license:' || OLD.license_id);
        IF TG_OP = 'UPDATE' AND NEW.license_id IS DISTINCT FROM OLD.license_id THEN
            PERFORM latchkey_cache_note('license:' || NEW.license_id);
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION latchkey_cache_license_entitlements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('license:' || NEW.license_id);
    ELSE
        PERFORM latchkey_cache_note('license:' || OLD.license_id);
        IF TG_OP = 'UPDATE' AND NEW.license_id IS DISTINCT FROM OLD.license_id THEN
            PERFORM latchkey_cache_note('license:' || NEW.license_id);
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION latchkey_cache_policies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('policy:' || NEW.id);
    ELSE
        PERFORM latchkey_cache_note('policy:' || OLD.id);
        IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
            PERFORM latchkey_cache_note('policy:' || NEW.id);
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION latchkey_cache_policy_entitlements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('policy:' || NEW.policy_id);
    ELSE
        PERFORM latchkey_cache_note('policy:' || OLD.policy_id);
        IF TG_OP = 'UPDATE' AND NEW.policy_id IS DISTINCT FROM OLD.policy_id THEN
            PERFORM latchkey_cache_note('policy:' || NEW.policy_id);
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION latchkey_cache_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM latchkey_cache_note('user:' || NEW.id);
    ELSE
        PERFORM latchkey_cache_note('user:' || OLD.id);
        IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
            PERFORM latchkey_cache_note('user:' || NEW.id);
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION latchkey_cache_entitlements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM latchkey_cache_note('all');
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION latchkey_cache_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM latchkey_cache_note('all');
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION latchkey_cache_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM latchkey_cache_note('token:' || OLD.id);
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION latchkey_cache_products() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM latchkey_cache_note('product:' || OLD.id);
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER licenses_cache_update ON licenses;
CREATE TRIGGER licenses_cache_update BEFORE UPDATE ON licenses
    FOR EACH ROW
    WHEN ((to_jsonb(OLD) - 'last_validated_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_validated_at'))
    EXECUTE FUNCTION latchkey_cache_licenses();

DROP TRIGGER licenses_cache_delete ON licenses;
CREATE TRIGGER licenses_cache_delete BEFORE DELETE ON licenses
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_licenses();

DROP TRIGGER machines_cache_insert ON machines;
CREATE TRIGGER machines_cache_insert BEFORE INSERT ON machines
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_machines();

DROP TRIGGER machines_cache_update ON machines;
CREATE TRIGGER machines_cache_update BEFORE UPDATE ON machines
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_machines();

DROP TRIGGER machines_cache_delete ON machines;
CREATE TRIGGER machines_cache_delete BEFORE DELETE ON machines
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_machines();

DROP TRIGGER components_cache_insert ON components;
CREATE TRIGGER components_cache_insert BEFORE INSERT ON components
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_components();

DROP TRIGGER components_cache_update ON components;
CREATE TRIGGER components_cache_update BEFORE UPDATE ON components
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_components();

DROP TRIGGER components_cache_delete ON components;
CREATE TRIGGER components_cache_delete BEFORE DELETE ON components
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_components();

DROP TRIGGER license_users_cache_insert ON license_users;
CREATE TRIGGER license_users_cache_insert BEFORE INSERT ON license_users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_users();

DROP TRIGGER license_users_cache_update ON license_users;
CREATE TRIGGER license_users_cache_update BEFORE UPDATE ON license_users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_users();

DROP TRIGGER license_users_cache_delete ON license_users;
CREATE TRIGGER license_users_cache_delete BEFORE DELETE ON license_users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_users();

DROP TRIGGER license_entitlements_cache_insert ON license_entitlements;
CREATE TRIGGER license_entitlements_cache_insert BEFORE INSERT ON license_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_entitlements();

DROP TRIGGER license_entitlements_cache_update ON license_entitlements;
CREATE TRIGGER license_entitlements_cache_update BEFORE UPDATE ON license_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_entitlements();

DROP TRIGGER license_entitlements_cache_delete ON license_entitlements;
CREATE TRIGGER license_entitlements_cache_delete BEFORE DELETE ON license_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_license_entitlements();

DROP TRIGGER policies_cache_update ON policies;
CREATE TRIGGER policies_cache_update BEFORE UPDATE ON policies
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_policies();

DROP TRIGGER policies_cache_delete ON policies;
CREATE TRIGGER policies_cache_delete BEFORE DELETE ON policies
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_policies();

DROP TRIGGER policy_entitlements_cache_insert ON policy_entitlements;
CREATE TRIGGER policy_entitlements_cache_insert BEFORE INSERT ON policy_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_policy_entitlements();

DROP TRIGGER policy_entitlements_cache_update ON policy_entitlements;
CREATE TRIGGER policy_entitlements_cache_update BEFORE UPDATE ON policy_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_policy_entitlements();

DROP TRIGGER policy_entitlements_cache_delete ON policy_entitlements;
CREATE TRIGGER policy_entitlements_cache_delete BEFORE DELETE ON policy_entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_policy_entitlements();

DROP TRIGGER users_cache_update ON users;
CREATE TRIGGER users_cache_update BEFORE UPDATE ON users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_users();

DROP TRIGGER users_cache_delete ON users;
CREATE TRIGGER users_cache_delete BEFORE DELETE ON users
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_users();

DROP TRIGGER entitlements_cache_update ON entitlements;
CREATE TRIGGER entitlements_cache_update BEFORE UPDATE ON entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_entitlements();

DROP TRIGGER entitlements_cache_delete ON entitlements;
CREATE TRIGGER entitlements_cache_delete BEFORE DELETE ON entitlements
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_entitlements();

DROP TRIGGER accounts_cache_update ON accounts;
CREATE TRIGGER accounts_cache_update BEFORE UPDATE ON accounts
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_accounts();

DROP TRIGGER accounts_cache_delete ON accounts;
CREATE TRIGGER accounts_cache_delete BEFORE DELETE ON accounts
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_accounts();

DROP TRIGGER tokens_cache ON tokens;
CREATE TRIGGER tokens_cache BEFORE UPDATE OR DELETE ON tokens
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_tokens();

DROP TRIGGER products_cache ON products;
CREATE TRIGGER products_cache BEFORE UPDATE OR DELETE ON products
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_products();
