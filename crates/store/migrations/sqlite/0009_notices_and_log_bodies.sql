-- Scheduled license notices (license.expired, license.expiring-soon,
-- license.check-in-overdue, license.check-in-required-soon): when each was last
-- sent, so each is sent at most once per 24 hours even with several server
-- processes running the job (a conditional UPDATE claims the notice).
ALTER TABLE licenses ADD COLUMN last_expiration_event_sent_at BIGINT;
ALTER TABLE licenses ADD COLUMN last_expiring_soon_event_sent_at BIGINT;
ALTER TABLE licenses ADD COLUMN last_check_in_event_sent_at BIGINT;
ALTER TABLE licenses ADD COLUMN last_check_in_soon_event_sent_at BIGINT;
-- The expiration job reads licenses by expiry window.
CREATE INDEX licenses_expiry ON licenses (expiry) WHERE expiry IS NOT NULL;

-- Request log bodies (setting request_log_bodies, off by default): the JSON request
-- and response bodies with secret members filtered.
ALTER TABLE request_logs ADD COLUMN request_body TEXT;
ALTER TABLE request_logs ADD COLUMN response_body TEXT;
