-- Security rule 30 (issue 11): one purpose per key. From this version a device seed or an
-- access key's secret is sealed with its purpose's own AES-256-GCM subkey (HKDF-SHA256 of the
-- master key) and associated data naming the purpose, the account and the row (serial number
-- or key id): `seal_version` 2. Every row stored before this migration was sealed with the
-- master key itself and the serial number or key id alone as associated data: version 1, the
-- default, so this migration marks every existing row 1 and every insert writes 2.
--
-- SQL cannot re-encrypt: every command, at start, re-seals the rows still at version 1 and
-- marks them 2 in one transaction (`migrate_sealed`, backend/src/crypto.rs;
-- `Storage::reseal_first_format`, backend/src/storage/sealed.rs). The version is a column
-- rather than a prefix byte in the blob because a first-format blob begins with its random
-- nonce, whose first byte may be anything: no prefix could tell old from new for sure.
-- Portable SQL, as 0001.

ALTER TABLE mfa_devices ADD COLUMN seal_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE access_keys ADD COLUMN seal_version INTEGER NOT NULL DEFAULT 1;
