//! Session health: the verdict per session, stalls and pending work per brick, the probes'
//! history and the lag samples (migration 0004).
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{Conn, Id, Result};

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct HealthRow {
    pub session_id: Id,
    #[sqlx(try_from = "String")]
    pub health: app::health::Health,
    pub reason: String,
    pub since: DateTime<Utc>,
    pub lag_seconds: Option<i64>,
    pub last_probe_at: Option<DateTime<Utc>>,
    pub last_probe_result: Option<String>,
    pub last_probe_ms: Option<i64>,
    pub last_probe_message: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct BrickHealthRow {
    pub session_id: Id,
    pub master_brick_id: Id,
    pub stalled_since: Option<DateTime<Utc>>,
    pub pending_since: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct ProbeRow {
    /// Assigned by SQLite; ignored on insert.
    pub id: i64,
    pub session_id: Id,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub trigger: String,
    pub result: String,
    pub checkpoint: Option<DateTime<Utc>>,
    pub stalled_bricks: String,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct LagSampleRow {
    pub session_id: Id,
    /// '' for the session's own sample.
    pub master_brick_id: String,
    pub at: DateTime<Utc>,
    pub lag_seconds: i64,
    pub pending: Option<i64>,
}

const HEALTH_COLUMNS: &str = "session_id, health, reason, since, lag_seconds, last_probe_at, \
    last_probe_result, last_probe_ms, last_probe_message, updated_at";
const PROBE_COLUMNS: &str =
    "id, session_id, started_at, duration_ms, trigger, result, checkpoint, stalled_bricks, message";

pub async fn get_health(conn: &mut dyn Conn, session_id: Id) -> Result<Option<HealthRow>> {
    let sql = format!("SELECT {HEALTH_COLUMNS} FROM session_health WHERE session_id = $1");
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(session_id)
        .fetch_optional(db).await)?)
}

pub async fn list_health(conn: &mut dyn Conn) -> Result<Vec<HealthRow>> {
    let sql = format!("SELECT {HEALTH_COLUMNS} FROM session_health ORDER BY session_id");
    Ok(on!(conn => |db| sqlx::query_as(&sql).fetch_all(db).await)?)
}

pub async fn upsert_health(conn: &mut dyn Conn, h: &HealthRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO session_health (session_id, health, reason, since, lag_seconds, last_probe_at,
             last_probe_result, last_probe_ms, last_probe_message, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (session_id) DO UPDATE SET health = excluded.health, reason = excluded.reason,
             since = excluded.since, lag_seconds = excluded.lag_seconds,
             last_probe_at = excluded.last_probe_at, last_probe_result = excluded.last_probe_result,
             last_probe_ms = excluded.last_probe_ms, last_probe_message = excluded.last_probe_message,
             updated_at = excluded.updated_at",
    )
    .bind(h.session_id)
    .bind(h.health.as_str())
    .bind(&h.reason)
    .bind(h.since)
    .bind(h.lag_seconds)
    .bind(h.last_probe_at)
    .bind(&h.last_probe_result)
    .bind(h.last_probe_ms)
    .bind(&h.last_probe_message)
    .bind(h.updated_at)
    )?;
    Ok(())
}

/// A session's verdict (health, reason, since, lag); the probe's columns are left as they are
/// (a probe may have written them since the verdict's rows were read).
pub async fn put_verdict(conn: &mut dyn Conn, h: &HealthRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO session_health (session_id, health, reason, since, lag_seconds, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (session_id) DO UPDATE SET health = excluded.health, reason = excluded.reason,
             since = excluded.since, lag_seconds = excluded.lag_seconds,
             updated_at = excluded.updated_at",
    )
    .bind(h.session_id)
    .bind(h.health.as_str())
    .bind(&h.reason)
    .bind(h.since)
    .bind(h.lag_seconds)
    .bind(h.updated_at)
    )?;
    Ok(())
}

/// Every session's per-brick marks.
pub async fn list_brick_health(conn: &mut dyn Conn) -> Result<Vec<BrickHealthRow>> {
    Ok(on!(conn => |db| sqlx::query_as(
        "SELECT session_id, master_brick_id, stalled_since, pending_since FROM brick_health
         ORDER BY session_id, master_brick_id",
    )
    .fetch_all(db).await)?)
}

pub async fn brick_health_of(conn: &mut dyn Conn, session_id: Id) -> Result<Vec<BrickHealthRow>> {
    Ok(on!(conn => |db| sqlx::query_as(
        "SELECT session_id, master_brick_id, stalled_since, pending_since FROM brick_health
          WHERE session_id = $1 ORDER BY master_brick_id",
    )
    .bind(session_id)
    .fetch_all(db).await)?)
}

/// Writes a brick's row; a row with nothing set is deleted instead.
pub async fn put_brick_health(conn: &mut dyn Conn, b: &BrickHealthRow) -> Result<()> {
    if b.stalled_since.is_none() && b.pending_since.is_none() {
        exec!(conn => |db| sqlx::query("DELETE FROM brick_health WHERE session_id = $1 AND master_brick_id = $2")
        .bind(b.session_id)
        .bind(b.master_brick_id)
        )?;
        return Ok(());
    }
    exec!(conn => |db| sqlx::query(
        "INSERT INTO brick_health (session_id, master_brick_id, stalled_since, pending_since)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (session_id, master_brick_id) DO UPDATE SET
             stalled_since = excluded.stalled_since, pending_since = excluded.pending_since",
    )
    .bind(b.session_id)
    .bind(b.master_brick_id)
    .bind(b.stalled_since)
    .bind(b.pending_since)
    )?;
    Ok(())
}

