//! Session health: the probe (a checkpoint and a change on every master brick, then a bounded
//! wait for every active worker to complete it), the verdict per session (rules in
//! `health_rules.rs`), lag samples, the guided restart of stalled workers, and the scheduler
//! task that evaluates every few seconds and probes active sessions on an interval.
//!
//! Why: glusterfs 10.3 often starts a worker that says Active / Changelog Crawl and never
//! gets a live changelog (FINDINGS P10). Gluster's status cannot tell; a checkpoint that
//! does not complete after a change that reached the brick can.
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::domain::{BrickStatus, SessionAction, SessionStatus};
use app::health::{
    BrickHealth, Health, LagSample, ProbeBrick, ProbeReport, ProbeResult, ProbeSummary,
    RestartMethod, RestartOutcome, SessionHealth,
};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use tokio::sync::watch;
use uuid::Uuid;

use super::alerts::Transition;
use super::audit::Audit;
use super::health_rules::{self as rules, BrickView, LastProbe};
use super::{Result, Service, ServiceError};
use crate::config::HealthArgs;
use crate::gluster::model::{CrawlStatus, GeorepPair, WorkerStatus};
use crate::gluster::{mount, workers, Target};
use crate::store::{
    self, BrickHealthRow, BrickRow, ClusterRow, HealthRow, Id, SessionDetailRow, SessionRow,
    StoreError, VolumeRow,
};
use crate::sync::reconcile::brick_status;
use crate::sync::{self, Quiet};

/// The hidden folder the probe's directories are made in, at the root of the master volume.
pub const PROBE_DIR: &str = ".georep-probe";
/// How often the scheduler evaluates health (reads SQLite only).
const TICK: Duration = Duration::from_secs(5);
/// A probe that could not judge is tried again after this (unless the interval is shorter).
const RETRY: Duration = Duration::from_secs(60);
/// Scheduled probes running at once: each mounts its master volume and sets a checkpoint;
/// with many sessions due together (the first tick, a common interval) they queue instead of
/// all hitting glusterd at once. On-demand probes do not wait for these.
const SCHEDULED_PROBES: usize = 4;
/// How long the guided restart waits for restarted workers to reach Changelog Crawl.
const RESTART_SETTLE: Duration = Duration::from_secs(150);

#[derive(Clone, Debug)]
pub struct HealthConfig {
    /// Zero: no scheduled probes.
    pub probe_interval: Duration,
    pub probe_timeout: Duration,
    pub mount_dir: PathBuf,
    pub lag_threshold: i64,
    pub sample_interval: Duration,
    pub retention: chrono::Duration,
    pub webhook: Option<String>,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig::from(&HealthArgs::default())
    }
}

impl From<&HealthArgs> for HealthConfig {
    fn from(a: &HealthArgs) -> Self {
        HealthConfig {
            probe_interval: Duration::from_secs(a.probe_interval),
            probe_timeout: Duration::from_secs(a.probe_timeout),
            mount_dir: a.probe_mount_dir.clone(),
            lag_threshold: a.lag_threshold as i64,
            sample_interval: Duration::from_secs(a.lag_sample_interval),
            retention: chrono::Duration::days(a.health_retention_days as i64),
            webhook: a.alert_webhook.clone().filter(|w| !w.trim().is_empty()),
        }
    }
}

/// The health part of the service's state.
pub(crate) struct HealthState {
    pub config: HealthConfig,
    /// Sessions with a probe or a restart under way (one at a time each).
    probing: Mutex<HashSet<Uuid>>,
    pub(crate) http: reqwest::Client,
}

impl HealthState {
    pub fn new(config: HealthConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("georep/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        HealthState {
            config,
            probing: Mutex::new(HashSet::new()),
            http,
        }
    }
}

/// Held while a probe or restart runs on a session.
struct Probing(Service, Uuid);

impl Drop for Probing {
    fn drop(&mut self) {
        self.0
            .inner
            .health
            .probing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.1);
    }
}

