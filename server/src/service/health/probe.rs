//! The probe: the session's workers settled, a checkpoint, a new directory on georep's own
//! mount of the master volume, a bounded wait for every judged worker to complete the
//! checkpoint, then the verdict (stored, and the session evaluated again).
use std::collections::HashMap;
use std::time::{Duration, Instant};

use app::health::{Health, ProbeBrick, ProbeReport, ProbeResult};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{probe_dir, Ctx};
use crate::domain::workers::{self, brick_status};
use crate::gluster::model::{CrawlStatus, GeorepPair, WorkerStatus};
use crate::gluster::{mount, workers as gluster_workers};
use crate::service::operations::{georep_command, Operation};
use crate::service::{Result, Service, ServiceError};
use crate::store::{self, BrickHealthRow, HealthRow, Id};
use crate::sync::{self, Quiet};
use app::operations::{OperationKind, StepState};

/// An idle history crawl this long with the same row is hung (`workers::hung_history`):
/// four of gsyncd's ~15 s turns missed.
const HUNG_HISTORY: Duration = Duration::from_secs(60);
/// Restarts of one worker's hung history crawl within one wait.
const HUNG_RESTARTS: usize = 2;

/// How long a probe waits: for the workers to settle (Changelog Crawl), and for every judged
/// worker to complete the checkpoint.
#[derive(Clone, Copy, Debug)]
pub(in crate::service) struct Waits {
    pub crawl: Duration,
    pub checkpoint: Duration,
    /// The session was just started: gluster lists no worker for a few seconds, which is
    /// no reason to give up before `crawl` has passed.
    pub after_start: bool,
}

impl Waits {
    /// A probe's: `crawl` to settle, the configured probe timeout for the checkpoint.
    pub fn probe(s: &Service, crawl: Duration) -> Waits {
        Waits {
            crawl,
            checkpoint: s.health_config().probe_timeout,
            after_start: false,
        }
    }
}

impl Service {
    /// Probes a session now (on demand): waits up to the probe timeout for its active workers
    /// to reach Changelog Crawl first. Audited.
    pub(in crate::service) async fn probe_session_now(
        &self,
        actor: &str,
        id: Uuid,
    ) -> Result<ProbeReport> {
        let ctx = self.health_ctx(id).await?;
        let audit = ctx.at.audit(actor, "probe");
        let plan = Self::health_plan(OperationKind::Probe, id, actor, 1);
        let op = self.begin_audited(plan, &audit).await?;
        let wait = self.health_config().probe_timeout;
        let outcome = self
            .probe_locked(&ctx, actor, Waits::probe(self, wait), &op, 0)
            .await;
        let message = outcome.as_ref().ok().map(probe_message);
        op.finish(&audit, &outcome, message.as_deref()).await;
        if let Ok(report) = &outcome {
            self.heal_later(id, report);
        }
        outcome
    }

