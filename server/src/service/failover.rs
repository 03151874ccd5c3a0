//! Failover and failback (issue 18), as operations an admin can trust: the steps of the Red Hat
//! Gluster Storage runbook ("Disaster Recovery"), each verified against gluster, resumable after
//! a restart (every step first reads what gluster has, so repeating one is safe), cancellable
//! where nothing is left half-made.
//!
//! Failover promotes the slave volume: a planned one (master reachable) first waits for the
//! admin to stop I/O on the master and for a checkpoint every worker completed, so nothing is
//! lost; then the session is stopped (skipped when the master cannot be reached: the failback
//! stops it there first) and the slave gets `features.read-only off`, `geo-replication.indexing
//! on`, `changelog.changelog on` (its changelog records what is written during the failover).
//!
//! Failback brings those writes home through a reverse session slave → master in
//! `special-sync-mode recover` with `gfid-conflict-resolution false`, a checkpoint after the
//! admin stopped I/O on the slave, then the reverse session goes, the slave's options are put
//! back as they were and the original session starts again.
use std::time::Duration;

use app::domain::{SessionAction, SessionStatus, SyncState};
use app::failover::{
    BrickPoint, DrRole, FailbackInput, FailoverCheck, FailoverInput, FailoverRecord, SavedOption,
};
use app::health::{ProbeReport, ProbeResult};
use app::operations::{OperationKind, StepState};
use chrono::{DateTime, Utc};
use futures_util::TryFutureExt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::Audit;
use super::health::Waits;
use super::operations::{georep_command, Operation, Plan};
use super::scope::host_to_ask_in;
use super::sessions::PUSH_PEM_SETTLE;
use super::{Result, Service, ServiceError};
use crate::domain::hosts::target_of;
use crate::gluster::model::WorkerStatus;
use crate::gluster::Target;
use crate::store::{self, ClusterRow, FailoverRow, Id, OperationRow, SessionRow, VolumeRow};
use crate::sync::{Lane, Quiet, Subject};

/// How the slave volume takes writes: (option, value).
const PROMOTE: [(&str, &str); 3] = [
    ("features.read-only", "off"),
    ("geo-replication.indexing", "on"),
    ("changelog.changelog", "on"),
];
/// The reverse session's settings beyond the original's sync method.
const RECOVER_MODE: [(&str, &str); 2] = [
    ("special-sync-mode", "recover"),
    ("gfid-conflict-resolution", "false"),
];
/// Who stops a failed-over session that runs on its master again.
pub const FENCE_ACTOR: &str = "failover-fence";
/// How long a failover or failback waits for a crawl.
const WAIT: Duration = Duration::from_secs(1800);
/// A worker that has not completed a checkpoint after this long is stalled (at least; the
/// probe timeout if longer): the brick's changelog rolls over every 15 s.
const STALL_AFTER: Duration = Duration::from_secs(60);
/// How many times a failover or failback restarts stalled workers before it gives up.
const STALL_RESTARTS: u32 = 3;
/// How long restarted workers get to complete the checkpoint (their history crawl).
const RESTART_WAIT: Duration = Duration::from_secs(180);

/// What a failover or failback reached (the operation's outcome).
#[derive(Clone, Debug)]
pub struct DrSwitch {
    pub operation: Uuid,
    pub message: String,
    pub recovery_point: Option<DateTime<Utc>>,
}

/// What a resumed failover needs (the operation's `params`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct FailoverParams {
    planned: bool,
    io_stopped: bool,
    master_reachable: bool,
    /// Known once step 2 ran: whether the failover started the session to sync the rest.
    started: Option<bool>,
    /// The slave's options before step 7 changed them (read once: a resumed run keeps them).
    saved: Option<Vec<SavedOption>>,
    bricks: Vec<BrickPoint>,
    recovery_point: Option<DateTime<Utc>>,
}

/// What a resumed failback needs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct FailbackParams {
    failover: String,
    io_stopped: bool,
    /// The master volume's `features.read-only` before the reverse session's create (whose
    /// push-pem hook sets it on, as on any slave): put back at the end.
    master_read_only: Option<SavedOption>,
}

/// A volume and where its cluster's gluster is asked (the slave volume of a session, in a
/// cluster georep manages; or the master).
struct VolumeAt {
    volume: VolumeRow,
    cluster: ClusterRow,
    target: Target,
}

impl VolumeAt {
    /// A session's master volume, where its scope asks gluster.
    fn master_of(ctx: &super::scope::SessionScope) -> VolumeAt {
        VolumeAt {
            volume: ctx.master.clone(),
            cluster: ctx.cluster.clone(),
            target: ctx.target.clone(),
        }
    }
}

fn failover_plan(id: Uuid, actor: &str, params: &FailoverParams) -> Plan {
    let slave_steps = PROMOTE.iter().fold(
        switch_plan(OperationKind::Failover, id, actor, params)
            .step("confirm: I/O on the master volume is stopped", true)
            .step("start the session (unless it replicates already)", true)
            .step("wait for every worker to reach Changelog Crawl", true)
            .step("checkpoint now, and a change on the master volume", true)
            .step("wait until every worker completed the checkpoint", true)
            .step("stop the session on the master", true),
        |plan, (key, value)| plan.step(format!("slave volume: {key} {value} (read back)"), true),
    );
    slave_steps.step("record the failover and its recovery point", true)
}

/// A failover's or failback's plan before its steps: the session's change lane, cancellable
/// (until its steps say otherwise), its checkpoints no discovery, its params for a resume.
fn switch_plan(kind: OperationKind, id: Uuid, actor: &str, params: &impl Serialize) -> Plan {
    Plan::new(kind, Subject::Session(id), Lane::Change, actor)
        .quiet(Quiet::session(id, &["checkpoint"]))
        .cancellable()
        .params(serde_json::to_value(params).unwrap_or_default())
}

