-- Request logs arrive in time order and are only ever range-scanned by time for the
-- retention prune, so the all-accounts time index becomes a BRIN index: a few pages
-- per million rows, maintained for almost nothing on each batch insert where a
-- B-tree takes one more index insertion per row. Listing by account keeps its
-- B-tree (request_logs_account_created).
DROP INDEX request_logs_created;
CREATE INDEX request_logs_created ON request_logs USING brin (created_at);