/// What a probe or restart needs about a session.
struct Ctx {
    session: SessionRow,
    cluster: ClusterRow,
    master: VolumeRow,
    bricks: Vec<BrickRow>,
    target: Target,
    /// The address of the host gluster is asked on (the mount's server).
    server: String,
    /// Whether that host is this machine (workers can be restarted one by one).
    local: bool,
    slave: String,
}

impl Ctx {
    fn audit(&self, actor: &str, action: &str) -> Audit {
        Audit::of_session(
            actor,
            action,
            &self.cluster,
            &self.session,
            &self.master.name,
            &self.slave,
        )
    }

    fn brick_id(&self, p: &GeorepPair) -> Option<Id> {
        self.bricks
            .iter()
            .find(|b| {
                b.path == p.master_brick
                    && b.host_uuid
                        .is_none_or(|u| u.into_uuid() == p.master_node_uuid)
            })
            .map(|b| b.id)
    }

    fn brick_name(&self, p: &GeorepPair) -> String {
        format!("{}:{}", p.master_node, p.master_brick)
    }
}

fn store_err(e: sqlx::Error) -> ServiceError {
    ServiceError::Store(StoreError::from(e))
}

impl Service {
    pub(crate) fn health_config(&self) -> &HealthConfig {
        &self.inner.health.config
    }

    fn try_probing(&self, id: Uuid) -> Result<Probing> {
        let mut p = self
            .inner
            .health
            .probing
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !p.insert(id) {
            return Err(ServiceError::Busy(format!(
                "a probe or restart of session {id} is running"
            )));
        }
        Ok(Probing(self.clone(), id))
    }

