//! The scheduler task: evaluates every session every few seconds, samples lag, probes
//! active sessions when due (a few at a time), and tidies georep's probe mounts.
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::watch;
use uuid::Uuid;

use super::probe::Waits;
use super::rules::{self, LastProbe};
use super::HealthView;
use crate::gluster::mount;
use crate::service::{Result, Service, ServiceError};
use crate::store;
use app::operations::OperationKind;

/// How often the scheduler evaluates health (reads SQLite only).
const TICK: Duration = Duration::from_secs(5);
/// A probe that could not judge is tried again after this (unless the interval is shorter).
const RETRY: Duration = Duration::from_secs(60);
/// Scheduled probes running at once: each mounts its master volume and sets a checkpoint;
/// with many sessions due together (the first tick, a common interval) they queue instead of
/// all hitting glusterd at once. On-demand probes do not wait for these.
const SCHEDULED_PROBES: usize = 4;
/// How often the audit trail's retention is applied (it counts in days).
const EVENT_PRUNE: Duration = Duration::from_secs(3600);

impl Service {
    /// Master volumes with a stored session: the probe mounts worth keeping.
    async fn probed_volumes(&self) -> Result<HashSet<Uuid>> {
        let ids = store::master_volumes_with_sessions(&mut *self.conn().await?).await?;
        Ok(ids.into_iter().map(|id| id.into_uuid()).collect())
    }

    /// One scheduler tick over every session: evaluate, and the sessions a probe is due for.
    /// Returns the views it evaluated (the lag samples are taken from them).
    async fn health_tick(&self) -> (Vec<HealthView>, Vec<Uuid>) {
        let views = match self.health_views().await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "health: cannot read sessions");
                return (Vec::new(), Vec::new());
            }
        };
        if let Err(e) = self.store_evaluations(&views).await {
            tracing::warn!(error = %e, "health: cannot store the evaluation");
        }
        let cfg = self.health_config();
        let interval =
            chrono::Duration::from_std(cfg.probe_interval).unwrap_or(chrono::Duration::zero());
        let retry = chrono::Duration::from_std(RETRY).unwrap_or(chrono::Duration::zero());
        let now = Utc::now();
        let mut due = Vec::new();
        for v in &views {
            let last = v.health.last_probe.as_ref().map(|p| LastProbe {
                at: p.at,
                result: p.result,
            });
            let stalled_now = v.health.bricks.iter().any(|b| b.stalled_since.is_some());
            if rules::probe_due(v.status, last, stalled_now, interval, retry, now) {
                due.push(v.health.session_id);
            }
        }
        (views, due)
    }
}

/// Unmounts the probe mounts under `root` that no session needs any more: their master
/// volume has no stored session (deleted, or the volume itself gone), or the folder is not
/// one of georep's (a volume id). `keep`: master volume ids with a session.
async fn unmount_unused(root: &std::path::Path, keep: &HashSet<Uuid>, timeout: Duration) {
    for dir in mount::mounts_under(root).await {
        let needed = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| Uuid::parse_str(n).ok())
            .is_some_and(|id| keep.contains(&id));
        if needed {
            continue;
        }
        match mount::unmount(&dir, timeout).await {
            Ok(()) => {
                tracing::info!(dir = %dir.display(), "probe mount no session needs: unmounted")
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot unmount an unused probe mount")
            }
        }
    }
}

/// The health scheduler: evaluates every session every few seconds, samples lag, and probes
/// active sessions on the configured interval (one probe per session at a time, in the
/// background). Stops when `stop` turns true; unmounts the probe mounts then.
pub async fn run(service: Service, mut stop: watch::Receiver<bool>) {
    // the first evaluation after the sync loop's first cycle, not on the rows of the last run
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + TICK, TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sample: Option<Instant> = None;
    let mut last_prune: Option<Instant> = None;
    let running: Arc<Mutex<HashSet<Uuid>>> = Arc::default();
    let turns = Arc::new(tokio::sync::Semaphore::new(SCHEDULED_PROBES));
    let root = service.health_config().mount_dir.clone();
    let unmount_timeout = Duration::from_secs(10);
    // mounts a georep that was killed left behind are this one's to remove, unless another
    // georep is using the folder
    let owner = match mount::claim(&root) {
        Ok(Some(o)) => Some(o),
        Ok(None) => {
            tracing::warn!(dir = %root.display(), "another georep uses this probe mount folder: its mounts are left alone");
            None
        }
        Err(e) => {
            tracing::warn!(dir = %root.display(), error = %e, "cannot claim the probe mount folder");
            None
        }
    };
    let tidy = || async {
        if owner.is_some() {
            match service.probed_volumes().await {
                Ok(keep) => unmount_unused(&root, &keep, unmount_timeout).await,
                Err(e) => {
                    tracing::warn!(error = %e, "health: cannot read which volumes have sessions")
                }
            }
        }
    };
    tidy().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        tidy().await;
        let (views, due) = service.health_tick().await;
        if last_sample.is_none_or(|t| t.elapsed() >= service.health_config().sample_interval) {
            if let Err(e) = service.sample_lag(&views).await {
                tracing::warn!(error = %e, "health: cannot store lag samples");
            }
            last_sample = Some(Instant::now());
        }
        if last_prune.is_none_or(|t| t.elapsed() >= EVENT_PRUNE) {
            match service.prune_events().await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(events = n, "audit trail: events past the retention deleted")
                }
                Err(e) => tracing::warn!(error = %e, "audit trail: cannot apply the retention"),
            }
            last_prune = Some(Instant::now());
        }
        for id in due {
            if !running.lock().unwrap_or_else(|e| e.into_inner()).insert(id) {
                continue;
            }
            let (s, running, turns) = (service.clone(), running.clone(), turns.clone());
            tokio::spawn(async move {
                // never closed
                let _turn = turns.acquire_owned().await;
                // its gluster reads step aside for actions (gluster::background)
                let r = crate::gluster::background(async {
                    let ctx = s.health_ctx(id).await?;
                    // it may have waited its turn while the session stopped replicating (or
                    // its cluster became unreadable: UNKNOWN)
                    if !rules::replicating(ctx.at.session.status) {
                        return Ok(None);
                    }
                    let plan = Service::health_plan(OperationKind::Probe, id, "health", 1);
                    let op = s.begin(plan).await?;
                    op.about(&ctx.at.audit("health", "probe")).await;
                    // a scheduled probe does not wait for a history crawl: it is retried
                    let r = s
                        .probe_locked(&ctx, "schedule", Waits::probe(&s, Duration::ZERO), &op, 0)
                        .await;
                    // not audited: the probe record and the health verdict tell
                    op.finish_unaudited(
                        &r,
                        r.as_ref().ok().map(super::probe::probe_message).as_deref(),
                    )
                    .await;
                    // a stall found: self-healing, where it is on (the restart probes again)
                    if let Ok(report) = &r {
                        s.heal_later(id, report);
                    }
                    r.map(Some)
                })
                .await;
                match r {
                    // busy: an on-demand probe or restart; not found: deleted while queued
                    Ok(_) | Err(ServiceError::Busy(_) | ServiceError::NotFound(_)) => {}
                    Err(e) => tracing::warn!(session = %id, error = %e, "scheduled probe failed"),
                }
                running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&id);
            });
        }
    }
    if owner.is_some() {
        for dir in mount::mounts_under(&root).await {
            if let Err(e) = mount::unmount(&dir, unmount_timeout).await {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot unmount a probe mount at stop");
            }
        }
    }
}
