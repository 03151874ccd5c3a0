-- Inventory of clusters and the geo-replication sessions between their volumes.
-- Ids are UUIDs as text; times are RFC 3339 UTC text. Names of the seed's tables kept.

CREATE TABLE clusters (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    -- outcome of the last sync with the cluster: 'ok', 'error' or 'unknown' (never synced)
    sync_state   TEXT NOT NULL DEFAULT 'unknown' CHECK (sync_state IN ('ok', 'error', 'unknown')),
    sync_error   TEXT,
    synced_at    TEXT
);

CREATE TABLE hosts (
    id            TEXT PRIMARY KEY NOT NULL,
    cluster_id    TEXT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    address       TEXT NOT NULL,
    gluster_uuid  TEXT,
    connection    TEXT NOT NULL DEFAULT 'local' CHECK (connection IN ('local', 'ssh')),
    ssh_user      TEXT NOT NULL DEFAULT 'root',
    ssh_port      INTEGER NOT NULL DEFAULT 22,
    status        TEXT NOT NULL DEFAULT 'unknown',
    last_seen_at  TEXT,
    UNIQUE (cluster_id, address)
);
CREATE UNIQUE INDEX hosts_by_peer ON hosts(cluster_id, gluster_uuid) WHERE gluster_uuid IS NOT NULL;

CREATE TABLE gluster_volumes (
    id              TEXT PRIMARY KEY NOT NULL,   -- gluster's volume id
    cluster_id      TEXT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    volume_type     TEXT NOT NULL,
    status          TEXT NOT NULL,
    brick_count     INTEGER NOT NULL,
    replica_count   INTEGER NOT NULL DEFAULT 1,
    disperse_count  INTEGER NOT NULL DEFAULT 0,
    size_total      INTEGER,
    size_free       INTEGER,
    updated_at      TEXT NOT NULL,
    UNIQUE (cluster_id, name)
);

CREATE TABLE gluster_volume_bricks (
    id           TEXT PRIMARY KEY NOT NULL,      -- gluster's brick uuid where reported
    volume_id    TEXT NOT NULL REFERENCES gluster_volumes(id) ON DELETE CASCADE,
    host_id      TEXT REFERENCES hosts(id) ON DELETE SET NULL,
    host_uuid    TEXT,                           -- gluster peer uuid: the brick's identity with path
    server_name  TEXT NOT NULL,
    path         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'unknown',
    size_total   INTEGER,
    size_free    INTEGER,
    UNIQUE (volume_id, position)
);
CREATE INDEX bricks_by_peer_path ON gluster_volume_bricks(host_uuid, path);

CREATE TABLE gluster_georep_session (
    session_id         TEXT PRIMARY KEY NOT NULL,
    master_volume_id   TEXT NOT NULL REFERENCES gluster_volumes(id) ON DELETE CASCADE,
    session_key        TEXT NOT NULL UNIQUE,     -- gluster's own session id (session_secondary)
    slave_host_uuid    TEXT,                     -- set when the slave host is one georep knows
    slave_host_name    TEXT NOT NULL,
    slave_volume_id    TEXT REFERENCES gluster_volumes(id) ON DELETE SET NULL,
    slave_volume_name  TEXT NOT NULL,
    slave_user         TEXT NOT NULL DEFAULT 'root',
    status             TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX sessions_by_master ON gluster_georep_session(master_volume_id);

CREATE TABLE gluster_georep_session_details (
    session_id               TEXT NOT NULL REFERENCES gluster_georep_session(session_id) ON DELETE CASCADE,
    master_brick_id          TEXT NOT NULL REFERENCES gluster_volume_bricks(id) ON DELETE CASCADE,
    slave_host_uuid          TEXT,
    slave_host_name          TEXT,
    status                   TEXT NOT NULL,
    checkpoint_status        TEXT,
    crawl_status             TEXT,
    -- the seed's counters: filled by a documented mapping, NULL where gluster reports nothing
    files_synced             INTEGER,
    files_pending            INTEGER,
    bytes_pending            INTEGER,
    deletes_pending          INTEGER,
    files_skipped            INTEGER,
    -- what gluster >= 3.7 reports
    entry_pending            INTEGER,
    data_pending             INTEGER,
    meta_pending             INTEGER,
    failures                 INTEGER,
    last_synced_at           TEXT,
    checkpoint_time          TEXT,
    checkpoint_completed_at  TEXT,
    updated_at               TEXT NOT NULL,
    PRIMARY KEY (session_id, master_brick_id)
);

CREATE TABLE gluster_georep_config (
    session_id     TEXT NOT NULL REFERENCES gluster_georep_session(session_id) ON DELETE CASCADE,
    config_key     TEXT NOT NULL,
    config_value   TEXT NOT NULL,
    default_value  TEXT,
    read_only      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, config_key)
);
