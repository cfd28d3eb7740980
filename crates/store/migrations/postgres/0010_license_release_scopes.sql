-- The release a license last validated against (Keygen's last_validated_checksum and
-- last_validated_version, the license's `version` attribute): written by the batched
-- validation touch, like last_validated_at.
-- The cached validation row carries them: licenses_cache_update (0006) fires for any
-- change but last_validated_at, so a new value invalidates it, and a touch that writes
-- the same values again keeps the cache.
ALTER TABLE licenses ADD COLUMN last_validated_checksum TEXT;
ALTER TABLE licenses ADD COLUMN last_validated_version TEXT;
