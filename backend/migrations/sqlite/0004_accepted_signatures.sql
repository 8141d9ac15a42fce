-- Security rule 22: a signed Query request that changes state is accepted once. The SHA-256
-- (hex) of each accepted SigV4 signature is kept until the request could no longer pass the
-- 15-minute clock-skew check anyway (`expires_at`, Unix ms), in the database so that every
-- server behind one address refuses a replay; expired rows are swept (`crate::housekeeping`).

CREATE TABLE accepted_signatures (
    digest      TEXT    NOT NULL PRIMARY KEY,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX accepted_signatures_expiry ON accepted_signatures (expires_at);
