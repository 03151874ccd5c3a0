//! The failover: the slave volume promoted, the recovery point recorded (see the module).

use app::failover::{DrRole, FailoverInput, SavedOption};
use app::operations::StepState;
use chrono::Utc;
use uuid::Uuid;

use super::{failover_plan, oldest_synced, DrSwitch, FailoverParams, Proof, PROMOTE};
use crate::service::audit::Audit;
use crate::service::operations::Operation;
use crate::service::{Result, Service, ServiceError};
use crate::store::{self, FailoverRow};
use crate::sync::Quiet;

impl Service {
    /// Fails a session over (see the module). Audited; an alert when it is done.
    pub(in crate::service) async fn failover_now(
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

    pub(super) async fn run_failover(
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
                    let report = self
                        .checkpoint_reached(op, 2, id, Proof::Checkpoint)
                        .await?;
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
        // 10. the fence: a master that comes back cannot write to the slave
        if from <= 10 {
            self.fence_master(op, 10, &scope, &slave).await?;
        }
        // 11. the record: the session is failed over
        let mut c = self.conn().await?;
        let row = FailoverRow {
            id: Uuid::new_v4().into(),
            session_id: id.into(),
            role: DrRole::FailedOver.as_str().into(),
            planned: params.planned,
            failed_over_at: Utc::now(),
            failed_back_at: None,
            recovery_point: params.recovery_point,
            bricks: serde_json::to_string(&params.bricks).unwrap_or_else(|_| "[]".into()),
            master_stopped: params.master_reachable,
            saved_options: serde_json::to_string(params.saved.as_deref().unwrap_or(&[]))
                .unwrap_or_else(|_| "[]".into()),
            failover_operation: op.id.into(),
            failback_operation: None,
            reverse_session: None,
            master_read_only: None,
        };
        op.enter(11, None, false).await;
        let fresh = store::insert_failover(&mut c, &row).await?;
        drop(c);
        let note = match fresh {
            true => "the session is failed over".to_owned(),
            false => "recorded already".to_owned(),
        };
        op.leave(11, StepState::Succeeded, Some(&note)).await;
        Ok(())
    }
}
