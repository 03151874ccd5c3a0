//! The repository layer: every SQL statement of georep lives under this module.
//!
//! Writes take a `&mut SqliteConnection` so that a caller can group them in one
//! transaction (`store.begin()`); reads are also offered on `Store` for convenience.
mod backup;
mod clusters;
mod events;
mod failover;
mod health;
mod inventory;
mod lifecycle;
mod operations;
mod rows;
mod sessions;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub use backup::{backup, restore, Copied, DbLock};
pub use clusters::*;
pub use events::*;
pub use failover::*;
pub use health::*;
pub use inventory::*;
pub use lifecycle::*;
pub use operations::*;
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

/// georep's schema, in order (`server/migrations`).
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// This process uses the file: no restore replaces it meanwhile (backup.rs).
    _using: Arc<DbLock>,
}

impl Store {
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
            pool,
            _using: using,
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn begin(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin().await?)
    }

    /// A transaction that holds SQLite's write lock from its start: what it reads cannot be
    /// changed by another writer before it writes (a deferred one could read, then find its
    /// write refused because another process wrote meanwhile).
    pub async fn begin_immediate(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// How many transactions this process has committed to any store: what a cache of documents
/// read from SQLite compares to know it is current.
pub fn commits() -> u64 {
    commits::COMMITS.load(std::sync::atomic::Ordering::Acquire)
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
