-- Session health (issue 9): what the probes found, per session and per master brick, and
-- replication lag samples for charts. Rows follow their session (ON DELETE CASCADE).

-- The health verdict of a session and its last probe.
CREATE TABLE session_health (
    session_id         TEXT PRIMARY KEY NOT NULL REFERENCES gluster_georep_session(session_id) ON DELETE CASCADE,
    health             TEXT NOT NULL CHECK (health IN ('healthy', 'lagging', 'stalled', 'faulty', 'unknown')),
    reason             TEXT NOT NULL,
    since              TEXT NOT NULL,          -- when the session entered this health
    lag_seconds        INTEGER,                -- the largest lag of its active bricks; NULL: not known
    last_probe_at      TEXT,                   -- when the last probe started
    last_probe_result  TEXT CHECK (last_probe_result IN ('passed', 'stalled', 'inconclusive', 'failed')),
    last_probe_ms      INTEGER,                -- how long it took
    last_probe_message TEXT,
    updated_at         TEXT NOT NULL
);

-- Per master brick: a stall the probe found (and since when), and since when georep has seen
-- work pending on it (the start of its lag).
CREATE TABLE brick_health (
    session_id       TEXT NOT NULL REFERENCES gluster_georep_session(session_id) ON DELETE CASCADE,
    master_brick_id  TEXT NOT NULL,
    stalled_since    TEXT,                     -- the checkpoint time of the probe that found it
    pending_since    TEXT,                     -- first seen with pending counters
    PRIMARY KEY (session_id, master_brick_id)
);

-- Every probe: when, how long, what it found (the cost and the history of the probe).
CREATE TABLE health_probes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id     TEXT NOT NULL REFERENCES gluster_georep_session(session_id) ON DELETE CASCADE,
    started_at     TEXT NOT NULL,
    duration_ms    INTEGER NOT NULL,
    trigger        TEXT NOT NULL,              -- schedule, a user name, restart
    result         TEXT NOT NULL CHECK (result IN ('passed', 'stalled', 'inconclusive', 'failed')),
    checkpoint     TEXT,                       -- the checkpoint time it set
    stalled_bricks TEXT NOT NULL DEFAULT '',   -- brick paths, comma separated
    message        TEXT
);
CREATE INDEX health_probes_by_session ON health_probes(session_id, id);

-- Replication lag samples: one row per session (master_brick_id '') and per active brick.
CREATE TABLE lag_samples (
    session_id       TEXT NOT NULL REFERENCES gluster_georep_session(session_id) ON DELETE CASCADE,
    master_brick_id  TEXT NOT NULL DEFAULT '',
    at               TEXT NOT NULL,
    lag_seconds      INTEGER NOT NULL,
    pending          INTEGER,                  -- entry + data + meta, NULL when not reported
    PRIMARY KEY (session_id, master_brick_id, at)
);
CREATE INDEX lag_samples_by_time ON lag_samples(at);
