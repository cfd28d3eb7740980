-- The outbox keeps every webhook endpoint in memory (store::snapshot_cache) instead of
-- selecting an account's endpoints for each event: any endpoint write names the key
-- 'endpoints', which drops that list before the writing transaction answers.

CREATE TRIGGER webhook_endpoints_cache_insert AFTER INSERT ON webhook_endpoints
BEGIN
    INSERT INTO cache_changes (key) VALUES ('endpoints');
END;

CREATE TRIGGER webhook_endpoints_cache_update AFTER UPDATE ON webhook_endpoints
BEGIN
    INSERT INTO cache_changes (key) VALUES ('endpoints');
END;

CREATE TRIGGER webhook_endpoints_cache_delete AFTER DELETE ON webhook_endpoints
BEGIN
    INSERT INTO cache_changes (key) VALUES ('endpoints');
END;