fn failback_plan(id: Uuid, actor: &str, params: &FailbackParams) -> Plan {
    switch_plan(OperationKind::Failback, id, actor, params)
        .step("stop the original session on the master (force)", true)
        .step("prepare the slave cluster's ssh keys (gsec_create)", true)
        .step(
            "create the reverse session slave -> master (push-pem force)",
            true,
        )
        .step(
            "configure the reverse session: special-sync-mode recover, gfid-conflict-resolution \
         false, the original's sync method (read back)",
            true,
        )
        .step("start the reverse session", true)
        .step(
            "wait for the reverse session's crawl (every worker in Changelog Crawl)",
            true,
        )
        .step("confirm: I/O on the slave volume is stopped", true)
        .step(
            "wait for every worker of the reverse session to settle",
            true,
        )
        .step("checkpoint now, and a change on the slave volume", true)
        .step("wait until every worker completed the checkpoint", true)
        .step("stop the reverse session", true)
        .step("delete the reverse session (reset-sync-time)", true)
        .step(
            "put the slave volume's options back as they were (read back)",
            true,
        )
        .step("start the original session", true)
        .step(
            "wait for every worker of the original session to settle",
            true,
        )
        .step("checkpoint now, and a change on the master volume", true)
        .step("wait until every worker completed the checkpoint", true)
        .step("record the failback", true)
}

/// gluster spells booleans several ways (`on`, `true`, `enable`, `1`).
fn same_value(a: &str, b: &str) -> bool {
    fn norm(v: &str) -> String {
        match v.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "enable" | "1" => "on".into(),
            "off" | "false" | "no" | "disable" | "0" => "off".into(),
            other => other.to_owned(),
        }
    }
    norm(a) == norm(b)
}

/// The oldest last-synced time of the bricks that report one: what the slave holds of every
/// brick.
fn oldest_synced(bricks: &[BrickPoint]) -> Option<DateTime<Utc>> {
    bricks.iter().filter_map(|b| b.last_synced).min()
}

fn record_of(f: &FailoverRow) -> FailoverRecord {
    FailoverRecord {
        role: f.in_effect().unwrap_or(DrRole::FailedOver),
        planned: f.planned,
        failed_over_at: f.failed_over_at,
        recovery_point: f.recovery_point,
        bricks: serde_json::from_str(&f.bricks).unwrap_or_default(),
        master_stopped: f.master_stopped,
        saved_options: serde_json::from_str(&f.saved_options).unwrap_or_default(),
        failover_operation: f.failover_operation.into_uuid(),
        failback_operation: f.failback_operation.map(|o| o.into_uuid()),
        reverse_session: f.reverse_session.clone(),
    }
}

impl Service {
    /// What an admin sees before a failover or failback: reachability, checkpoint, per brick
    /// what the slave holds, what blocks either (from what the sync last read).
    pub async fn failover_check(&self, id: Uuid) -> Result<FailoverCheck> {
        let scope = self.session_scope(id).await?;
        let detail = self.session_detail_view(id).await?;
        let mut c = self.conn().await?;
        let in_effect = store::failover_in_effect(&mut c, id.hyphenated()).await?;
        drop(c);
        let slave = self.slave_side(&scope.session).await;
        let master_reachable = scope.cluster.sync_state == SyncState::Ok;
        let bricks: Vec<BrickPoint> = detail
            .bricks
            .iter()
            .map(|b| BrickPoint {
                brick: format!(
                    "{}:{}",
                    b.master_host.clone().unwrap_or_default(),
                    b.master_brick.clone().unwrap_or_default()
                ),
                status: b.status,
                last_synced: b.last_synced,
                entry_pending: b.entry_pending,
                data_pending: b.data_pending,
                meta_pending: b.meta_pending,
            })
            .collect();
        let (slave_managed, slave_reachable, slave_error) = match &slave {
            Ok(s) => (
                true,
                s.cluster.sync_state == SyncState::Ok,
                s.cluster.sync_error.clone(),
            ),
            Err(e) => (false, false, Some(e.to_string())),
        };
        let master_error = scope.cluster.sync_error.clone();
        let mut failover_blockers = Vec::new();
        let mut failback_blockers = Vec::new();
        match &in_effect {
            Some(f) => failover_blockers.push(format!(
                "failed over already, since {}",
                f.failed_over_at.format("%Y-%m-%d %H:%M:%S UTC")
            )),
            None => failback_blockers.push("the session is not failed over".into()),
        }
        match (&slave, slave_reachable) {
            (Err(e), _) => {
                failover_blockers.push(e.to_string());
                failback_blockers.push(e.to_string());
            }
            (Ok(s), false) => {
                let why = format!(
                    "the slave cluster {} cannot be read: {}",
                    s.cluster.name,
                    slave_error.as_deref().unwrap_or("not read yet")
                );
                failover_blockers.push(why.clone());
                failback_blockers.push(why);
            }
            _ => {}
        }
        if !master_reachable {
            failback_blockers.push(format!(
                "the master cluster {} cannot be read: {}; bring it back first",
                scope.cluster.name,
                master_error.as_deref().unwrap_or("not read yet")
            ));
        }
        let status = scope.session.status;
        Ok(FailoverCheck {
            session_id: id,
            master: scope.master.name.clone(),
            slave: scope.slave.clone(),
            status,
            master_reachable,
            master_error: (!master_reachable).then_some(master_error).flatten(),
            slave_managed,
            slave_reachable,
            checkpoint_time: detail.summary.checkpoint_time,
            checkpoint_completed: detail.summary.checkpoint_completed,
            recovery_point: oldest_synced(&bricks),
            bricks,
            planned_possible: master_reachable
                && status != SessionStatus::Paused
                && in_effect.is_none(),
            failover_blockers,
            failback_blockers,
            failover: in_effect.as_ref().map(record_of),
        })
    }

    /// The session's failover in effect, if any.
    pub async fn failover_record(&self, id: Uuid) -> Result<Option<FailoverRecord>> {
        let mut c = self.conn().await?;
        Ok(store::failover_in_effect(&mut c, id.hyphenated())
            .await?
            .as_ref()
            .map(record_of))
    }

