//! Clusters and hosts.
use chrono::{DateTime, Utc};

use super::{
    ClusterRow, ClusterSummaryRow, Conn, GlusterEventsRow, HostRow, Id, Result, StoreError,
};

const CLUSTER_COLUMNS: &str =
    "c.id, c.name, c.description, c.created_at, c.sync_state, c.sync_error, c.synced_at";
const HOST_COLUMNS: &str =
    "id, cluster_id, address, gluster_uuid, connection, ssh_user, ssh_port, status, last_seen_at";

pub async fn insert_cluster(conn: &mut dyn Conn, row: &ClusterRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO clusters (id, name, description, created_at, sync_state, sync_error, synced_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.id)
    .bind(&row.name)
    .bind(&row.description)
    .bind(row.created_at)
    .bind(<&str>::from(row.sync_state))
    .bind(&row.sync_error)
    .bind(row.synced_at)
    )
    .map_err(|e| StoreError::unique(e, format!("a cluster named {:?}", row.name)))?;
    Ok(())
}

pub async fn get_cluster(conn: &mut dyn Conn, id: Id) -> Result<Option<ClusterRow>> {
    let sql = format!("SELECT {CLUSTER_COLUMNS} FROM clusters c WHERE c.id = $1");
    Ok(on!(conn => |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await)?)
}

pub async fn list_clusters(conn: &mut dyn Conn) -> Result<Vec<ClusterRow>> {
    let sql = format!("SELECT {CLUSTER_COLUMNS} FROM clusters c ORDER BY c.name");
    Ok(on!(conn => |db| sqlx::query_as(&sql).fetch_all(db).await)?)
}

/// The cluster of that name, if any (names are unique, as spelled).
pub async fn cluster_named(conn: &mut dyn Conn, name: &str) -> Result<Option<ClusterRow>> {
    let sql = format!("SELECT {CLUSTER_COLUMNS} FROM clusters c WHERE c.name = $1");
    Ok(on!(conn => |db| sqlx::query_as(&sql).bind(name).fetch_optional(db).await)?)
}

/// Clusters with the counts the clusters page shows, in one query. How georep reaches a
/// cluster is how it reaches the host it was registered by (its first row): the peers
/// found later are given the same.
pub async fn list_cluster_summaries(conn: &mut dyn Conn) -> Result<Vec<ClusterSummaryRow>> {
    let sql = format!(
        "SELECT {CLUSTER_COLUMNS},
            coalesce((SELECT h.connection FROM hosts h WHERE h.cluster_id = c.id
                       ORDER BY h.seq LIMIT 1), 'local') AS connection,
            coalesce((SELECT h.ssh_user FROM hosts h WHERE h.cluster_id = c.id
                       ORDER BY h.seq LIMIT 1), 'root') AS ssh_user,
            coalesce((SELECT h.ssh_port FROM hosts h WHERE h.cluster_id = c.id
                       ORDER BY h.seq LIMIT 1), 22) AS ssh_port,
            (SELECT COUNT(*) FROM hosts h WHERE h.cluster_id = c.id) AS host_count,
            (SELECT COUNT(*) FROM gluster_volumes v WHERE v.cluster_id = c.id) AS volume_count,
            (SELECT COUNT(*) FROM gluster_georep_session s
               JOIN gluster_volumes v ON v.id = s.master_volume_id
              WHERE v.cluster_id = c.id) AS session_count
         FROM clusters c ORDER BY c.name"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql).fetch_all(db).await)?)
}

pub async fn delete_cluster(conn: &mut dyn Conn, id: Id) -> Result<bool> {
    let done = exec!(conn => |db| sqlx::query("DELETE FROM clusters WHERE id = $1")
    .bind(id)
    )?;
    Ok(done > 0)
}

/// Renames the cluster and sets its description; false when there is no such cluster.
pub async fn update_cluster(
    conn: &mut dyn Conn,
    id: Id,
    name: &str,
    description: &str,
) -> Result<bool> {
    let done = exec!(conn => |db| sqlx::query("UPDATE clusters SET name = $1, description = $2 WHERE id = $3")
        .bind(name)
        .bind(description)
        .bind(id)
        )
        .map_err(|e| StoreError::unique(e, format!("a cluster named {name:?}")))?;
    Ok(done > 0)
}

/// georep reaches every host of the cluster it reaches over ssh as `user`, on `port`.
pub async fn set_cluster_ssh(
    conn: &mut dyn Conn,
    cluster_id: Id,
    user: &str,
    port: i64,
) -> Result<u64> {
    Ok(exec!(conn => |db| sqlx::query(
        "UPDATE hosts SET ssh_user = $1, ssh_port = $2 WHERE cluster_id = $3 AND connection = 'ssh'",
    )
    .bind(user)
    .bind(port)
    .bind(cluster_id)
    )?)
}

/// What georep keeps of a cluster: hosts, volumes, and the sessions whose master is one of
/// its volumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct ClusterContents {
    pub hosts: i64,
    pub volumes: i64,
    pub sessions: i64,
}

