//! Queries the session lifecycle needs beyond the inventory's.
use sqlx::SqliteConnection;

use super::{Id, Result, SessionRow, VolumeRow};

/// Sessions (of any managed master) whose slave is this volume: by its id when georep knows
/// it, else by slave host and volume name.
pub async fn sessions_with_slave(
    conn: &mut SqliteConnection,
    slave_volume_id: Option<Id>,
    host: &str,
    volume: &str,
) -> Result<Vec<SessionRow>> {
    Ok(sqlx::query_as(
        "SELECT session_id, master_volume_id, session_key, slave_host_uuid, slave_host_name,
                slave_volume_id, slave_volume_name, slave_user, status, created_at, updated_at
           FROM gluster_georep_session
          WHERE (slave_volume_id IS NOT NULL AND slave_volume_id = ?)
             OR (slave_host_name = ? AND slave_volume_name = ?)
          ORDER BY session_key",
    )
    .bind(slave_volume_id)
    .bind(host)
    .bind(volume)
    .fetch_all(conn)
    .await?)
}

/// The volume named `volume` in a cluster that has a host with this address.
pub async fn volume_by_host_and_name(conn: &mut SqliteConnection, host: &str, volume: &str) -> Result<Option<VolumeRow>> {
    Ok(sqlx::query_as(
        "SELECT v.id, v.cluster_id, v.name, v.volume_type, v.status, v.brick_count, v.replica_count,
                v.disperse_count, v.size_total, v.size_free, v.updated_at
           FROM gluster_volumes v JOIN hosts h ON h.cluster_id = v.cluster_id
          WHERE lower(h.address) = lower(?) AND v.name = ?
          LIMIT 1",
    )
    .bind(host)
    .bind(volume)
    .fetch_optional(conn)
    .await?)
}
