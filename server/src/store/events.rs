//! The audit trail (`events`): appended to, read a page at a time, pruned by age.
use app::domain::{EventCursor, EventFilter, EventResult};
use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, FromRow, QueryBuilder, Type};

use super::{Conn, Id, Result};

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct EventRow {
    /// Assigned by the database; ignored on insert.
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub cluster_id: Option<Id>,
    pub session_id: Option<Id>,
    pub target: String,
    #[sqlx(try_from = "String")]
    pub result: EventResult,
    pub message: Option<String>,
    /// The operation that did it (none for discoveries and refusals).
    pub operation_id: Option<Id>,
}

const EVENT_COLUMNS: &str =
    "id, at, actor, action, cluster_id, session_id, target, result, message, operation_id";

pub async fn insert_event(conn: &mut dyn Conn, e: &EventRow) -> Result<i64> {
    let id: i64 = on!(conn => |db| sqlx::query_scalar(
        "INSERT INTO events (at, actor, action, cluster_id, session_id, target, result, message,
             operation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING id",
    )
    .bind(e.at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(e.cluster_id)
    .bind(e.session_id)
    .bind(&e.target)
    .bind(e.result.as_str())
    .bind(&e.message)
    .bind(e.operation_id)
    .fetch_one(db).await)?;
    Ok(id)
}

/// ` WHERE …` of the events `f` and `cursor` select, every value bound.
fn push_where<'a, DB: Database>(
    q: &mut QueryBuilder<'a, DB>,
    f: &'a EventFilter,
    cursor: EventCursor,
) where
    Id: Encode<'a, DB> + Type<DB>,
    &'a str: Encode<'a, DB> + Type<DB>,
    DateTime<Utc>: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
{
    q.push(" WHERE 1 = 1");
    if let Some(s) = f.session {
        q.push(" AND session_id = ").push_bind(Id::from(s));
    }
    if let Some(c) = f.cluster {
        q.push(" AND cluster_id = ").push_bind(Id::from(c));
    }
    if let Some(a) = &f.actor {
        q.push(" AND actor = ").push_bind(a.as_str());
    }
    if let Some(a) = &f.action {
        q.push(" AND action = ").push_bind(a.as_str());
    }
    if let Some(r) = f.result {
        q.push(" AND result = ").push_bind(r.as_str());
    }
    // `at` sorts as the times do: a timestamp on PostgreSQL, RFC 3339 in one form (sqlx's) on
    // SQLite
    if let Some(t) = f.from {
        q.push(" AND at >= ").push_bind(up_to_micros(t));
    }
    if let Some(t) = f.to {
        q.push(" AND at < ").push_bind(up_to_micros(t));
    }
    match cursor {
        EventCursor::Newest => {}
        EventCursor::Before(id) => {
            q.push(" AND id < ").push_bind(id);
        }
        EventCursor::After(id) => {
            q.push(" AND id > ").push_bind(id);
        }
    }
}

/// `t` rounded up to a whole microsecond: PostgreSQL keeps times to the microsecond and would
/// round a bound of finer precision down (an event just before `from` would be in).
fn up_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let extra = t.timestamp_subsec_nanos() % 1000;
    if extra == 0 {
        t
    } else {
        t + chrono::Duration::nanoseconds(i64::from(1000 - extra))
    }
}

/// Up to `limit` events that `f` selects on the `cursor`'s side, newest first: the newest ones,
/// those just older than `Before`, or those just newer than `After`.
pub async fn list_events(
    conn: &mut dyn Conn,
    f: &EventFilter,
    cursor: EventCursor,
    limit: i64,
) -> Result<Vec<EventRow>> {
    // the page just newer than a cursor is read upwards from it
    let upwards = matches!(cursor, EventCursor::After(_));
    let mut rows: Vec<EventRow> = on!(conn => |db| {
        let mut q = QueryBuilder::new(format!("SELECT {EVENT_COLUMNS} FROM events"));
        push_where(&mut q, f, cursor);
        q.push(if upwards {
            " ORDER BY id ASC LIMIT "
        } else {
            " ORDER BY id DESC LIMIT "
        })
        .push_bind(limit);
        q.build_query_as().fetch_all(db).await
    })?;
    if upwards {
        rows.reverse();
    }
    Ok(rows)
}

/// Whether any event that `f` selects lies on the `cursor`'s side.
pub async fn any_events(conn: &mut dyn Conn, f: &EventFilter, cursor: EventCursor) -> Result<bool> {
    Ok(on!(conn => |db| {
        let mut q = QueryBuilder::new("SELECT EXISTS (SELECT 1 FROM events");
        push_where(&mut q, f, cursor);
        q.push(")");
        q.build_query_scalar().fetch_one(db).await
    })?)
}

/// Events older than `before` go (the retention); how many.
pub async fn prune_events(conn: &mut dyn Conn, before: DateTime<Utc>) -> Result<u64> {
    Ok(
        exec!(conn => |db| sqlx::query("DELETE FROM events WHERE at < $1")
        .bind(before)
        )?,
    )
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
