-- A staff heartbeat's statements on PostgreSQL (machine by id with its license, the update,
-- taking the cache keys), for the database's own ceiling on this machine:
--   scripts/bench --backend postgres --keep-db --paths ping   (prints the kept URL)
--   PGOPTIONS='-c synchronous_commit=off' pgbench -n -M prepared -c 32 -j 2 -T 8 \
--     -D acct=$(psql URL -Atc 'SELECT id FROM accounts LIMIT 1') -f heartbeat.sql URL
\set i random(1, 1000)
SELECT m.*, l.*, p.*, o.email, o.banned_at FROM machines m JOIN licenses l ON l.id = m.license_id JOIN policies p ON p.id = l.policy_id LEFT JOIN users o ON o.id = l.owner_id WHERE m.account_id = :acct AND m.id = '00000000-0000-4000-9000-' || lpad(CAST(:i AS text), 12, '0');
UPDATE machines SET last_heartbeat_at = 1764000000000 + :i, updated_at = 1764000000000 + :i WHERE id = '00000000-0000-4000-9000-' || lpad(CAST(:i AS text), 12, '0') RETURNING account_id, id;
SELECT latchkey_cache_take();
