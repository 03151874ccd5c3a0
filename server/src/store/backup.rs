//! The database file as a whole: a consistent copy while georep serves (`VACUUM INTO`), and a
//! restore that replaces the file only when no georep process has it open. Which processes
//! have it open is a `flock` on `DB.lock` beside it: every open `Store` (and a backup) holds
//! it shared, a restore exclusively. The kernel drops a lock with its process, so a georep
//! that was killed never leaves the database "in use" (a pid file could name a stranger).
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use super::{Result, StoreError, MIGRATOR};

/// A georep process's hold on a database (see the module). Released when dropped.
#[derive(Debug)]
pub struct DbLock(#[allow(dead_code)] File); // held, never read

impl DbLock {
    /// Shared with every other georep using `db`; refused while a restore replaces it.
    pub fn shared(db: &Path) -> Result<DbLock> {
        let f = lock_file(db)?;
        match f.try_lock_shared() {
            Ok(()) => Ok(DbLock(f)),
            Err(TryLockError::WouldBlock) => Err(StoreError::Refused(format!(
                "{} is being restored: try again once the restore has finished",
                db.display()
            ))),
            Err(TryLockError::Error(e)) => Err(io(&lock_path(db), e)),
        }
    }

    /// `db` to this process alone; refused while any other georep uses it.
    fn exclusive(db: &Path) -> Result<DbLock> {
        let f = lock_file(db)?;
        match f.try_lock() {
            Ok(()) => Ok(DbLock(f)),
            Err(TryLockError::WouldBlock) => Err(StoreError::Refused(format!(
                "refused: a georep process uses {} (a server, or a command under way); \
                 stop it first",
                db.display()
            ))),
            Err(TryLockError::Error(e)) => Err(io(&lock_path(db), e)),
        }
    }
}

fn lock_path(db: &Path) -> PathBuf {
    suffixed(db, ".lock")
}

/// `db` with `suffix` after its file name (`georep.db` → `georep.db-wal`).
fn suffixed(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    db.with_file_name(name)
}

/// The lock file beside `db`, made (with the database's folder) if missing.
fn lock_file(db: &Path) -> Result<File> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let path = lock_path(db);
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io(&path, e))
}

fn io(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.display().to_string(),
        source,
    }
}

/// What a backup or a restore wrote.
#[derive(Debug)]
pub struct Copied {
    pub bytes: u64,
    /// The newest migration in the copy (`_sqlx_migrations`).
    pub migration: i64,
}

/// A consistent copy of `db` into the new file `to` (never over an existing file), while
/// servers and commands go on using `db`: one read transaction (`VACUUM INTO`) into a
/// temporary file beside `to`, checked, then linked to its name (which fails if it exists).
pub async fn backup(db: &Path, to: &Path) -> Result<Copied> {
    if to.exists() {
        return Err(refused_existing(to));
    }
    if !db.is_file() {
        return Err(StoreError::Refused(format!(
            "no database at {}",
            db.display()
        )));
    }
    let _using = DbLock::shared(db)?;
    let partial = partial_beside(to, "backup");
    let copied = async {
        let mut conn = connect(db, false).await?;
        vacuum_into(&mut conn, &partial).await?;
        conn.close().await?;
        check_copy(&partial).await
    }
    .await;
    let linked = copied.and_then(|c| {
        // link(2) refuses an existing name: a file made at `to` meanwhile is not overwritten
        std::fs::hard_link(&partial, to).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => refused_existing(to),
            _ => io(to, e),
        })?;
        Ok(c)
    });
    let _ = std::fs::remove_file(&partial);
    let copied = linked?;
    sync_folder(to);
    Ok(copied)
}

/// Replaces `db` with the georep database `from` (a backup), once no other georep uses `db`
/// (held exclusively until done) and `from` proved to be a sound georep database this georep
/// can open: a compacted copy beside `db`, renamed over it in one step.
pub async fn restore(db: &Path, from: &Path) -> Result<Copied> {
    if !from.is_file() {
        return Err(StoreError::Refused(format!("no file {}", from.display())));
    }
    let _alone = DbLock::exclusive(db)?;
    let mut source = connect(from, true).await?;
    checked(&mut source, from).await?;
    let partial = partial_beside(db, "restore");
    let copied = async {
        vacuum_into(&mut source, &partial).await?;
        source.close().await?;
        let copied = check_copy(&partial).await?;
        File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(|e| io(&partial, e))?;
        // the journals of the file being replaced would be replayed onto the restored one
        for suffix in ["-wal", "-shm", "-journal"] {
            let journal = suffixed(db, suffix);
            match std::fs::remove_file(&journal) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&journal, e)),
                _ => {}
            }
        }
        std::fs::rename(&partial, db).map_err(|e| io(db, e))?;
        Ok(copied)
    }
    .await;
    if copied.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    let copied = copied?;
    sync_folder(db);
    Ok(copied)
}

fn refused_existing(to: &Path) -> StoreError {
    StoreError::Refused(format!(
        "{} exists: not overwriting it (give a new file name)",
        to.display()
    ))
}

/// A temporary name in `path`'s folder (renamed or linked to `path` once complete).
fn partial_beside(path: &Path, what: &str) -> PathBuf {
    suffixed(path, &format!(".{what}-{}.partial", std::process::id()))
}

/// One connection to `path`, which must exist (read-only: nothing, not even a journal, is
/// written to a file being restored from).
async fn connect(path: &Path, read_only: bool) -> Result<SqliteConnection> {
    SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .create_if_missing(false)
        .read_only(read_only)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })
}

async fn vacuum_into(conn: &mut SqliteConnection, to: &Path) -> Result<()> {
    let _ = std::fs::remove_file(to); // a partial file left by an earlier run of this pid
    sqlx::query("VACUUM INTO ?")
        .bind(to.to_string_lossy())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The copy at `path` re-read: sound, georep's, and its size.
async fn check_copy(path: &Path) -> Result<Copied> {
    let mut conn = connect(path, true).await?;
    let migration = checked(&mut conn, path).await?;
    conn.close().await?;
    let bytes = std::fs::metadata(path).map_err(|e| io(path, e))?.len();
    Ok(Copied { bytes, migration })
}

/// `path` (open on `conn`) is an intact SQLite file with georep's migrations, none newer
/// than this georep's and each the same as this georep's: its newest migration.
async fn checked(conn: &mut SqliteConnection, path: &Path) -> Result<i64> {
    let shown = path.display();
    let not_georep =
        |why: &str| StoreError::Refused(format!("{shown} is not a georep database: {why}"));
    let check: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| not_georep(&e.to_string()))?;
    if check != "ok" {
        return Err(not_georep(&format!("damaged ({check})")));
    }
    let applied: Vec<(i64, Vec<u8>, bool)> =
        sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(|_| not_georep("no migrations table"))?;
    for (version, checksum, success) in &applied {
        let Some(known) = MIGRATOR.iter().find(|m| m.version == *version) else {
            return Err(StoreError::Refused(format!(
                "{shown} was made by a newer georep (migration {version}, this georep knows \
                 up to {}): restore it with that version",
                MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
            )));
        };
        if !success || known.checksum.as_ref() != checksum.as_slice() {
            return Err(not_georep(&format!(
                "its migration {version} is not this georep's"
            )));
        }
    }
    applied
        .last()
        .map(|(v, _, _)| *v)
        .ok_or_else(|| not_georep("no migration applied"))
}

/// The new name in `path`'s folder survives a crash (best effort: a folder may refuse fsync).
fn sync_folder(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
}