pub async fn insert_probe(conn: &mut dyn Conn, p: &ProbeRow) -> Result<i64> {
    let id: i64 = on!(conn => |db| sqlx::query_scalar(
        "INSERT INTO health_probes (session_id, started_at, duration_ms, trigger, result, checkpoint,
             stalled_bricks, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id",
    )
    .bind(p.session_id)
    .bind(p.started_at)
    .bind(p.duration_ms)
    .bind(&p.trigger)
    .bind(&p.result)
    .bind(p.checkpoint)
    .bind(&p.stalled_bricks)
    .bind(&p.message)
    .fetch_one(db).await)?;
    Ok(id)
}

/// Newest first.
pub async fn probes_of(conn: &mut dyn Conn, session_id: Id, limit: i64) -> Result<Vec<ProbeRow>> {
    let sql = format!(
        "SELECT {PROBE_COLUMNS} FROM health_probes WHERE session_id = $1 ORDER BY id DESC LIMIT $2"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(session_id)
        .bind(limit.clamp(1, 1000))
        .fetch_all(db).await)?)
}

pub async fn insert_lag_samples(conn: &mut dyn Conn, samples: &[LagSampleRow]) -> Result<()> {
    for s in samples {
        exec!(conn => |db| sqlx::query(
            "INSERT INTO lag_samples (session_id, master_brick_id, at, lag_seconds, pending)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (session_id, master_brick_id, at)
             DO UPDATE SET lag_seconds = excluded.lag_seconds, pending = excluded.pending",
        )
        .bind(s.session_id)
        .bind(&s.master_brick_id)
        .bind(s.at)
        .bind(s.lag_seconds)
        .bind(s.pending)
        )?;
    }
    Ok(())
}

/// Oldest first.
pub async fn lag_samples(
    conn: &mut dyn Conn,
    session_id: Id,
    since: DateTime<Utc>,
) -> Result<Vec<LagSampleRow>> {
    Ok(on!(conn => |db| sqlx::query_as(
        "SELECT session_id, master_brick_id, at, lag_seconds, pending FROM lag_samples
          WHERE session_id = $1 AND at >= $2 ORDER BY at, master_brick_id LIMIT 100000",
    )
    .bind(session_id)
    .bind(since)
    .fetch_all(db).await)?)
}

/// Drops samples and probes older than `before`; how many rows went.
pub async fn prune_health_history(conn: &mut dyn Conn, before: DateTime<Utc>) -> Result<u64> {
    let a = exec!(conn => |db| sqlx::query("DELETE FROM lag_samples WHERE at < $1")
    .bind(before)
    )?;
    let b = exec!(conn => |db| sqlx::query("DELETE FROM health_probes WHERE started_at < $1")
    .bind(before)
    )?;
    Ok(a + b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    crate::store::tests::on_both_engines!(brick_marks_samples_and_pruning);

    async fn brick_marks_samples_and_pruning(store: Store) {
        let mut c = store.conn().await.unwrap();
        // a session to hang rows on (foreign keys are on)
        let cl: Id = uuid::Uuid::new_v4().into();
        let vol: Id = uuid::Uuid::new_v4().into();
        let sid: Id = uuid::Uuid::new_v4().into();
        let now: DateTime<Utc> = "2026-11-24T12:00:00Z".parse().unwrap();
        exec!(c => |db| sqlx::query("INSERT INTO clusters (id, name, created_at) VALUES ($1, 'c', $2)")
            .bind(cl)
            .bind(now)
            )
            .unwrap();
        exec!(c => |db| sqlx::query("INSERT INTO gluster_volumes (id, cluster_id, name, volume_type, status, brick_count, updated_at) VALUES ($1, $2, 'm', 'Distribute', 'Started', 2, $3)")
            .bind(vol).bind(cl).bind(now)).unwrap();
        exec!(c => |db| sqlx::query("INSERT INTO gluster_georep_session (session_id, master_volume_id, session_key, slave_host_name, slave_volume_name, status, created_at, updated_at) VALUES ($1, $2, 'k', 'vm', 's', 'ACTIVE', $3, $4)")
            .bind(sid).bind(vol).bind(now).bind(now)).unwrap();

        let brick = uuid::Uuid::new_v4().into();
        let mark = BrickHealthRow {
            session_id: sid,
            master_brick_id: brick,
            stalled_since: Some(now),
            pending_since: None,
        };
        put_brick_health(&mut c, &mark).await.unwrap();
        assert_eq!(
            brick_health_of(&mut c, sid).await.unwrap(),
            std::slice::from_ref(&mark)
        );
        // nothing left to remember: the row goes
        put_brick_health(
            &mut c,
            &BrickHealthRow {
                stalled_since: None,
                ..mark
            },
        )
        .await
        .unwrap();
        assert!(brick_health_of(&mut c, sid).await.unwrap().is_empty());

        let old = now - chrono::Duration::days(20);
        let s = |at, lag| LagSampleRow {
            session_id: sid,
            master_brick_id: String::new(),
            at,
            lag_seconds: lag,
            pending: None,
        };
        insert_lag_samples(&mut c, &[s(old, 5), s(now, 7)])
            .await
            .unwrap();
        assert_eq!(lag_samples(&mut c, sid, old).await.unwrap().len(), 2);
        assert_eq!(
            prune_health_history(&mut c, now - chrono::Duration::days(14))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            lag_samples(&mut c, sid, old)
                .await
                .unwrap()
                .iter()
                .map(|r| r.lag_seconds)
                .collect::<Vec<_>>(),
            [7]
        );

        // the session's rows follow it
        exec!(c => |db| sqlx::query("DELETE FROM gluster_georep_session WHERE session_id = $1")
        .bind(sid)
        )
        .unwrap();
        assert!(lag_samples(&mut c, sid, old).await.unwrap().is_empty());
    }
}