    /// Refuses what must not run while a session is failed over (its slave takes writes:
    /// replicating the master over them would lose them).
    pub(super) async fn refuse_if_failed_over(&self, id: Uuid, what: &str) -> Result<()> {
        match self.failover_record(id).await? {
            Some(f) => Err(ServiceError::Conflict(format!(
                "the session is {} (since {}): its slave volume takes writes; {what} only after a failback",
                f.role.as_str().replace('_', " "),
                f.failed_over_at.format("%Y-%m-%d %H:%M:%S UTC")
            ))),
            None => Ok(()),
        }
    }

    /// Fences failed-over sessions whose master came back: gluster restarts a started
    /// session's workers with its glusterd, and they would replicate the master over what
    /// was written on the promoted slave. Stopped (force) as soon as the sync sees them run;
    /// an audited stop by `failover-fence`. Called by the schedule loop.
    pub async fn fence_failed_over(&self) {
        let rows = match self.conn().await {
            Ok(mut c) => store::failovers_in_effect(&mut c).await.unwrap_or_default(),
            Err(_) => return,
        };
        for f in rows.into_iter().filter(|f| !f.master_stopped) {
            let id = f.session_id.into_uuid();
            let Ok(scope) = self.session_scope(id).await else {
                continue;
            };
            let running = !matches!(
                scope.session.status,
                SessionStatus::Stopped | SessionStatus::Created | SessionStatus::Unknown
            );
            if scope.cluster.sync_state != SyncState::Ok || !running {
                continue;
            }
            tracing::warn!(session = %id, status = scope.session.status.as_api(), "a failed-over session runs on its master again: stopping it");
            match self
                .session_action_now(FENCE_ACTOR, id, SessionAction::Stop, true, false)
                .await
            {
                Ok(_) => {
                    if let Ok(mut c) = self.conn().await {
                        let _ = store::set_master_stopped(&mut c, f.id).await;
                    }
                }
                Err(e) => tracing::warn!(session = %id, error = %e, "cannot fence it yet"),
            }
        }
    }

    /// The session's slave volume, in a cluster georep manages (else why not).
    async fn slave_side(&self, s: &SessionRow) -> Result<VolumeAt> {
        let Some(volume_id) = s.slave_volume_id else {
            return Err(ServiceError::Conflict(format!(
                "the slave volume {}::{} is in a cluster georep does not manage: register that \
                 cluster first (georep must change the slave volume's options)",
                s.slave_host_name, s.slave_volume_name
            )));
        };
        let mut c = self.conn().await?;
        let (volume, cluster) = super::scope::volume_and_cluster_in(&mut c, volume_id).await?;
        let host = host_to_ask_in(&mut c, &cluster).await?;
        Ok(VolumeAt {
            volume,
            cluster,
            target: target_of(&host),
        })
    }

    /// Fails a session over (see the module). Audited; an alert when it is done.
    pub(super) async fn failover_now(
        &self,
        actor: &str,
        id: Uuid,
        input: FailoverInput,
    ) -> Result<DrSwitch> {
        let scope = self.session_scope(id).await?;
        let audit = scope.audit(actor, "failover");
        let checked = async {
            if let Some(f) = self.failover_record(id).await? {
                return Err(ServiceError::Conflict(format!(
                    "the session is failed over already (since {})",
                    f.failed_over_at.format("%Y-%m-%d %H:%M:%S UTC")
                )));
            }
            let slave = self.slave_side(&scope.session).await?;
            // fresh reads of both sides: what the steps start from
            self.refresh_cluster(&slave.cluster, &Quiet::default())
                .await
                .map_err(|e| {
                    ServiceError::Conflict(format!(
                        "the slave cluster {} cannot be read: {e}",
                        slave.cluster.name
                    ))
                })?;
            let master = self
                .refresh_cluster(&scope.cluster, &Quiet::default())
                .await;
            let planned = input.planned.unwrap_or(master.is_ok());
            if let (true, Err(e)) = (planned, &master) {
                return Err(ServiceError::Conflict(format!(
                    "a planned failover needs the master cluster, which cannot be read ({e}): \
                     ask for an unplanned one (planned = false)"
                )));
            }
            let detail = self.failover_check(id).await?;
            Ok(FailoverParams {
                planned,
                io_stopped: input.io_stopped,
                master_reachable: master.is_ok(),
                started: None,
                saved: None,
                recovery_point: oldest_synced(&detail.bricks),
                bricks: detail.bricks,
            })
        }
        .await;
        let params = match checked {
            Ok(p) => p,
            Err(e) => return self.refuse(&audit, e).await,
        };
        let op = self
            .begin_audited(failover_plan(id, actor, &params), &audit)
            .await?;
        self.run_failover(op, audit, 1, params).await
    }

    async fn run_failover(
        &self,
        op: Operation,
        audit: Audit,
        from: i64,
        mut params: FailoverParams,
    ) -> Result<DrSwitch> {
        let id = audit.session()?;
        let outcome = self
            .failover_steps(&op, id, from, &mut params)
            .await
            .map(|_| {
                let point = params.recovery_point;
                DrSwitch {
                    operation: op.id,
                    message: format!(
                        "failed over ({}); recovery point {}",
                        if params.planned {
                            "planned: nothing lost"
                        } else {
                            "unplanned"
                        },
                        point.map_or("unknown".into(), |t| t
                            .format("%Y-%m-%d %H:%M:%S UTC")
                            .to_string())
                    ),
                    recovery_point: point,
                }
            });
        self.finish_switch(op, &audit, outcome, ("failed_over", "failover_failed"))
            .await
    }

    /// Ends a failover or failback: its operation and audit event, then the webhook
    /// (`alerts`: on success, on failure; a cancel is the admin's own doing).
    async fn finish_switch(
        &self,
        op: Operation,
        audit: &Audit,
        outcome: Result<DrSwitch>,
        (done, failed): (&'static str, &'static str),
    ) -> Result<DrSwitch> {
        let message = outcome.as_ref().ok().map(|o| o.message.clone());
        let point = outcome.as_ref().ok().and_then(|o| o.recovery_point);
        op.finish_with(audit, &outcome, message.as_deref(), point)
            .await;
        match &outcome {
            Ok(o) => self.send_alert(done, audit, &o.message),
            Err(ServiceError::Cancelled(_)) => {}
            Err(e) => self.alert(audit, failed, &e.to_string()),
        }
        outcome
    }