    async fn health_ctx(&self, id: Uuid) -> Result<Ctx> {
        let mut c = self.store().pool().acquire().await.map_err(store_err)?;
        let session = store::get_session(&mut c, id.hyphenated())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("session {id}")))?;
        let master = store::get_volume(&mut c, session.master_volume_id)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!("volume {}", session.master_volume_id))
            })?;
        let cluster = store::get_cluster(&mut c, master.cluster_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("cluster {}", master.cluster_id)))?;
        let bricks = store::bricks_of_volume(&mut c, master.id).await?;
        let mut hosts = store::hosts_of_cluster(&mut c, cluster.id).await?;
        hosts.sort_by_key(|h| h.status != "connected");
        let host = hosts.first().ok_or_else(|| {
            ServiceError::Conflict(format!("cluster {} has no host to ask", cluster.name))
        })?;
        let slave = sync::slave_spec(
            &session.slave_user,
            &session.slave_host_name,
            &session.slave_volume_name,
        );
        Ok(Ctx {
            target: sync::target_of(host),
            server: host.address.clone(),
            local: host.connection == "local",
            session,
            cluster,
            master,
            bricks,
            slave,
        })
    }

    async fn pairs(&self, ctx: &Ctx) -> Result<Vec<GeorepPair>> {
        let st = self
            .gluster()
            .georep_session_status(&ctx.target, &ctx.master.name, &ctx.slave)
            .await?;
        Ok(st
            .sessions()
            .filter(|(m, s)| *m == ctx.master.name && s.session_key == ctx.session.session_key)
            .flat_map(|(_, s)| s.pairs.clone())
            .collect())
    }

    /// Probes a session now (on demand): waits up to the probe timeout for its active workers
    /// to reach Changelog Crawl first. Audited.
    pub(super) async fn probe_session_now(&self, actor: &str, id: Uuid) -> Result<ProbeReport> {
        let ctx = self.health_ctx(id).await?;
        let audit = ctx.audit(actor, "probe");
        let outcome = async {
            let _p = self.try_probing(id)?;
            self.probe_locked(&ctx, actor, self.health_config().probe_timeout)
                .await
        }
        .await;
        let message = outcome.as_ref().ok().map(probe_message);
        self.record(&audit, &outcome, message.as_deref()).await;
        outcome
    }

    /// The probe itself (the caller holds the session's probe lock). Never an error for what
    /// the probe finds: gluster or mount failures are a `Failed` report (stored as such).
    async fn probe_locked(
        &self,
        ctx: &Ctx,
        trigger: &str,
        crawl_wait: Duration,
    ) -> Result<ProbeReport> {
        let started_at = Utc::now();
        let t0 = Instant::now();
        let id = ctx.session.session_id.into_uuid();
        // the checkpoint is an option change: not a discovery outside georep
        let quiet = Quiet::session(id, &["checkpoint"]);
        let _quiet = sync::quiet_while(quiet.clone());
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
                crawl_wait,
                &mut report,
                &mut stalled_ids,
                &mut done_ids,
            )
            .await
        {
            Ok(()) => {}
            Err(e) => {
                report.result = ProbeResult::Failed;
                report.message = Some(e.to_string());
            }
        }
        report.duration_ms = t0.elapsed().as_millis() as i64;
        // the probe's session alone, now (its checkpoint, its workers' counters), before
        // letting go of the quiet: the loop would otherwise record the checkpoint as set
        // outside georep. Not the whole cluster: with many sessions every probe paid a full
        // cycle (every session's status) for one session's news.
        if let Err(e) = sync::refresh_pair(
            self.store(),
            self.gluster(),
            &ctx.cluster,
            &ctx.master.name,
            &ctx.slave,
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

    async fn run_probe(
        &self,
        ctx: &Ctx,
        crawl_wait: Duration,
        report: &mut ProbeReport,
        stalled_ids: &mut Vec<Id>,
        done_ids: &mut Vec<Id>,
    ) -> Result<()> {
        let timeout = self.health_config().probe_timeout;
        // 1. settled workers: every one Active in Changelog Crawl (or Passive). A checkpoint
        //    during a history crawl can complete without the live changelog path the probe is
        //    about; a worker that is starting (or Faulty, about to be respawned) cannot be judged
        let t_wait = Instant::now();
        let pairs = loop {
            let pairs = self.pairs(ctx).await?;
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
                break pairs;
            }
            if unsettled.is_empty() || t_wait.elapsed() >= crawl_wait {
                report.result = ProbeResult::Inconclusive;
                report.message = Some(if unsettled.is_empty() {
                    "no active worker".into()
                } else {
                    format!("workers not settled: {}", unsettled.join(", "))
                });
                report.bricks = pairs
                    .iter()
                    .map(|p| probe_brick(ctx, p, None, false))
                    .collect();
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
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
        let mnt = ctx.master_mount(&self.health_config().mount_dir);
        mount::ensure_mount(
            &ctx.server,
            &ctx.master.name,
            &mnt,
            self.gluster().timeout(),
        )
        .await?;
        self.gluster()
            .georep_action(
                &ctx.target,
                &ctx.master.name,
                &ctx.slave,
                &["config", "checkpoint", "now"],
            )
            .await?;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let base = mnt.join(PROBE_DIR);
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
        let sid = ctx.session.session_id;
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
                health: Health::Unknown.as_str().into(),
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
        tx.commit().await.map_err(store_err)?;
        Ok(())
    }

    /// Restarts the session's stalled workers, the least disruptive way that works: each
    /// stalled worker alone (when its node is this machine), else — or when that did not
    /// clear the stall — a stop and start of the session; probes again after each. Audited.
    pub(super) async fn restart_stalled_now(
        &self,
        actor: &str,
        id: Uuid,
    ) -> Result<RestartOutcome> {
        let ctx = self.health_ctx(id).await?;
        let audit = ctx.audit(actor, "restart_stalled");
        let outcome = self.run_restart(&ctx, actor).await;
        let message = outcome.as_ref().ok().map(|o| {
            let how: Vec<&str> = o
                .methods
                .iter()
                .map(|m| match m {
                    RestartMethod::Worker => "worker restart",
                    RestartMethod::Session => "session stop + start",
                })
                .collect();
            format!(
                "{} of {}: {}; {}",
                how.join(", then "),
                o.restarted.join(", "),
                if o.cleared {
                    "stall cleared"
                } else {
                    "NOT cleared"
                },
                probe_message(&o.probe)
            )
        });
        self.record(&audit, &outcome, message.as_deref()).await;
        outcome
    }

    async fn run_restart(&self, ctx: &Ctx, actor: &str) -> Result<RestartOutcome> {
        let id = ctx.session.session_id.into_uuid();
        let _p = self.try_probing(id)?;
        let stalled: Vec<BrickRow> = {
            let mut c = self.store().pool().acquire().await.map_err(store_err)?;
            let marks = store::brick_health_of(&mut c, ctx.session.session_id).await?;
            ctx.bricks
                .iter()
                .filter(|b| {
                    marks
                        .iter()
                        .any(|m| m.master_brick_id == b.id && m.stalled_since.is_some())
                })
                .cloned()
                .collect()
        };
        if stalled.is_empty() {
            return Err(ServiceError::Conflict(
                "no stalled worker to restart (probe the session first)".into(),
            ));
        }
        let names: Vec<String> = stalled
            .iter()
            .map(|b| format!("{}:{}", b.server_name, b.path))
            .collect();
        let mut methods = Vec::new();
        let mut probe = None;

        // 1. the stalled workers alone, when they run on this machine
        if ctx.local {
            let mut killed = 0;
            for b in &stalled {
                let (m, s, p) = (ctx.master.name.clone(), ctx.slave.clone(), b.path.clone());
                let r = tokio::task::spawn_blocking(move || workers::restart_worker(&m, &s, &p))
                    .await
                    .map_err(|e| ServiceError::Conflict(format!("worker restart: {e}")))??;
                killed += usize::from(r.is_some());
            }
            if killed == stalled.len() {
                methods.push(RestartMethod::Worker);
                // the killed worker is Faulty for ~10 s, then Initializing, Active, History Crawl
                tokio::time::sleep(Duration::from_secs(5)).await;
                let r = self.probe_locked(ctx, "restart", RESTART_SETTLE).await?;
                let cleared = r.result == ProbeResult::Passed;
                probe = Some(r);
                if cleared {
                    return Ok(RestartOutcome {
                        methods,
                        restarted: names,
                        cleared,
                        probe: probe.unwrap(),
                    });
                }
            }
        }

        // 2. stop + start of the session (every worker restarts; history crawl catches up)
        methods.push(RestartMethod::Session);
        self.session_action(actor, id, SessionAction::Stop, false, false)
            .await?;
        self.session_action(actor, id, SessionAction::Start, false, false)
            .await?;
        let r = self.probe_locked(ctx, "restart", RESTART_SETTLE).await?;
        let cleared = r.result == ProbeResult::Passed;
        let _ = probe.replace(r);
        Ok(RestartOutcome {
            methods,
            restarted: names,
            cleared,
            probe: probe.unwrap(),
        })
    }

    /// The session's health as stored (evaluated by the scheduler every few seconds).
    pub async fn session_health(&self, id: Uuid) -> Result<SessionHealth> {
        let view = self.health_view(id).await?;
        Ok(view.health)
    }

    /// The replication lag of a session (seconds; None: not known) and of each master brick,
    /// as of now: what REST shows as `<lag_seconds>`.
    pub async fn lag_seconds(&self, id: Uuid) -> Result<(Option<i64>, Vec<(Uuid, Option<i64>)>)> {
        let view = self.health_view(id).await?;
        Ok((
            view.health.lag_seconds,
            view.health
                .bricks
                .iter()
                .map(|b| (b.brick_id, b.lag_seconds))
                .collect(),
        ))
    }

    /// Lag samples since `since` (default: 24 hours ago), oldest first.
    pub async fn lag_history(
        &self,
        id: Uuid,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<LagSample>> {
        let mut c = self.store().pool().acquire().await.map_err(store_err)?;
        if store::get_session(&mut c, id.hyphenated()).await?.is_none() {
            return Err(ServiceError::NotFound(format!("session {id}")));
        }
        let since = since.unwrap_or_else(|| Utc::now() - chrono::Duration::hours(24));
        let rows = store::lag_samples(&mut c, id.hyphenated(), since).await?;
        Ok(rows
            .into_iter()
            .map(|r| LagSample {
                at: r.at,
                brick_id: Uuid::parse_str(&r.master_brick_id).ok(),
                lag_seconds: r.lag_seconds,
                pending: r.pending,
            })
            .collect())
    }

    /// Every session's health view (the scheduler's tick, `/metrics`): one read transaction
    /// of a few queries per cluster, however many sessions there are (a query per session
    /// cost a 1,000-session database 15,000 queries every tick, on the API's connections).
    pub async fn health_views(&self) -> Result<Vec<HealthView>> {
        let mut tx = self.store().begin().await?;
        let inv = super::views::inventory_in(&mut tx).await?;
        let mut marks: HashMap<Id, Vec<BrickHealthRow>> = HashMap::new();
        for m in store::list_brick_health(&mut tx).await? {
            marks.entry(m.session_id).or_default().push(m);
        }
        tx.commit().await.map_err(store_err)?;
        let volumes: HashMap<Id, &VolumeRow> = inv.volumes.iter().map(|v| (v.id, v)).collect();
        let mut bricks: HashMap<Id, Vec<BrickRow>> = HashMap::new();
        for b in inv.bricks {
            bricks.entry(b.volume_id).or_default().push(b);
        }
        let mut details: HashMap<Id, Vec<SessionDetailRow>> = HashMap::new();
        for d in inv.details {
            details.entry(d.session_id).or_default().push(d);
        }
        let now = Utc::now();
        let mut out = Vec::with_capacity(inv.sessions.len());
        for session in &inv.sessions {
            let sid = session.session_id;
            let master = volumes.get(&session.master_volume_id).copied();
            let cluster = master.and_then(|m| inv.clusters.get(&m.cluster_id.into_uuid()));
            let bricks = master
                .and_then(|m| bricks.get(&m.id))
                .map_or(&[][..], Vec::as_slice);
            out.push(self.compute_view(
                HealthRows {
                    session,
                    master,
                    cluster,
                    bricks,
                    details: details.get(&sid).map_or(&[][..], Vec::as_slice),
                    marks: marks.get(&sid).map_or(&[][..], Vec::as_slice),
                    stored: inv.health.get(&sid.into_uuid()),
                },
                now,
            ));
        }
        Ok(out)
    }

    /// Reads a session and computes its health now (no writes).
    async fn health_view(&self, id: Uuid) -> Result<HealthView> {
        let mut c = self.store().pool().acquire().await.map_err(store_err)?;
        let session = store::get_session(&mut c, id.hyphenated())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("session {id}")))?;
        let master = store::get_volume(&mut c, session.master_volume_id).await?;
        let cluster = match &master {
            Some(m) => store::get_cluster(&mut c, m.cluster_id).await?,
            None => None,
        };
        let bricks = match &master {
            Some(m) => store::bricks_of_volume(&mut c, m.id).await?,
            None => Vec::new(),
        };
        let details = store::details_of_session(&mut c, session.session_id).await?;
        let marks = store::brick_health_of(&mut c, session.session_id).await?;
        let stored = store::get_health(&mut c, session.session_id).await?;
        drop(c);
        Ok(self.compute_view(
            HealthRows {
                session: &session,
                master: master.as_ref(),
                cluster: cluster.as_ref(),
                bricks: &bricks,
                details: &details,
                marks: &marks,
                stored: stored.as_ref(),
            },
            Utc::now(),
        ))
    }

    /// A session's health at `now`, from its rows.
    fn compute_view(&self, r: HealthRows<'_>, now: DateTime<Utc>) -> HealthView {
        let HealthRows {
            session,
            master,
            cluster,
            bricks,
            details,
            marks,
            stored,
        } = r;
        let mut views = Vec::new();
        let mut brick_health = Vec::new();
        let mut counters = Vec::new();
        for d in details {
            let brick = bricks.iter().find(|b| b.id == d.master_brick_id);
            let name = brick
                .map(|b| format!("{}:{}", b.server_name, b.path))
                .unwrap_or_else(|| d.master_brick_id.to_string());
            let mark = marks
                .iter()
                .find(|m| m.master_brick_id == d.master_brick_id);
            let pending = match (d.entry_pending, d.data_pending, d.meta_pending) {
                (None, None, None) => None,
                (e, da, m) => Some(e.unwrap_or(0) + da.unwrap_or(0) + m.unwrap_or(0)),
            };
            let status = BrickStatus::from_db(&d.status);
            let v = BrickView {
                brick: name.clone(),
                status: Some(status),
                pending,
                last_synced: d.last_synced_at,
                checkpoint_time: d.checkpoint_time,
                checkpoint_done: d.checkpoint_status.as_deref().map(|s| s == "completed"),
                checkpoint_completed_at: d.checkpoint_completed_at,
                pending_since: mark.and_then(|m| m.pending_since),
                stalled_since: mark.and_then(|m| m.stalled_since),
            };
            let stalled_since = v.stalled_since.filter(|_| !rules::stall_cleared(&v));
            brick_health.push(BrickHealth {
                brick_id: d.master_brick_id.into_uuid(),
                brick: name.clone(),
                status,
                lag_seconds: rules::brick_lag(&v, now),
                stalled_since,
            });
            counters.push(BrickCounters {
                brick: name,
                entry: d.entry_pending,
                data: d.data_pending,
                meta: d.meta_pending,
                failures: d.failures,
            });
            views.push(v);
        }
        let last_probe = stored.and_then(|h| {
            Some(LastProbe {
                at: h.last_probe_at?,
                result: ProbeResult::parse(h.last_probe_result.as_deref()?)?,
            })
        });
        let status = SessionStatus::from_db(&session.status);
        let sync_error = cluster
            .filter(|c| c.sync_state == "error")
            .and_then(|c| c.sync_error.clone());
        let (health, reason) = rules::evaluate(&rules::Inputs {
            status,
            bricks: &views,
            now,
            lag_threshold: self.health_config().lag_threshold,
            probes_enabled: !self.health_config().probe_interval.is_zero(),
            last_probe,
            sync_error: sync_error.as_deref(),
        });
        let prev = stored.map(|h| (Health::parse(&h.health), h.since));
        let since = rules::since(prev, health, &views, now);
        HealthView {
            master: master.map(|m| m.name.clone()).unwrap_or_default(),
            slave: sync::slave_spec(
                &session.slave_user,
                &session.slave_host_name,
                &session.slave_volume_name,
            ),
            cluster_id: cluster.map(|c| c.id.into_uuid()),
            status,
            health: SessionHealth {
                session_id: session.session_id.into_uuid(),
                health,
                reason,
                since,
                lag_seconds: rules::session_lag(&views, now),
                bricks: brick_health,
                last_probe: stored.and_then(|h| {
                    Some(ProbeSummary {
                        at: h.last_probe_at?,
                        result: ProbeResult::parse(h.last_probe_result.as_deref()?)?,
                        duration_ms: h.last_probe_ms.unwrap_or(0),
                        message: h.last_probe_message.clone(),
                    })
                }),
            },
            views,
            counters,
            stored: stored.cloned(),
        }
    }

    /// Evaluates one session and writes what changed: its health row, the per-brick marks
    /// (pending since, stalls that are over), and a transition (event + webhook).
    pub async fn evaluate_session(&self, id: Uuid) -> Result<SessionHealth> {
        let view = self.health_view(id).await?;
        let writes = evaluation_writes(&view, Utc::now());
        if !writes.is_empty() {
            let mut tx = self.store().begin().await?;
            writes.apply(&mut tx).await?;
            tx.commit().await.map_err(store_err)?;
            writes.announce(self);
        }
        Ok(view.health)
    }

    /// Writes what changed in every session's evaluation in one transaction (none when
    /// nothing did: a document cache keyed on commits stays warm), each session in its own
    /// savepoint so that one failing (deleted meanwhile) does not undo the others.
    async fn store_evaluations(&self, views: &[HealthView]) -> Result<()> {
        let now = Utc::now();
        let writes: Vec<Writes> = views
            .iter()
            .map(|v| evaluation_writes(v, now))
            .filter(|w| !w.is_empty())
            .collect();
        if writes.is_empty() {
            return Ok(());
        }
        let mut tx = self.store().begin().await?;
        let mut stored = Vec::new();
        for w in writes {
            let mut sp = sqlx::Acquire::begin(&mut *tx).await.map_err(store_err)?;
            match w.apply(&mut sp).await {
                Ok(()) => {
                    sp.commit().await.map_err(store_err)?;
                    stored.push(w);
                }
                Err(e) => {
                    tracing::warn!(session = %w.session_id, error = %e, "health: evaluation not stored");
                    sp.rollback().await.map_err(store_err)?;
                }
            }
        }
        tx.commit().await.map_err(store_err)?;
        for w in &stored {
            w.announce(self);
        }
        Ok(())
    }

    /// One scheduler tick over every session: evaluate, and the sessions a probe is due for.
    /// Returns the views it evaluated (the lag samples are taken from them).
    /// Master volumes with a stored session: the probe mounts worth keeping.
    async fn probed_volumes(&self) -> Result<HashSet<Uuid>> {
        let ids = store::master_volumes_with_sessions(&mut *self.conn().await?).await?;
        Ok(ids.into_iter().map(|id| id.into_uuid()).collect())
    }

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
    /// Writes one lag sample per session (its largest lag) and per active brick, and drops
    /// history older than the retention.
    async fn sample_lag(&self, views: &[HealthView]) -> Result<()> {
        let now = Utc::now();
        let mut rows = Vec::new();
        for v in views {
            let Some(lag) = v.health.lag_seconds else {
                continue;
            };
            let sid = v.health.session_id.hyphenated();
            let total: Option<i64> = v
                .views
                .iter()
                .filter_map(|b| b.pending)
                .reduce(|a, b| a + b);
            rows.push(store::LagSampleRow {
                session_id: sid,
                master_brick_id: String::new(),
                at: now,
                lag_seconds: lag,
                pending: total,
            });
            for (b, view) in v.health.bricks.iter().zip(&v.views) {
                if let Some(l) = b.lag_seconds {
                    rows.push(store::LagSampleRow {
                        session_id: sid,
                        master_brick_id: b.brick_id.hyphenated().to_string(),
                        at: now,
                        lag_seconds: l,
                        pending: view.pending,
                    });
                }
            }
        }
        let mut tx = self.store().begin().await?;
        store::insert_lag_samples(&mut tx, &rows).await?;
        store::prune_health_history(&mut tx, now - self.health_config().retention).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(())
    }
}

