//! The session lifecycle: start, stop, pause, resume, delete, refresh here; creating in
//! `create.rs`, options and checkpoints in `config.rs`. Every action is checked here before gluster is called (names, state machine,
//! eligibility, option values), runs one at a time per session, really happens on gluster, is
//! reflected in SQLite before it returns (the session's cluster is re-read at once) and is
//! recorded in the audit trail.
use app::domain::{ActionOutcome, SessionAction, SessionInfo, SessionStatus};
use chrono::Utc;
use uuid::Uuid;

use super::operations::{georep_command, Operation, Plan};
use super::scope::{host_to_ask_in, no_host, volume_and_cluster_in};
use super::{Result, Service, ServiceError};
use crate::domain::hosts::target_of;
use crate::gluster::Target;
use crate::store::{self, ClusterRow, SessionRow, VolumeRow};
use crate::sync::{self, Hold, Lane, Quiet, Subject};
use app::operations::OperationKind;
use futures_util::TryFutureExt;

/// How long a status an action caused is kept over gluster's stale reports.
const HOLD_SECS: i64 = 30;

/// Everything an action on a stored session needs.
type Ctx = super::scope::SessionScope;

mod config;
mod create;
mod nonroot;
mod preflight;
mod stale;

pub(in crate::service) use create::PUSH_PEM_SETTLE;

fn info(s: &SessionRow) -> SessionInfo {
    SessionInfo {
        id: s.session_id.into_uuid(),
        master_volume_id: s.master_volume_id.into_uuid(),
        session_key: s.session_key.clone(),
        slave_host_name: s.slave_host_name.clone(),
        slave_volume_name: s.slave_volume_name.clone(),
        slave_volume_id: s.slave_volume_id.map(|v| v.into_uuid()),
        slave_user: s.slave_user.clone(),
        status: s.status,
        updated_at: s.updated_at,
    }
}

/// The operation an action is.
pub(super) fn action_kind(a: SessionAction) -> OperationKind {
    match a {
        SessionAction::Start => OperationKind::Start,
        SessionAction::Stop => OperationKind::Stop,
        SessionAction::Pause => OperationKind::Pause,
        SessionAction::Resume => OperationKind::Resume,
        SessionAction::Delete => OperationKind::Delete,
    }
}

impl Service {
    /// Where the cluster's gluster CLI is asked: a connected host first.
    async fn target_of_cluster(&self, cluster: &ClusterRow) -> Result<Target> {
        let mut c = self.conn().await?;
        Ok(target_of(&host_to_ask_in(&mut c, cluster).await?))
    }

    async fn volume_and_cluster(&self, volume_id: Uuid) -> Result<(VolumeRow, ClusterRow)> {
        let mut c = self.conn().await?;
        volume_and_cluster_in(&mut c, volume_id.into()).await
    }

    /// Re-reads the session's cluster now (one transaction, like a sync cycle), without
    /// recording the changes `quiet` covers as discoveries.
    pub(in crate::service) async fn refresh_cluster(
        &self,
        cluster: &ClusterRow,
        quiet: &Quiet,
    ) -> Result<()> {
        self.syncer()
            .cluster_with(cluster, quiet)
            .await
            .map(|_| ())
            .map_err(|e| self.sync_error(cluster, e))
    }

    fn sync_error(&self, cluster: &ClusterRow, e: sync::SyncError) -> ServiceError {
        match e {
            sync::SyncError::Gluster(g) => ServiceError::Gluster(g),
            sync::SyncError::Store(s) => ServiceError::Store(s),
            sync::SyncError::NoHost => no_host(cluster),
        }
    }

    async fn stored_session(&self, id: Uuid) -> Result<Option<SessionRow>> {
        let mut c = self.conn().await?;
        Ok(store::get_session(&mut c, id.into()).await?)
    }

