//! Reads the read model needs beyond the sync's.

use super::{Conn, Id, Result, SessionDetailRow};

/// Details of every session whose master is this volume.
pub async fn details_of_volume(
    conn: &mut dyn Conn,
    volume_id: Id,
) -> Result<Vec<SessionDetailRow>> {
    Ok(on!(conn => |db| sqlx::query_as(
        "SELECT d.session_id, d.master_brick_id, d.slave_host_uuid, d.slave_host_name, d.status,
                d.checkpoint_status, d.crawl_status, d.files_synced, d.files_pending, d.bytes_pending,
                d.deletes_pending, d.files_skipped, d.entry_pending, d.data_pending, d.meta_pending,
                d.failures, d.last_synced_at, d.checkpoint_time, d.checkpoint_completed_at, d.updated_at
           FROM gluster_georep_session_details d
           JOIN gluster_georep_session s ON s.session_id = d.session_id
          WHERE s.master_volume_id = $1",
    )
    .bind(volume_id)
    .fetch_all(db).await)?)
}

/// Everything a page shows, in one short string; `updated_at` moves only when the sync
/// wrote a changed row (an idle cycle writes nothing). Health `updated_at` moves on every
/// evaluation, so its verdict and lag are used instead.
const FINGERPRINT: &str = "SELECT
   (SELECT count(*) || '/' || coalesce(CAST(max(updated_at) AS TEXT), '') FROM gluster_georep_session)
   || '|' || (SELECT count(*) || '/' || coalesce(CAST(max(updated_at) AS TEXT), '') FROM gluster_georep_session_details)
   || '|' || (SELECT count(*) || '/' || coalesce(CAST(max(updated_at) AS TEXT), '') FROM gluster_volumes)
   || '|' || (SELECT coalesce(string_agg(status, ',' ORDER BY id), '') FROM gluster_volume_bricks)
   || '|' || (SELECT coalesce(string_agg(config_key || '=' || config_value, ',' ORDER BY session_id, config_key), '') FROM gluster_georep_config)
   || '|' || (SELECT coalesce(max(id), 0) FROM events)
   || '|' || (SELECT count(*) || '/' || coalesce(CAST(max(updated_at) AS TEXT), '') FROM operations)
   || '|' || (SELECT count(*) || '/' || coalesce(CAST(max(updated_at) AS TEXT), '') FROM sync_schedules)
   || '|' || (SELECT coalesce(string_agg(health || ':' || coalesce(CAST(lag_seconds AS TEXT), '') || ':' || coalesce(CAST(last_probe_at AS TEXT), ''), ',' ORDER BY session_id), '') FROM session_health)
   || '|' || (SELECT count(*) || '/' || coalesce(string_agg(sync_state, ',' ORDER BY id), '') FROM clusters)
   || '|' || (SELECT count(*) || '/' || coalesce(string_agg(role, ',' ORDER BY id), '') FROM failovers)";

/// A string that changes whenever what the pages show has changed (live updates).
pub async fn fingerprint(conn: &mut dyn Conn) -> Result<String> {
    Ok(
        on!(conn => |db| sqlx::query_scalar::<_, String>(FINGERPRINT)
        .fetch_one(db).await)?,
    )
}
