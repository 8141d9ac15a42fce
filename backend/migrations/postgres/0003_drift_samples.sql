-- The offset each accepted code measured (issue 16); SQLite's 0011 says what each column holds.

CREATE TABLE drift_samples (
    device_id     BIGINT NOT NULL REFERENCES mfa_devices (id) ON DELETE CASCADE,
    at            BIGINT NOT NULL,
    offset_steps  BIGINT NOT NULL,
    PRIMARY KEY (device_id, at)
);