    async fn failover_steps(
        &self,
        op: &Operation,
        id: Uuid,
        from: i64,
        params: &mut FailoverParams,
    ) -> Result<()> {
        let save = |p: &FailoverParams| serde_json::to_value(p).unwrap_or_default();
        // 1–5. planned: I/O stopped, then everything up to a checkpoint on the slave
        if !params.planned {
            for position in from.max(1)..=5 {
                op.leave(position, StepState::Skipped, Some("unplanned failover"))
                    .await;
            }
        } else {
            if from <= 1 {
                if params.io_stopped {
                    let note = "the request says I/O on the master volume is stopped";
                    op.leave(1, StepState::Skipped, Some(note)).await;
                } else {
                    let scope = self.session_scope(id).await?;
                    let prompt = format!(
                        "stop I/O on the master volume {} (stop or unmount what writes to it), \
                         then confirm",
                        scope.master.name
                    );
                    op.await_confirmation(1, &prompt).await?;
                }
            }
            if from <= 5 {
                let lock = self.health_lane(id).await?;
                let synced = async {
                    if from <= 2 || params.started.is_none() {
                        params.started = Some(self.start_unless_running(op, 2, id).await?);
                        op.save_params(&save(params)).await;
                    }
                    let report = self.checkpoint_reached(op, 2, id).await?;
                    Ok(report.checkpoint)
                }
                .await;
                lock.abandon().await;
                match synced {
                    Ok(point) => {
                        // the checkpoint every worker completed: nothing before it is lost
                        params.recovery_point = point.or(params.recovery_point);
                        op.save_params(&save(params)).await;
                    }
                    Err(e) => {
                        // the session as it was: stopped again if the failover started it
                        if params.started == Some(true) {
                            let _ = self.stop_unless_stopped(op, 6, id, false).await;
                        }
                        return Err(e);
                    }
                }
            }
        }
        if op.cancel_asked().await {
            return Err(ServiceError::Cancelled(
                "before the session was stopped: nothing was changed".into(),
            ));
        }
        // 6. the session stopped on the master (the failover cannot be cancelled from here)
        op.not_cancellable().await;
        if from <= 6 {
            if params.master_reachable {
                self.stop_unless_stopped(op, 6, id, !params.planned).await?;
            } else {
                let why = "the master cluster cannot be read: the failback stops the session \
                           there first";
                op.leave(6, StepState::Skipped, Some(why)).await;
            }
        }
        // 7–9. the slave takes writes, each setting read back
        let scope = self.session_scope(id).await?;
        let slave = self.slave_side(&scope.session).await?;
        if params.saved.is_none() {
            let mut saved = Vec::new();
            for (key, _) in PROMOTE {
                let o = self
                    .gluster()
                    .volume_get(&slave.target, &slave.volume.name, key)
                    .await?;
                saved.push(SavedOption {
                    key: o.key,
                    value: o.value,
                    default: o.default,
                });
            }
            params.saved = Some(saved);
            op.save_params(&save(params)).await;
        }
        for (i, (key, value)) in PROMOTE.iter().enumerate() {
            let position = 7 + i as i64;
            if from > position {
                continue;
            }
            let command = format!("gluster volume set {} {key} {value}", slave.volume.name);
            op.step(
                position,
                Some(&command),
                self.set_verified(&slave, key, value, false),
                |_| Some(format!("{key} reads {value}")),
            )
            .await?;
        }
        // 10. the record: the session is failed over
        let mut c = self.conn().await?;
        let row = FailoverRow {
            id: Uuid::new_v4().hyphenated(),
            session_id: id.hyphenated(),
            role: DrRole::FailedOver.as_str().into(),
            planned: params.planned,
            failed_over_at: Utc::now(),
            failed_back_at: None,
            recovery_point: params.recovery_point,
            bricks: serde_json::to_string(&params.bricks).unwrap_or_else(|_| "[]".into()),
            master_stopped: params.master_reachable,
            saved_options: serde_json::to_string(params.saved.as_deref().unwrap_or(&[]))
                .unwrap_or_else(|_| "[]".into()),
            failover_operation: op.id.hyphenated(),
            failback_operation: None,
            reverse_session: None,
            master_read_only: None,
        };
        op.enter(10, None, false).await;
        let fresh = store::insert_failover(&mut c, &row).await?;
        drop(c);
        let note = match fresh {
            true => "the session is failed over".to_owned(),
            false => "recorded already".to_owned(),
        };
        op.leave(10, StepState::Succeeded, Some(&note)).await;
        Ok(())
    }

