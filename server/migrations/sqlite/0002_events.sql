-- Audit trail: every action georep takes on gluster, and every change the sync discovered
-- that happened outside georep (a session made or deleted by hand, an option set from the CLI).
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,                 -- RFC 3339 UTC
    actor       TEXT NOT NULL,                 -- who: a user name, or 'sync' for discoveries
    action      TEXT NOT NULL,                 -- what: create, start, …, option_set, session_appeared, …
    cluster_id  TEXT,                          -- the master volume's cluster, when known
    session_id  TEXT,                          -- no foreign key: the trail outlives the session
    target      TEXT NOT NULL,                 -- e.g. 'mastervol -> vm::slavevol2', 'sync_jobs'
    result      TEXT NOT NULL CHECK (result IN ('ok', 'refused', 'failed', 'detected')),
    message     TEXT                           -- gluster's message, or why it was refused
);
CREATE INDEX events_by_session ON events(session_id, id);
