-- Security rule 29: besides each device's counter, one budget of wrong codes per principal
-- across all its devices (NIST SP 800-63B-4 counts failures per subscriber account): the
-- device scheme's back-off from the 10th failure, locked at the 100th. A row appears with the
-- principal's first counted code (`Storage::reserve_attempt`, an upsert).

CREATE TABLE code_budgets (
    principal_id     INTEGER NOT NULL PRIMARY KEY REFERENCES principals (id),
    failures         INTEGER NOT NULL DEFAULT 0,
    throttled_until  BIGINT  NOT NULL DEFAULT 0,
    locked           INTEGER NOT NULL DEFAULT 0
);