    /// Steps `base + 1..=base + 3` of `op`: a checkpoint every worker of session `id`
    /// completed. A worker that does not complete it within the probe timeout is stalled
    /// (glusterfs 10.3's silent stall of live changelog delivery, FINDINGS P10): the session's
    /// workers are restarted (`stop force`, `start`) and the same checkpoint is waited for
    /// again — a restarted worker's history crawl runs up to its start, past the checkpoint,
    /// so it completes whether or not live delivery stalls again — at most `STALL_RESTARTS`
    /// times.
    async fn checkpoint_reached(&self, op: &Operation, base: i64, id: Uuid) -> Result<ProbeReport> {
        let trigger = trigger_of(op);
        let ctx = self.health_ctx(id).await?;
        let waits = Waits {
            crawl: WAIT,
            checkpoint: self.health_config().probe_timeout.max(STALL_AFTER),
            after_start: true,
        };
        let report = self.probe_locked(&ctx, &trigger, waits, op, base).await?;
        let why = report
            .message
            .clone()
            .unwrap_or_else(|| report.result.as_str().into());
        let checkpoint = match (report.result, report.checkpoint) {
            (ProbeResult::Passed, _) => return Ok(report),
            (ProbeResult::Stalled, Some(t)) => t,
            _ => {
                return Err(ServiceError::Incomplete(format!(
                    "the checkpoint was not completed by every worker: {why}"
                )))
            }
        };
        let (g, at) = (self.gluster(), &ctx.at);
        let wait_cmd = georep_command(&at.master.name, &at.slave, &["status", "detail"]);
        for restart in 1..=STALL_RESTARTS {
            tracing::warn!(session = %id, %why, restart, "stalled workers: restarting the session");
            let note = format!("{why}: restarting the session's workers ({restart})");
            op.leave(base + 3, StepState::Failed, Some(&note)).await;
            g.georep_action(&at.target, &at.master.name, &at.slave, &["stop", "force"])
                .await?;
            g.georep_action(&at.target, &at.master.name, &at.slave, &["start"])
                .await?;
            op.enter(base + 3, Some(&wait_cmd), true).await;
            let t0 = std::time::Instant::now();
            while t0.elapsed() < RESTART_WAIT {
                tokio::time::sleep(Duration::from_secs(3)).await;
                if op.cancel_asked().await {
                    op.leave(base + 3, StepState::Cancelled, None).await;
                    return Err(ServiceError::Cancelled(
                        "while waiting for restarted workers".into(),
                    ));
                }
                let Ok(pairs) = self.pairs(&ctx).await else {
                    continue;
                };
                let active: Vec<_> = pairs
                    .iter()
                    .filter(|p| p.status == WorkerStatus::Active)
                    .collect();
                let done = !active.is_empty()
                    && active.iter().all(|p| {
                        p.checkpoint_time == Some(checkpoint)
                            && p.checkpoint_completed == Some(true)
                    });
                if done {
                    let note = format!(
                        "every active worker completed the checkpoint after {restart} \
                         restart(s) of stalled workers (their history crawl)"
                    );
                    op.leave(base + 3, StepState::Succeeded, Some(&note)).await;
                    return Ok(ProbeReport {
                        result: ProbeResult::Passed,
                        message: Some(note),
                        ..report
                    });
                }
            }
        }
        Err(ServiceError::Incomplete(format!(
            "the checkpoint was not completed by every worker, even after {STALL_RESTARTS} \
             restarts: {why}"
        )))
    }

    /// `volume set` (or, with `reset`, `volume reset`) on the slave, then `volume get`: the
    /// value must read back.
    async fn set_verified(
        &self,
        slave: &VolumeAt,
        key: &str,
        value: &str,
        reset: bool,
    ) -> Result<()> {
        let g = self.gluster();
        let vol = slave.volume.name.as_str();
        match reset {
            true => g.volume_reset(&slave.target, vol, key).await?,
            false => g.volume_set(&slave.target, vol, key, value).await?,
        };
        let reads = g.volume_get(&slave.target, vol, key).await?;
        if !same_value(&reads.value, value) {
            return Err(ServiceError::NotTaken {
                key: key.into(),
                sent: value.into(),
                reads: Some(reads.value),
            });
        }
        Ok(())
    }

    /// Fails a failed-over session back (see the module). Audited; an alert when it ends.
    pub(super) async fn failback_now(
        &self,
        actor: &str,
        id: Uuid,
        input: FailbackInput,
    ) -> Result<DrSwitch> {
        let scope = self.session_scope(id).await?;
        let audit = scope.audit(actor, "failback");
        let checked = async {
            let mut c = self.conn().await?;
            let f = store::failover_in_effect(&mut c, id.hyphenated())
                .await?
                .ok_or_else(|| ServiceError::Conflict("the session is not failed over".into()))?;
            drop(c);
            let slave = self.slave_side(&scope.session).await?;
            self.refresh_cluster(&scope.cluster, &Quiet::default())
                .await
                .map_err(|e| {
                    ServiceError::Conflict(format!(
                        "the master cluster {} cannot be read ({e}): bring it back before \
                         failing back",
                        scope.cluster.name
                    ))
                })?;
            self.refresh_cluster(&slave.cluster, &Quiet::default())
                .await
                .map_err(|e| {
                    ServiceError::Conflict(format!(
                        "the slave cluster {} cannot be read: {e}",
                        slave.cluster.name
                    ))
                })?;
            Ok(FailbackParams {
                failover: f.id.to_string(),
                io_stopped: input.io_stopped,
                master_read_only: None,
            })
        }
        .await;
        let params = match checked {
            Ok(p) => p,
            Err(e) => return self.refuse(&audit, e).await,
        };
        let op = self
            .begin_audited(failback_plan(id, actor, &params), &audit)
            .await?;
        self.run_failback(op, audit, 1, params).await
    }

    /// Takes over a failover or failback a dead georep left at `row.step` and finishes it in
    /// the background, from that step (a checkpoint's steps are repeated whole).
    pub(super) async fn resume_switch(&self, row: OperationRow) -> Result<()> {
        let kind = row.kind;
        let id = row.session_id.map(|s| s.into_uuid()).ok_or_else(|| {
            ServiceError::NotFound(format!("a {} without a session", kind.as_str()))
        })?;
        let bad = |e: serde_json::Error| {
            ServiceError::Conflict(format!("the {}'s params: {e}", kind.as_str()))
        };
        let (failover, failback, from) = match kind {
            OperationKind::Failover => {
                let p: FailoverParams = serde_json::from_str(&row.params).map_err(bad)?;
                (
                    Some(p),
                    None,
                    if (3..=5).contains(&row.step) {
                        2
                    } else {
                        row.step
                    },
                )
            }
            _ => {
                let p: FailbackParams = serde_json::from_str(&row.params).map_err(bad)?;
                (
                    None,
                    Some(p),
                    if (9..=10).contains(&row.step) {
                        8
                    } else {
                        row.step
                    },
                )
            }
        };
        let scope = self.session_scope(id).await?;
        let audit = Audit {
            operation_id: Some(row.id),
            ..scope.audit(&row.actor, kind.as_str())
        };
        let op = self
            .adopt(&row, Quiet::session(id, &["checkpoint"]))
            .await?;
        op.about(&audit).await;
        tracing::info!(operation = %row.id, step = row.step, "resuming a {}", kind.as_str());
        let (s, from) = (self.clone(), from.max(1));
        tokio::spawn(async move {
            let ended = match (failover, failback) {
                (Some(p), _) => s.run_failover(op, audit, from, p).await,
                (_, Some(p)) => s.run_failback(op, audit, from, p).await,
                _ => return,
            };
            if let Err(e) = ended {
                tracing::warn!(session = %id, error = %e, "resumed {} ended in error", kind.as_str());
            }
        });
        Ok(())
    }

