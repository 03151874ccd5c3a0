//! The repository layer: every SQL statement of georep lives under this module.
//!
//! Every function takes a `&mut dyn Conn` (a pooled connection or a transaction of either
//! engine, `engine.rs`) so that a caller can group writes in one transaction (`store.begin()`).

/// Runs one statement on the engine `conn` is on: `$run` is written once, with `$c` the
/// engine's own connection, and compiled for each engine.
#[macro_export]
macro_rules! on {
    ($conn:expr => |$c:ident| $run:expr) => {
        match $crate::store::Conn::db(&mut *$conn) {
            $crate::store::Db::Sqlite($c) => $run,
            $crate::store::Db::Pg($c) => $run,
        }
    };
}

/// `on!` for a statement that changes rows: how many it changed.
#[macro_export]
macro_rules! exec {
    ($conn:expr => |$c:ident| $q:expr) => {
        $crate::on!($conn => |$c| $q.execute($c).await.map(|done| done.rows_affected()))
    };
}

mod backup;
mod clusters;
mod engine;
mod events;
mod failover;
mod health;
mod inventory;
mod lifecycle;
mod logins;
mod operations;
mod presence;
mod rows;
mod sessions;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use backup::{backup, restore, Copied, DbLock};
pub use clusters::*;
pub use engine::{Conn, Db, Pool, Pooled, Tx};
pub use events::*;
pub use failover::*;
pub use health::*;
pub use inventory::*;
pub use lifecycle::*;
pub use logins::*;
pub use operations::*;
pub use presence::{notify, owner_alive, Presence, AUTH_CHANGED};
pub use rows::*;
pub use sessions::*;
pub use users::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A backup or restore that would lose data, or a database in the way of one.
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

impl StoreError {
    /// Maps a unique-constraint violation to `Duplicate(what)`, anything else to `Db`.
    pub(crate) fn unique(err: sqlx::Error, what: impl Into<String>) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate(what.into())
            }
            _ => StoreError::Db(err),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// georep's schema, in order, for each engine (`server/migrations/{sqlite,postgres}`: the same
/// versions on both).
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// This process uses the file: no restore replaces it meanwhile (backup.rs). SQLite only.
    _using: Option<Arc<DbLock>>,
}

/// Whether `database` (the `--database` value) names a PostgreSQL server rather than a file.
pub fn is_postgres_url(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

impl Store {
    /// Opens the database `--database` names: a PostgreSQL URL, or else an SQLite file.
    pub async fn open_any(database: &Path) -> Result<Store> {
        match database.to_str() {
            Some(url) if is_postgres_url(url) => Store::open_postgres(url).await,
            _ => Store::open(database).await,
        }
    }

    /// Opens (creating if needed) the SQLite file, in WAL mode with foreign keys on, and
    /// runs the migrations; refused while a restore replaces the file.
    pub async fn open(path: &Path) -> Result<Store> {
        // makes the folder too
        let using = Arc::new(DbLock::shared(path)?);
        let shown = path.display().to_string();
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| StoreError::Open {
                path: shown.clone(),
                source,
            })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    let mut handle = conn.lock_handle().await?;
                    commits::watch(&mut handle);
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: shown,
                source,
            })?;
        MIGRATOR.run(&pool).await?;
        Ok(Store {
            pool: Pool::Sqlite(pool),
            _using: Some(using),
        })
    }

    /// Connects to the PostgreSQL database at `url` (its password, if any, from `PGPASSWORD`
    /// or the URL) and runs the migrations (under PostgreSQL's migration lock: several
    /// processes may start at once).
    pub async fn open_postgres(url: &str) -> Result<Store> {
        let shown = shown_url(url);
        // as libpq: a password in the URL, else PGPASSWORD, else PGPASSFILE or ~/.pgpass
        let options = PgConnectOptions::from_str(url).map_err(|source| StoreError::Open {
            path: shown.clone(),
            source,
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: shown,
                source,
            })?;
        PG_MIGRATOR.run(&pool).await?;
        Ok(Store {
            pool: Pool::Pg(pool),
            _using: None,
        })
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Pg(_))
    }

    /// A connection from the pool.
    pub async fn conn(&self) -> Result<Pooled> {
        self.pool.acquire().await
    }

    pub async fn close(&self) {
        self.pool.close().await
    }

    /// The database answers (`/healthz`).
    pub async fn ping(&self) -> Result<()> {
        let mut c = self.conn().await?;
        exec!(c => |db| sqlx::query("SELECT 1"))?;
        Ok(())
    }

    pub async fn begin(&self) -> Result<Tx<'static>> {
        self.pool.begin_with("BEGIN", "BEGIN").await
    }

    /// A transaction that holds the database's write lock from its start: what it reads cannot
    /// be changed by another writer before it writes. On SQLite, `BEGIN IMMEDIATE` (a deferred
    /// one could read, then find its write refused because another process wrote meanwhile);
    /// on PostgreSQL, one advisory lock every such transaction takes, released at its end.
    pub async fn begin_immediate(&self) -> Result<Tx<'static>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE", "BEGIN").await?;
        if let Tx::Pg(t) = &mut tx {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut **t)
                .await?;
        }
        Ok(tx)
    }
}

