-- PostgreSQL turns its request_logs time index into a BRIN index here; SQLite has no
-- such index kind and keeps its B-tree (the migration numbers of both engines match).
SELECT 1;
