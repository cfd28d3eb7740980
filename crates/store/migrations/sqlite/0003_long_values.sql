-- PostgreSQL's B-tree indexes cannot hold long fingerprints and keys; its migration of
-- this name replaces them. SQLite indexes take values of any length: nothing to do.
SELECT 1;