    async fn run_failback(
        &self,
        op: Operation,
        audit: Audit,
        from: i64,
        mut params: FailbackParams,
    ) -> Result<DrSwitch> {
        let id = audit.session()?;
        let failover: Id = params
            .failover
            .parse::<Uuid>()
            .map(|u| u.hyphenated())
            .map_err(|e| ServiceError::Conflict(format!("the failback's failover: {e}")))?;
        {
            let mut c = self.conn().await?;
            store::set_failback(&mut c, failover, Some(op.id.hyphenated())).await?;
        }
        let mut outcome = self
            .failback_steps(&op, id, failover, from, &mut params)
            .await
            .map(|stalled| {
                let done = "failed back: the master has what was written on the slave, the \
                            original session runs again";
                if let Some(why) = &stalled {
                    self.alert(&audit, "failback_replication_stalled", why);
                }
                DrSwitch {
                    operation: op.id,
                    message: match stalled {
                        None => done.into(),
                        Some(why) => format!(
                            "{done}, but it did not complete a checkpoint ({why}): see its health"
                        ),
                    },
                    recovery_point: None,
                }
            });
        if let Err(ServiceError::Cancelled(why)) = &outcome {
            // the reverse session goes again; the session stays failed over
            let undone = self.undo_reverse(id, failover).await;
            let mut c = self.conn().await?;
            store::set_failback(&mut c, failover, None).await?;
            if let Err(e) = undone {
                outcome = Err(ServiceError::Incomplete(format!(
                    "cancelled ({why}), but the reverse session could not be removed: {e}"
                )));
            }
        }
        self.finish_switch(op, &audit, outcome, ("failed_back", "failback_failed"))
            .await
    }

