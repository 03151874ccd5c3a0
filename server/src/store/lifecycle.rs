//! Queries the session lifecycle needs beyond the inventory's.

use super::sessions::SESSION_COLUMNS;
use super::{Conn, Id, Result, SessionRow, VolumeRow};

/// Sessions (of any managed master) whose slave is this volume: by its id when georep knows
/// it, else by slave host and volume name.
pub async fn sessions_with_slave(
    conn: &mut dyn Conn,
    slave_volume_id: Option<Id>,
    host: &str,
    volume: &str,
) -> Result<Vec<SessionRow>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM gluster_georep_session
          WHERE (slave_volume_id IS NOT NULL AND slave_volume_id = $1)
             OR (slave_host_name = $2 AND slave_volume_name = $3)
          ORDER BY session_key"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(slave_volume_id)
        .bind(host)
        .bind(volume)
        .fetch_all(db).await)?)
}

/// The volume named `volume` in a cluster that knows `host`: as the address of one of its
/// hosts (how it was registered or listed by `pool list`) or as the server of one of its
/// bricks (the name gluster itself uses, e.g. a slave registered by IP, named by host name).
pub async fn volume_by_host_and_name(
    conn: &mut dyn Conn,
    host: &str,
    volume: &str,
) -> Result<Option<VolumeRow>> {
    Ok(on!(conn => |db| sqlx::query_as(
        "SELECT v.id, v.cluster_id, v.name, v.volume_type, v.status, v.brick_count, v.replica_count,
                v.disperse_count, v.size_total, v.size_free, v.updated_at
           FROM gluster_volumes v
          WHERE v.name = $1
            AND v.cluster_id IN (
                SELECT cluster_id FROM hosts WHERE lower(address) = lower($2)
                 UNION
                SELECT bv.cluster_id FROM gluster_volume_bricks b
                  JOIN gluster_volumes bv ON bv.id = b.volume_id
                 WHERE lower(b.server_name) = lower($2))
          LIMIT 1",
    )
    .bind(volume)
    .bind(host)
    .fetch_optional(db).await)?)
}

/// The sessions whose slave is volume `slave` (georep knows it), each with its master volume.
pub async fn sessions_of_slave_volume(
    conn: &mut dyn Conn,
    slave: Id,
) -> Result<Vec<(SessionRow, VolumeRow)>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM gluster_georep_session
          WHERE slave_volume_id = $1 ORDER BY session_key"
    );
    let sessions: Vec<SessionRow> = on!(conn => |db| sqlx::query_as(&sql)
        .bind(slave)
        .fetch_all(db).await)?;
    let mut out = Vec::new();
    for s in sessions {
        if let Some(master) = super::get_volume(&mut *conn, s.master_volume_id).await? {
            out.push((s, master));
        }
    }
    Ok(out)
}

/// Marks a session stale (its slave volume is gone), since `now`.
pub async fn set_session_stale(
    conn: &mut dyn Conn,
    session_id: Id,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "UPDATE gluster_georep_session SET stale_reason = $1, stale_since = $2 WHERE session_id = $3",
    )
    .bind(reason)
    .bind(now)
    .bind(session_id)
    )?;
    Ok(())
}

/// An action's known outcome, written at once: the session's status and every worker's
/// (gluster itself reports them all alike right after stop, pause, start or resume).
pub async fn set_session_status(
    conn: &mut dyn Conn,
    session_id: Id,
    status: &str,
    brick_status: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "UPDATE gluster_georep_session SET status = $1, updated_at = $2 WHERE session_id = $3",
    )
    .bind(status)
    .bind(now)
    .bind(session_id)
    )?;
    exec!(conn => |db| sqlx::query(
        "UPDATE gluster_georep_session_details SET status = $1, updated_at = $2 WHERE session_id = $3",
    )
    .bind(brick_status)
    .bind(now)
    .bind(session_id)
    )?;
    Ok(())
}

/// One option's new value, the rest of its row kept (a key gluster did not list yet is added).
pub async fn set_config_value(
    conn: &mut dyn Conn,
    session_id: Id,
    key: &str,
    value: &str,
) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO gluster_georep_config (session_id, config_key, config_value) VALUES ($1, $2, $3)
         ON CONFLICT (session_id, config_key) DO UPDATE SET config_value = excluded.config_value",
    )
    .bind(session_id)
    .bind(key)
    .bind(value)
    )?;
    Ok(())
}