    /// The probe itself, steps `base + 1..=base + 3` of `op` (which holds the session's health
    /// lane). Never an error for what the probe finds: gluster or mount failures are a
    /// `Failed` report (stored as such).
    pub(in crate::service) async fn probe_locked(
        &self,
        ctx: &Ctx,
        trigger: &str,
        waits: Waits,
        op: &Operation,
        base: i64,
    ) -> Result<ProbeReport> {
        let started_at = Utc::now();
        let t0 = Instant::now();
        let id = ctx.at.session.session_id.into_uuid();
        // the checkpoint is an option change: not a discovery outside georep
        let quiet = Quiet::session(id, &["checkpoint"]);
        let _quiet = self.coord().quiet_while(quiet.clone());
        let mut report = ProbeReport {
            session_id: id,
            started_at,
            duration_ms: 0,
            result: ProbeResult::Failed,
            checkpoint: None,
            bricks: Vec::new(),
            message: None,
        };
        let mut stalled_ids: Vec<Id> = Vec::new();
        let mut done_ids: Vec<Id> = Vec::new();
        match self
            .run_probe(
                ctx,
                waits,
                (op, base),
                &mut report,
                &mut stalled_ids,
                &mut done_ids,
            )
            .await
        {
            Ok(()) => {}
            Err(e @ ServiceError::Cancelled(_)) => return Err(e),
            Err(e) => {
                report.result = ProbeResult::Failed;
                report.message = Some(e.to_string());
                op.fail_current(&e.to_string()).await;
            }
        }
        report.duration_ms = t0.elapsed().as_millis() as i64;
        // the probe's session alone, now (its checkpoint, its workers' counters), before
        // letting go of the quiet: the loop would otherwise record the checkpoint as set
        // outside georep. Not the whole cluster: with many sessions every probe paid a full
        // cycle (every session's status) for one session's news.
        if let Err(e) = self
            .syncer()
            .refresh_pair(
                &ctx.at.cluster,
                &ctx.at.master.name,
                &ctx.at.slave,
                &quiet,
                sync::PairRead::Acted,
            )
            .await
        {
            tracing::warn!(session = %id, error = %e, "refresh after the probe failed");
        }
        self.store_probe(ctx, trigger, &report, &stalled_ids, &done_ids)
            .await?;
        tracing::info!(session = %id, result = report.result.as_str(), ms = report.duration_ms, "probe");
        self.evaluate_session(id).await?;
        Ok(report)
    }