    async fn failback_steps(
        &self,
        op: &Operation,
        id: Uuid,
        failover: Id,
        from: i64,
        params: &mut FailbackParams,
    ) -> Result<Option<String>> {
        let cancelled =
            |at: &str| ServiceError::Cancelled(format!("{at}: the reverse session goes"));
        // 1. fence: the original session must not replicate the master over the slave's writes
        if from <= 1 {
            self.stop_unless_stopped(op, 1, id, true).await?;
            let mut c = self.conn().await?;
            store::set_master_stopped(&mut c, failover).await?;
        }
        let ctx = self.session_scope(id).await?;
        let slave = self.slave_side(&ctx.session).await?;
        let reverse_slave = format!(
            "{}::{}",
            self.master_host_name(&ctx).await?,
            ctx.master.name
        );
        let reverse_of = |s: &SessionRow| {
            s.master_volume_id == slave.volume.id
                && s.slave_volume_name == ctx.master.name
                && as_root(&s.slave_user)
        };
        // 2. the slave cluster's keys
        if from <= 2 {
            op.step(
                2,
                Some("gluster system:: execute gsec_create"),
                self.gluster()
                    .gsec_create(&slave.target)
                    .map_err(ServiceError::from),
                |_| None,
            )
            .await?;
        }
        let master_at = VolumeAt::master_of(&ctx);
        // 3. the reverse session, unless gluster has it already
        if params.master_read_only.is_none() {
            params.master_read_only = Some(self.master_read_only(&master_at, failover).await?);
            op.save_params(&serde_json::to_value(&*params).unwrap_or_default())
                .await;
        }
        'reverse: {
            if from > 12 {
                break 'reverse;
            }
            let reverse = if from <= 3 {
                let _quiet = self
                    .coord()
                    .quiet_while(Quiet::created(reverse_slave.clone()));
                self.refresh_cluster(&slave.cluster, &Quiet::created(reverse_slave.clone()))
                    .await?;
                match self
                    .stored_sessions_of(&slave.volume)
                    .await?
                    .into_iter()
                    .find(|s| reverse_of(s))
                {
                    Some(s) => {
                        let note = format!("exists already: {}", s.session_key);
                        op.leave(3, StepState::Skipped, Some(&note)).await;
                        s
                    }
                    None => {
                        let words = ["create", "push-pem", "force"];
                        let command = georep_command(&slave.volume.name, &reverse_slave, &words);
                        op.step(
                            3,
                            Some(&command),
                            self.gluster()
                                .georep_action(
                                    &slave.target,
                                    &slave.volume.name,
                                    &reverse_slave,
                                    &words,
                                )
                                .map_err(ServiceError::from),
                            |a| a.message.clone(),
                        )
                        .await?;
                        // push-pem's hook installs the keys after create returned
                        tokio::time::sleep(PUSH_PEM_SETTLE).await;
                        self.refresh_cluster(
                            &slave.cluster,
                            &Quiet::created(reverse_slave.clone()),
                        )
                        .await?;
                        self.stored_sessions_of(&slave.volume)
                            .await?
                            .into_iter()
                            .find(|s| reverse_of(s))
                            .ok_or_else(|| {
                                ServiceError::Incomplete(format!(
                                    "gluster created {} -> {reverse_slave} but does not list it",
                                    slave.volume.name
                                ))
                            })?
                    }
                }
            } else {
                match self
                    .stored_sessions_of(&slave.volume)
                    .await?
                    .into_iter()
                    .find(|s| reverse_of(s))
                {
                    Some(s) => s,
                    // deleted before the interruption
                    None if from >= 11 => {
                        op.leave(12, StepState::Skipped, Some("gone already")).await;
                        break 'reverse;
                    }
                    None => {
                        return Err(ServiceError::Incomplete(format!(
                            "the reverse session {} -> {reverse_slave} is gone",
                            slave.volume.name
                        )))
                    }
                }
            };
            let rid = reverse.session_id.into_uuid();
            {
                let mut c = self.conn().await?;
                store::set_reverse_session(&mut c, failover, Some(&reverse.session_key)).await?;
            }
            let reverse_options = [
                "checkpoint",
                "special_sync_mode",
                "gfid_conflict_resolution",
                "sync_method",
            ];
            let _quiet = self
                .coord()
                .quiet_while(Quiet::session(rid, &reverse_options));
            // 4. recover mode, the original's sync method, read back
            if from <= 4 {
                let sync_method = self.stored_option(id, "sync_method").await?;
                let mut settings: Vec<(&str, String)> = RECOVER_MODE
                    .iter()
                    .map(|(k, v)| (*k, (*v).to_owned()))
                    .collect();
                if let Some(m) = sync_method {
                    settings.push(("sync-method", m));
                }
                let rscope = self.session_scope(rid).await?;
                let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k} {v}")).collect();
                let command = georep_command(
                    &slave.volume.name,
                    &reverse_slave,
                    &["config", &shown.join("; config ")],
                );
                op.step(
                    4,
                    Some(&command),
                    self.configure_reverse(&rscope, &settings),
                    |_| Some(format!("reads {}", shown.join(", "))),
                )
                .await?;
            }
            // 5. the reverse session runs
            if from <= 5 {
                self.start_unless_running(op, 5, rid).await?;
            }
            let lock = self.health_lane(rid).await?;
            let synced = async {
                let rctx = self.health_ctx(rid).await?;
                let waits = Waits {
                    crawl: WAIT,
                    checkpoint: WAIT,
                    after_start: true,
                };
                // 6. its first crawl brought the slave's writes over
                if from <= 6 {
                    if let Err((why, _)) = self.wait_settled(&rctx, waits, op, 6).await? {
                        return Err(ServiceError::Incomplete(format!(
                            "the reverse session's crawl did not end: {why}"
                        )));
                    }
                }
                // 7. nothing new is written on the slave from now on
                if from <= 7 {
                    if params.io_stopped {
                        let note = "the request says I/O on the slave volume is stopped";
                        op.leave(7, StepState::Skipped, Some(note)).await;
                    } else {
                        let prompt = format!(
                            "stop I/O on the slave volume {} (stop or unmount what writes to it), \
                         then confirm",
                            slave.volume.name
                        );
                        op.await_confirmation(7, &prompt).await?;
                    }
                }
                // 8–10. a checkpoint every worker of the reverse session completed
                self.checkpoint_reached(op, 7, rid).await.map(|_| ())
            }
            .await;
            lock.abandon().await;
            match synced {
                Err(ServiceError::Cancelled(at)) => return Err(cancelled(&at)),
                other => other?,
            }
            if op.cancel_asked().await {
                return Err(cancelled("after the checkpoint"));
            }
            op.not_cancellable().await;
            // 11–12. the reverse session goes
            self.stop_unless_stopped(op, 11, rid, true).await?;
            let rscope = self.session_scope(rid).await?;
            self.run_action(
                op,
                12,
                &rscope,
                SessionAction::Delete,
                true,
                // the next failback's reverse session has the same key: without this it would
                // start from this one's sync time and miss what its changelogs did not record
                true,
                Quiet::session(rid, &[]),
            )
            .await?;
            self.refresh_cluster(&slave.cluster, &Quiet::session(rid, &[]))
                .await?;
            if self
                .stored_sessions_of(&slave.volume)
                .await?
                .iter()
                .any(|s| s.session_id == reverse.session_id)
            {
                return Err(ServiceError::Incomplete(format!(
                    "gluster still lists the reverse session {}",
                    reverse.session_key
                )));
            }
            {
                let mut c = self.conn().await?;
                store::set_reverse_session(&mut c, failover, None).await?;
            }
        }
        // 13. the slave's options as they were
        let saved: Vec<SavedOption> = {
            let mut c = self.conn().await?;
            let row = store::failover_in_effect(&mut c, id.hyphenated())
                .await?
                .ok_or_else(|| ServiceError::Conflict("the failover record is gone".into()))?;
            serde_json::from_str(&row.saved_options).unwrap_or_default()
        };
        // the reverse session's push-pem hook made the master read-only, as any slave
        let master_saved: Vec<SavedOption> = params.master_read_only.iter().cloned().collect();
        let mut shown: Vec<String> = Vec::new();
        for (at, options) in [(&slave, &saved), (&master_at, &master_saved)] {
            for o in options.iter() {
                shown.push(match o.default {
                    true => format!("gluster volume reset {} {}", at.volume.name, o.key),
                    false => format!(
                        "gluster volume set {} {} {}",
                        at.volume.name, o.key, o.value
                    ),
                });
            }
        }
        op.step(
            13,
            Some(&shown.join("; ")),
            async {
                for (at, options) in [(&slave, &saved), (&master_at, &master_saved)] {
                    for o in options.iter() {
                        self.set_verified(at, &o.key, &o.value, o.default).await?;
                    }
                }
                Ok(())
            },
            |_| Some("every option reads as before the failover".into()),
        )
        .await?;
        // 14. the original session replicates again
        if from <= 14 {
            self.start_unless_running(op, 14, id).await?;
        }
        // 15–17. and really does: a checkpoint every worker completes (a worker just started
        // is when glusterfs 10.3's stall begins; a stalled one is restarted here)
        let lock = self.health_lane(id).await?;
        let verified = self.checkpoint_reached(op, 14, id).await;
        lock.abandon().await;
        // the failback's own work is done (the slave's writes are home, the roles are back):
        // a session that does not replicate is its health's business — the probe above stored
        // the stall, which alerts and self-heals like any — and the operation says so
        let stalled = match verified {
            Ok(_) => None,
            Err(e @ ServiceError::Cancelled(_)) => return Err(e),
            Err(e) => {
                op.leave(17, StepState::Failed, Some(&e.to_string())).await;
                Some(e.to_string())
            }
        };
        // 18. no longer failed over
        op.enter(18, None, false).await;
        let mut c = self.conn().await?;
        store::set_failed_back(&mut c, failover, Utc::now()).await?;
        drop(c);
        op.leave(
            18,
            StepState::Succeeded,
            Some("the session is no longer failed over"),
        )
        .await;
        Ok(stalled)
    }

    /// The master's read-only as it was before any reverse session: kept in the failover
    /// record from the first failback attempt on (a cancelled or failed attempt's push-pem
    /// hook set it on: a later attempt must not take that for the master's own).
    async fn master_read_only(&self, master: &VolumeAt, failover: Id) -> Result<SavedOption> {
        let mut c = self.conn().await?;
        let kept = store::failovers_in_effect(&mut c)
            .await?
            .into_iter()
            .find(|f| f.id == failover)
            .and_then(|f| f.master_read_only)
            .and_then(|j| serde_json::from_str::<SavedOption>(&j).ok());
        drop(c);
        if let Some(o) = kept {
            return Ok(o);
        }
        let o = self
            .gluster()
            .volume_get(&master.target, &master.volume.name, PROMOTE[0].0)
            .await?;
        let saved = SavedOption {
            key: o.key,
            value: o.value,
            default: o.default,
        };
        let mut c = self.conn().await?;
        let json = serde_json::to_string(&saved).unwrap_or_default();
        store::keep_master_read_only(&mut c, failover, &json).await?;
        Ok(saved)
    }

    /// After a cancelled failback: the reverse session stopped and deleted, if it exists, and
    /// the master's read-only (its push-pem hook set it on) as it was.
    async fn undo_reverse(&self, id: Uuid, failover: Id) -> Result<()> {
        let ctx = self.session_scope(id).await?;
        let slave = self.slave_side(&ctx.session).await?;
        self.refresh_cluster(&slave.cluster, &Quiet::default())
            .await?;
        let Some(reverse) = self
            .stored_sessions_of(&slave.volume)
            .await?
            .into_iter()
            .find(|s| s.slave_volume_name == ctx.master.name && as_root(&s.slave_user))
        else {
            return Ok(());
        };
        let rscope = self.session_scope(reverse.session_id.into_uuid()).await?;
        let g = self.gluster();
        let (master, spec) = (&rscope.master.name, &rscope.slave);
        if !matches!(
            reverse.status,
            SessionStatus::Stopped | SessionStatus::Created
        ) {
            g.georep_action(&rscope.target, master, spec, &["stop", "force"])
                .await?;
        }
        g.georep_action(&rscope.target, master, spec, &["delete", "reset-sync-time"])
            .await?;
        self.refresh_cluster(
            &slave.cluster,
            &Quiet::session(reverse.session_id.into_uuid(), &[]),
        )
        .await?;
        let mut c = self.conn().await?;
        store::set_reverse_session(&mut c, failover, None).await?;
        drop(c);
        let master_at = VolumeAt::master_of(&ctx);
        let o = self.master_read_only(&master_at, failover).await?;
        self.set_verified(&master_at, &o.key, &o.value, o.default)
            .await
    }

    /// `config KEY VALUE` for each setting on the reverse session, then its config read back.
    async fn configure_reverse(
        &self,
        rscope: &super::scope::SessionScope,
        settings: &[(&str, String)],
    ) -> Result<()> {
        let g = self.gluster();
        let (master, spec) = (&rscope.master.name, &rscope.slave);
        for (key, value) in settings {
            g.georep_action(&rscope.target, master, spec, &["config", key, value])
                .await?;
        }
        let config = g.georep_config(&rscope.target, master, spec).await?;
        for (key, value) in settings {
            let name = key.replace('-', "_");
            let reads = config
                .iter()
                .find(|(k, _)| k.replace('-', "_") == name)
                .map(|(_, v)| v.clone());
            if !reads.as_deref().is_some_and(|r| same_value(r, value)) {
                return Err(ServiceError::NotTaken {
                    key: (*key).into(),
                    sent: value.clone(),
                    reads,
                });
            }
        }
        Ok(())
    }

    /// How gluster names a master host the slave cluster can reach: the server of a master
    /// brick on the host georep asks (connected), else of the first brick.
    async fn master_host_name(&self, ctx: &super::scope::SessionScope) -> Result<String> {
        let mut c = self.conn().await?;
        let bricks = store::bricks_of_volume(&mut c, ctx.master.id).await?;
        Ok(bricks
            .iter()
            .find(|b| b.host_id == Some(ctx.host.id))
            .or(bricks.first())
            .map(|b| b.server_name.clone())
            .unwrap_or_else(|| ctx.host.address.clone()))
    }

    async fn stored_sessions_of(&self, volume: &VolumeRow) -> Result<Vec<SessionRow>> {
        let mut c = self.conn().await?;
        Ok(store::sessions_of_volume(&mut c, volume.id).await?)
    }
}

