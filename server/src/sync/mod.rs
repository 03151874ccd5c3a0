//! The background sync: every cycle, each registered cluster is read from gluster and
//! reconciled into SQLite in one transaction. A cluster that cannot be read keeps its rows,
//! shown as UNKNOWN with the error, never as silently stale.
pub mod coord;
pub mod reconcile;

use std::collections::HashMap;
use std::time::Duration;

use app::domain::SyncState;
use chrono::Utc;
use tokio::sync::watch;
use tracing::Instrument;

use crate::domain::hosts::{connected_first, first_to_ask};
pub use crate::domain::hosts::{slave_spec, target_of};
use crate::gluster::{Gluster, GlusterError};
use crate::store::{self, ClusterRow, HostRow, Store};
pub use coord::{Acting, Coordinator, Lane, Quiet, Subject};
pub use reconcile::{Change, Guard, Hold, Holds, Report, Snapshot};

/// Who records the changes found outside georep.
pub const SYNC_ACTOR: &str = "sync";

/// The audit event of a change found by the sync, made outside georep: a session created or
/// deleted, stopped, paused, resumed or started, an option set. A status gluster moves on its
/// own (workers going active, faulty, …) is no event: the status pages and the health say it.
fn change_event(
    cluster: &ClusterRow,
    c: &Change,
    at: chrono::DateTime<Utc>,
) -> Option<store::EventRow> {
    let (action, session_id, target, message) = match c {
        Change::SessionAppeared {
            session_id, name, ..
        } => (
            "session_appeared",
            session_id,
            name.clone(),
            "created outside georep".to_owned(),
        ),
        Change::SessionVanished {
            session_id, name, ..
        } => (
            "session_vanished",
            session_id,
            name.clone(),
            "deleted outside georep".to_owned(),
        ),
        Change::SessionStatus {
            session_id,
            name,
            from,
            to,
        } => {
            let action = crate::domain::status::action_between(*from, *to)?;
            (
                "status_changed",
                session_id,
                name.clone(),
                format!(
                    "{} outside georep ({} -> {})",
                    done(action),
                    from.as_api(),
                    to.as_api()
                ),
            )
        }
        Change::SessionStale {
            session_id,
            name,
            reason,
            ..
        } => (
            "session_stale",
            session_id,
            name.clone(),
            format!("{reason}: the session replicates nowhere; clean it up"),
        ),
        Change::OptionChanged {
            session_id,
            name,
            key,
            from,
            to,
        } => {
            // as an admin's change through georep says it (a command option runs as root)
            let command = crate::domain::options::find(key).is_some_and(|s| s.command);
            let kind = if command { "command option " } else { "" };
            (
                "option_changed",
                session_id,
                format!("{name} {key}"),
                format!("{kind}{key}: {from:?} -> {to:?}, set outside georep"),
            )
        }
    };
    Some(store::EventRow {
        id: 0,
        at,
        actor: SYNC_ACTOR.into(),
        action: action.into(),
        // the session's own cluster (a stale one is found in its slave's)
        cluster_id: Some(match c {
            Change::SessionStale {
                master_cluster_id, ..
            } => master_cluster_id.into(),
            _ => cluster.id,
        }),
        session_id: Some(session_id.into()),
        target,
        result: app::domain::EventResult::Detected,
        message: Some(message),
        operation_id: None,
    })
}

/// "stopped", "paused", … : what the action did to a session.
fn done(a: app::domain::SessionAction) -> &'static str {
    use app::domain::SessionAction as A;
    match a {
        A::Start => "started",
        A::Stop => "stopped",
        A::Pause => "paused",
        A::Resume => "resumed",
        A::Delete => "deleted",
    }
}

