//! After a restart: the operations an earlier georep left unfinished (it was killed, or its
//! machine went down) are judged against gluster's truth, never forgotten. A DR sync run is
//! resumed at its step (each is safe to repeat); an action whose gluster call may or may not
//! have happened is confirmed by reading gluster (it succeeded if gluster shows its outcome),
//! else it needs attention, with what gluster shows now.
use app::domain::{SessionAction, SessionStatus};
use app::operations::{OperationKind, OperationState};
use chrono::Utc;

use super::audit::Audit;
use super::{Result, Service, ServiceError};
use crate::store::{self, OperationRow};
use crate::sync::Quiet;

/// How long the judge of an interrupted action re-reads gluster for the action's outcome.
const ORPHAN_CALL_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// What a judged operation became.
#[derive(Debug)]
pub struct Judged {
    pub id: uuid::Uuid,
    pub kind: OperationKind,
    pub state: OperationState,
    pub message: String,
}

/// Whether a run a dead georep left is taken over and resumed (rather than judged).
fn resumable(op: &OperationRow) -> bool {
    matches!(
        op.kind,
        OperationKind::ScheduledSync | OperationKind::Failover | OperationKind::Failback
    ) && op.step > 0
}

impl Service {
    /// At start, before serving: the operations an earlier (dead) georep left unfinished stop
    /// holding their sessions at once — marked as being judged — except the DR runs this
    /// process takes over to resume. `recover_operations` then judges them against gluster.
    pub async fn take_over_orphans(&self) -> Result<Vec<OperationRow>> {
        let mut c = self.conn().await?;
        let mut orphans = Vec::new();
        // with several georep processes on one PostgreSQL, only those of a dead one
        for op in store::orphaned_operations(&mut c, self.instance()).await? {
            if !store::owner_alive(&mut c, &op.owner).await? {
                orphans.push(op);
            }
        }
        let now = Utc::now();
        let mut taken = Vec::new();
        for op in orphans {
            if resumable(&op) {
                if !store::adopt_operation(&mut c, op.id, &op.owner, self.instance(), now).await? {
                    continue;
                }
            } else {
                let why = format!(
                    "georep stopped during step {}: being judged against gluster",
                    op.step
                );
                store::finish_operation(
                    &mut c,
                    op.id,
                    OperationState::NeedsAttention,
                    Some(&why),
                    None,
                    now,
                )
                .await?;
            }
            taken.push(op);
        }
        Ok(taken)
    }

    /// Judges the operations `take_over_orphans` found against gluster's truth (after a sync of
    /// every cluster) and resumes the DR runs. Runs once at `serve`, in the background, before
    /// the health scheduler starts new work.
    pub async fn recover_operations(&self, orphans: Vec<OperationRow>) -> Result<Vec<Judged>> {
        if orphans.is_empty() {
            return Ok(vec![]);
        }
        tracing::warn!(
            operations = orphans.len(),
            "operations left unfinished by an earlier georep: judging them against gluster"
        );
        // gluster's truth first: what each action did or did not do shows there
        for (cluster, r) in self.sync_all().await {
            if let Err(e) = r {
                tracing::warn!(%cluster, error = %e, "recovery: cannot read the cluster");
            }
        }
        let mut judged = Vec::new();
        for op in orphans {
            if resumable(&op) {
                let resumed = match op.kind {
                    OperationKind::Failover | OperationKind::Failback => {
                        self.resume_switch(op.clone()).await
                    }
                    _ => self.resume_dr_sync(op.clone()).await,
                };
                match resumed {
                    Ok(()) => {
                        judged.push(Judged {
                            id: op.id.into_uuid(),
                            kind: op.kind,
                            state: OperationState::Running,
                            message: format!("resumed at step {}", op.step),
                        });
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(operation = %op.id, error = %e, "cannot resume an operation")
                    }
                }
            }
            let (state, message) = self.judge(&op).await;
            let now = Utc::now();
            let mut c = self.conn().await?;
            store::finish_operation(&mut c, op.id, state, Some(&message), None, now).await?;
            drop(c);
            let audit = Audit {
                actor: "georep".into(),
                action: format!("{}_recovered", op.kind.as_str()),
                cluster_id: op.cluster_id,
                session_id: op.session_id,
                target: op.target.clone(),
                operation_id: Some(op.id),
            };
            let outcome: Result<()> = match state {
                OperationState::Succeeded => Ok(()),
                _ => Err(ServiceError::Conflict(message.clone())),
            };
            self.record(&audit, &outcome, Some(&message)).await;
            judged.push(Judged {
                id: op.id.into_uuid(),
                kind: op.kind,
                state,
                message,
            });
        }
        Ok(judged)
    }

