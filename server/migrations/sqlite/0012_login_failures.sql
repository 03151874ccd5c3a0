-- Failed logins (and attempts under way, until their answer), shared by every georep process on
-- the database: the back-off counts per (client address, user name) and per client address.
-- client is '' when the address is unknown (counted per user name only); user_name is NULL for
-- an attempt without a possible name, and for failures a later success of that name forgave
-- (they still count for the address). at_ms: milliseconds since 1970, the attempt's start.
CREATE TABLE login_failures (
    id         INTEGER PRIMARY KEY,
    client     TEXT NOT NULL,
    user_name  TEXT,
    at_ms      INTEGER NOT NULL
);
CREATE INDEX login_failures_by_client ON login_failures(client, user_name, at_ms);
CREATE INDEX login_failures_by_age ON login_failures(at_ms);
