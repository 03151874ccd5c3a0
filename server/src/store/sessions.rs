//! Volumes, bricks and geo-replication sessions with their details and options.

use super::{
    BrickRow, ConfigRow, Conn, Id, Result, SessionDetailRow, SessionRow, StoreError, VolumeRow,
};

const VOLUME_COLUMNS: &str =
    "id, cluster_id, name, volume_type, status, brick_count, replica_count, \
    disperse_count, size_total, size_free, updated_at";
const BRICK_COLUMNS: &str =
    "id, volume_id, host_id, host_uuid, server_name, path, position, status, size_total, size_free";
pub(super) const SESSION_COLUMNS: &str = "session_id, master_volume_id, session_key, slave_host_uuid, \
    slave_host_name, slave_volume_id, slave_volume_name, slave_user, status, created_at, updated_at, \
    stale_reason, stale_since";
const DETAIL_COLUMNS: &str =
    "session_id, master_brick_id, slave_host_uuid, slave_host_name, status, \
    checkpoint_status, crawl_status, files_synced, files_pending, bytes_pending, deletes_pending, \
    files_skipped, entry_pending, data_pending, meta_pending, failures, last_synced_at, \
    checkpoint_time, checkpoint_completed_at, updated_at";
const CONFIG_COLUMNS: &str = "session_id, config_key, config_value, default_value, read_only";

pub async fn upsert_volume(conn: &mut dyn Conn, v: &VolumeRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO gluster_volumes (id, cluster_id, name, volume_type, status, brick_count,
             replica_count, disperse_count, size_total, size_free, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, volume_type = excluded.volume_type,
             status = excluded.status, brick_count = excluded.brick_count,
             replica_count = excluded.replica_count, disperse_count = excluded.disperse_count,
             size_total = excluded.size_total, size_free = excluded.size_free,
             updated_at = excluded.updated_at",
    )
    .bind(v.id)
    .bind(v.cluster_id)
    .bind(&v.name)
    .bind(&v.volume_type)
    .bind(&v.status)
    .bind(v.brick_count)
    .bind(v.replica_count)
    .bind(v.disperse_count)
    .bind(v.size_total)
    .bind(v.size_free)
    .bind(v.updated_at)
    )
    .map_err(|e| StoreError::unique(e, format!("a volume named {:?} in this cluster", v.name)))?;
    Ok(())
}

pub async fn volumes_of_cluster(conn: &mut dyn Conn, cluster_id: Id) -> Result<Vec<VolumeRow>> {
    let sql =
        format!("SELECT {VOLUME_COLUMNS} FROM gluster_volumes WHERE cluster_id = $1 ORDER BY name");
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(cluster_id)
        .fetch_all(db).await)?)
}

pub async fn delete_volume(conn: &mut dyn Conn, id: Id) -> Result<bool> {
    let done = exec!(conn => |db| sqlx::query("DELETE FROM gluster_volumes WHERE id = $1")
    .bind(id)
    )?;
    Ok(done > 0)
}

pub async fn upsert_brick(conn: &mut dyn Conn, b: &BrickRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO gluster_volume_bricks (id, volume_id, host_id, host_uuid, server_name, path,
             position, status, size_total, size_free)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET host_id = excluded.host_id, host_uuid = excluded.host_uuid,
             server_name = excluded.server_name, path = excluded.path, position = excluded.position,
             status = excluded.status, size_total = excluded.size_total, size_free = excluded.size_free",
    )
    .bind(b.id)
    .bind(b.volume_id)
    .bind(b.host_id)
    .bind(b.host_uuid)
    .bind(&b.server_name)
    .bind(&b.path)
    .bind(b.position)
    .bind(<&str>::from(b.status))
    .bind(b.size_total)
    .bind(b.size_free)
    )?;
    Ok(())
}

pub async fn bricks_of_volume(conn: &mut dyn Conn, volume_id: Id) -> Result<Vec<BrickRow>> {
    let sql = format!(
        "SELECT {BRICK_COLUMNS} FROM gluster_volume_bricks WHERE volume_id = $1 ORDER BY position"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql).bind(volume_id).fetch_all(db).await)?)
}

pub async fn insert_session(conn: &mut dyn Conn, s: &SessionRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO gluster_georep_session (session_id, master_volume_id, session_key,
             slave_host_uuid, slave_host_name, slave_volume_id, slave_volume_name, slave_user,
             status, created_at, updated_at, stale_reason, stale_since)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(s.session_id)
    .bind(s.master_volume_id)
    .bind(&s.session_key)
    .bind(s.slave_host_uuid)
    .bind(&s.slave_host_name)
    .bind(s.slave_volume_id)
    .bind(&s.slave_volume_name)
    .bind(&s.slave_user)
    .bind(<&str>::from(s.status))
    .bind(s.created_at)
    .bind(s.updated_at)
    .bind(&s.stale_reason)
    .bind(s.stale_since)
    )
    .map_err(|e| StoreError::unique(e, format!("the session {:?}", s.session_key)))?;
    Ok(())
}