    /// What an interrupted operation became, by what gluster shows now.
    async fn judge(&self, op: &OperationRow) -> (OperationState, String) {
        let at = match op.step {
            0 => {
                return (
                    OperationState::Failed,
                    "georep stopped before its first step: nothing was asked of gluster".into(),
                )
            }
            n => format!("georep stopped during step {n}"),
        };
        let stored = |id| async move {
            let mut c = self.conn().await?;
            Ok::<_, ServiceError>(store::get_session(&mut c, id).await?)
        };
        let mut session = match op.session_id {
            Some(id) => match stored(id).await {
                Ok(s) => s,
                Err(e) => return (OperationState::NeedsAttention, format!("{at}; {e}")),
            },
            None => None,
        };
        let shows = |s: &Option<store::SessionRow>| match s {
            Some(s) => format!("gluster shows the session {}", s.status.as_api()),
            None => "gluster no longer lists the session".into(),
        };
        match op.kind {
            // read-only on gluster but for a checkpoint and a directory on the master: nothing
            // to undo; the next probe judges the session
            OperationKind::Probe => (
                OperationState::Failed,
                format!("{at}; a probe changes nothing to undo: the next probe judges"),
            ),
            // a cleanup is done when its delete is
            kind => match SessionAction::parse(match kind {
                OperationKind::Cleanup => "delete",
                k => k.as_str(),
            }) {
                Some(action) => {
                    let done =
                        |session: &Option<store::SessionRow>| match (action.outcome(), session) {
                            (None, None) => true,
                            (Some((want, _)), Some(s)) => reached(want, s.status),
                            _ => false,
                        };
                    // The dead georep's gluster call may still run (its own process group
                    // outlives georep): a start seen Stopped can be Initializing a second
                    // later. Read again for a while before calling it not done.
                    let t0 = std::time::Instant::now();
                    while !done(&session) && t0.elapsed() < ORPHAN_CALL_GRACE {
                        let Some(id) = op.session_id else { break };
                        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                        // the call is georep's own: not a change made outside georep
                        let quiet = Quiet::session(id.into_uuid(), &[]);
                        let read = match self.session_scope(id.into_uuid()).await {
                            Ok(ctx) => self.refresh_cluster(&ctx.cluster, &quiet).await,
                            Err(e) => Err(e),
                        };
                        if let Err(e) = read {
                            tracing::debug!(error = %e, "judging: cannot read the session");
                        }
                        match stored(id).await {
                            Ok(s) => session = s,
                            Err(e) => {
                                return (OperationState::NeedsAttention, format!("{at}; {e}"))
                            }
                        }
                    }
                    let done = done(&session);
                    let what = format!("{at} ({}); {}", action.as_str(), shows(&session));
                    if done {
                        (OperationState::Succeeded, format!("{what}: it took effect"))
                    } else {
                        (
                            OperationState::NeedsAttention,
                            format!("{what}: check the session and repeat the action if needed"),
                        )
                    }
                }
                None => (
                    OperationState::NeedsAttention,
                    format!(
                        "{at} ({}); {}: check it on gluster",
                        kind.as_str(),
                        shows(&session)
                    ),
                ),
            },
        }
    }
}

/// Whether a session in `now` shows an action that led to `want` (a start's Initializing is
/// over once its workers run).
fn reached(want: SessionStatus, now: SessionStatus) -> bool {
    match want {
        SessionStatus::Initializing => matches!(
            now,
            SessionStatus::Initializing
                | SessionStatus::Active
                | SessionStatus::Passive
                | SessionStatus::PartialFaulty
                | SessionStatus::Faulty
        ),
        want => want == now,
    }
}
