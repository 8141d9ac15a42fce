-- Security rule 24: unknown sign-in names must not leave a row each for ever. Password failures
-- are forgotten after a day without one (`crate::housekeeping`): the rows of unknown names are
-- deleted, a principal's count is reset — both alike, so that forgetting tells nothing about
-- who exists. A lock is never forgotten. `last_failure_at`: Unix ms of the latest failure.

ALTER TABLE sign_in_throttle ADD COLUMN last_failure_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE principals ADD COLUMN last_failure_at BIGINT NOT NULL DEFAULT 0;
