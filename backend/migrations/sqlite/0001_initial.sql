-- mfa-resync schema. Portable SQL (SQLite now, PostgreSQL later): no AUTOINCREMENT keyword,
-- times as BIGINT milliseconds since the Unix epoch, booleans as INTEGER 0/1.

CREATE TABLE accounts (
    id          TEXT    NOT NULL PRIMARY KEY,   -- 12 digits
    alias       TEXT    NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL
);

-- The root user of each account and its IAM users: one table, so one password throttle.
CREATE TABLE principals (
    id               INTEGER NOT NULL PRIMARY KEY,
    account_id       TEXT    NOT NULL REFERENCES accounts (id),
    is_root          INTEGER NOT NULL,
    user_name        TEXT,                   -- NULL for the root user
    user_name_key    TEXT,                   -- lower-cased user name: unique without regard to case
    email            TEXT    UNIQUE,         -- the root user's sign-in email, lower-cased
    user_id          TEXT    NOT NULL UNIQUE,
    password_hash    TEXT    NOT NULL,
    failures         INTEGER NOT NULL DEFAULT 0,
    throttled_until  BIGINT  NOT NULL DEFAULT 0,
    locked           INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT  NOT NULL,
    UNIQUE (account_id, user_name_key)
);

CREATE TABLE policies (
    principal_id  INTEGER NOT NULL REFERENCES principals (id),
    name          TEXT    NOT NULL,
    document      TEXT    NOT NULL,
    PRIMARY KEY (principal_id, name)
);

CREATE TABLE mfa_devices (
    id               INTEGER NOT NULL PRIMARY KEY,
    account_id       TEXT    NOT NULL REFERENCES accounts (id),
    serial_number    TEXT    NOT NULL,
    kind             TEXT    NOT NULL,       -- virtual | hardware-totp | hardware-hotp | fido
    owner_id         INTEGER REFERENCES principals (id),  -- NULL: virtual device not assigned
    seed             BLOB,                   -- nonce || AES-256-GCM(seed), serial as AAD; NULL for FIDO
    digits           INTEGER NOT NULL,
    period           INTEGER NOT NULL,
    drift_steps      BIGINT  NOT NULL DEFAULT 0,
    last_used_step   BIGINT  NOT NULL DEFAULT -1,  -- -1: none yet
    hotp_counter     BIGINT  NOT NULL DEFAULT 0,   -- HOTP: the next counter expected
    enabled_at       BIGINT,
    failures         INTEGER NOT NULL DEFAULT 0,
    throttled_until  BIGINT  NOT NULL DEFAULT 0,
    locked           INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT  NOT NULL,
    UNIQUE (account_id, serial_number)
);
CREATE INDEX mfa_devices_owner ON mfa_devices (owner_id);

-- Only a SHA-256 of the session token is stored.
CREATE TABLE sessions (
    token_hash    TEXT    NOT NULL PRIMARY KEY,
    principal_id  INTEGER NOT NULL REFERENCES principals (id),
    mfa_present   INTEGER NOT NULL,
    mfa_pending   INTEGER NOT NULL,          -- password-only: MFA enrolled but not yet passed
    signed_in_at  BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL
);

CREATE TABLE audit_events (
    id             INTEGER NOT NULL PRIMARY KEY,
    account_id     TEXT,
    event_time     BIGINT  NOT NULL,
    actor          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    target_user    TEXT,
    serial_number  TEXT,
    source_ip      TEXT    NOT NULL,
    outcome        TEXT    NOT NULL,
    error_code     TEXT,
    request_id     TEXT
);
CREATE INDEX audit_events_account ON audit_events (account_id, id);
