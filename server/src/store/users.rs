//! Users of the REST API and their API tokens.
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{Conn, Id, Result, StoreError};

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct UserRow {
    pub id: Id,
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    #[sqlx(try_from = "String")]
    pub role: app::domain::Role,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct TokenRow {
    pub id: Id,
    pub user_id: Id,
    pub name: String,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
}

const USER_COLUMNS: &str = "id, name, password_hash, role, created_at";

pub async fn insert_user(conn: &mut dyn Conn, u: &UserRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO users (id, name, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(u.id)
    .bind(&u.name)
    .bind(&u.password_hash)
    .bind(<&str>::from(u.role))
    .bind(u.created_at)
    )
    .map_err(|e| StoreError::unique(e, format!("a user named {:?}", u.name)))?;
    Ok(())
}

pub async fn user_by_name(conn: &mut dyn Conn, name: &str) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1");
    Ok(on!(conn => |db| sqlx::query_as(&sql).bind(name).fetch_optional(db).await)?)
}

pub async fn count_users(conn: &mut dyn Conn) -> Result<i64> {
    Ok(
        on!(conn => |db| sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db).await)?,
    )
}

pub async fn list_users(conn: &mut dyn Conn) -> Result<Vec<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
    Ok(on!(conn => |db| sqlx::query_as(&sql).fetch_all(db).await)?)
}

pub async fn insert_token(conn: &mut dyn Conn, t: &TokenRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(t.id)
    .bind(t.user_id)
    .bind(&t.name)
    .bind(&t.token_hash)
    .bind(t.created_at)
    )
    .map_err(|e| StoreError::unique(e, "this token"))?;
    Ok(())
}

/// Every token with its user's name (never the hash), oldest first.
pub async fn list_tokens(conn: &mut dyn Conn) -> Result<Vec<(TokenRow, String)>> {
    let rows: Vec<(Id, Id, String, String, DateTime<Utc>, String)> = on!(conn => |db| sqlx::query_as(
        "SELECT t.id, t.user_id, t.name, t.token_hash, t.created_at, u.name
           FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at, t.id",
    )
    .fetch_all(db).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, user_id, name, token_hash, created_at, user)| {
            let t = TokenRow {
                id,
                user_id,
                name,
                token_hash,
                created_at,
            };
            (t, user)
        })
        .collect())
}

/// Removes a token; false when there was none with this id.
pub async fn delete_token(conn: &mut dyn Conn, id: Id) -> Result<bool> {
    let done = exec!(conn => |db| sqlx::query("DELETE FROM api_tokens WHERE id = $1")
    .bind(id)
    )?;
    super::notify(conn, super::AUTH_CHANGED).await?;
    Ok(done > 0)
}

/// Removes a user with its tokens and browser logins; false when there was none.
pub async fn delete_user(conn: &mut dyn Conn, name: &str) -> Result<bool> {
    let done = exec!(conn => |db| sqlx::query("DELETE FROM users WHERE name = $1")
    .bind(name)
    )?;
    super::notify(conn, super::AUTH_CHANGED).await?;
    Ok(done > 0)
}

/// The user owning the token with this hash (one indexed lookup).
pub async fn user_by_token_hash(conn: &mut dyn Conn, token_hash: &str) -> Result<Option<UserRow>> {
    Ok(on!(conn => |db| sqlx::query_as(
        "SELECT u.id, u.name, u.password_hash, u.role, u.created_at
           FROM api_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db).await)?)
}

/// A browser login of `user_id` until `expires_at`.
pub async fn insert_web_session(
    conn: &mut dyn Conn,
    token_hash: &str,
    user_id: Id,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    // expired logins go when new ones come: the table stays small without a timer
    exec!(conn => |db| sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
    .bind(now)
    )?;
    exec!(conn => |db| sqlx::query(
        "INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    )
    .map_err(|e| StoreError::unique(e, "this login"))?;
    Ok(())
}

/// A browser login's user and when the login expires.
#[derive(FromRow)]
struct WebLogin {
    #[sqlx(flatten)]
    user: UserRow,
    expires_at: DateTime<Utc>,
}

/// The user of an unexpired browser login, with its expiry.
pub async fn user_by_web_session(
    conn: &mut dyn Conn,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(UserRow, DateTime<Utc>)>> {
    let row: Option<WebLogin> = on!(conn => |db| sqlx::query_as(
        "SELECT u.id, u.name, u.password_hash, u.role, u.created_at, w.expires_at
           FROM web_sessions w JOIN users u ON u.id = w.user_id
          WHERE w.token_hash = $1 AND w.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db).await)?;
    Ok(row.map(|r| (r.user, r.expires_at)))
}

pub async fn delete_web_session(conn: &mut dyn Conn, token_hash: &str) -> Result<()> {
    exec!(conn => |db| sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
    .bind(token_hash)
    )?;
    super::notify(conn, super::AUTH_CHANGED).await?;
    Ok(())
}
