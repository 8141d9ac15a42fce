-- Security rule 24: unknown sign-in names must not leave a row each for ever. An unknown name's
-- row is deleted a day after its last failure unless it locked (`crate::housekeeping`).
-- `last_failure_at`: Unix ms of the latest failure. A principal's count is not forgotten: the
-- lock after 100 consecutive failures (NIST SP 800-63B) must stay reachable.

ALTER TABLE sign_in_throttle ADD COLUMN last_failure_at BIGINT NOT NULL DEFAULT 0;
