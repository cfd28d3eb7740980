-- The release a license last validated against (Keygen's last_validated_checksum and
-- last_validated_version, the license's `version` attribute): written by the batched
-- validation touch, like last_validated_at.
ALTER TABLE licenses ADD COLUMN last_validated_checksum TEXT;
ALTER TABLE licenses ADD COLUMN last_validated_version TEXT;

-- The cached validation row carries them, so a change invalidates it (0006); a touch
-- that writes the same values again changes nothing and keeps the cache.
CREATE TRIGGER licenses_cache_release_scopes AFTER UPDATE ON licenses
WHEN OLD.last_validated_checksum IS NOT NEW.last_validated_checksum
  OR OLD.last_validated_version IS NOT NEW.last_validated_version
BEGIN
    INSERT INTO cache_changes (key) VALUES ('license:' || NEW.id);
END;