/// The rows a session's health is computed from.
struct HealthRows<'a> {
    session: &'a SessionRow,
    master: Option<&'a VolumeRow>,
    cluster: Option<&'a ClusterRow>,
    bricks: &'a [BrickRow],
    details: &'a [SessionDetailRow],
    marks: &'a [BrickHealthRow],
    stored: Option<&'a HealthRow>,
}

/// What one evaluation changes in SQLite: the per-brick marks that moved, the verdict when
/// it changed, and the transition to record and alert on.
struct Writes {
    session_id: Uuid,
    marks: Vec<BrickHealthRow>,
    verdict: Option<HealthRow>,
    transition: Option<Transition>,
}

impl Writes {
    fn is_empty(&self) -> bool {
        self.marks.is_empty() && self.verdict.is_none() && self.transition.is_none()
    }

    async fn apply(&self, conn: &mut SqliteConnection) -> Result<()> {
        for m in &self.marks {
            store::put_brick_health(conn, m).await?;
        }
        if let Some(v) = &self.verdict {
            store::put_verdict(conn, v).await?;
        }
        if let Some(t) = &self.transition {
            store::insert_event(conn, &t.event()).await?;
        }
        Ok(())
    }

    /// After the commit: the log line and the webhook of a transition.
    fn announce(&self, service: &Service) {
        if let Some(t) = &self.transition {
            tracing::warn!(session = %t.session_id, from = t.from.as_str(), to = t.to.as_str(), reason = %t.reason, "health changed");
            service.send_webhook(t.clone());
        }
    }
}