/// A session whose slave side runs as root (gluster names the user `root`; georep's own
/// create leaves it unnamed).
fn as_root(user: &str) -> bool {
    user.is_empty() || user == "root"
}

/// The probe's trigger as stored: the operation kind that ran it.
fn trigger_of(op: &Operation) -> String {
    op.kind().as_str().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::BrickStatus;

    #[test]
    fn gluster_s_spellings_of_a_boolean_are_one_value() {
        assert!(same_value("on", "true"));
        assert!(same_value("Enable", "on"));
        assert!(same_value("off", "false"));
        assert!(!same_value("on", "off"));
        assert!(same_value("tarssh", "tarssh"));
        assert!(same_value("recover", " recover"));
    }

    #[test]
    fn the_recovery_point_is_the_oldest_brick_s() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let b = |t: Option<&str>| BrickPoint {
            brick: "n:/b".into(),
            status: BrickStatus::Active,
            last_synced: t.map(at),
            entry_pending: None,
            data_pending: None,
            meta_pending: None,
        };
        let bricks = [
            b(Some("2026-12-01T10:00:05Z")),
            b(None),
            b(Some("2026-12-01T10:00:01Z")),
        ];
        assert_eq!(oldest_synced(&bricks), Some(at("2026-12-01T10:00:01Z")));
        assert_eq!(oldest_synced(&[b(None)]), None);
    }

    #[test]
    fn the_plans_name_every_step_in_order() {
        let id = Uuid::nil();
        let f = failover_plan(id, "admin", &FailoverParams::default());
        assert_eq!(f.steps.len(), 10);
        assert!(f.steps[6].0.contains("features.read-only off"));
        assert!(f.steps[8].0.contains("changelog.changelog on"));
        let b = failback_plan(id, "admin", &FailbackParams::default());
        assert_eq!(b.steps.len(), 18);
        assert!(b.steps[6].0.contains("I/O on the slave"));
    }
}
