-- PostgreSQL's 0015 makes its cache triggers run BEFORE each row, so a lone write's
-- RETURNING can take the keys they noted. SQLite needs no change: its triggers record
-- keys in cache_changes, which the writer drains in the writing transaction
-- whatever the triggers' timing. This migration keeps the two folders in step.
SELECT 1;
