//! The two engines the store runs on, SQLite (one file, the default) and PostgreSQL (a server
//! several georep processes share), behind one connection type. Each statement is written once
//! in the SQL both accept (`$1` placeholders, `ON CONFLICT`, `RETURNING`, `TRUE`) and compiled
//! for each engine by `on!`.
use std::ops::{Deref, DerefMut};

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use super::Result;

/// A connection of either engine: what every store function takes, so that its caller decides
/// whether the statements share a transaction.
pub trait Conn: Send {
    fn db(&mut self) -> Db<'_>;
}

/// The engine a connection is on, for `on!` to run the statement with its own types.
pub enum Db<'a> {
    Sqlite(&'a mut SqliteConnection),
    Pg(&'a mut PgConnection),
}

impl Conn for SqliteConnection {
    fn db(&mut self) -> Db<'_> {
        Db::Sqlite(self)
    }
}

impl Conn for PgConnection {
    fn db(&mut self) -> Db<'_> {
        Db::Pg(self)
    }
}

impl dyn Conn + '_ {
    /// A transaction inside this connection's (a savepoint when it is in one already).
    pub async fn begin(&mut self) -> Result<Tx<'_>> {
        Ok(match self.db() {
            Db::Sqlite(c) => Tx::Sqlite(sqlx::Connection::begin(c).await?),
            Db::Pg(c) => Tx::Pg(sqlx::Connection::begin(c).await?),
        })
    }
}

/// The pool of either engine.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

impl Pool {
    pub async fn acquire(&self) -> Result<Pooled> {
        Ok(match self {
            Pool::Sqlite(p) => Pooled::Sqlite(p.acquire().await?),
            Pool::Pg(p) => Pooled::Pg(p.acquire().await?),
        })
    }

    pub async fn begin_with(&self, sqlite: &str, pg: &str) -> Result<Tx<'static>> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with(sqlite.to_owned()).await?),
            Pool::Pg(p) => Tx::Pg(p.begin_with(pg.to_owned()).await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Pg(p) => p.close().await,
        }
    }
}

impl Conn for Pooled {
    fn db(&mut self) -> Db<'_> {
        match self {
            Pooled::Sqlite(c) => Db::Sqlite(c),
            Pooled::Pg(c) => Db::Pg(c),
        }
    }
}

impl Conn for Tx<'_> {
    fn db(&mut self) -> Db<'_> {
        match self {
            Tx::Sqlite(t) => Db::Sqlite(t),
            Tx::Pg(t) => Db::Pg(t),
        }
    }
}

/// A connection taken from the pool, returned to it when dropped.
pub enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Pg(PoolConnection<Postgres>),
}

impl Deref for Pooled {
    type Target = dyn Conn;
    fn deref(&self) -> &Self::Target {
        match self {
            Pooled::Sqlite(c) => &**c,
            Pooled::Pg(c) => &**c,
        }
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Pooled::Sqlite(c) => &mut **c,
            Pooled::Pg(c) => &mut **c,
        }
    }
}

/// A transaction of either engine: rolled back when dropped uncommitted.
pub enum Tx<'a> {
    Sqlite(Transaction<'a, Sqlite>),
    Pg(Transaction<'a, Postgres>),
}

impl Tx<'_> {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Pg(t) => t.rollback().await?,
        }
        Ok(())
    }
}

impl Deref for Tx<'_> {
    type Target = dyn Conn;
    fn deref(&self) -> &Self::Target {
        match self {
            Tx::Sqlite(t) => &**t,
            Tx::Pg(t) => &**t,
        }
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Tx::Sqlite(t) => &mut **t,
            Tx::Pg(t) => &mut **t,
        }
    }
}