/// What evaluating a session changes, compared with the marks and verdict its view was
/// computed from.
fn evaluation_writes(view: &HealthView, now: DateTime<Utc>) -> Writes {
    let h = &view.health;
    let sid = h.session_id.hyphenated();
    let marks = view
        .views
        .iter()
        .zip(&h.bricks)
        .filter_map(|(v, b)| {
            let row = BrickHealthRow {
                session_id: sid,
                master_brick_id: b.brick_id.hyphenated(),
                stalled_since: b.stalled_since,
                pending_since: rules::next_pending_since(v.pending_since, v.pending, now),
            };
            (row.stalled_since != v.stalled_since || row.pending_since != v.pending_since)
                .then_some(row)
        })
        .collect();
    let prev = view.stored.as_ref();
    let changed = prev.is_none_or(|p| {
        p.health != h.health.as_str() || p.reason != h.reason || p.lag_seconds != h.lag_seconds
    });
    let verdict = changed.then(|| HealthRow {
        session_id: sid,
        health: h.health.as_str().into(),
        reason: h.reason.clone(),
        since: h.since,
        lag_seconds: h.lag_seconds,
        // not written by put_verdict
        last_probe_at: None,
        last_probe_result: None,
        last_probe_ms: None,
        last_probe_message: None,
        updated_at: now,
    });
    let from = prev
        .map(|p| Health::parse(&p.health))
        .unwrap_or(Health::Unknown);
    let transition =
        (from != h.health && (from.is_alerting() || h.health.is_alerting())).then(|| Transition {
            session_id: h.session_id,
            cluster_id: view.cluster_id,
            session: format!("{} -> {}", view.master, view.slave),
            from,
            to: h.health,
            reason: h.reason.clone(),
            since: h.since,
            lag_seconds: h.lag_seconds,
            at: now,
        });
    Writes {
        session_id: h.session_id,
        marks,
        verdict,
        transition,
    }
}