/// A cycle of a cluster that was removed before it could write: nothing written, nothing to
/// report (the next cycle does not list it).
fn removed(cluster: &ClusterRow) -> Report {
    tracing::info!(cluster = %cluster.name, "cluster removed: forgotten by the sync");
    Report::default()
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

/// Reads everything georep keeps about a cluster, asking its hosts in turn until one answers.
pub async fn read_cluster(gluster: &Gluster, hosts: &[HostRow]) -> Result<Snapshot, SyncError> {
    let mut last = SyncError::NoHost;
    for host in connected_first(hosts.iter().collect()) {
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

/// What a sync works with: the store it writes, the gluster it asks, and the coordinator it
/// shares with the actions (the service owns it and hands out this).
#[derive(Clone)]
pub struct Syncer {
    pub store: Store,
    pub gluster: Gluster,
    pub coord: Coordinator,
    /// This process as the owner of operations (`Service::instance`).
    pub instance: String,
}

impl Syncer {
    async fn hosts_of(&self, cluster: &ClusterRow) -> Result<Vec<HostRow>, SyncError> {
        let mut c = self.store.conn().await?;
        Ok(store::hosts_of_cluster(&mut c, cluster.id).await?)
    }

    /// With several georep processes on one PostgreSQL database, the sessions the others act
    /// on are theirs to write (`guard` skips those that moved in the minute before the read
    /// began or since: this read may be older than what they wrote) and what happens to
    /// them is no discovery (`quiet`). Read in the snapshot's transaction, which holds the
    /// write lock the others' refreshes take too.
    async fn elsewhere(
        &self,
        tx: &mut dyn store::Conn,
        guard: &Guard,
        quiet: &Quiet,
    ) -> Result<(Guard, Vec<Quiet>), SyncError> {
        let mut guard = guard.clone();
        let mut quiets = vec![quiet.clone()];
        let Some(began) = guard.since.filter(|_| self.store.is_postgres()) else {
            return Ok((guard, quiets));
        };
        let since = began - chrono::Duration::seconds(60);
        for a in store::acted_on_elsewhere(tx, &self.instance, since).await? {
            if let (true, Some(key)) = (a.moved, &a.session_key) {
                guard.skip.insert(key.clone());
            }
            match (a.session_id, a.slave) {
                (Some(id), _) => quiets.push(Quiet::elsewhere(id.into_uuid())),
                (None, Some(slave)) => quiets.push(Quiet::created(slave)),
                (None, None) => {}
            }
        }
        Ok((guard, quiets))
    }

    /// Whether the cluster is no longer registered (removed by this georep or another process).
    async fn is_removed(&self, cluster: &ClusterRow) -> Result<bool, SyncError> {
        let mut c = self.store.conn().await?;
        Ok(store::get_cluster(&mut c, cluster.id).await?.is_none())
    }

    /// One cycle for one cluster: read, then reconcile (or mark unknown) in one transaction.
    pub async fn cluster(&self, cluster: &ClusterRow) -> Result<Report, SyncError> {
        self.cluster_with(cluster, &Quiet::default()).await
    }

    /// `cluster`, not recording as discoveries the changes `quiet` covers. The changes found
    /// outside georep are recorded as events in the same transaction as the rows.
    pub async fn cluster_with(
        &self,
        cluster: &ClusterRow,
        quiet: &Quiet,
    ) -> Result<Report, SyncError> {
        let (store, gluster) = (&self.store, &self.gluster);
        let lock = self.coord.cluster_lock(cluster.id.into_uuid());
        let _turn = lock.lock().await;
        // the cluster row as it is now (the caller's copy may predate the previous cycle); a
        // cluster removed meanwhile is not read at all
        let cluster = &{
            let mut c = store.conn().await?;
            match store::get_cluster(&mut c, cluster.id).await? {
                Some(now) => now,
                None => return Ok(removed(cluster)),
            }
        };
        let hosts = self.hosts_of(cluster).await?;
        let read_from = self.coord.action_seq();
        let began = Utc::now();
        let read = read_cluster(gluster, &hosts).await;
        let mut guard = self.coord.guard_since(read_from);
        guard.since = Some(began);
        self.store_read(cluster, read, &guard, quiet, Utc::now())
            .await
    }

    /// What a cycle read, into SQLite: the snapshot in one transaction, or the cluster marked
    /// unknown with the error. A snapshot whose write fails half-way is rolled back whole, and
    /// the cluster is marked unknown with that error in a transaction of its own (rows half of
    /// this cycle and half of the last one would look current and be neither).
    async fn store_read(
        &self,
        cluster: &ClusterRow,
        read: Result<Snapshot, SyncError>,
        guard: &Guard,
        quiet: &Quiet,
        now: chrono::DateTime<Utc>,
    ) -> Result<Report, SyncError> {
        let store = &self.store;
        let failure = match read {
            Ok(snap) => {
                // immediate: it reads before it writes, and a deferred transaction whose
                // first write comes after another connection's commit is refused at once
                // (SQLITE_BUSY, no busy wait): an action's create answered 503 in CI
                let mut tx = store.begin_immediate().await?;
                // removed while it was read: what was read belongs to no cluster any more
                if store::get_cluster(&mut tx, cluster.id).await?.is_none() {
                    return Ok(removed(cluster));
                }
                let (guard, quiet) = &self.elsewhere(&mut tx, guard, quiet).await?;
                match self
                    .write_snapshot(&mut tx, cluster, &snap, guard, quiet, now)
                    .await
                {
                    Ok(report) => {
                        tx.commit().await?;
                        return Ok(report);
                    }
                    Err(e) => {
                        tx.rollback().await?;
                        if self.is_removed(cluster).await? {
                            return Ok(removed(cluster));
                        }
                        tracing::error!(cluster = %cluster.name, error = %e, "cannot store the cluster's snapshot: rolled back");
                        SyncError::Store(e)
                    }
                }
            }
            // the read failed because the cluster was removed meanwhile (its hosts with it)
            Err(e) if self.is_removed(cluster).await? => {
                tracing::debug!(error = %e, "read of a removed cluster");
                return Ok(removed(cluster));
            }
            Err(e) => e,
        };
        let message = failure.to_string();
        let mut tx = store.begin().await?;
        store::mark_cluster_unknown(&mut tx, cluster.id).await?;
        if cluster.sync_state != SyncState::Error
            || cluster.sync_error.as_deref() != Some(message.as_str())
        {
            store::record_cluster_sync(&mut tx, cluster.id, now, Some(&message)).await?;
        }
        tx.commit().await?;
        Err(failure)
    }

    /// A snapshot into SQLite within `tx`: the rows (as `guard` allows), the changes made outside
    /// georep as events (but those `quiet` covers or an action under way causes).
    async fn write_snapshot(
        &self,
        tx: &mut dyn store::Conn,
        cluster: &ClusterRow,
        snap: &Snapshot,
        guard: &Guard,
        quiet: &[Quiet],
        now: chrono::DateTime<Utc>,
    ) -> store::Result<Report> {
        let report = reconcile::reconcile_held(&mut *tx, cluster.id, snap, now, guard).await?;
        self.record_changes(&mut *tx, cluster, &report, quiet, now)
            .await?;
        if cluster.sync_state != SyncState::Ok {
            store::record_cluster_sync(&mut *tx, cluster.id, now, None).await?;
        }
        Ok(report)
    }

    /// After a reconcile: the holds it saw settle end, and the changes found outside georep (not
    /// those `quiet` covers or an action under way causes) become events.
    async fn record_changes(
        &self,
        tx: &mut dyn store::Conn,
        cluster: &ClusterRow,
        report: &Report,
        quiet: &[Quiet],
        now: chrono::DateTime<Utc>,
    ) -> store::Result<()> {
        self.coord.release_holds(&report.settled);
        for change in report
            .changes
            .iter()
            .filter(|c| !quiet.iter().any(|q| q.covers(c)) && !self.coord.acted_on(c))
        {
            if let Some(event) = change_event(cluster, change, now) {
                store::insert_event(&mut *tx, &event).await?;
            }
        }
        Ok(())
    }
}

/// Why one session is read on its own (see `refresh_pair`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairRead {
    /// georep just created it: it is not stored yet.
    Created,
    /// An action just changed it: its outcome is stored, the details follow.
    Acted,
    /// gluster pushed an event about it.
    Pushed,
    /// gluster pushed a start, stop, pause or resume: its options are as stored (one call
    /// fewer: `config` takes about 0.2 s of the push's latency).
    PushedStatus,
}

/// Reads one session, `master` -> `slave`, now (its status detail and options, what the CLI
/// reads to show it) and writes it over the volumes and bricks SQLite has; every other row
/// stays as stored until the next cycle (volumes and bricks do not change with a session's
/// actions, and the cluster-wide reads, above all `geo-replication status detail` of every
/// session, hold glusterd for a second or more). No cluster lock: the session
/// keys that actions touch keep a cycle from writing older data over this.
impl Syncer {
    pub async fn refresh_pair(
        &self,
        cluster: &ClusterRow,
        master: &str,
        slave: &str,
        quiet: &Quiet,
        why: PairRead,
    ) -> Result<Report, SyncError> {
        let (store, gluster) = (&self.store, &self.gluster);
        let hosts = self.hosts_of(cluster).await?;
        let Some(host) = first_to_ask(hosts) else {
            if self.is_removed(cluster).await? {
                return Ok(removed(cluster));
            }
            return Err(SyncError::NoHost);
        };
        let t = target_of(&host);
        // an action after this read began has newer news of the session than the read
        let mut read_from = self.coord.action_seq();
        let georep = gluster.georep_session_status(&t, master, slave).await?;
        let mut configs = HashMap::new();
        let mut keys = Vec::new();
        for (_, s) in georep.sessions() {
            // a session missing from `configs` keeps its stored options
            if why != PairRead::PushedStatus {
                configs.insert(
                    s.session_key.clone(),
                    gluster.georep_config(&t, master, slave).await?,
                );
            }
            keys.push(s.session_key.clone());
        }
        if why == PairRead::Created {
            // a cycle that read before the session existed must not take it for vanished
            read_from = self.coord.action_seq();
            for k in &keys {
                self.coord.touch(k);
            }
        }
        let now = Utc::now();
        // immediate: it reads the stored sessions before it writes (see `store_read`)
        let mut tx = store.begin_immediate().await?;
        let mut guard = self.coord.guard_since(read_from);
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
        self.record_changes(&mut tx, cluster, &report, std::slice::from_ref(quiet), now)
            .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// One cycle over every registered cluster.
    pub async fn all(&self) -> Vec<(String, Result<Report, SyncError>)> {
        let clusters = {
            let Ok(mut c) = self.store.conn().await else {
                return Vec::new();
            };
            store::list_clusters(&mut c).await.unwrap_or_default()
        };
        let mut out = Vec::with_capacity(clusters.len());
        for cluster in clusters {
            // everything logged while this cluster is read and written names it
            let span = tracing::info_span!("sync", cluster = %cluster.name);
            let r = self.cluster(&cluster).instrument(span.clone()).await;
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

    /// Runs `all` every `interval` until `stop` turns true.
    pub async fn run(self, interval: Duration, mut stop: watch::Receiver<bool>) {
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
                _ = crate::gluster::background(self.all()) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
    }
}

#[cfg(test)]
mod tests;
