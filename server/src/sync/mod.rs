//! The background sync: every cycle, each registered cluster is read from gluster and
//! reconciled into SQLite in one transaction. A cluster that cannot be read keeps its rows,
//! shown as UNKNOWN with the error, never as silently stale.
pub mod reconcile;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tracing::Instrument;

use crate::gluster::{Gluster, GlusterError, Target};
use crate::store::{self, ClusterRow, HostRow, Store};
pub use reconcile::{Change, Guard, Hold, Holds, Report, Snapshot};
use uuid::Uuid;

/// What the sync loop and the actions share in this process: one sync of a cluster at a time
/// (its read and its write together, so that a cycle that read before an action cannot write
/// after the action's own refresh), and the statuses actions just caused.
#[derive(Default)]
struct Coord {
    clusters: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
    holds: Mutex<Holds>,
    /// Sessions (by key) an action changed, with the action sequence number and when.
    touched: Mutex<HashMap<String, (u64, std::time::Instant)>>,
    seq: std::sync::atomic::AtomicU64,
    /// What the actions under way will record themselves (see `quiet_while`).
    acting: Mutex<Vec<(u64, Quiet)>>,
    next_act: std::sync::atomic::AtomicU64,
}

static COORD: LazyLock<Coord> = LazyLock::new(Coord::default);

fn cluster_lock(id: Uuid) -> Arc<tokio::sync::Mutex<()>> {
    COORD
        .clusters
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(id)
        .or_default()
        .clone()
}

/// Keeps `hold.status` for the session while gluster still reports one of `hold.stale`.
pub fn hold(session_id: Uuid, hold: Hold) {
    COORD
        .holds
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(session_id, hold);
}

/// Ends the holds of sessions gluster has shown past their stale states.
fn release_holds(settled: &[Uuid]) {
    if settled.is_empty() {
        return;
    }
    let mut holds = COORD.holds.lock().unwrap_or_else(|e| e.into_inner());
    for id in settled {
        holds.remove(id);
    }
}

/// Called by an action before it changes a session on gluster: a cycle that began reading
/// before this leaves the session alone (the action writes its outcome itself).
pub fn touch(session_key: &str) {
    let seq = COORD.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let mut touched = COORD.touched.lock().unwrap_or_else(|e| e.into_inner());
    // no cycle reads for longer than this (gluster's timeout bounds every call)
    touched.retain(|_, (_, at)| at.elapsed() < Duration::from_secs(600));
    touched.insert(session_key.to_owned(), (seq, std::time::Instant::now()));
}

fn action_seq() -> u64 {
    COORD.seq.load(std::sync::atomic::Ordering::SeqCst)
}

fn guard_since(read_from: u64) -> reconcile::Guard {
    let now = Utc::now();
    let mut holds = COORD.holds.lock().unwrap_or_else(|e| e.into_inner());
    holds.retain(|_, h| h.until > now);
    let skip = COORD
        .touched
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(_, (seq, _))| *seq > read_from)
        .map(|(k, _)| k.clone())
        .collect();
    reconcile::Guard {
        holds: holds.clone(),
        skip,
    }
}

/// While the guard lives, no sync cycle records the changes `quiet` covers as discoveries:
/// between gluster's answer to an action and the action's own refresh, a cycle of the loop
/// would otherwise report (say) the deleted session as vanished outside georep.
pub fn quiet_while(quiet: Quiet) -> Acting {
    let id = COORD
        .next_act
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    COORD
        .acting
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((id, quiet));
    Acting(id)
}

pub struct Acting(u64);

impl Drop for Acting {
    fn drop(&mut self) {
        COORD
            .acting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(id, _)| *id != self.0);
    }
}

fn acted_on(c: &Change) -> bool {
    COORD
        .acting
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|(_, q)| q.covers(c))
}

/// Changes a refresh should not record as discovered outside georep: those the action that
/// asked for the refresh caused itself (its own event records them).
#[derive(Clone, Debug, Default)]
pub struct Quiet {
    pub session_id: Option<Uuid>,
    /// `host::volume` of a session being created.
    pub slave: Option<String>,
    /// The options of `session_id` the action sets (any other option changed meanwhile was
    /// changed by someone else, and is recorded).
    pub options: Vec<String>,
}

impl Quiet {
    /// What an action on session `id` causes: its status, its disappearance, and `options`.
    pub fn session(id: Uuid, options: &[&str]) -> Self {
        Quiet {
            session_id: Some(id),
            slave: None,
            options: options.iter().map(|o| (*o).to_owned()).collect(),
        }
    }

