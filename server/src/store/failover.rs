//! Failovers in effect and done (`failovers`): one row per failover, at most one in effect per
//! session (the partial unique index).
use app::failover::DrRole;
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{Conn, Id, Result};

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct FailoverRow {
    pub id: Id,
    pub session_id: Id,
    /// `failed_over`, `failing_back` or `failed_back`.
    pub role: String,
    pub planned: bool,
    pub failed_over_at: DateTime<Utc>,
    pub failed_back_at: Option<DateTime<Utc>>,
    pub recovery_point: Option<DateTime<Utc>>,
    /// JSON: `Vec<app::failover::BrickPoint>`.
    pub bricks: String,
    pub master_stopped: bool,
    /// JSON: `Vec<app::failover::SavedOption>`.
    pub saved_options: String,
    pub failover_operation: Id,
    pub failback_operation: Option<Id>,
    pub reverse_session: Option<String>,
    /// JSON: `app::failover::SavedOption`, the master's read-only before the first reverse
    /// session's push-pem hook set it on.
    pub master_read_only: Option<String>,
}

impl FailoverRow {
    /// The role while in effect (None once failed back).
    pub fn in_effect(&self) -> Option<DrRole> {
        match self.role.as_str() {
            "failed_back" => None,
            r => Some(r.parse().unwrap_or(DrRole::FailedOver)),
        }
    }
}

const COLUMNS: &str = "id, session_id, role, planned, failed_over_at, failed_back_at, \
    recovery_point, bricks, master_stopped, saved_options, failover_operation, \
    failback_operation, reverse_session, master_read_only";

/// Records a failover in effect; false when the session has one already.
pub async fn insert_failover(conn: &mut dyn Conn, f: &FailoverRow) -> Result<bool> {
    let r = exec!(conn => |db| sqlx::query(
        "INSERT INTO failovers (id, session_id, role, planned, failed_over_at, failed_back_at,
             recovery_point, bricks, master_stopped, saved_options, failover_operation,
             failback_operation, reverse_session, master_read_only)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(f.id)
    .bind(f.session_id)
    .bind(&f.role)
    .bind(f.planned)
    .bind(f.failed_over_at)
    .bind(f.failed_back_at)
    .bind(f.recovery_point)
    .bind(&f.bricks)
    .bind(f.master_stopped)
    .bind(&f.saved_options)
    .bind(f.failover_operation)
    .bind(f.failback_operation)
    .bind(&f.reverse_session)
    .bind(&f.master_read_only)
    );
    match r {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The session's failover in effect, if any.
pub async fn failover_in_effect(conn: &mut dyn Conn, session: Id) -> Result<Option<FailoverRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM failovers WHERE session_id = $1 AND role <> 'failed_back'");
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(session)
        .fetch_optional(db).await)?)
}

/// One failover record, in effect or done.
pub async fn failover_by_id(conn: &mut dyn Conn, id: Id) -> Result<Option<FailoverRow>> {
    let sql = format!("SELECT {COLUMNS} FROM failovers WHERE id = $1");
    Ok(on!(conn => |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await)?)
}

/// Every failover in effect (the read model marks their sessions).
pub async fn failovers_in_effect(conn: &mut dyn Conn) -> Result<Vec<FailoverRow>> {
    let sql = format!("SELECT {COLUMNS} FROM failovers WHERE role <> 'failed_back'");
    Ok(on!(conn => |db| sqlx::query_as(&sql).fetch_all(db).await)?)
}

/// A failback begins (`failing_back`, its operation) or goes back to `failed_over` (None).
pub async fn set_failback(conn: &mut dyn Conn, id: Id, operation: Option<Id>) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "UPDATE failovers SET role = CASE WHEN $1 IS NULL THEN 'failed_over' ELSE 'failing_back' END,
             failback_operation = coalesce($2, failback_operation)
         WHERE id = $3 AND role <> 'failed_back'",
    )
    .bind(operation)
    .bind(operation)
    .bind(id)
    )?;
    Ok(())
}

/// The reverse session a failback created (None: deleted again).
pub async fn set_reverse_session(conn: &mut dyn Conn, id: Id, key: Option<&str>) -> Result<()> {
    exec!(conn => |db| sqlx::query("UPDATE failovers SET reverse_session = $1 WHERE id = $2")
    .bind(key)
    .bind(id)
    )?;
    Ok(())
}

/// The original session is stopped on the master (by the failover, or the failback's fence).
pub async fn set_master_stopped(conn: &mut dyn Conn, id: Id) -> Result<()> {
    exec!(conn => |db| sqlx::query("UPDATE failovers SET master_stopped = TRUE WHERE id = $1")
    .bind(id)
    )?;
    Ok(())
}

/// The failback completed: the failover is no longer in effect.
pub async fn set_failed_back(conn: &mut dyn Conn, id: Id, now: DateTime<Utc>) -> Result<()> {
    exec!(conn => |db| sqlx::query("UPDATE failovers SET role = 'failed_back', failed_back_at = $1 WHERE id = $2")
    .bind(now)
    .bind(id)
    )?;
    Ok(())
}

/// The master's read-only as it was before the first reverse session (kept from the first
/// failback attempt on: a later attempt would read what that one's hook set).
pub async fn keep_master_read_only(conn: &mut dyn Conn, id: Id, json: &str) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "UPDATE failovers SET master_read_only = $1 WHERE id = $2 AND master_read_only IS NULL",
    )
    .bind(json)
    .bind(id)
    )?;
    Ok(())
}
