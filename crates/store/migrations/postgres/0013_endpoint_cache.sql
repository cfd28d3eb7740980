-- The outbox keeps every webhook endpoint in memory (store::snapshot_cache) instead of
-- selecting an account's endpoints for each event: any endpoint write names the key
-- 'endpoints', which drops that list on this node before it answers and on the
-- others when they hear the notification.

CREATE FUNCTION latchkey_cache_endpoints() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM latchkey_cache_note('endpoints');
    RETURN NULL;
END
$$;

CREATE TRIGGER webhook_endpoints_cache AFTER INSERT OR UPDATE OR DELETE ON webhook_endpoints
    FOR EACH STATEMENT
    EXECUTE FUNCTION latchkey_cache_endpoints();
