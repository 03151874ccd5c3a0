//! Reads the read model needs beyond the sync's.
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

/// Everything a page shows, in one short string; `updated_at` moves only when the sync
/// wrote a changed row (an idle cycle writes nothing). Health `updated_at` moves on every
/// evaluation, so its verdict and lag are used instead.
const FINGERPRINT: &str = "SELECT
   (SELECT count(*) || '/' || coalesce(max(updated_at), '') FROM gluster_georep_session)
   || '|' || (SELECT count(*) || '/' || coalesce(max(updated_at), '') FROM gluster_georep_session_details)
   || '|' || (SELECT count(*) || '/' || coalesce(max(updated_at), '') FROM gluster_volumes)
   || '|' || (SELECT coalesce(group_concat(status), '') FROM gluster_volume_bricks)
   || '|' || (SELECT coalesce(group_concat(config_key || '=' || config_value), '') FROM gluster_georep_config)
   || '|' || (SELECT coalesce(max(id), 0) FROM events)
   || '|' || (SELECT count(*) || '/' || coalesce(max(updated_at), '') FROM operations)
   || '|' || (SELECT count(*) || '/' || coalesce(max(updated_at), '') FROM sync_schedules)
   || '|' || (SELECT coalesce(group_concat(health || ':' || coalesce(lag_seconds, '') || ':' || coalesce(last_probe_at, '')), '') FROM session_health)
   || '|' || (SELECT count(*) || '/' || coalesce(group_concat(sync_state), '') FROM clusters)
   || '|' || (SELECT count(*) || '/' || coalesce(group_concat(role), '') FROM failovers)";

/// A string that changes whenever what the pages show has changed (live updates).
pub async fn fingerprint(conn: &mut SqliteConnection) -> Result<String> {
    Ok(sqlx::query_scalar::<_, String>(FINGERPRINT)
        .fetch_one(conn)
        .await?)
}