/// A session's health with what `/metrics` and the scheduler need besides.
#[derive(Clone, Debug)]
pub struct HealthView {
    pub master: String,
    pub slave: String,
    pub cluster_id: Option<Uuid>,
    pub status: SessionStatus,
    pub health: SessionHealth,
    pub counters: Vec<BrickCounters>,
    pub(crate) views: Vec<BrickView>,
    pub(crate) stored: Option<HealthRow>,
}

/// A brick's pending counters as gluster reported them (None: not reported).
#[derive(Clone, Debug)]
pub struct BrickCounters {
    pub brick: String,
    pub entry: Option<i64>,
    pub data: Option<i64>,
    pub meta: Option<i64>,
    pub failures: Option<i64>,
}

impl Ctx {
    fn master_mount(&self, root: &std::path::Path) -> PathBuf {
        root.join(self.master.id.to_string())
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

fn probe_message(r: &ProbeReport) -> String {
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
        tokio::fs::create_dir(dir).await
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
                    if !rules::replicating(SessionStatus::from_db(&ctx.session.status)) {
                        return Ok(None);
                    }
                    let _p = s.try_probing(id)?;
                    // a scheduled probe does not wait for a history crawl: it is retried
                    s.probe_locked(&ctx, "schedule", Duration::ZERO)
                        .await
                        .map(Some)
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

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
