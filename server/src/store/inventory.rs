//! Reads the REST API's inventory documents need beyond the sync's.
use sqlx::SqliteConnection;

use super::{Id, Result, SessionDetailRow};

/// Details of every session whose master is this volume.
pub async fn details_of_volume(
    conn: &mut SqliteConnection,
    volume_id: Id,
) -> Result<Vec<SessionDetailRow>> {
    Ok(sqlx::query_as(
        "SELECT d.session_id, d.master_brick_id, d.slave_host_uuid, d.slave_host_name, d.status,
                d.checkpoint_status, d.crawl_status, d.files_synced, d.files_pending, d.bytes_pending,
                d.deletes_pending, d.files_skipped, d.entry_pending, d.data_pending, d.meta_pending,
                d.failures, d.last_synced_at, d.checkpoint_time, d.checkpoint_completed_at, d.updated_at
           FROM gluster_georep_session_details d
           JOIN gluster_georep_session s ON s.session_id = d.session_id
          WHERE s.master_volume_id = ?",
    )
    .bind(volume_id)
    .fetch_all(conn)
    .await?)
}