pub async fn cluster_contents(conn: &mut dyn Conn, id: Id) -> Result<ClusterContents> {
    Ok(on!(conn => |db| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM hosts WHERE cluster_id = $1) AS hosts,
                (SELECT COUNT(*) FROM gluster_volumes WHERE cluster_id = $1) AS volumes,
                (SELECT COUNT(*) FROM gluster_georep_session s
                   JOIN gluster_volumes v ON v.id = s.master_volume_id
                  WHERE v.cluster_id = $1) AS sessions",
    )
    .bind(id)
    .fetch_one(db).await)?)
}

/// Forgets the cluster: its row and, by the foreign keys, its hosts, volumes, bricks and the
/// sessions of its volumes with their details, options, health, probes, lag samples,
/// schedules and self-healing settings. Rows without a foreign key go too: the failovers of
/// its sessions. Sessions of other clusters that named one of its peers as their slave host
/// no longer do (their slave volume is let go by its foreign key). Operations and events stay:
/// they are the history. False when there is no such cluster.
pub async fn remove_cluster(conn: &mut dyn Conn, id: Id) -> Result<bool> {
    for sql in [
        "DELETE FROM failovers WHERE session_id IN (
            SELECT s.session_id FROM gluster_georep_session s
              JOIN gluster_volumes v ON v.id = s.master_volume_id WHERE v.cluster_id = $1)
          OR failover_operation IN (SELECT id FROM operations WHERE cluster_id = $1)",
        "UPDATE gluster_georep_session SET slave_host_uuid = NULL
          WHERE slave_host_uuid IN (
            SELECT gluster_uuid FROM hosts WHERE cluster_id = $1 AND gluster_uuid IS NOT NULL)",
        "UPDATE gluster_georep_session_details SET slave_host_uuid = NULL
          WHERE slave_host_uuid IN (
            SELECT gluster_uuid FROM hosts WHERE cluster_id = $1 AND gluster_uuid IS NOT NULL)",
    ] {
        exec!(conn => |db| sqlx::query(sql).bind(id))?;
    }
    delete_cluster(conn, id).await
}

/// Records the outcome of a sync: `error` None means it succeeded.
pub async fn record_cluster_sync(
    conn: &mut dyn Conn,
    id: Id,
    at: DateTime<Utc>,
    error: Option<&str>,
) -> Result<()> {
    let state = if error.is_some() { "error" } else { "ok" };
    exec!(conn => |db| sqlx::query("UPDATE clusters SET sync_state = $1, sync_error = $2, synced_at = $3 WHERE id = $4")
    .bind(state)
    .bind(error)
    .bind(at)
    .bind(id)
    )?;
    Ok(())
}

pub async fn insert_host(conn: &mut dyn Conn, row: &HostRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO hosts (id, cluster_id, address, gluster_uuid, connection, ssh_user, ssh_port, status, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(row.id)
    .bind(row.cluster_id)
    .bind(&row.address)
    .bind(row.gluster_uuid)
    .bind(<&str>::from(row.connection))
    .bind(&row.ssh_user)
    .bind(row.ssh_port)
    .bind(<&str>::from(row.status))
    .bind(row.last_seen_at)
    )
    .map_err(|e| StoreError::unique(e, format!("a host {:?} in this cluster", row.address)))?;
    Ok(())
}

pub async fn hosts_of_cluster(conn: &mut dyn Conn, cluster_id: Id) -> Result<Vec<HostRow>> {
    let sql = format!("SELECT {HOST_COLUMNS} FROM hosts WHERE cluster_id = $1 ORDER BY address");
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(cluster_id)
        .fetch_all(db).await)?)
}

