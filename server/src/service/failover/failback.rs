//! The failback: the slave's writes brought home through a reverse session, the roles put
//! back (see the module).

use app::domain::{SessionAction, SessionStatus};
use app::failover::{FailbackInput, SavedOption};
use app::operations::StepState;
use chrono::Utc;
use futures_util::TryFutureExt;
use uuid::Uuid;

use super::{
    as_root, failback_plan, same_value, DrSwitch, FailbackParams, Proof, VolumeAt, PROMOTE,
    RECOVER_MODE, WAIT,
};
use crate::service::audit::Audit;
use crate::service::health::Waits;
use crate::service::operations::{georep_command, Operation};
use crate::service::sessions::PUSH_PEM_SETTLE;
use crate::service::{Result, Service, ServiceError};
use crate::store::{self, Id, SessionRow, VolumeRow};
use crate::sync::Quiet;

impl Service {
    /// Fails a failed-over session back (see the module). Audited; an alert when it ends.
    pub(in crate::service) async fn failback_now(
        &self,
        actor: &str,
        id: Uuid,
        input: FailbackInput,
    ) -> Result<DrSwitch> {
        let scope = self.session_scope(id).await?;
        let audit = scope.audit(actor, "failback");
        let checked = async {
            let mut c = self.conn().await?;
            let f = store::failover_in_effect(&mut c, id.into())
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

    pub(super) async fn run_failback(
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
            .map(|u| u.into())
            .map_err(|e| ServiceError::Conflict(format!("the failback's failover: {e}")))?;
        {
            let mut c = self.conn().await?;
            store::set_failback(&mut c, failover, Some(op.id.into())).await?;
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
                self.checkpoint_reached(op, 7, rid, Proof::Checkpoint)
                    .await
                    .map(|_| ())
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
            let row = store::failover_in_effect(&mut c, id.into())
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
        // 14. the master's workers may reach the slave again
        self.admit_master(op, 14, &ctx, &slave).await?;
        // 15. the original session replicates again
        if from <= 15 {
            self.start_unless_running(op, 15, id).await?;
        }
        // 16–18. and really does: a checkpoint every worker completes (a worker just started
        // is when glusterfs 10.3's stall begins; a stalled one is restarted here)
        let lock = self.health_lane(id).await?;
        let verified = self.checkpoint_reached(op, 15, id, Proof::Live).await;
        lock.abandon().await;
        // the failback's own work is done (the slave's writes are home, the roles are back):
        // a session that does not replicate is its health's business — the probe above stored
        // the stall, which alerts and self-heals like any — and the operation says so
        let stalled = match verified {
            Ok(_) => None,
            Err(e @ ServiceError::Cancelled(_)) => return Err(e),
            Err(e) => {
                op.leave(18, StepState::Failed, Some(&e.to_string())).await;
                Some(e.to_string())
            }
        };
        // 19. no longer failed over
        op.enter(19, None, false).await;
        let mut c = self.conn().await?;
        store::set_failed_back(&mut c, failover, Utc::now()).await?;
        drop(c);
        op.leave(
            19,
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
        let kept = store::failover_by_id(&mut c, failover)
            .await?
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
        // The sync loop must not record this stop and delete as done outside georep.
        let _quiet = self
            .coord()
            .quiet_while(Quiet::session(reverse.session_id.into_uuid(), &[]));
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
        rscope: &crate::service::scope::SessionScope,
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
    async fn master_host_name(&self, ctx: &crate::service::scope::SessionScope) -> Result<String> {
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
