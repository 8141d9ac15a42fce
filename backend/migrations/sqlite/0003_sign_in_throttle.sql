-- The password throttle of sign-in names and emails that match no principal (security review
-- finding 5): unknown names are throttled exactly like users, so a 429 reveals nothing about
-- who exists. Portable SQL, as 0001. `key` is a keyed SHA-256 (hex) of the account and the
-- lower-cased user name, or of the lower-cased root email: never the typed text, which may be a
-- password typed into the wrong field.

CREATE TABLE sign_in_throttle (
    key              TEXT    NOT NULL PRIMARY KEY,
    failures         INTEGER NOT NULL DEFAULT 0,
    throttled_until  BIGINT  NOT NULL DEFAULT 0,
    locked           INTEGER NOT NULL DEFAULT 0
);
