-- Token credentials are cached (store::credentials): a token found by its digest with
-- its bearer's rows. Users, licenses and policies already name their writes (0006);
-- these triggers name token writes ('token:<id>': counters, expiry, regeneration,
-- revocation) and product writes ('product:<id>': a product bearer). Inserts need no
-- key: nothing cached can refer to a row that did not exist.

CREATE TRIGGER tokens_cache_update AFTER UPDATE ON tokens
BEGIN
    INSERT INTO cache_changes (key) VALUES ('token:' || OLD.id);
END;

CREATE TRIGGER tokens_cache_delete AFTER DELETE ON tokens
BEGIN
    INSERT INTO cache_changes (key) VALUES ('token:' || OLD.id);
END;

CREATE TRIGGER products_cache_update AFTER UPDATE ON products
BEGIN
    INSERT INTO cache_changes (key) VALUES ('product:' || OLD.id);
END;

CREATE TRIGGER products_cache_delete AFTER DELETE ON products
BEGIN
    INSERT INTO cache_changes (key) VALUES ('product:' || OLD.id);
END;
