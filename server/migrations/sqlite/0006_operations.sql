-- Durable operations (issue 17): every action georep takes is a row with its steps, written
-- as it goes, so that a restart (or a second georep on the same database) knows what was under
-- way. The partial unique index is the per-session lock: one running operation per session and
-- lane, enforced by the database.
CREATE TABLE operations (
    id                TEXT PRIMARY KEY NOT NULL,
    parent_id         TEXT,                  -- the operation that ran this one (a restart's stop)
    kind              TEXT NOT NULL,         -- start, stop, …, option_set, probe, scheduled_sync, …
    subject           TEXT NOT NULL,         -- 'session:<id>' or 'new:<master volume id>:<host::volume>'
    lane              TEXT NOT NULL CHECK (lane IN ('change', 'health')),
    session_id        TEXT,                  -- no foreign key: the record outlives the session
    cluster_id        TEXT,
    target            TEXT NOT NULL,         -- 'mastervol -> host::slavevol'
    actor             TEXT NOT NULL,         -- a user name, 'schedule', 'self-heal', 'health'
    state             TEXT NOT NULL CHECK (state IN
                        ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'needs_attention')),
    params            TEXT NOT NULL DEFAULT '{}',  -- JSON: what a resumed run needs
    step              INTEGER NOT NULL DEFAULT 0,  -- the current step (1-based); 0: none begun
    cancellable       INTEGER NOT NULL DEFAULT 0,
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    owner             TEXT NOT NULL,         -- the georep process that runs it
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    finished_at       TEXT,
    message           TEXT,                  -- the outcome, or what is known after an interruption
    recovery_point    TEXT                   -- scheduled sync: the checkpoint every worker reached
);
CREATE UNIQUE INDEX operations_one_running ON operations(subject, lane)
    WHERE state IN ('running', 'waiting');
CREATE INDEX operations_by_session ON operations(session_id, created_at);
CREATE INDEX operations_unfinished ON operations(state) WHERE finished_at IS NULL;

CREATE TABLE operation_steps (
    operation_id  TEXT NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,          -- 1-based
    name          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
    repeatable    INTEGER NOT NULL DEFAULT 0, -- safe to run again after an interruption
    command       TEXT,                      -- the gluster call under way, as an admin would type it
    message       TEXT,                      -- gluster's message, or why the step failed
    started_at    TEXT,
    finished_at   TEXT,
    PRIMARY KEY (operation_id, position)
);

ALTER TABLE events ADD COLUMN operation_id TEXT;

-- Scheduled DR sync: per session, when its runs are due (start, wait for changelog crawl,
-- checkpoint, wait until every worker reached it, stop).
CREATE TABLE sync_schedules (
    session_id          TEXT PRIMARY KEY NOT NULL REFERENCES gluster_georep_session(session_id) ON DELETE CASCADE,
    enabled             INTEGER NOT NULL DEFAULT 1,
    cron                TEXT,                -- a 5-field cron expression, or
    every_seconds       INTEGER,             -- an interval
    time_zone           TEXT NOT NULL DEFAULT 'UTC',
    timeout_seconds     INTEGER NOT NULL DEFAULT 1800,  -- for the checkpoint to complete
    rpo_seconds         INTEGER,             -- alert when the recovery point is older than this
    next_run_at         TEXT,
    updated_at          TEXT NOT NULL,
    CHECK ((cron IS NULL) <> (every_seconds IS NULL))
);

-- Self-healing: per session, whether a stalled worker is restarted without an admin.
CREATE TABLE session_policies (
    session_id       TEXT PRIMARY KEY NOT NULL REFERENCES gluster_georep_session(session_id) ON DELETE CASCADE,
    self_heal        INTEGER,                -- NULL: the server's default
    updated_at       TEXT NOT NULL
);