/// Runs `sql` (CREATE or DROP DATABASE) on the PostgreSQL server `server` names (a URL of any
/// database on it): what tests and benchmarks use for a database of their own.
async fn on_server(server: &str, sql: &str) -> Result<()> {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(server).await?;
    sqlx::query(sql).execute(&mut admin).await?;
    admin.close().await?;
    Ok(())
}

/// A new empty database named `NAME_PREFIX<uuid>` on the PostgreSQL server `server`: its URL.
pub async fn create_database(server: &str, prefix: &str) -> Result<String> {
    let name = format!("{prefix}{}", uuid::Uuid::new_v4().simple());
    on_server(
        server,
        &format!("CREATE DATABASE {name} TEMPLATE template0"),
    )
    .await?;
    let (base, _) = server.rsplit_once('/').unwrap_or((server, ""));
    Ok(format!("{base}/{name}"))
}

/// Drops the database at `url` (made by `create_database`), its connections closed first.
pub async fn drop_database(url: &str) -> Result<()> {
    let (_, name) = url.rsplit_once('/').unwrap_or(("", url));
    on_server(url, &format!("DROP DATABASE {name} WITH (FORCE)")).await
}

/// The advisory lock of `begin_immediate` on PostgreSQL (any number, the same in every process).
const WRITE_LOCK: i64 = 0x6765_6f72_6570;

/// The URL without its password, for messages.
fn shown_url(url: &str) -> String {
    match url.split_once("://").zip(url.rsplit_once('@')) {
        Some(((scheme, _), (userinfo, host))) => {
            let user = userinfo
                .trim_start_matches(&format!("{scheme}://"))
                .split(':')
                .next()
                .unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_owned(),
    }
}

/// How many transactions this process has committed to any store: what a cache of documents
/// read from SQLite compares to know it is current.
pub fn commits() -> u64 {
    commits::COMMITS.load(std::sync::atomic::Ordering::Acquire)
}

/// What a cache of documents read from the database compares to know a document is current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    /// SQLite: this process's commits (`commits`); only it writes the file it serves, and a
    /// document read at a count stays right at any later count it was read after.
    Commits(u64),
    /// PostgreSQL: the database's snapshot (a hash of `pg_current_snapshot()`), which moves
    /// with every transaction any process commits (read-only ones take no transaction id):
    /// a document is right only at the snapshot it was read at.
    Snapshot(u64),
}

impl Generation {
    /// Whether a document read at `self` may answer a request that began at `asked`.
    pub fn serves(self, asked: Generation) -> bool {
        match (self, asked) {
            (Generation::Commits(held), Generation::Commits(asked)) => held >= asked,
            (held, asked) => held == asked,
        }
    }
}

impl Store {
    /// The generation of what the database holds now (one round trip on PostgreSQL).
    pub async fn generation(&self) -> Result<Generation> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(Generation::Commits(commits())),
            Pool::Pg(pool) => {
                use std::hash::{Hash, Hasher};
                let snapshot: String = sqlx::query_scalar("SELECT pg_current_snapshot()::text")
                    .fetch_one(pool)
                    .await?;
                let mut h = std::collections::hash_map::DefaultHasher::new();
                snapshot.hash(&mut h);
                Ok(Generation::Snapshot(h.finish()))
            }
        }
    }
}

mod commits {
    use std::ffi::{c_char, c_int, c_void};
    use std::sync::atomic::{AtomicU64, Ordering};

    use libsqlite3_sys as ffi;
    use sqlx::sqlite::LockedSqliteHandle;

    pub static COMMITS: AtomicU64 = AtomicU64::new(0);

    /// SQLite calls a connection's WAL hook after each commit, once the commit is visible to
    /// readers (a commit hook runs before: a reader could then cache the old rows under the
    /// new count). The hook replaces the default one, which only ran the auto-checkpoint; the
    /// hook does that too, at SQLite's default of 1,000 pages.
    pub fn watch(handle: &mut LockedSqliteHandle<'_>) {
        let db = handle.as_raw_handle().as_ptr();
        // SAFETY: `db` is this open connection; the hook is a plain function using no context.
        unsafe {
            ffi::sqlite3_wal_hook(db, Some(after_commit), std::ptr::null_mut());
        }
    }

    extern "C" fn after_commit(
        _: *mut c_void,
        db: *mut ffi::sqlite3,
        name: *const c_char,
        pages: c_int,
    ) -> c_int {
        COMMITS.fetch_add(1, Ordering::Release);
        if pages >= 1000 {
            // SAFETY: SQLite passes its own open connection and database name.
            unsafe {
                ffi::sqlite3_wal_checkpoint(db, name);
            }
        }
        ffi::SQLITE_OK
    }
}

#[cfg(test)]
pub(crate) mod tests;
