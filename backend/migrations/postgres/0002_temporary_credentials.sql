-- Temporary credentials from STS GetSessionToken (issue 15); SQLite's 0010 says what each
-- column holds and how the credentials end.

CREATE TABLE temporary_credentials (
    access_key_id   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    principal_id    BIGINT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    parent_key_id   TEXT COLLATE "C" NOT NULL,
    secret          BYTEA  NOT NULL,
    token_hash      TEXT COLLATE "C" NOT NULL,
    mfa_device_id   BIGINT REFERENCES mfa_devices (id) ON DELETE CASCADE,
    mfa_enabled_at  BIGINT,
    mfa_at          BIGINT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX temporary_credentials_principal ON temporary_credentials (principal_id);
CREATE INDEX temporary_credentials_expiry ON temporary_credentials (expires_at);
