-- Security rule 25: repeated identical refusals from one source are one event with a count, so
-- nobody can fill another account's audit trail. `repeats` counts the attempts the row stands
-- for (1: itself alone); `last_event_time` and `last_request_id` are those of the latest one
-- (NULL while it is alone). The index finds a source's recent refusals of an action.

ALTER TABLE audit_events ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN last_event_time BIGINT;
ALTER TABLE audit_events ADD COLUMN last_request_id TEXT;
CREATE INDEX audit_events_source ON audit_events (source_ip, action, id);