/// Rewrites the mutable fields of a session (identity and creation time stay).
pub async fn update_session(conn: &mut dyn Conn, s: &SessionRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "UPDATE gluster_georep_session SET slave_host_uuid = $1, slave_host_name = $2,
             slave_volume_id = $3, slave_volume_name = $4, slave_user = $5, status = $6, updated_at = $7,
             stale_reason = $8, stale_since = $9
         WHERE session_id = $10",
    )
    .bind(s.slave_host_uuid)
    .bind(&s.slave_host_name)
    .bind(s.slave_volume_id)
    .bind(&s.slave_volume_name)
    .bind(&s.slave_user)
    .bind(<&str>::from(s.status))
    .bind(s.updated_at)
    .bind(&s.stale_reason)
    .bind(s.stale_since)
    .bind(s.session_id)
    )?;
    Ok(())
}

pub async fn get_session(conn: &mut dyn Conn, id: Id) -> Result<Option<SessionRow>> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM gluster_georep_session WHERE session_id = $1");
    Ok(on!(conn => |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await)?)
}

pub async fn sessions_of_volume(
    conn: &mut dyn Conn,
    master_volume_id: Id,
) -> Result<Vec<SessionRow>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM gluster_georep_session WHERE master_volume_id = $1
         ORDER BY slave_host_name, slave_volume_name"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(master_volume_id)
        .fetch_all(db).await)?)
}

/// Sessions whose master volume is in the cluster.
/// The master volumes that have at least one session.
pub async fn master_volumes_with_sessions(conn: &mut dyn Conn) -> Result<Vec<Id>> {
    Ok(
        on!(conn => |db| sqlx::query_scalar("SELECT DISTINCT master_volume_id FROM gluster_georep_session")
            .fetch_all(db).await)?,
    )
}

pub async fn sessions_of_cluster(conn: &mut dyn Conn, cluster_id: Id) -> Result<Vec<SessionRow>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM gluster_georep_session
          WHERE master_volume_id IN (SELECT id FROM gluster_volumes WHERE cluster_id = $1)
         ORDER BY session_key"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(cluster_id)
        .fetch_all(db).await)?)
}

pub async fn delete_session(conn: &mut dyn Conn, id: Id) -> Result<bool> {
    let done = exec!(conn => |db| sqlx::query("DELETE FROM gluster_georep_session WHERE session_id = $1")
    .bind(id)
    )?;
    Ok(done > 0)
}

pub async fn upsert_session_detail(conn: &mut dyn Conn, d: &SessionDetailRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO gluster_georep_session_details (session_id, master_brick_id, slave_host_uuid,
             slave_host_name, status, checkpoint_status, crawl_status, files_synced, files_pending,
             bytes_pending, deletes_pending, files_skipped, entry_pending, data_pending,
             meta_pending, failures, last_synced_at, checkpoint_time, checkpoint_completed_at,
             updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
         ON CONFLICT (session_id, master_brick_id) DO UPDATE SET
             slave_host_uuid = excluded.slave_host_uuid, slave_host_name = excluded.slave_host_name,
             status = excluded.status, checkpoint_status = excluded.checkpoint_status,
             crawl_status = excluded.crawl_status, files_synced = excluded.files_synced,
             files_pending = excluded.files_pending, bytes_pending = excluded.bytes_pending,
             deletes_pending = excluded.deletes_pending, files_skipped = excluded.files_skipped,
             entry_pending = excluded.entry_pending, data_pending = excluded.data_pending,
             meta_pending = excluded.meta_pending, failures = excluded.failures,
             last_synced_at = excluded.last_synced_at, checkpoint_time = excluded.checkpoint_time,
             checkpoint_completed_at = excluded.checkpoint_completed_at,
             updated_at = excluded.updated_at",
    )
    .bind(d.session_id)
    .bind(d.master_brick_id)
    .bind(d.slave_host_uuid)
    .bind(&d.slave_host_name)
    .bind(<&str>::from(d.status))
    .bind(&d.checkpoint_status)
    .bind(&d.crawl_status)
    .bind(d.files_synced)
    .bind(d.files_pending)
    .bind(d.bytes_pending)
    .bind(d.deletes_pending)
    .bind(d.files_skipped)
    .bind(d.entry_pending)
    .bind(d.data_pending)
    .bind(d.meta_pending)
    .bind(d.failures)
    .bind(d.last_synced_at)
    .bind(d.checkpoint_time)
    .bind(d.checkpoint_completed_at)
    .bind(d.updated_at)
    )?;
    Ok(())
}

