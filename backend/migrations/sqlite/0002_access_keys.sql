-- Access keys for the IAM Query API (issue 6). Portable SQL, as 0001.
-- SigV4 needs the plain secret to recompute a signature, so it cannot be hashed: it is sealed
-- with the seed-encryption key (AES-256-GCM, the key id as associated data) and shown once.

CREATE TABLE access_keys (
    access_key_id  TEXT    NOT NULL PRIMARY KEY,   -- AKIA + 16 upper-case Base32 characters
    principal_id   INTEGER NOT NULL REFERENCES principals (id),
    secret         BLOB    NOT NULL,               -- nonce || AES-256-GCM(secret), key id as AAD
    status         TEXT    NOT NULL,               -- Active | Inactive
    created_at     BIGINT  NOT NULL
);
CREATE INDEX access_keys_principal ON access_keys (principal_id);
