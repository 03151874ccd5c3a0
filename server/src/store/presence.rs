//! Several georep processes on one PostgreSQL database: which of them are alive, and the one
//! that leads (runs the sync loop, the health and schedule loops, and takes over what a dead
//! process left unfinished). Each process holds two advisory locks on a connection of its own,
//! outside the pool: its instance's for as long as it lives, the leader's while it leads.
//! PostgreSQL frees both when that connection ends: at once when the process dies (its
//! socket closes), within the keepalive below when its machine or the network does.
//! On SQLite (one process serves a file) the process always leads.
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use uuid::Uuid;

use super::{Conn, Db, Pool, Result, Store};

/// The leader's advisory lock (any number, the same in every process).
const LEADER_LOCK: i64 = 0x6765_6f72_6570_4c44;

/// The advisory lock of the process whose operations carry `owner` (its instance id).
fn owner_lock(owner: &str) -> Option<i64> {
    let id = Uuid::parse_str(owner).ok()?;
    let (high, _) = id.as_bytes().split_at(8);
    Some(i64::from_be_bytes(high.try_into().ok()?))
}

/// This process's presence in the database.
pub struct Presence {
    options: Option<PgConnectOptions>,
    instance: i64,
    conn: Option<PgConnection>,
    leading: bool,
    /// The last try failed (told once, not every few seconds).
    failing: bool,
}

impl Store {
    /// The presence of the process whose operations carry `instance`: nothing is taken until
    /// the first `lead`.
    pub fn presence(&self, instance: &str) -> Presence {
        let options = match self.pool() {
            Pool::Sqlite(_) => None,
            // the server drops a connection whose peer went silent within ~11 s (its
            // default waits two hours): the locks of a vanished leader do not outlive it
            Pool::Pg(p) => Some(
                (*p.connect_options())
                    .clone()
                    .application_name("georep-presence")
                    .options([
                        ("tcp_keepalives_idle", "5"),
                        ("tcp_keepalives_interval", "2"),
                        ("tcp_keepalives_count", "3"),
                    ]),
            ),
        };
        Presence {
            options,
            instance: owner_lock(instance).unwrap_or_default(),
            conn: None,
            leading: false,
            failing: false,
        }
    }
}

impl Presence {
    /// Takes the leader's lock if it is free, or checks that this process still holds it:
    /// whether this process leads now. Called every few seconds; a lost connection is
    /// leadership lost (the lock went with it), and is made again on the next call.
    pub async fn lead(&mut self) -> bool {
        let Some(options) = &self.options else {
            return true;
        };
        match self.try_lead(options.clone()).await {
            Ok(leading) => {
                self.leading = leading;
                self.failing = false;
            }
            Err(e) => {
                if self.leading {
                    tracing::warn!(error = %e, "the database connection that holds the leadership is lost");
                } else if !self.failing {
                    tracing::warn!(error = %e, "cannot take part in the leadership: retrying");
                }
                self.conn = None;
                self.leading = false;
                self.failing = true;
            }
        }
        self.leading
    }

    async fn try_lead(&mut self, options: PgConnectOptions) -> Result<bool> {
        if self.conn.is_none() {
            let mut conn = options.connect().await?;
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(self.instance)
                .execute(&mut conn)
                .await?;
            self.conn = Some(conn);
            self.leading = false;
        }
        let conn = self.conn.as_mut().expect("connected above");
        if self.leading {
            conn.ping().await?;
            return Ok(true);
        }
        Ok(sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LEADER_LOCK)
            .fetch_one(conn)
            .await?)
    }

    /// Gives the leadership up (at a stop: another process takes over at once).
    pub async fn resign(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = conn.close().await;
        }
        self.leading = false;
    }
}

/// Whether the process whose operations carry `owner` is alive (holds its instance's lock).
/// On SQLite, never: the operations of another process are those of a dead one.
pub async fn owner_alive(conn: &mut dyn Conn, owner: &str) -> Result<bool> {
    let (Db::Pg(c), Some(key)) = (conn.db(), owner_lock(owner)) else {
        return Ok(false);
    };
    // PostgreSQL shows a bigint advisory key as its high and low halves
    let (high, low) = ((key >> 32) & 0xffff_ffff, key & 0xffff_ffff);
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND objsubid = 1
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND classid = $1::bigint::oid AND objid = $2::bigint::oid)",
    )
    .bind(high)
    .bind(low)
    .fetch_one(c)
    .await?)
}

/// The channel told of every change to who may log in (a token revoked, a user removed, a
/// browser session closed): each process forgets the logins it remembers.
pub const AUTH_CHANGED: &str = "georep_auth";

/// Tells every georep process on this PostgreSQL database of a change on `channel` (at the
/// commit of the transaction `conn` is in, if any). Nothing on SQLite: one process.
pub async fn notify(conn: &mut dyn Conn, channel: &str) -> Result<()> {
    if let Db::Pg(c) = conn.db() {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(channel)
            .execute(c)
            .await?;
    }
    Ok(())
}

impl Store {
    /// What other processes tell on `channel` (`notify`); None on SQLite. A `None` from the
    /// listener's `try_recv` is a lost connection: whatever was told meanwhile is lost.
    pub async fn listen(&self, channel: &str) -> Result<Option<sqlx::postgres::PgListener>> {
        let Pool::Pg(pool) = self.pool() else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(channel).await?;
        Ok(Some(listener))
    }
}
