//! Failed logins, shared by every georep process on the database (the back-off's counts).
//! A client is its address as text, '' when unknown; times are milliseconds since 1970.
use super::{Conn, Result};

/// The start times of the newest `limit` failures since `since_ms`: of this client under this
/// user name (`user` Some), or of this client under any name (`user` None), newest first.
pub async fn login_failures(
    conn: &mut dyn Conn,
    client: &str,
    user: Option<&str>,
    since_ms: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    Ok(match user {
        Some(user) => on!(conn => |db| sqlx::query_scalar(
            "SELECT at_ms FROM login_failures WHERE client = $1 AND user_name = $2 AND at_ms > $3
              ORDER BY at_ms DESC LIMIT $4",
        )
        .bind(client)
        .bind(user)
        .bind(since_ms)
        .bind(limit)
        .fetch_all(db).await)?,
        None => on!(conn => |db| sqlx::query_scalar(
            "SELECT at_ms FROM login_failures WHERE client = $1 AND at_ms > $2
              ORDER BY at_ms DESC LIMIT $3",
        )
        .bind(client)
        .bind(since_ms)
        .bind(limit)
        .fetch_all(db).await)?,
    })
}

/// Counts an attempt as a failure from `at_ms` on, first dropping those older than
/// `before_ms` (the table holds one window): the attempt's id, for `forgive_login`.
pub async fn insert_login_failure(
    conn: &mut dyn Conn,
    client: &str,
    user: Option<&str>,
    at_ms: i64,
    before_ms: i64,
) -> Result<i64> {
    exec!(conn => |db| sqlx::query("DELETE FROM login_failures WHERE at_ms <= $1")
        .bind(before_ms))?;
    Ok(on!(conn => |db| sqlx::query_scalar(
        "INSERT INTO login_failures (client, user_name, at_ms) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(client)
    .bind(user)
    .bind(at_ms)
    .fetch_one(db).await)?)
}

/// The attempt `id` succeeded (or was not checked): it is no failure, and the earlier failures
/// of this client under this name no longer count for the name (they still do for the client).
pub async fn forgive_login(
    conn: &mut dyn Conn,
    id: i64,
    client: &str,
    user: Option<&str>,
) -> Result<()> {
    exec!(conn => |db| sqlx::query("DELETE FROM login_failures WHERE id = $1").bind(id))?;
    if let Some(user) = user {
        exec!(conn => |db| sqlx::query(
            "UPDATE login_failures SET user_name = NULL WHERE client = $1 AND user_name = $2",
        )
        .bind(client)
        .bind(user))?;
    }
    Ok(())
}
