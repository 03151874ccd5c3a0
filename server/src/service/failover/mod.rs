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
use app::failover::{BrickPoint, DrRole, FailoverCheck, FailoverRecord, SavedOption};
use app::health::{ProbeReport, ProbeResult};
use app::operations::{OperationKind, StepState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::Audit;
use super::health::{Ctx, Waits};
use super::operations::{georep_command, Operation, Plan};
use super::scope::host_to_ask_in;
use super::{Result, Service, ServiceError};
use crate::domain::hosts::target_of;
use crate::gluster::keys::KeyMode;
use crate::gluster::model::WorkerStatus;
use crate::gluster::Target;
use crate::store::{self, ClusterRow, FailoverRow, Id, OperationRow, SessionRow, VolumeRow};
use crate::sync::{Lane, Quiet, Subject};

mod failback;
mod promote;

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
const STALL_RESTARTS: u32 = 5;
/// How long restarted workers get to complete the checkpoint (their history crawl).
const RESTART_WAIT: Duration = Duration::from_secs(180);

/// What a checkpoint must show (`checkpoint_reached`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proof {
    /// Every worker got past it, live or by the history crawl of a restart: enough before
    /// the session is stopped.
    Checkpoint,
    /// And the session, left running, gets live changelogs (FINDINGS P10 begins at a
    /// worker's start).
    Live,
}

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
    slave_steps
        .step(
            "fence: the session's ssh keys out of the slave nodes (the master's workers cannot \
             write to the slave)",
            true,
        )
        .step("record the failover and its recovery point", true)
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
        .step(
            "the session's ssh keys back on the slave nodes (add_secret_pub)",
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
        let in_effect = store::failover_in_effect(&mut c, id.into()).await?;
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
        Ok(store::failover_in_effect(&mut c, id.into())
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
    /// was written on the promoted slave (unless the failover fenced them out by keys). Stopped
    /// (force) as soon as the sync sees them run, an audited stop by `failover-fence`; one the
    /// sync sees stopped is recorded as such. Called by the schedule loop.
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
            if scope.cluster.sync_state != SyncState::Ok {
                continue;
            }
            match scope.session.status {
                SessionStatus::Unknown => continue,
                SessionStatus::Stopped | SessionStatus::Created => {
                    // the master is back and nothing of the session runs there (its monitor
                    // could not reach the fenced slave): as stopped as georep's stop makes it
                    if let Ok(mut c) = self.conn().await {
                        let _ = store::set_master_stopped(&mut c, f.id).await;
                    }
                    continue;
                }
                _ => {}
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

    /// Steps `base + 1..=base + 3` of `op`: a checkpoint every worker of session `id`
    /// completed. A worker that does not complete it within the probe timeout is stalled
    /// (glusterfs 10.3's silent stall of live changelog delivery, FINDINGS P10): the session's
    /// workers are restarted (`stop force`, `start`) and the same checkpoint is waited for
    /// again — a restarted worker's history crawl runs up to its start, past the checkpoint,
    /// so it completes whether or not live delivery stalls again. That is enough before a
    /// stop (`Proof::Checkpoint`); a session left running must also be shown to get live
    /// changelogs after its restart (`Proof::Live`: a fresh probe, which a stall sends round
    /// again). At most `STALL_RESTARTS` restarts in all.
    async fn checkpoint_reached(
        &self,
        op: &Operation,
        base: i64,
        id: Uuid,
        proof: Proof,
    ) -> Result<ProbeReport> {
        let trigger = trigger_of(op);
        let ctx = self.health_ctx(id).await?;
        let waits = Waits {
            crawl: WAIT,
            checkpoint: self.health_config().probe_timeout.max(STALL_AFTER),
            after_start: true,
        };
        let (g, at) = (self.gluster(), &ctx.at);
        let wait_cmd = georep_command(&at.master.name, &at.slave, &["status", "detail"]);
        let mut restarts = 0;
        let mut report = self.probe_locked(&ctx, &trigger, waits, op, base).await?;
        loop {
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
            let mut caught_up = false;
            while !caught_up {
                if restarts == STALL_RESTARTS {
                    return Err(ServiceError::Incomplete(format!(
                        "the checkpoint was not completed by every worker, even after \
                         {STALL_RESTARTS} restarts: {why}"
                    )));
                }
                restarts += 1;
                tracing::warn!(session = %id, %why, restarts, "stalled workers: restarting the session");
                let note = format!("{why}: restarting the session's workers ({restarts})");
                op.leave(base + 3, StepState::Failed, Some(&note)).await;
                g.georep_action(&at.target, &at.master.name, &at.slave, &["stop", "force"])
                    .await?;
                g.georep_action(&at.target, &at.master.name, &at.slave, &["start"])
                    .await?;
                op.enter(base + 3, Some(&wait_cmd), true).await;
                caught_up = self
                    .same_checkpoint_completed(op, base, &ctx, checkpoint)
                    .await?;
            }
            let note = format!(
                "every active worker completed the checkpoint after {restarts} restart(s) of \
                 stalled workers (their history crawl)"
            );
            match proof {
                Proof::Checkpoint => {
                    op.leave(base + 3, StepState::Succeeded, Some(&note)).await;
                    return Ok(ProbeReport {
                        result: ProbeResult::Passed,
                        message: Some(note),
                        ..report
                    });
                }
                Proof::Live => {
                    op.leave(
                        base + 3,
                        StepState::Succeeded,
                        Some(&format!("{note}; probing live delivery")),
                    )
                    .await;
                    report = self.probe_locked(&ctx, &trigger, waits, op, base).await?;
                }
            }
        }
    }

    /// Whether every active worker of `ctx`'s session completed `checkpoint` within
    /// `RESTART_WAIT` (the wait after a restart, step `base + 3` of `op`).
    async fn same_checkpoint_completed(
        &self,
        op: &Operation,
        base: i64,
        ctx: &Ctx,
        checkpoint: DateTime<Utc>,
    ) -> Result<bool> {
        let t0 = std::time::Instant::now();
        while t0.elapsed() < RESTART_WAIT {
            tokio::time::sleep(Duration::from_secs(3)).await;
            if op.cancel_asked().await {
                op.leave(base + 3, StepState::Cancelled, None).await;
                return Err(ServiceError::Cancelled(
                    "while waiting for restarted workers".into(),
                ));
            }
            let Ok(pairs) = self.pairs(ctx).await else {
                continue;
            };
            let active: Vec<_> = pairs
                .iter()
                .filter(|p| p.status == WorkerStatus::Active)
                .collect();
            let done = !active.is_empty()
                && active.iter().all(|p| {
                    p.checkpoint_time == Some(checkpoint) && p.checkpoint_completed == Some(true)
                });
            if done {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Other sessions whose workers use the same key lines on the slave's nodes: from the
    /// same master cluster (the keys are its nodes') to the same slave cluster, as the same
    /// user. Fencing this session by keys would fence them too.
    async fn sharing_keys(
        &self,
        s: &SessionRow,
        master_cluster: Id,
        slave: &VolumeAt,
    ) -> Result<Vec<String>> {
        let mut c = self.conn().await?;
        let mut shared = Vec::new();
        for o in store::sessions_of_cluster(&mut c, master_cluster).await? {
            if o.session_id == s.session_id || key_user(&o.slave_user) != key_user(&s.slave_user) {
                continue;
            }
            let Some(v) = o.slave_volume_id else {
                continue;
            };
            if let Ok((_, cluster)) = super::scope::volume_and_cluster_in(&mut c, v).await {
                if cluster.id == slave.cluster.id {
                    shared.push(o.session_key);
                }
            }
        }
        Ok(shared)
    }

    /// Step `position` of `op`: the master's workers kept out of the slave (`gluster::keys`):
    /// the session's key lines leave the slave user's authorized_keys on every slave node,
    /// read back. Skipped, saying why, when other sessions ride on the same keys (then the
    /// fence is georep's stop when the master returns).
    async fn fence_master(
        &self,
        op: &Operation,
        position: i64,
        ctx: &super::scope::SessionScope,
        slave: &VolumeAt,
    ) -> Result<()> {
        let shared = self
            .sharing_keys(&ctx.session, ctx.cluster.id, slave)
            .await?;
        if !shared.is_empty() {
            let why = format!(
                "not fenced by ssh keys: {} use the same keys of the master's nodes; georep \
                 stops this session when its master returns",
                shared.join(", ")
            );
            op.leave(position, StepState::Skipped, Some(&why)).await;
            return Ok(());
        }
        let (user, m, s) = key_names(ctx, slave);
        let hosts = self.nodes_of(&slave.cluster).await?;
        let command = format!(
            "on every node of {}: the lines of {m}_{s}_common_secret.pem.pub out of {user}'s \
             authorized_keys",
            slave.cluster.name
        );
        let work = async {
            let mut notes = Vec::new();
            for h in &hosts {
                let k = self
                    .gluster()
                    .session_keys(&target_of(h), KeyMode::Fence, user, m, s)
                    .await
                    .map_err(|e| {
                        ServiceError::Incomplete(format!("{}: not fenced: {e}", h.address))
                    })?;
                if k.authorized != 0 {
                    return Err(ServiceError::Incomplete(format!(
                        "{}: {} key line(s) still in authorized_keys",
                        h.address, k.authorized
                    )));
                }
                notes.push(match k.in_file {
                    0 => format!("{}: no key of the session", h.address),
                    n => format!("{}: {n} key line(s) out", h.address),
                });
            }
            Ok(notes.join("; "))
        };
        op.step(position, Some(&command), work, |n| Some(n.clone()))
            .await?;
        Ok(())
    }

    /// Every node georep knows of `cluster` (the session's keys are on each).
    async fn nodes_of(&self, cluster: &ClusterRow) -> Result<Vec<store::HostRow>> {
        let mut c = self.conn().await?;
        Ok(store::hosts_of_cluster(&mut c, cluster.id).await?)
    }

    /// Step `position` of `op`: the master's workers let into the slave again — gluster puts
    /// the session's keys back on every slave node (`add_secret_pub`, only what is missing),
    /// read back on each.
    async fn admit_master(
        &self,
        op: &Operation,
        position: i64,
        ctx: &super::scope::SessionScope,
        slave: &VolumeAt,
    ) -> Result<()> {
        let (user, m, s) = key_names(ctx, slave);
        let hosts = self.nodes_of(&slave.cluster).await?;
        let command = format!(
            "gluster system:: execute add_secret_pub {user} \
             geo-replication/{m}_{s}_common_secret.pem.pub"
        );
        let work = async {
            self.gluster()
                .add_session_keys(&slave.target, user, m, s)
                .await?;
            for h in &hosts {
                let k = self
                    .gluster()
                    .session_keys(&target_of(h), KeyMode::Check, user, m, s)
                    .await?;
                if k.authorized < k.in_file {
                    return Err(ServiceError::Incomplete(format!(
                        "{}: {} of the session's {} key lines in authorized_keys",
                        h.address, k.authorized, k.in_file
                    )));
                }
            }
            Ok(())
        };
        op.step(position, Some(&command), work, |_| {
            Some("the session's keys are on every slave node".into())
        })
        .await
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
}

/// A session whose slave side runs as root (gluster names the user `root`; georep's own
/// create leaves it unnamed).
fn as_root(user: &str) -> bool {
    user.is_empty() || user == "root"
}

/// What names a session's keys on the slave: its user, master and slave volume.
fn key_names<'a>(
    ctx: &'a super::scope::SessionScope,
    slave: &'a VolumeAt,
) -> (&'a str, &'a str, &'a str) {
    (
        key_user(&ctx.session.slave_user),
        ctx.master.name.as_str(),
        slave.volume.name.as_str(),
    )
}

/// The user whose authorized_keys hold a session's keys on the slave.
fn key_user(user: &str) -> &str {
    match as_root(user) {
        true => "root",
        false => user,
    }
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
        assert_eq!(f.steps.len(), 11);
        assert!(f.steps[6].0.contains("features.read-only off"));
        assert!(f.steps[8].0.contains("changelog.changelog on"));
        assert!(f.steps[9].0.starts_with("fence"));
        let b = failback_plan(id, "admin", &FailbackParams::default());
        assert_eq!(b.steps.len(), 19);
        assert!(b.steps[6].0.contains("I/O on the slave"));
        assert!(b.steps[13].0.contains("add_secret_pub"));
        assert!(b.steps[14].0.contains("start the original"));
    }
}
