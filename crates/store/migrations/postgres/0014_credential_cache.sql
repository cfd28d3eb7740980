-- Token credentials are cached (store::credentials): a token found by its digest with
-- its bearer's rows. Users, licenses and policies already name their writes (0006);
-- these triggers name token writes ('token:<id>': counters, expiry, regeneration,
-- revocation) and product writes ('product:<id>': a product bearer). Inserts need no
-- key: nothing cached can refer to a row that did not exist.

CREATE FUNCTION latchkey_cache_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM latchkey_cache_note('token:' || OLD.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER tokens_cache AFTER UPDATE OR DELETE ON tokens
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_tokens();

CREATE FUNCTION latchkey_cache_products() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM latchkey_cache_note('product:' || OLD.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER products_cache AFTER UPDATE OR DELETE ON products
    FOR EACH ROW
    EXECUTE FUNCTION latchkey_cache_products();
