-- PostgreSQL schema of georep. These files mirror ../sqlite one for one: same file names, so
-- the same versions and descriptions for sqlx::migrate, and after each version the same
-- tables, columns, constraints and indexes as SQLite's, typed natively: ids are UUID, times
-- TIMESTAMPTZ, counters BIGINT, flags BOOLEAN, AUTOINCREMENT keys identity columns.
-- A new migration is added on both sides, with the same number and name.

-- Inventory of clusters and the geo-replication sessions between their volumes.
-- Names of the seed's tables kept.

CREATE TABLE clusters (
    id           UUID PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    -- outcome of the last sync with the cluster: 'ok', 'error' or 'unknown' (never synced)
    sync_state   TEXT NOT NULL DEFAULT 'unknown' CHECK (sync_state IN ('ok', 'error', 'unknown')),
    sync_error   TEXT,
    synced_at    TIMESTAMPTZ
);

CREATE TABLE hosts (
    id            UUID PRIMARY KEY NOT NULL,
    cluster_id    UUID NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    address       TEXT NOT NULL,
    gluster_uuid  UUID,
    connection    TEXT NOT NULL DEFAULT 'local' CHECK (connection IN ('local', 'ssh')),
    ssh_user      TEXT NOT NULL DEFAULT 'root',
    ssh_port      BIGINT NOT NULL DEFAULT 22,
    status        TEXT NOT NULL DEFAULT 'unknown',
    last_seen_at  TIMESTAMPTZ,
    UNIQUE (cluster_id, address)
);
CREATE UNIQUE INDEX hosts_by_peer ON hosts(cluster_id, gluster_uuid) WHERE gluster_uuid IS NOT NULL;

CREATE TABLE gluster_volumes (
    id              UUID PRIMARY KEY NOT NULL,   -- gluster's volume id
    cluster_id      UUID NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    volume_type     TEXT NOT NULL,
    status          TEXT NOT NULL,
    brick_count     BIGINT NOT NULL,
    replica_count   BIGINT NOT NULL DEFAULT 1,
    disperse_count  BIGINT NOT NULL DEFAULT 0,
    size_total      BIGINT,
    size_free       BIGINT,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (cluster_id, name)
);

CREATE TABLE gluster_volume_bricks (
    id           UUID PRIMARY KEY NOT NULL,      -- gluster's brick uuid where reported
    volume_id    UUID NOT NULL REFERENCES gluster_volumes(id) ON DELETE CASCADE,
    host_id      UUID REFERENCES hosts(id) ON DELETE SET NULL,
    host_uuid    UUID,                           -- gluster peer uuid: the brick's identity with path
    server_name  TEXT NOT NULL,
    path         TEXT NOT NULL,
    position     BIGINT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'unknown',
    size_total   BIGINT,
    size_free    BIGINT,
    UNIQUE (volume_id, position)
);
CREATE INDEX bricks_by_peer_path ON gluster_volume_bricks(host_uuid, path);

CREATE TABLE gluster_georep_session (
    session_id         UUID PRIMARY KEY NOT NULL,
    master_volume_id   UUID NOT NULL REFERENCES gluster_volumes(id) ON DELETE CASCADE,
    session_key        TEXT NOT NULL UNIQUE,     -- gluster's own session id (session_secondary)
    slave_host_uuid    UUID,                     -- set when the slave host is one georep knows
    slave_host_name    TEXT NOT NULL,
    slave_volume_id    UUID REFERENCES gluster_volumes(id) ON DELETE SET NULL,
    slave_volume_name  TEXT NOT NULL,
    slave_user         TEXT NOT NULL DEFAULT 'root',
    status             TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_master ON gluster_georep_session(master_volume_id);

CREATE TABLE gluster_georep_session_details (
    session_id               UUID NOT NULL REFERENCES gluster_georep_session(session_id) ON DELETE CASCADE,
    master_brick_id          UUID NOT NULL REFERENCES gluster_volume_bricks(id) ON DELETE CASCADE,
    slave_host_uuid          UUID,
    slave_host_name          TEXT,
    status                   TEXT NOT NULL,
    checkpoint_status        TEXT,
    crawl_status             TEXT,
    -- the seed's counters: filled by a documented mapping, NULL where gluster reports nothing
    files_synced             BIGINT,
    files_pending            BIGINT,
    bytes_pending            BIGINT,
    deletes_pending          BIGINT,
    files_skipped            BIGINT,
    -- what gluster >= 3.7 reports
    entry_pending            BIGINT,
    data_pending             BIGINT,
    meta_pending             BIGINT,
    failures                 BIGINT,
    last_synced_at           TIMESTAMPTZ,
    checkpoint_time          TIMESTAMPTZ,
    checkpoint_completed_at  TIMESTAMPTZ,
    updated_at               TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id, master_brick_id)
);

CREATE TABLE gluster_georep_config (
    session_id     UUID NOT NULL REFERENCES gluster_georep_session(session_id) ON DELETE CASCADE,
    config_key     TEXT NOT NULL,
    config_value   TEXT NOT NULL,
    default_value  TEXT,
    read_only      BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (session_id, config_key)
);
