//! Users of the REST API and their API tokens.
use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqliteConnection};

use super::{Id, Result, StoreError};

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct UserRow {
    pub id: Id,
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// `admin` or `viewer`.
    pub role: String,
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

pub async fn insert_user(conn: &mut SqliteConnection, u: &UserRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (id, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(u.id)
    .bind(&u.name)
    .bind(&u.password_hash)
    .bind(&u.role)
    .bind(u.created_at)
    .execute(conn)
    .await
    .map_err(|e| StoreError::unique(e, format!("a user named {:?}", u.name)))?;
    Ok(())
}

pub async fn user_by_name(conn: &mut SqliteConnection, name: &str) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?");
    Ok(sqlx::query_as(&sql).bind(name).fetch_optional(conn).await?)
}

pub async fn count_users(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await?)
}

pub async fn list_users(conn: &mut SqliteConnection) -> Result<Vec<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
    Ok(sqlx::query_as(&sql).fetch_all(conn).await?)
}

pub async fn insert_token(conn: &mut SqliteConnection, t: &TokenRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(t.id)
    .bind(t.user_id)
    .bind(&t.name)
    .bind(&t.token_hash)
    .bind(t.created_at)
    .execute(conn)
    .await
    .map_err(|e| StoreError::unique(e, "this token"))?;
    Ok(())
}

/// The user owning the token with this hash (one indexed lookup).
pub async fn user_by_token_hash(
    conn: &mut SqliteConnection,
    token_hash: &str,
) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.name, u.password_hash, u.role, u.created_at
           FROM api_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = ?",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?)
}
