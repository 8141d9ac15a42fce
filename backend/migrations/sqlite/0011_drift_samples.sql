-- The offset each accepted code measured (issue 16: drift history and forecast). `offset_steps`:
-- whole steps the device was ahead (TOTP), or counters (HOTP); `at`: Unix ms, the server's
-- clock. Bounded per device by the housekeeping (`shared::forecast::thin`). Without a rowid:
-- one b-tree, one insert per accepted code (two codes of one device in one millisecond keep
-- the first).

CREATE TABLE drift_samples (
    device_id     INTEGER NOT NULL REFERENCES mfa_devices (id) ON DELETE CASCADE,
    at            BIGINT  NOT NULL,
    offset_steps  BIGINT  NOT NULL,
    PRIMARY KEY (device_id, at)
) WITHOUT ROWID;
