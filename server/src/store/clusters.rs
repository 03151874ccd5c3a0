//! Clusters and hosts.
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{ClusterRow, ClusterSummaryRow, HostRow, Id, Result, StoreError};

const CLUSTER_COLUMNS: &str =
    "c.id, c.name, c.description, c.created_at, c.sync_state, c.sync_error, c.synced_at";
const HOST_COLUMNS: &str =
    "id, cluster_id, address, gluster_uuid, connection, ssh_user, ssh_port, status, last_seen_at";

pub async fn insert_cluster(conn: &mut SqliteConnection, row: &ClusterRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO clusters (id, name, description, created_at, sync_state, sync_error, synced_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(row.id)
    .bind(&row.name)
    .bind(&row.description)
    .bind(row.created_at)
    .bind(<&str>::from(row.sync_state))
    .bind(&row.sync_error)
    .bind(row.synced_at)
    .execute(conn)
    .await
    .map_err(|e| StoreError::unique(e, format!("a cluster named {:?}", row.name)))?;
    Ok(())
}

pub async fn get_cluster(conn: &mut SqliteConnection, id: Id) -> Result<Option<ClusterRow>> {
    let sql = format!("SELECT {CLUSTER_COLUMNS} FROM clusters c WHERE c.id = ?");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?)
}

pub async fn list_clusters(conn: &mut SqliteConnection) -> Result<Vec<ClusterRow>> {
    let sql = format!("SELECT {CLUSTER_COLUMNS} FROM clusters c ORDER BY c.name");
    Ok(sqlx::query_as(&sql).fetch_all(conn).await?)
}

/// Clusters with the counts the clusters page shows, in one query.
pub async fn list_cluster_summaries(conn: &mut SqliteConnection) -> Result<Vec<ClusterSummaryRow>> {
    let sql = format!(
        "SELECT {CLUSTER_COLUMNS},
            (SELECT COUNT(*) FROM hosts h WHERE h.cluster_id = c.id) AS host_count,
            (SELECT COUNT(*) FROM gluster_volumes v WHERE v.cluster_id = c.id) AS volume_count,
            (SELECT COUNT(*) FROM gluster_georep_session s
               JOIN gluster_volumes v ON v.id = s.master_volume_id
              WHERE v.cluster_id = c.id) AS session_count
         FROM clusters c ORDER BY c.name"
    );
    Ok(sqlx::query_as(&sql).fetch_all(conn).await?)
}

pub async fn delete_cluster(conn: &mut SqliteConnection, id: Id) -> Result<bool> {
    let done = sqlx::query("DELETE FROM clusters WHERE id = ?")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Records the outcome of a sync: `error` None means it succeeded.
pub async fn record_cluster_sync(
    conn: &mut SqliteConnection,
    id: Id,
    at: DateTime<Utc>,
    error: Option<&str>,
) -> Result<()> {
    let state = if error.is_some() { "error" } else { "ok" };
    sqlx::query("UPDATE clusters SET sync_state = ?, sync_error = ?, synced_at = ? WHERE id = ?")
        .bind(state)
        .bind(error)
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_host(conn: &mut SqliteConnection, row: &HostRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO hosts (id, cluster_id, address, gluster_uuid, connection, ssh_user, ssh_port, status, last_seen_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .execute(conn)
    .await
    .map_err(|e| StoreError::unique(e, format!("a host {:?} in this cluster", row.address)))?;
    Ok(())
}

pub async fn hosts_of_cluster(conn: &mut SqliteConnection, cluster_id: Id) -> Result<Vec<HostRow>> {
    let sql = format!("SELECT {HOST_COLUMNS} FROM hosts WHERE cluster_id = ? ORDER BY address");
    Ok(sqlx::query_as(&sql)
        .bind(cluster_id)
        .fetch_all(conn)
        .await?)
}

pub async fn update_host(conn: &mut SqliteConnection, row: &HostRow) -> Result<()> {
    sqlx::query(
        "UPDATE hosts SET address = ?, gluster_uuid = ?, connection = ?, ssh_user = ?, ssh_port = ?,
             status = ?, last_seen_at = ? WHERE id = ?",
    )
    .bind(&row.address)
    .bind(row.gluster_uuid)
    .bind(<&str>::from(row.connection))
    .bind(&row.ssh_user)
    .bind(row.ssh_port)
    .bind(<&str>::from(row.status))
    .bind(row.last_seen_at)
    .bind(row.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Hosts of every cluster with this address (how a slave host named in a session is found).
pub async fn hosts_by_address(conn: &mut SqliteConnection, address: &str) -> Result<Vec<HostRow>> {
    let sql = format!("SELECT {HOST_COLUMNS} FROM hosts WHERE address = ? COLLATE NOCASE");
    Ok(sqlx::query_as(&sql).bind(address).fetch_all(conn).await?)
}

/// Marks what the last sync learned as unknown: the cluster could not be read.
pub async fn mark_cluster_unknown(conn: &mut SqliteConnection, cluster_id: Id) -> Result<u64> {
    let mut n = 0;
    for sql in [
        "UPDATE hosts SET status = 'unknown' WHERE cluster_id = ?1 AND status <> 'unknown'",
        "UPDATE gluster_georep_session SET status = 'UNKNOWN'
          WHERE status <> 'UNKNOWN'
            AND master_volume_id IN (SELECT id FROM gluster_volumes WHERE cluster_id = ?1)",
        "UPDATE gluster_georep_session_details SET status = 'UNKNOWN'
          WHERE status <> 'UNKNOWN' AND session_id IN (
            SELECT s.session_id FROM gluster_georep_session s
              JOIN gluster_volumes v ON v.id = s.master_volume_id WHERE v.cluster_id = ?1)",
        "UPDATE gluster_volume_bricks SET status = 'unknown'
          WHERE status <> 'unknown'
            AND volume_id IN (SELECT id FROM gluster_volumes WHERE cluster_id = ?1)",
    ] {
        n += sqlx::query(sql)
            .bind(cluster_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(n)
}
