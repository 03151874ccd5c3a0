//! Actions run to their end. Each admin action below runs in a task of its own: once it may
//! have called gluster, the HTTP client going away (a closed tab, a client's timeout) must not
//! cut it in half — gluster's change would then be made with no audit row and no stored
//! outcome, and the next sync would report georep's own change as made outside georep.
use std::future::Future;

use app::domain::{
    ActionOutcome, Checkpoint, CreatedSession, NewSession, SessionAction, SessionOption,
};
use app::health::{ProbeReport, RestartOutcome};
use tracing::Instrument;
use uuid::Uuid;

use super::{Result, Service, ServiceError};

impl Service {
    /// Runs `work` in its own task and waits for it; the caller may go away, `work` goes on.
    async fn detached<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        // the operation scope goes along: whom to tell when it is accepted, its parent
        let scope = super::operations::OpScope::child();
        match self
            .inner
            .actions
            .spawn(scope.run(work).in_current_span())
            .await
        {
            Ok(r) => r,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(ServiceError::Conflict("georep is shutting down".into())),
        }
    }

    /// At shutdown: waits until the actions under way have ended, at most `within`; whether
    /// they all did. Actions that start meanwhile are waited for too.
    pub async fn finish_actions(&self, within: std::time::Duration) -> bool {
        let actions = &self.inner.actions;
        actions.close();
        if !actions.is_empty() {
            tracing::info!(actions = actions.len(), "waiting for the actions under way");
        }
        tokio::time::timeout(within, actions.wait()).await.is_ok()
    }

    /// start, stop, pause, resume or delete (see `session_action_now`).
    pub async fn session_action(
        &self,
        actor: &str,
        id: Uuid,
        action: SessionAction,
        force: bool,
        reset_sync_time: bool,
    ) -> Result<ActionOutcome> {
        let (s, actor) = (self.clone(), actor.to_owned());
        self.detached(async move {
            s.session_action_now(&actor, id, action, force, reset_sync_time)
                .await
        })
        .await
    }

    /// Cleans up a stale session (see `cleanup_session_now`).
    pub async fn cleanup_session(&self, actor: &str, id: Uuid) -> Result<ActionOutcome> {
        let (s, actor) = (self.clone(), actor.to_owned());
        self.detached(async move { s.cleanup_session_now(&actor, id).await })
            .await
    }

    /// Creates a session (see `create_session_now`).
    pub async fn create_session(&self, actor: &str, new: NewSession) -> Result<CreatedSession> {
        let (s, actor) = (self.clone(), actor.to_owned());
        self.detached(async move { s.create_session_now(&actor, new).await })
            .await
    }

    /// Sets one option (see `set_option_now`).
    pub async fn set_option(
        &self,
        actor: &str,
        id: Uuid,
        key: &str,
        value: &str,
    ) -> Result<SessionOption> {
        let (s, actor, key, value) = (
            self.clone(),
            actor.to_owned(),
            key.to_owned(),
            value.to_owned(),
        );
        self.detached(async move { s.set_option_now(&actor, id, &key, &value).await })
            .await
    }

    /// Resets one option to its default (see `reset_option_now`).
    pub async fn reset_option(&self, actor: &str, id: Uuid, key: &str) -> Result<SessionOption> {
        let (s, actor, key) = (self.clone(), actor.to_owned(), key.to_owned());
        self.detached(async move { s.reset_option_now(&actor, id, &key).await })
            .await
    }

    /// Sets a checkpoint (see `set_checkpoint_now`).
    pub async fn set_checkpoint(
        &self,
        actor: &str,
        id: Uuid,
        at: Checkpoint,
    ) -> Result<ActionOutcome> {
        let (s, actor) = (self.clone(), actor.to_owned());
        self.detached(async move { s.set_checkpoint_now(&actor, id, at).await })
            .await
    }

    /// Probes a session now (see `probe_session_now`).
    pub async fn probe_session(&self, actor: &str, id: Uuid) -> Result<ProbeReport> {
        let (s, actor) = (self.clone(), actor.to_owned());
        self.detached(async move { s.probe_session_now(&actor, id).await })
            .await
    }

    /// Runs a DR sync of the session now (see `schedule.rs`).
    pub async fn dr_sync(&self, actor: &str, id: Uuid) -> Result<super::schedule::DrOutcome> {
        let (s, actor) = (self.clone(), actor.to_owned());
        self.detached(async move { s.dr_sync_now(&actor, id, None).await })
            .await
    }

    /// Fails a session over to its slave (see `failover.rs`).
    pub async fn failover(
        &self,
        actor: &str,
        id: Uuid,
        input: app::failover::FailoverInput,
    ) -> Result<super::failover::DrSwitch> {
        let (s, actor) = (self.clone(), actor.to_owned());
        self.detached(async move { s.failover_now(&actor, id, input).await })
            .await
    }

    /// Fails a failed-over session back to its master (see `failover.rs`).
    pub async fn failback(
        &self,
        actor: &str,
        id: Uuid,
        input: app::failover::FailbackInput,
    ) -> Result<super::failover::DrSwitch> {
        let (s, actor) = (self.clone(), actor.to_owned());
        self.detached(async move { s.failback_now(&actor, id, input).await })
            .await
    }

    /// Starts a failover and answers once it runs: its operation (a refusal before any
    /// step is an error).
    pub async fn start_failover(
        &self,
        actor: &str,
        id: Uuid,
        input: app::failover::FailoverInput,
    ) -> Result<Uuid> {
        match self
            .accepting(true, self.failover(actor, id, input))
            .await?
        {
            super::operations::Answer::Accepted(op) => Ok(op),
            super::operations::Answer::Done { value, .. } => Ok(value.operation),
        }
    }

    /// Starts a failback and answers once it runs: its operation.
    pub async fn start_failback(
        &self,
        actor: &str,
        id: Uuid,
        input: app::failover::FailbackInput,
    ) -> Result<Uuid> {
        match self
            .accepting(true, self.failback(actor, id, input))
            .await?
        {
            super::operations::Answer::Accepted(op) => Ok(op),
            super::operations::Answer::Done { value, .. } => Ok(value.operation),
        }
    }

    /// Restarts the session's stalled workers (see `restart_stalled_now`).
    pub async fn restart_stalled(&self, actor: &str, id: Uuid) -> Result<RestartOutcome> {
        let (s, actor) = (self.clone(), actor.to_owned());
        self.detached(async move { s.restart_stalled_now(&actor, id).await })
            .await
    }
}
