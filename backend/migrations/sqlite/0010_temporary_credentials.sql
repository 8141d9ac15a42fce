-- Temporary credentials from STS GetSessionToken (issue 15). Portable SQL, as 0001.
-- The secret is sealed as an access key's is (SigV4 needs it in plain to recompute a
-- signature; AES-256-GCM, the account and the ASIA key id as associated data); the session
-- token is kept as its SHA-256 only. The credentials end with their expiry, with the long-term
-- key that asked for them (looked up at every use), with the MFA device whose code they carry
-- (its owner and enable time looked up at every use), and with a change of the user's policies
-- (deleted then). Expired rows are deleted by the housekeeping.

CREATE TABLE temporary_credentials (
    access_key_id   TEXT    NOT NULL PRIMARY KEY,   -- ASIA + 16 upper-case Base32 characters
    principal_id    INTEGER NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    parent_key_id   TEXT    NOT NULL,               -- the long-term access key that asked
    secret          BLOB    NOT NULL,               -- nonce || AES-256-GCM(secret)
    token_hash      TEXT    NOT NULL,               -- SHA-256 (hex) of the session token
    mfa_device_id   INTEGER REFERENCES mfa_devices (id) ON DELETE CASCADE,
    mfa_enabled_at  BIGINT,                         -- that device's enabled_at when checked
    mfa_at          BIGINT,                         -- Unix ms the code was checked
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL
);
CREATE INDEX temporary_credentials_principal ON temporary_credentials (principal_id);
CREATE INDEX temporary_credentials_expiry ON temporary_credentials (expires_at);
