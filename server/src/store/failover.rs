//! Failovers in effect and done (`failovers`): one row per failover, at most one in effect per
//! session (the partial unique index).
use app::failover::DrRole;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqliteConnection};

use super::{Id, Result};

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
pub async fn insert_failover(conn: &mut SqliteConnection, f: &FailoverRow) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO failovers (id, session_id, role, planned, failed_over_at, failed_back_at,
             recovery_point, bricks, master_stopped, saved_options, failover_operation,
             failback_operation, reverse_session, master_read_only)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .execute(conn)
    .await;
    match r {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The session's failover in effect, if any.
pub async fn failover_in_effect(
    conn: &mut SqliteConnection,
    session: Id,
) -> Result<Option<FailoverRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM failovers WHERE session_id = ? AND role <> 'failed_back'");
    Ok(sqlx::query_as(&sql)
        .bind(session)
        .fetch_optional(conn)
        .await?)
}

/// One failover record, in effect or done.
pub async fn failover_by_id(conn: &mut SqliteConnection, id: Id) -> Result<Option<FailoverRow>> {
    let sql = format!("SELECT {COLUMNS} FROM failovers WHERE id = ?");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?)
}

/// Every failover in effect (the read model marks their sessions).
pub async fn failovers_in_effect(conn: &mut SqliteConnection) -> Result<Vec<FailoverRow>> {
    let sql = format!("SELECT {COLUMNS} FROM failovers WHERE role <> 'failed_back'");
    Ok(sqlx::query_as(&sql).fetch_all(conn).await?)
}

/// A failback begins (`failing_back`, its operation) or goes back to `failed_over` (None).
pub async fn set_failback(
    conn: &mut SqliteConnection,
    id: Id,
    operation: Option<Id>,
) -> Result<()> {
    sqlx::query(
        "UPDATE failovers SET role = CASE WHEN ? IS NULL THEN 'failed_over' ELSE 'failing_back' END,
             failback_operation = coalesce(?, failback_operation)
         WHERE id = ? AND role <> 'failed_back'",
    )
    .bind(operation)
    .bind(operation)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The reverse session a failback created (None: deleted again).
pub async fn set_reverse_session(
    conn: &mut SqliteConnection,
    id: Id,
    key: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE failovers SET reverse_session = ? WHERE id = ?")
        .bind(key)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The original session is stopped on the master (by the failover, or the failback's fence).
pub async fn set_master_stopped(conn: &mut SqliteConnection, id: Id) -> Result<()> {
    sqlx::query("UPDATE failovers SET master_stopped = 1 WHERE id = ?")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The failback completed: the failover is no longer in effect.
pub async fn set_failed_back(
    conn: &mut SqliteConnection,
    id: Id,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE failovers SET role = 'failed_back', failed_back_at = ? WHERE id = ?")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The master's read-only as it was before the first reverse session (kept from the first
/// failback attempt on: a later attempt would read what that one's hook set).
pub async fn keep_master_read_only(conn: &mut SqliteConnection, id: Id, json: &str) -> Result<()> {
    sqlx::query(
        "UPDATE failovers SET master_read_only = ? WHERE id = ? AND master_read_only IS NULL",
    )
    .bind(json)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}