pub async fn details_of_session(
    conn: &mut dyn Conn,
    session_id: Id,
) -> Result<Vec<SessionDetailRow>> {
    let sql = format!(
        "SELECT {DETAIL_COLUMNS} FROM gluster_georep_session_details d WHERE session_id = $1
         ORDER BY (SELECT position FROM gluster_volume_bricks b WHERE b.id = d.master_brick_id)"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(session_id)
        .fetch_all(db).await)?)
}

pub async fn delete_session_detail(
    conn: &mut dyn Conn,
    session_id: Id,
    brick_id: Id,
) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "DELETE FROM gluster_georep_session_details WHERE session_id = $1 AND master_brick_id = $2",
    )
    .bind(session_id)
    .bind(brick_id)
    )?;
    Ok(())
}

pub async fn upsert_config(conn: &mut dyn Conn, c: &ConfigRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO gluster_georep_config (session_id, config_key, config_value, default_value, read_only)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (session_id, config_key) DO UPDATE SET config_value = excluded.config_value,
             default_value = excluded.default_value, read_only = excluded.read_only",
    )
    .bind(c.session_id)
    .bind(&c.config_key)
    .bind(&c.config_value)
    .bind(&c.default_value)
    .bind(c.read_only)
    )?;
    Ok(())
}

pub async fn delete_config(conn: &mut dyn Conn, session_id: Id, key: &str) -> Result<()> {
    exec!(conn => |db| sqlx::query("DELETE FROM gluster_georep_config WHERE session_id = $1 AND config_key = $2")
    .bind(session_id)
    .bind(key)
    )?;
    Ok(())
}

pub async fn config_of_session(conn: &mut dyn Conn, session_id: Id) -> Result<Vec<ConfigRow>> {
    let sql = format!("SELECT {CONFIG_COLUMNS} FROM gluster_georep_config WHERE session_id = $1 ORDER BY config_key");
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(session_id)
        .fetch_all(db).await)?)
}

pub async fn get_volume(conn: &mut dyn Conn, id: Id) -> Result<Option<VolumeRow>> {
    let sql = format!("SELECT {VOLUME_COLUMNS} FROM gluster_volumes WHERE id = $1");
    Ok(on!(conn => |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await)?)
}

pub async fn bricks_of_cluster(conn: &mut dyn Conn, cluster_id: Id) -> Result<Vec<BrickRow>> {
    let sql = format!(
        "SELECT {BRICK_COLUMNS} FROM gluster_volume_bricks
          WHERE volume_id IN (SELECT id FROM gluster_volumes WHERE cluster_id = $1)
         ORDER BY volume_id, position"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(cluster_id)
        .fetch_all(db).await)?)
}

pub async fn delete_brick(conn: &mut dyn Conn, id: Id) -> Result<()> {
    exec!(conn => |db| sqlx::query("DELETE FROM gluster_volume_bricks WHERE id = $1")
    .bind(id)
    )?;
    Ok(())
}

/// Details of every session whose master volume is in the cluster, each session's in brick
/// order (as `details_of_session`).
pub async fn details_of_cluster(
    conn: &mut dyn Conn,
    cluster_id: Id,
) -> Result<Vec<SessionDetailRow>> {
    let sql = format!(
        "SELECT {DETAIL_COLUMNS} FROM gluster_georep_session_details d
          WHERE session_id IN (SELECT s.session_id FROM gluster_georep_session s
                 JOIN gluster_volumes v ON v.id = s.master_volume_id WHERE v.cluster_id = $1)
         ORDER BY session_id,
                  (SELECT position FROM gluster_volume_bricks b WHERE b.id = d.master_brick_id)"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(cluster_id)
        .fetch_all(db).await)?)
}

/// Options of every session whose master volume is in the cluster.
pub async fn config_of_cluster(conn: &mut dyn Conn, cluster_id: Id) -> Result<Vec<ConfigRow>> {
    let sql = format!(
        "SELECT {CONFIG_COLUMNS} FROM gluster_georep_config
          WHERE session_id IN (SELECT s.session_id FROM gluster_georep_session s
                 JOIN gluster_volumes v ON v.id = s.master_volume_id WHERE v.cluster_id = $1)
         ORDER BY session_id, config_key"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(cluster_id)
        .fetch_all(db).await)?)
}
