-- A minimal machine activation on PostgreSQL (license lock, fingerprint uniqueness,
-- usage, insert, cache keys, commit at full durability), for the database's own
-- ceiling on this machine; run as heartbeat.sql describes, without PGOPTIONS.
\set i random(1, 1000)
\set r random(1, 2000000000)
BEGIN;
SELECT id FROM licenses WHERE id = '00000000-0000-4000-8000-' || lpad(CAST(:i AS text), 12, '0') FOR UPDATE;
SELECT m.id FROM machines m JOIN licenses l ON l.id = m.license_id WHERE m.account_id = :acct AND m.fingerprint = 'pgb-' || CAST(:r AS text) || '-' || CAST(:client_id AS text) AND m.license_id = '00000000-0000-4000-8000-' || lpad(CAST(:i AS text), 12, '0') LIMIT 1;
SELECT COUNT(*), SUM(cores), SUM(memory), SUM(disk) FROM machines WHERE license_id = '00000000-0000-4000-8000-' || lpad(CAST(:i AS text), 12, '0');
INSERT INTO machines (id, account_id, license_id, fingerprint, metadata, created_at, updated_at) VALUES (gen_random_uuid()::text, :acct, '00000000-0000-4000-8000-' || lpad(CAST(:i AS text), 12, '0'), 'pgb-' || CAST(:r AS text) || '-' || CAST(:client_id AS text), '{}', 1, 1);
SELECT latchkey_cache_take();
COMMIT;