    /// Step `position` of `op` (begun here): waits until every worker is settled — Active in
    /// Changelog Crawl, or Passive — within `waits.crawl`. `Ok(Err((why, pairs)))` when they
    /// did not settle (the step failed); a cancel ends the wait.
    pub(in crate::service) async fn wait_settled(
        &self,
        ctx: &Ctx,
        waits: Waits,
        op: &Operation,
        position: i64,
    ) -> Result<std::result::Result<Vec<GeorepPair>, (String, Vec<GeorepPair>)>> {
        let status_cmd = georep_command(&ctx.at.master.name, &ctx.at.slave, &["status", "detail"]);
        op.enter(position, Some(&status_cmd), true).await;
        // A checkpoint during a history crawl can complete without the live changelog path
        // the probe is about; a worker that is starting (or Faulty, about to be respawned)
        // cannot be judged
        let t_wait = Instant::now();
        let mut idle = HashMap::new();
        let (mut tried, mut cured): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        loop {
            let pairs = self.pairs(ctx).await?;
            for p in workers::hung_history(&mut idle, &pairs, Instant::now(), HUNG_HISTORY) {
                let name = ctx.brick_name(p);
                if tried.iter().filter(|c| **c == name).count() >= HUNG_RESTARTS {
                    continue;
                }
                tried.push(name.clone());
                let r = gluster_workers::restart_worker_blocking(
                    &ctx.at.master.name,
                    &ctx.at.slave,
                    &p.master_brick,
                )
                .await;
                // only a worker of this machine can be signalled; elsewhere the wait goes on
                let restarted = matches!(r, Ok(Some(_)));
                tracing::warn!(session = %ctx.at.session.session_id, brick = %name, restarted, result = ?r, "history crawl hung");
                if restarted {
                    cured.push(name);
                }
            }
            let unsettled: Vec<String> = pairs
                .iter()
                .filter(|p| match p.status {
                    WorkerStatus::Initializing | WorkerStatus::Faulty => true,
                    WorkerStatus::Active => p.crawl_status != CrawlStatus::Changelog,
                    _ => false,
                })
                .map(|p| format!("{} ({})", ctx.brick_name(p), worker_state(p)))
                .collect();
            let any_active = pairs.iter().any(|p| p.status == WorkerStatus::Active);
            if unsettled.is_empty() && any_active {
                let note = match cured.is_empty() {
                    true => "every worker settled".to_owned(),
                    false => format!(
                        "every worker settled; restarted the hung history crawl of {}",
                        cured.join(", ")
                    ),
                };
                op.leave(position, StepState::Succeeded, Some(&note)).await;
                return Ok(Ok(pairs));
            }
            let starting = waits.after_start && !any_active;
            if (unsettled.is_empty() && !starting) || t_wait.elapsed() >= waits.crawl {
                let mut why = if unsettled.is_empty() {
                    "no active worker".into()
                } else {
                    format!("workers not settled: {}", unsettled.join(", "))
                };
                if !cured.is_empty() {
                    why += &format!(" (hung history crawl restarted: {})", cured.join(", "));
                }
                op.leave(position, StepState::Failed, Some(&why)).await;
                return Ok(Err((why, pairs)));
            }
            if op.cancel_asked().await {
                op.leave(position, StepState::Cancelled, None).await;
                return Err(ServiceError::Cancelled(
                    "while waiting for the workers to settle".into(),
                ));
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    async fn run_probe(
        &self,
        ctx: &Ctx,
        waits: Waits,
        (op, step0): (&Operation, i64),
        report: &mut ProbeReport,
        stalled_ids: &mut Vec<Id>,
        done_ids: &mut Vec<Id>,
    ) -> Result<()> {
        let timeout = waits.checkpoint;
        let status_cmd = georep_command(&ctx.at.master.name, &ctx.at.slave, &["status", "detail"]);
        // 1. settled workers: every one Active in Changelog Crawl (or Passive)
        let pairs = match self.wait_settled(ctx, waits, op, step0 + 1).await? {
            Ok(pairs) => pairs,
            Err((message, pairs)) => {
                report.result = ProbeResult::Inconclusive;
                report.message = Some(message);
                report.bricks = pairs
                    .iter()
                    .map(|p| probe_brick(ctx, p, None, false))
                    .collect();
                return Ok(());
            }
        };
        let before: HashMap<String, Option<DateTime<Utc>>> = pairs
            .iter()
            .map(|p| (p.master_brick.clone(), p.checkpoint_time))
            .collect();
        let judged: Vec<String> = pairs
            .iter()
            .filter(|p| p.status == WorkerStatus::Active)
            .map(|p| p.master_brick.clone())
            .collect();

        // 2. the mount, the checkpoint, then one new directory: DHT creates a directory on
        //    every brick (and replica/disperse sets write every brick), so every worker gets a
        //    changelog past the checkpoint
        let checkpoint = ["config", "checkpoint", "now"];
        let cmd = georep_command(&ctx.at.master.name, &ctx.at.slave, &checkpoint);
        op.enter(step0 + 2, Some(&cmd), false).await;
        let mnt = ctx.master_mount(&self.health_config().mount_dir);
        mount::ensure_mount(
            &ctx.at.host.address,
            &ctx.at.master.name,
            &mnt,
            self.gluster().timeout(),
        )
        .await?;
        self.gluster()
            .georep_action(
                &ctx.at.target,
                &ctx.at.master.name,
                &ctx.at.slave,
                &["config", "checkpoint", "now"],
            )
            .await?;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let base = mnt.join(probe_dir(ctx.at.master.id));
        let name = format!(
            "{}-{}",
            Utc::now().timestamp(),
            &Uuid::new_v4().simple().to_string()[..8]
        );
        let dir = base.join(&name);
        let io_timeout = self.gluster().timeout();
        if let Err(e) = write_probe_dir(&base, &dir, io_timeout).await {
            return Err(ServiceError::Conflict(format!(
                "cannot write the probe's directory {}: {e}",
                dir.display()
            )));
        }
        let t_change = Instant::now();
        op.leave(
            step0 + 2,
            StepState::Succeeded,
            Some(&format!("new directory {}", dir.display())),
        )
        .await;
        op.enter(step0 + 3, Some(&status_cmd), true).await;

        // 3. bounded wait for each judged worker's checkpoint
        let mut completed: HashMap<String, i64> = HashMap::new();
        let mut last = pairs.clone();
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            match self.pairs(ctx).await {
                Ok(p) => last = p,
                Err(e) => tracing::warn!(error = %e, "probe: status read failed"),
            }
            for p in &last {
                let fresh = p.checkpoint_time.is_some()
                    && before.get(&p.master_brick) != Some(&p.checkpoint_time);
                if fresh && p.checkpoint_completed == Some(true) && judged.contains(&p.master_brick)
                {
                    completed
                        .entry(p.master_brick.clone())
                        .or_insert(t_change.elapsed().as_millis() as i64);
                }
                if report.checkpoint.is_none() && fresh {
                    report.checkpoint = p.checkpoint_time;
                }
            }
            if judged.iter().all(|b| completed.contains_key(b)) || t_change.elapsed() >= timeout {
                break;
            }
            if op.cancel_asked().await {
                op.leave(step0 + 3, StepState::Cancelled, None).await;
                let _ = mount::bounded(io_timeout, "rmdir", tokio::fs::remove_dir(&dir)).await;
                return Err(ServiceError::Cancelled(
                    "while waiting for the checkpoint".into(),
                ));
            }
        }
        if let Err(e) = mount::bounded(io_timeout, "rmdir", tokio::fs::remove_dir(&dir)).await {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot remove the probe's directory");
        }
        remove_stale_probe_dirs(&base, io_timeout).await;

        // 4. the verdict: a judged worker still Active that did not complete is stalled; one
        //    that changed state meanwhile cannot be judged
        let mut stalled = Vec::new();
        let mut changed = Vec::new();
        for p in &last {
            let done = completed.get(&p.master_brick).copied();
            let is_judged = judged.contains(&p.master_brick);
            let still = p.status == WorkerStatus::Active;
            let is_stalled = is_judged && done.is_none() && still;
            if is_stalled {
                stalled.push(ctx.brick_name(p));
                stalled_ids.extend(ctx.brick_id(p));
            } else if is_judged && done.is_none() {
                changed.push(ctx.brick_name(p));
            }
            if done.is_some() {
                done_ids.extend(ctx.brick_id(p));
            }
            report.bricks.push(probe_brick(ctx, p, done, is_stalled));
        }
        let step_state = if stalled.is_empty() && changed.is_empty() {
            StepState::Succeeded
        } else {
            StepState::Failed
        };
        report.result = if !stalled.is_empty() {
            report.message = Some(format!(
                "checkpoint not completed within {} s by {}",
                timeout.as_secs(),
                stalled.join(", ")
            ));
            ProbeResult::Stalled
        } else if !changed.is_empty() {
            report.message = Some(format!(
                "workers changed state during the probe: {}",
                changed.join(", ")
            ));
            ProbeResult::Inconclusive
        } else {
            let slowest = completed.values().max().copied().unwrap_or(0);
            report.message = Some(format!(
                "{} workers completed the checkpoint, the last after {slowest} ms",
                completed.len()
            ));
            ProbeResult::Passed
        };
        op.leave(step0 + 3, step_state, report.message.as_deref())
            .await;
        Ok(())
    }

    async fn store_probe(
        &self,
        ctx: &Ctx,
        trigger: &str,
        r: &ProbeReport,
        stalled: &[Id],
        done: &[Id],
    ) -> Result<()> {
        let sid = ctx.at.session.session_id;
        let mut tx = self.store().begin().await?;
        let stalled_names: Vec<&str> = r
            .bricks
            .iter()
            .filter(|b| b.stalled)
            .map(|b| b.brick.as_str())
            .collect();
        store::insert_probe(
            &mut tx,
            &store::ProbeRow {
                id: 0,
                session_id: sid,
                started_at: r.started_at,
                duration_ms: r.duration_ms,
                trigger: trigger.into(),
                result: r.result.as_str().into(),
                checkpoint: r.checkpoint,
                stalled_bricks: stalled_names.join(","),
                message: r.message.clone(),
            },
        )
        .await?;
        let rows = store::brick_health_of(&mut tx, sid).await?;
        let row_of = |b: Id| {
            rows.iter()
                .find(|r| r.master_brick_id == b)
                .cloned()
                .unwrap_or(BrickHealthRow {
                    session_id: sid,
                    master_brick_id: b,
                    stalled_since: None,
                    pending_since: None,
                })
        };
        for b in stalled {
            let mut row = row_of(*b);
            // a stall found again keeps its start
            row.stalled_since = row.stalled_since.or(r.checkpoint).or(Some(r.started_at));
            store::put_brick_health(&mut tx, &row).await?;
        }
        for b in done {
            let mut row = row_of(*b);
            if row.stalled_since.take().is_some() {
                store::put_brick_health(&mut tx, &row).await?;
            }
        }
        let prev = store::get_health(&mut tx, sid).await?;
        let now = Utc::now();
        let h = HealthRow {
            session_id: sid,
            last_probe_at: Some(r.started_at),
            last_probe_result: Some(r.result.as_str().into()),
            last_probe_ms: Some(r.duration_ms),
            last_probe_message: r.message.clone(),
            updated_at: now,
            ..prev.unwrap_or(HealthRow {
                session_id: sid,
                health: Health::Unknown,
                reason: "not evaluated yet".into(),
                since: now,
                lag_seconds: None,
                last_probe_at: None,
                last_probe_result: None,
                last_probe_ms: None,
                last_probe_message: None,
                updated_at: now,
            })
        };
        store::upsert_health(&mut tx, &h).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn probe_brick(ctx: &Ctx, p: &GeorepPair, done: Option<i64>, stalled: bool) -> ProbeBrick {
    ProbeBrick {
        brick: ctx.brick_name(p),
        status: brick_status(&p.status),
        completed_after_ms: done,
        stalled,
    }
}

fn worker_state(p: &GeorepPair) -> String {
    match (&p.status, &p.crawl_status) {
        (WorkerStatus::Active, CrawlStatus::Hybrid) => "Hybrid Crawl".into(),
        (WorkerStatus::Active, CrawlStatus::History) => "History Crawl".into(),
        (WorkerStatus::Active, c) => format!("{c:?}"),
        (s, _) => format!("{s:?}"),
    }
}

pub(super) fn probe_message(r: &ProbeReport) -> String {
    format!(
        "probe {} in {} ms: {}",
        r.result.as_str(),
        r.duration_ms,
        r.message.as_deref().unwrap_or("")
    )
}

/// The probe's change on its mount: a new directory `dir` under `base`, every call bounded.
pub async fn write_probe_dir(
    base: &std::path::Path,
    dir: &std::path::Path,
    timeout: Duration,
) -> std::io::Result<()> {
    mount::bounded(timeout, "mkdir", async {
        tokio::fs::create_dir_all(base).await?;
        tokio::fs::create_dir(dir).await?;
        // made on gluster, not in the folder of a mount that went away meanwhile (another
        // georep owning the folder swept it): a change gluster never saw would look like a
        // stall
        if !mount::on_fuse(dir) {
            let _ = tokio::fs::remove_dir(dir).await;
            return Err(std::io::Error::other(
                "the probe's mount of the master volume is gone",
            ));
        }
        Ok(())
    })
    .await
}

/// Probe directories older than an hour (left by a probe that was interrupted); the whole
/// sweep bounded like every call on the mount.
async fn remove_stale_probe_dirs(base: &std::path::Path, timeout: Duration) {
    let sweep = async {
        let mut rd = tokio::fs::read_dir(base).await?;
        let cutoff = Utc::now().timestamp() - 3600;
        while let Some(e) = rd.next_entry().await? {
            let name = e.file_name().to_string_lossy().into_owned();
            let old = name
                .split('-')
                .next()
                .and_then(|t| t.parse::<i64>().ok())
                .is_some_and(|t| t < cutoff);
            if old {
                let _ = tokio::fs::remove_dir_all(e.path()).await;
            }
        }
        Ok(())
    };
    if let Err(e) = mount::bounded(timeout, "sweep of old probe directories", sweep).await {
        tracing::warn!(dir = %base.display(), error = %e, "cannot sweep old probe directories");
    }
}