    /// What creating a session to `slave` (`host::volume`) causes.
    pub fn created(slave: String) -> Self {
        Quiet {
            session_id: None,
            slave: Some(slave),
            options: vec![],
        }
    }
}

impl Quiet {
    fn covers(&self, c: &Change) -> bool {
        let sid = match c {
            Change::SessionAppeared {
                session_id,
                session_key,
            } => {
                if let Some(slave) = &self.slave {
                    if session_key.contains(&format!("ssh://{slave}:"))
                        || session_key.contains(&format!("@{slave}:"))
                    {
                        return true;
                    }
                }
                session_id
            }
            Change::OptionChanged {
                session_id, key, ..
            } => {
                return self.session_id == Some(*session_id) && self.options.contains(key);
            }
            Change::SessionVanished { session_id, .. }
            | Change::SessionStatus { session_id, .. } => session_id,
        };
        self.session_id == Some(*sid)
    }
}

/// The audit event of a change found by the sync (status changes are not events: they are
/// what the status page shows).
fn change_event(
    cluster: &ClusterRow,
    c: &Change,
    at: chrono::DateTime<Utc>,
) -> Option<store::EventRow> {
    let (action, session_id, target, message) = match c {
        Change::SessionAppeared {
            session_id,
            session_key,
        } => (
            "session_appeared",
            session_id,
            session_key.clone(),
            Some("created outside georep".to_owned()),
        ),
        Change::SessionVanished {
            session_id,
            session_key,
        } => (
            "session_vanished",
            session_id,
            session_key.clone(),
            Some("deleted outside georep".to_owned()),
        ),
        Change::OptionChanged {
            session_id,
            key,
            from,
            to,
        } => (
            "option_changed",
            session_id,
            key.clone(),
            Some(format!(
                "{} -> {}",
                from.as_deref().unwrap_or("(unset)"),
                to.as_deref().unwrap_or("(unset)")
            )),
        ),
        Change::SessionStatus { .. } => return None,
    };
    Some(store::EventRow {
        id: 0,
        at,
        actor: "sync".into(),
        action: action.into(),
        cluster_id: Some(cluster.id),
        session_id: Some(session_id.hyphenated()),
        target,
        result: "detected".into(),
        message,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Gluster(#[from] GlusterError),
    #[error("the cluster has no host to ask")]
    NoHost,
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

pub fn target_of(h: &HostRow) -> Target {
    match h.connection.as_str() {
        "ssh" => Target::Ssh {
            host: h.address.clone(),
            user: h.ssh_user.clone(),
            port: h.ssh_port as u16,
        },
        _ => Target::Local,
    }
}

/// Reads everything georep keeps about a cluster, asking its hosts in turn until one answers.
pub async fn read_cluster(gluster: &Gluster, hosts: &[HostRow]) -> Result<Snapshot, SyncError> {
    let mut last = SyncError::NoHost;
    // connected hosts first: a down peer would cost a timeout before the next one is asked
    let mut order: Vec<&HostRow> = hosts.iter().collect();
    order.sort_by_key(|h| h.status != "connected");
    for host in order {
        match read_from(gluster, host).await {
            Ok(s) => return Ok(s),
            // something else answers as this host: the cluster is in error until an admin
            // accepts the key, even if another peer could be read
            Err(e @ SyncError::Gluster(GlusterError::HostKeyChanged { .. })) => return Err(e),
            Err(e) => {
                tracing::warn!(host = %host.address, error = %e, "cannot read the cluster through this host");
                last = e;
            }
        }
    }
    Err(last)
}

async fn read_from(gluster: &Gluster, host: &HostRow) -> Result<Snapshot, SyncError> {
    let t = target_of(host);
    let peers = gluster.pool_list(&t).await?;
    let volumes = gluster.volume_info(&t).await?;
    let status = if volumes.iter().any(|v| v.status_code == 1) {
        gluster.volume_status_detail(&t).await?
    } else {
        Vec::new()
    };
    let georep = gluster.georep_status_all(&t).await?;
    let mut configs = HashMap::new();
    for (master, s) in georep.sessions() {
        let slave = slave_spec(&s.slave_user, &s.slave_host, &s.slave_volume);
        match gluster.georep_config(&t, master, &slave).await {
            Ok(c) => {
                configs.insert(s.session_key.clone(), c);
            }
            // options stay as stored; the session itself was read fine
            Err(e) => {
                tracing::warn!(session = %s.session_key, error = %e, "cannot read session options")
            }
        }
    }
    Ok(Snapshot {
        queried_host: Some(host.id),
        peers,
        volumes,
        status,
        georep,
        configs,
    })
}

/// `[user@]host::volume`, as the gluster CLI names a slave.
pub fn slave_spec(user: &str, host: &str, volume: &str) -> String {
    if user.is_empty() || user == "root" {
        format!("{host}::{volume}")
    } else {
        format!("{user}@{host}::{volume}")
    }
}

/// One cycle for one cluster: read, then reconcile (or mark unknown) in one transaction.
pub async fn sync_cluster(
    store: &Store,
    gluster: &Gluster,
    cluster: &ClusterRow,
) -> Result<Report, SyncError> {
    sync_cluster_with(store, gluster, cluster, &Quiet::default()).await
}

/// `sync_cluster`, not recording as discoveries the changes `quiet` covers. The changes found
/// outside georep are recorded as events in the same transaction as the rows.
pub async fn sync_cluster_with(
    store: &Store,
    gluster: &Gluster,
    cluster: &ClusterRow,
    quiet: &Quiet,
) -> Result<Report, SyncError> {
    let lock = cluster_lock(cluster.id.into_uuid());
    let _turn = lock.lock().await;
    // the cluster row as it is now (the caller's copy may predate the previous cycle)
    let cluster = &{
        let mut c = store
            .pool()
            .acquire()
            .await
            .map_err(store::StoreError::from)?;
        store::get_cluster(&mut c, cluster.id)
            .await?
            .unwrap_or_else(|| cluster.clone())
    };
    let hosts = {
        let mut c = store
            .pool()
            .acquire()
            .await
            .map_err(store::StoreError::from)?;
        store::hosts_of_cluster(&mut c, cluster.id).await?
    };
    let read_from = action_seq();
    let read = read_cluster(gluster, &hosts).await;
    store_read(
        store,
        cluster,
        read,
        &guard_since(read_from),
        quiet,
        Utc::now(),
    )
    .await
}

/// What a cycle read, into SQLite: the snapshot in one transaction, or the cluster marked
/// unknown with the error. A snapshot whose write fails half-way is rolled back whole, and
/// the cluster is marked unknown with that error in a transaction of its own (rows half of
/// this cycle and half of the last one would look current and be neither).
async fn store_read(
    store: &Store,
    cluster: &ClusterRow,
    read: Result<Snapshot, SyncError>,
    guard: &Guard,
    quiet: &Quiet,
    now: chrono::DateTime<Utc>,
) -> Result<Report, SyncError> {
    let failure = match read {
        Ok(snap) => {
            let mut tx = store.begin().await?;
            match write_snapshot(&mut tx, cluster, &snap, guard, quiet, now).await {
                Ok(report) => {
                    tx.commit().await.map_err(store::StoreError::from)?;
                    return Ok(report);
                }
                Err(e) => {
                    tx.rollback().await.map_err(store::StoreError::from)?;
                    tracing::error!(cluster = %cluster.name, error = %e, "cannot store the cluster's snapshot: rolled back");
                    SyncError::Store(e)
                }
            }
        }
        Err(e) => e,
    };
    let message = failure.to_string();
    let mut tx = store.begin().await?;
    store::mark_cluster_unknown(&mut tx, cluster.id).await?;
    if cluster.sync_state != "error" || cluster.sync_error.as_deref() != Some(message.as_str()) {
        store::record_cluster_sync(&mut tx, cluster.id, now, Some(&message)).await?;
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    Err(failure)
}

/// A snapshot into SQLite within `tx`: the rows (as `guard` allows), the changes made outside
/// georep as events (but those `quiet` covers or an action under way causes).
async fn write_snapshot(
    tx: &mut sqlx::SqliteConnection,
    cluster: &ClusterRow,
    snap: &Snapshot,
    guard: &Guard,
    quiet: &Quiet,
    now: chrono::DateTime<Utc>,
) -> store::Result<Report> {
    let report = reconcile::reconcile_held(&mut *tx, cluster.id, snap, now, guard).await?;
    record_changes(&mut *tx, cluster, &report, quiet, now).await?;
    if cluster.sync_state != "ok" {
        store::record_cluster_sync(&mut *tx, cluster.id, now, None).await?;
    }
    Ok(report)
}

/// After a reconcile: the holds it saw settle end, and the changes found outside georep (not
/// those `quiet` covers or an action under way causes) become events.
async fn record_changes(
    tx: &mut sqlx::SqliteConnection,
    cluster: &ClusterRow,
    report: &Report,
    quiet: &Quiet,
    now: chrono::DateTime<Utc>,
) -> store::Result<()> {
    release_holds(&report.settled);
    for change in report
        .changes
        .iter()
        .filter(|c| !quiet.covers(c) && !acted_on(c))
    {
        if let Some(event) = change_event(cluster, change, now) {
            store::insert_event(&mut *tx, &event).await?;
        }
    }
    Ok(())
}

/// Why one session is read on its own (see `refresh_pair`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairRead {
    /// georep just created it: it is not stored yet.
    Created,
    /// An action just changed it: its outcome is stored, the details follow.
    Acted,
}

/// Reads one session, `master` -> `slave`, now (its status detail and options, what the CLI
/// reads to show it) and writes it over the volumes and bricks SQLite has; every other row
/// stays as stored until the next cycle (volumes and bricks do not change with a session's
/// actions, and the cluster-wide reads, above all `geo-replication status detail` of every
/// session, hold glusterd for a second or more). No cluster lock: the session
/// keys that actions touch keep a cycle from writing older data over this.
pub async fn refresh_pair(
    store: &Store,
    gluster: &Gluster,
    cluster: &ClusterRow,
    master: &str,
    slave: &str,
    quiet: &Quiet,
    why: PairRead,
) -> Result<Report, SyncError> {
    let hosts = {
        let mut c = store
            .pool()
            .acquire()
            .await
            .map_err(store::StoreError::from)?;
        store::hosts_of_cluster(&mut c, cluster.id).await?
    };
    let mut order: Vec<&HostRow> = hosts.iter().collect();
    order.sort_by_key(|h| h.status != "connected");
    let host = order.first().ok_or(SyncError::NoHost)?;
    let t = target_of(host);
    // an action after this read began has newer news of the session than the read
    let mut read_from = action_seq();
    let georep = gluster.georep_session_status(&t, master, slave).await?;
    let mut configs = HashMap::new();
    let mut keys = Vec::new();
    for (_, s) in georep.sessions() {
        configs.insert(
            s.session_key.clone(),
            gluster.georep_config(&t, master, slave).await?,
        );
        keys.push(s.session_key.clone());
    }
    if why == PairRead::Created {
        // a cycle that read before the session existed must not take it for vanished
        read_from = action_seq();
        for k in &keys {
            touch(k);
        }
    }
    let now = Utc::now();
    let mut tx = store.begin().await?;
    let mut guard = guard_since(read_from);
    if why == PairRead::Created {
        guard.skip.retain(|k| !keys.contains(k));
    }
    for s in store::sessions_of_cluster(&mut tx, cluster.id).await? {
        if !keys.contains(&s.session_key) {
            guard.skip.insert(s.session_key);
        }
    }
    let report =
        reconcile::reconcile_sessions_held(&mut tx, cluster.id, &georep, &configs, now, &guard)
            .await?;
    record_changes(&mut tx, cluster, &report, quiet, now).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(report)
}

/// One cycle over every registered cluster.
pub async fn sync_all(
    store: &Store,
    gluster: &Gluster,
) -> Vec<(String, Result<Report, SyncError>)> {
    let clusters = {
        let Ok(mut c) = store.pool().acquire().await else {
            return Vec::new();
        };
        store::list_clusters(&mut c).await.unwrap_or_default()
    };
    let mut out = Vec::with_capacity(clusters.len());
    for cluster in clusters {
        // everything logged while this cluster is read and written names it
        let span = tracing::info_span!("sync", cluster = %cluster.name);
        let r = sync_cluster(store, gluster, &cluster)
            .instrument(span.clone())
            .await;
        span.in_scope(|| match &r {
            Ok(report) if report.writes > 0 => {
                tracing::info!(
                    writes = report.writes,
                    changes = report.changes.len(),
                    "synced"
                )
            }
            Ok(_) => tracing::debug!("synced, nothing changed"),
            Err(e) => tracing::warn!(error = %e, "sync failed"),
        });
        out.push((cluster.name.clone(), r));
    }
    out
}

/// Runs `sync_all` every `interval` until `stop` turns true.
pub async fn run(
    store: Store,
    gluster: Gluster,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // the loop's reads step aside for actions (gluster::background)
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        // a stop ends a cycle in the middle (its transaction rolls back, its gluster call is
        // killed) rather than wait up to the gluster timeout
        tokio::select! {
            // the loop's reads step aside for actions (gluster::background)
            _ = crate::gluster::background(sync_all(&store, &gluster)) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
}

#[cfg(test)]
mod tests;