pub async fn update_host(conn: &mut dyn Conn, row: &HostRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "UPDATE hosts SET address = $1, gluster_uuid = $2, connection = $3, ssh_user = $4, ssh_port = $5,
             status = $6, last_seen_at = $7 WHERE id = $8",
    )
    .bind(&row.address)
    .bind(row.gluster_uuid)
    .bind(<&str>::from(row.connection))
    .bind(&row.ssh_user)
    .bind(row.ssh_port)
    .bind(<&str>::from(row.status))
    .bind(row.last_seen_at)
    .bind(row.id)
    )?;
    Ok(())
}

/// Hosts of every cluster with this address (how a slave host named in a session is found).
pub async fn hosts_by_address(conn: &mut dyn Conn, address: &str) -> Result<Vec<HostRow>> {
    let sql = format!("SELECT {HOST_COLUMNS} FROM hosts WHERE lower(address) = lower($1)");
    Ok(on!(conn => |db| sqlx::query_as(&sql).bind(address).fetch_all(db).await)?)
}

/// Marks what the last sync learned as unknown: the cluster could not be read.
pub async fn mark_cluster_unknown(conn: &mut dyn Conn, cluster_id: Id) -> Result<u64> {
    let mut n = 0;
    for sql in [
        "UPDATE hosts SET status = 'unknown' WHERE cluster_id = $1 AND status <> 'unknown'",
        "UPDATE gluster_georep_session SET status = 'UNKNOWN'
          WHERE status <> 'UNKNOWN'
            AND master_volume_id IN (SELECT id FROM gluster_volumes WHERE cluster_id = $1)",
        "UPDATE gluster_georep_session_details SET status = 'UNKNOWN'
          WHERE status <> 'UNKNOWN' AND session_id IN (
            SELECT s.session_id FROM gluster_georep_session s
              JOIN gluster_volumes v ON v.id = s.master_volume_id WHERE v.cluster_id = $1)",
        "UPDATE gluster_volume_bricks SET status = 'unknown'
          WHERE status <> 'unknown'
            AND volume_id IN (SELECT id FROM gluster_volumes WHERE cluster_id = $1)",
    ] {
        n += exec!(conn => |db| sqlx::query(sql)
        .bind(cluster_id)
        )?;
    }
    Ok(n)
}

/// Records (or replaces) that a cluster pushes its events, with a new token; counts restart.
pub async fn put_gluster_events(conn: &mut dyn Conn, row: &GlusterEventsRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO gluster_events
           (cluster_id, url, token_sha256, enabled_at, enabled_by, last_event_at, last_event,
            events_received)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (cluster_id) DO UPDATE SET url = excluded.url,
            token_sha256 = excluded.token_sha256, enabled_at = excluded.enabled_at,
            enabled_by = excluded.enabled_by, last_event_at = excluded.last_event_at,
            last_event = excluded.last_event, events_received = excluded.events_received",
    )
    .bind(row.cluster_id)
    .bind(&row.url)
    .bind(&row.token_sha256)
    .bind(row.enabled_at)
    .bind(&row.enabled_by)
    .bind(row.last_event_at)
    .bind(&row.last_event)
    .bind(row.events_received)
    )?;
    Ok(())
}

pub async fn gluster_events_of(
    conn: &mut dyn Conn,
    cluster: Id,
) -> Result<Option<GlusterEventsRow>> {
    Ok(
        on!(conn => |db| sqlx::query_as("SELECT * FROM gluster_events WHERE cluster_id = $1")
            .bind(cluster)
            .fetch_optional(db).await)?,
    )
}

/// Every cluster that pushes its events.
pub async fn all_gluster_events(conn: &mut dyn Conn) -> Result<Vec<GlusterEventsRow>> {
    Ok(
        on!(conn => |db| sqlx::query_as("SELECT * FROM gluster_events")
        .fetch_all(db).await)?,
    )
}

/// Whether there was a row to delete.
pub async fn delete_gluster_events(conn: &mut dyn Conn, cluster: Id) -> Result<bool> {
    let r = exec!(conn => |db| sqlx::query("DELETE FROM gluster_events WHERE cluster_id = $1")
    .bind(cluster)
    )?;
    Ok(r > 0)
}

/// Counts `n` events received since the last call, the newest `kind` at `at`.
pub async fn gluster_events_received(
    conn: &mut dyn Conn,
    cluster: Id,
    n: i64,
    kind: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "UPDATE gluster_events
         SET events_received = events_received + $1, last_event = $2, last_event_at = $3
         WHERE cluster_id = $4",
    )
    .bind(n)
    .bind(kind)
    .bind(at)
    .bind(cluster)
    )?;
    Ok(())
}
