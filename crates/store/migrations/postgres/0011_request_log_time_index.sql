-- Request logs are an append-only journal written in batches off the request path;
-- on a small machine the database's per-row work still competes with the requests
-- being logged, so each row costs as little as it can:
--
-- * The all-accounts time index (only the retention prune range-scans it) becomes a
--   BRIN index: logs arrive in time order, and a BRIN index takes a few pages per
--   million rows and almost no work per insert, where a B-tree takes one more index
--   insertion per row. Listing by account keeps its B-tree
--   (request_logs_account_created).
-- * The foreign key to accounts goes: it ran a lookup and a row lock on the account
--   for every inserted row. The writer takes the account id from the account the
--   request was resolved to, so it always exists; accounts are never deleted (a
--   future account deletion must delete its request logs itself).
DROP INDEX request_logs_created;
CREATE INDEX request_logs_created ON request_logs USING brin (created_at);
ALTER TABLE request_logs DROP CONSTRAINT request_logs_account_id_fkey;