    /// Re-reads one session from gluster now; its stored form.
    pub async fn refresh_session(&self, id: Uuid) -> Result<SessionInfo> {
        let ctx = self.session_scope(id).await?;
        self.refresh_cluster(&ctx.cluster, &Quiet::default())
            .await?;
        let s = self
            .stored_session(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("session {id} (gone from gluster)")))?;
        Ok(info(&s))
    }

    /// start, stop, pause, resume or delete. Without `force` the state machine decides first;
    /// with it, the check is skipped and `force` is passed to gluster (delete has no force in
    /// gluster: it only skips the check). `reset_sync_time` applies to delete.
    pub(super) async fn session_action_now(
        &self,
        actor: &str,
        id: Uuid,
        action: SessionAction,
        force: bool,
        reset_sync_time: bool,
    ) -> Result<ActionOutcome> {
        let quiet = Quiet::session(id, &[]);
        // begun (the session's lock) before the session is read: the state read is the one
        // the action starts from
        let plan = Plan::new(
            action_kind(action),
            Subject::Session(id),
            Lane::Change,
            actor,
        )
        .quiet(quiet.clone())
        .step(format!("{} the session", action.as_str()), false);
        let (begun, ctx) = self.begin_located(plan, id).await?;
        let audit = ctx.audit(actor, action.as_str());
        if matches!(action, SessionAction::Start | SessionAction::Resume) {
            if let Err(e) = self.refuse_if_failed_over(id, action.as_str()).await {
                if let Ok(op) = begun {
                    op.abandon().await;
                }
                return self.refuse(&audit, e).await;
            }
        }
        let op = match begun {
            Ok(op) => {
                op.about(&audit).await;
                op
            }
            Err(e) => return self.refuse(&audit, e).await,
        };
        let outcome = self
            .run_action(&op, 1, &ctx, action, force, reset_sync_time, quiet)
            .await;
        let message = outcome.as_ref().ok().and_then(|o| o.message.clone());
        op.finish(&audit, &outcome, message.as_deref()).await;
        outcome
    }

    /// `plan` begun (the session's lock), then session `id` located: the state read is the one
    /// the operation starts from. A session not found abandons the operation.
    pub(super) async fn begin_located(
        &self,
        plan: Plan,
        id: Uuid,
    ) -> Result<(Result<Operation>, Ctx)> {
        let begun = self.begin(plan).await;
        match self.session_scope(id).await {
            Ok(ctx) => Ok((begun, ctx)),
            Err(e) => {
                if let Ok(op) = begun {
                    op.abandon().await;
                }
                Err(e)
            }
        }
    }

    /// The action as step `step` of `op` (which holds the session's change lane).
    #[allow(clippy::too_many_arguments)]
    pub(in crate::service) async fn run_action(
        &self,
        op: &Operation,
        step: i64,
        ctx: &Ctx,
        action: SessionAction,
        force: bool,
        reset_sync_time: bool,
        quiet: Quiet,
    ) -> Result<ActionOutcome> {
        let id = ctx.session.session_id.into_uuid();
        let status = ctx.session.status;
        if !force && !action.allowed_from().contains(&status) {
            return Err(ServiceError::WrongState { action, status });
        }
        let mut words = vec![action.as_str()];
        match action {
            SessionAction::Delete if reset_sync_time => words.push("reset-sync-time"),
            SessionAction::Delete => {}
            _ if force => words.push("force"),
            _ => {}
        }
        self.coord().touch(&ctx.session.session_key);
        let command = georep_command(&ctx.master.name, &ctx.slave, &words);
        let answer = op
            .step(
                step,
                Some(&command),
                self.gluster()
                    .georep_action(&ctx.target, &ctx.master.name, &ctx.slave, &words)
                    .map_err(ServiceError::from),
                |a| a.message.clone(),
            )
            .await?;
        // the known outcome, at once; the details follow from a refresh in the background
        let sid = ctx.session.session_id;
        let stored = {
            let mut c = self.conn().await?;
            match action.outcome() {
                None => {
                    store::delete_session(&mut c, sid).await?;
                    None
                }
                Some((s, b)) => {
                    let now = Utc::now();
                    store::set_session_status(&mut c, sid, s.as_str(), b.as_str(), now).await?;
                    Some(SessionRow {
                        status: s,
                        updated_at: now,
                        ..ctx.session.clone()
                    })
                }
            }
        };
        // gluster answers `start` before its workers exist and reports Created/Stopped for
        // ~3 s; a refresh must not take the outcome back to that
        let stale = match action {
            SessionAction::Start => vec![SessionStatus::Created, SessionStatus::Stopped, status],
            SessionAction::Resume => vec![SessionStatus::Paused],
            _ => vec![],
        };
        if let (false, Some((held, _))) = (stale.is_empty(), action.outcome()) {
            self.coord().hold(
                id,
                Hold {
                    status: held,
                    stale,
                    until: Utc::now() + chrono::Duration::seconds(HOLD_SECS),
                },
            );
        }
        if action != SessionAction::Delete {
            self.refresh_later(ctx, quiet);
        }
        Ok(ActionOutcome {
            session: stored.as_ref().map(info),
            message: answer.message,
        })
    }

    /// Re-reads the session in the background, the action's changes kept out of the trail
    /// (a deleted one is gone from SQLite already: the loop confirms it).
    fn refresh_later(&self, ctx: &Ctx, quiet: Quiet) {
        let service = self.clone();
        let (cluster, master, slave) = (
            ctx.cluster.clone(),
            ctx.master.name.clone(),
            ctx.slave.clone(),
        );
        // the admin's next action goes first
        tokio::spawn(crate::gluster::follow_up(async move {
            let _acting = service.coord().quiet_while(quiet.clone());
            let read = service
                .syncer()
                .refresh_pair(&cluster, &master, &slave, &quiet, sync::PairRead::Acted)
                .await;
            if let Err(e) = read {
                // the next cycle of the loop catches up
                tracing::warn!(cluster = %cluster.name, error = %e, "refresh after an action failed");
            }
        }));
    }
}
