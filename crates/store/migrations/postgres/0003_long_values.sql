-- Long identifiers: a B-tree index entry holds at most ~2.7 kB, but fingerprints and
-- process ids may be 4 KiB, license keys 16 KiB and pool keys 100 kB, so inserting
-- a long incompressible value failed. Uniqueness is kept on an MD5 of the value (as
-- Keygen does) and equality lookups use hash indexes, which take any length.
-- SQLite has no such limit; its file of the same name changes nothing.

ALTER TABLE licenses DROP CONSTRAINT IF EXISTS licenses_account_id_key_key;
CREATE UNIQUE INDEX licenses_account_key_unique ON licenses (account_id, md5(key));
CREATE INDEX licenses_key_hash ON licenses USING hash (key);

ALTER TABLE machines DROP CONSTRAINT IF EXISTS machines_license_id_fingerprint_key;
CREATE UNIQUE INDEX machines_license_fingerprint_unique ON machines (license_id, md5(fingerprint));
DROP INDEX IF EXISTS machines_account_fingerprint;
CREATE INDEX machines_fingerprint_hash ON machines USING hash (fingerprint);

ALTER TABLE components DROP CONSTRAINT IF EXISTS components_machine_id_fingerprint_key;
CREATE UNIQUE INDEX components_machine_fingerprint_unique ON components (machine_id, md5(fingerprint));
DROP INDEX IF EXISTS components_account_fingerprint;
CREATE INDEX components_fingerprint_hash ON components USING hash (fingerprint);

ALTER TABLE processes DROP CONSTRAINT IF EXISTS processes_machine_id_pid_key;
CREATE UNIQUE INDEX processes_machine_pid_unique ON processes (machine_id, md5(pid));

ALTER TABLE pool_keys DROP CONSTRAINT IF EXISTS pool_keys_account_id_key_key;
CREATE UNIQUE INDEX pool_keys_account_key_unique ON pool_keys (account_id, md5(key));
CREATE INDEX pool_keys_key_hash ON pool_keys USING hash (key);
