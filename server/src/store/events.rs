//! The audit trail (`events`): appended to, never updated.
use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqliteConnection};

use super::{Id, Result};

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct EventRow {
    /// Assigned by SQLite; ignored on insert.
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub cluster_id: Option<Id>,
    pub session_id: Option<Id>,
    pub target: String,
    pub result: String,
    pub message: Option<String>,
    /// The operation that did it (none for discoveries and refusals).
    pub operation_id: Option<Id>,
}

const EVENT_COLUMNS: &str =
    "id, at, actor, action, cluster_id, session_id, target, result, message, operation_id";

pub async fn insert_event(conn: &mut SqliteConnection, e: &EventRow) -> Result<i64> {
    let done = sqlx::query(
        "INSERT INTO events (at, actor, action, cluster_id, session_id, target, result, message,
             operation_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(e.cluster_id)
    .bind(e.session_id)
    .bind(&e.target)
    .bind(&e.result)
    .bind(&e.message)
    .bind(e.operation_id)
    .execute(conn)
    .await?;
    Ok(done.last_insert_rowid())
}

/// Newest first; `session` restricts to one session's events.
pub async fn list_events(
    conn: &mut SqliteConnection,
    session: Option<Id>,
    limit: i64,
) -> Result<Vec<EventRow>> {
    let limit = limit.clamp(1, 1000);
    let rows = match session {
        Some(s) => {
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE session_id = ? ORDER BY id DESC LIMIT ?"
            );
            sqlx::query_as(&sql)
                .bind(s)
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
        None => {
            let sql = format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY id DESC LIMIT ?");
            sqlx::query_as(&sql).bind(limit).fetch_all(conn).await?
        }
    };
    Ok(rows)
}
