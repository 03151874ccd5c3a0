-- Failover and failback (issue 18). A failover in effect is a row per session: the slave
-- volume takes writes, the recovery point says what the slave held of the master, the slave's
-- options as they were come back at failback. The row outlives the session's own row (a master
-- cluster that is gone still has its failed-over sessions), hence no foreign key.
CREATE TABLE failovers (
    id                  TEXT PRIMARY KEY NOT NULL,
    session_id          TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('failed_over', 'failing_back', 'failed_back')),
    planned             INTEGER NOT NULL,
    failed_over_at      TEXT NOT NULL,
    failed_back_at      TEXT,
    recovery_point      TEXT,
    bricks              TEXT NOT NULL DEFAULT '[]',   -- JSON: per master brick, its last synced time
    master_stopped      INTEGER NOT NULL DEFAULT 0,
    saved_options       TEXT NOT NULL DEFAULT '[]',   -- JSON: the slave's options before
    failover_operation  TEXT NOT NULL,
    failback_operation  TEXT,
    reverse_session     TEXT,                          -- gluster's key of the reverse session
    master_read_only    TEXT                           -- JSON: the master's features.read-only before
                                                       -- the first reverse session (its hook sets it on)
);
CREATE UNIQUE INDEX failovers_one_in_effect ON failovers(session_id) WHERE role <> 'failed_back';

-- An operation that waits for an admin (stop I/O, then confirm): what it asks, and the answer.
ALTER TABLE operations ADD COLUMN confirm_prompt TEXT;
ALTER TABLE operations ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0;  -- the step confirmed
