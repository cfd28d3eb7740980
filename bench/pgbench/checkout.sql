-- A staff license check-out's statements on PostgreSQL (license by id with policy and owner,
-- its counts, the check-out time, taking the cache keys); run as heartbeat.sql
-- describes (the time commits with synchronous_commit = off).
\set i random(1, 1000)
SELECT l.*, p.*, o.email, o.banned_at FROM licenses l JOIN policies p ON p.id = l.policy_id LEFT JOIN users o ON o.id = l.owner_id WHERE l.account_id = :acct AND l.id = '00000000-0000-4000-8000-' || lpad(CAST(:i AS text), 12, '0');
SELECT COUNT(*) AS machines, SUM(cores), SUM(memory), SUM(disk), (SELECT COUNT(*) FROM license_users WHERE license_id = '00000000-0000-4000-8000-' || lpad(CAST(:i AS text), 12, '0')) AS users FROM machines WHERE license_id = '00000000-0000-4000-8000-' || lpad(CAST(:i AS text), 12, '0');
UPDATE licenses SET last_check_out_at = 1764000000000 + :i WHERE id = '00000000-0000-4000-8000-' || lpad(CAST(:i AS text), 12, '0') RETURNING account_id, id;
SELECT latchkey_cache_take();
