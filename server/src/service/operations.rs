//! Operations: every action is a row in the database with its steps, written as it runs
//! (issue 17). Beginning one inserts it running, which takes its session's lock (the
//! database's unique index: one running operation per session and lane, whatever process
//! asks); finishing it frees the lock and writes its audit event, linked to it. A georep that
//! stops mid-operation leaves the row running: the next start judges it (`recover.rs`).
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::sync::Mutex;

use app::operations::{OperationKind, OperationState, OperationView, StepState, StepView};
use chrono::Utc;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::audit::Audit;
use super::{Result, Service, ServiceError};
use crate::store::{self, Id, OperationRow, PlannedStep, StepRow};
use crate::sync::{Acting, Lane, Quiet, Subject};

/// An action's answer with the operation that ran it, or the operation accepted to run on
/// (REST `202 Accepted`).
pub enum Answer<T> {
    Done { value: T, operation: Option<Uuid> },
    Accepted(Uuid),
}

impl<T> Answer<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Answer<U> {
        match self {
            Answer::Done { value, operation } => Answer::Done {
                value: f(value),
                operation,
            },
            Answer::Accepted(id) => Answer::Accepted(id),
        }
    }
}

/// What the task running an action knows about operations: whom to tell the moment one is
/// accepted, and the operation under way (the parent of any it runs in turn). Carried from
/// task to task by `detached`, so an action deep inside another records its parent.
#[derive(Default)]
pub(super) struct OpScope {
    accepted: RefCell<Option<oneshot::Sender<Uuid>>>,
    current: Cell<Option<Uuid>>,
}

tokio::task_local! {
    static OP_SCOPE: OpScope;
}

impl OpScope {
    /// The scope of a task an action starts: it inherits whom to tell, and its parent.
    pub(super) fn child() -> OpScope {
        OP_SCOPE
            .try_with(|s| OpScope {
                accepted: RefCell::new(s.accepted.borrow_mut().take()),
                current: Cell::new(s.current.get()),
            })
            .unwrap_or_default()
    }

    pub(super) async fn run<F: Future>(self, work: F) -> F::Output {
        OP_SCOPE.scope(self, work).await
    }
}

fn subject_text(s: &Subject) -> String {
    match s {
        Subject::Session(id) => format!("session:{id}"),
        Subject::NewSession { master, slave } => format!("new:{master}:{slave}"),
    }
}

fn lane_text(l: Lane) -> &'static str {
    match l {
        Lane::Change => "change",
        Lane::Health => "health",
    }
}

/// An operation about to begin.
pub(crate) struct Plan {
    pub kind: OperationKind,
    pub subject: Subject,
    pub lane: Lane,
    pub actor: String,
    /// Name and whether it is safe to run again after an interruption.
    pub steps: Vec<(String, bool)>,
    pub quiet: Quiet,
    pub cancellable: bool,
    pub params: serde_json::Value,
}

impl Plan {
    pub fn new(kind: OperationKind, subject: Subject, lane: Lane, actor: &str) -> Plan {
        Plan {
            kind,
            subject,
            lane,
            actor: actor.to_owned(),
            steps: vec![],
            quiet: Quiet::default(),
            cancellable: false,
            params: serde_json::Value::Null,
        }
    }

    pub fn step(mut self, name: impl Into<String>, repeatable: bool) -> Plan {
        self.steps.push((name.into(), repeatable));
        self
    }

    pub fn quiet(mut self, quiet: Quiet) -> Plan {
        self.quiet = quiet;
        self
    }

    pub fn cancellable(mut self) -> Plan {
        self.cancellable = true;
        self
    }

    pub fn params(mut self, params: serde_json::Value) -> Plan {
        self.params = params;
        self
    }
}

/// A running operation. Its lock is the database row; the in-memory part is the quiet guard
/// (what the sync leaves for it to record). Dropped unfinished (a panic, an abort at
/// shutdown), its row stays running for the next start to judge.
pub(crate) struct Operation {
    service: Service,
    pub id: Uuid,
    kind: OperationKind,
    state: Mutex<Progress>,
    _quiet: Acting,
    /// What it is about once `about` said (its steps' own audit events need it).
    about: Mutex<Option<Audit>>,
}

struct Progress {
    step: i64,
    begun: bool,
    finished: bool,
    accepted: Option<oneshot::Sender<Uuid>>,
}

/// The gluster command line an admin would type for a geo-replication call.
pub(crate) fn georep_command(master: &str, slave: &str, words: &[&str]) -> String {
    format!(
        "gluster volume geo-replication {master} {slave} {}",
        words.join(" ")
    )
}

impl Service {
    /// Begins `plan`: the row inserted running (its session's lock), or `Busy` naming the
    /// operation that holds the session.
    pub(crate) async fn begin(&self, plan: Plan) -> Result<Operation> {
        let id = Uuid::new_v4();
        let parent = OP_SCOPE.try_with(|s| s.current.get()).ok().flatten();
        let (session_id, target) = match &plan.subject {
            Subject::Session(s) => (Some(s.into()), String::new()),
            Subject::NewSession { slave, .. } => (None, format!("-> {slave}")),
        };
        let now = Utc::now();
        let row = OperationRow {
            id: id.into(),
            parent_id: parent.map(|p| p.into()),
            kind: plan.kind,
            subject: subject_text(&plan.subject),
            lane: lane_text(plan.lane).into(),
            session_id,
            cluster_id: None,
            target,
            actor: plan.actor.clone(),
            state: OperationState::Running,
            params: plan.params.to_string(),
            step: 0,
            cancellable: plan.cancellable,
            cancel_requested: false,
            owner: self.instance().to_owned(),
            created_at: now,
            updated_at: now,
            finished_at: None,
            message: None,
            recovery_point: None,
            confirm_prompt: None,
            confirmed: 0,
        };
        let steps: Vec<PlannedStep> = plan
            .steps
            .iter()
            .map(|(name, repeatable)| PlannedStep {
                name: name.clone(),
                repeatable: *repeatable,
            })
            .collect();
        let mut c = self.conn().await?;
        if let Err(holder) = store::insert_operation(&mut c, &row, &steps).await? {
            return Err(ServiceError::Busy(match holder {
                Some(h) => format!(
                    "{} by {} (started {} s ago; operation {})",
                    h.kind.as_str(),
                    h.actor,
                    (now - h.created_at).num_seconds().max(0),
                    h.id
                ),
                None => "another operation (it has just ended: try again)".into(),
            }));
        }
        let accepted = OP_SCOPE
            .try_with(|s| {
                s.current.set(Some(id));
                s.accepted.borrow_mut().take()
            })
            .ok()
            .flatten();
        Ok(Operation {
            service: self.clone(),
            id,
            kind: plan.kind,
            state: Mutex::new(Progress {
                step: 0,
                begun: false,
                finished: false,
                accepted,
            }),
            _quiet: self.coord().quiet_while(plan.quiet),
            about: Mutex::new(None),
        })
    }

    /// Takes over an operation a dead georep left running (its row, its lock).
    pub(crate) async fn adopt(&self, row: &OperationRow, quiet: Quiet) -> Result<Operation> {
        let mut c = self.conn().await?;
        if !store::adopt_operation(&mut c, row.id, &row.owner, self.instance(), Utc::now()).await? {
            return Err(ServiceError::Conflict(format!(
                "operation {} was taken over by another georep, or ended",
                row.id
            )));
        }
        let id = row.id.into_uuid();
        let _ = OP_SCOPE.try_with(|s| s.current.set(Some(id)));
        Ok(Operation {
            service: self.clone(),
            id,
            kind: row.kind,
            state: Mutex::new(Progress {
                step: row.step,
                begun: true,
                finished: false,
                accepted: None,
            }),
            _quiet: self.coord().quiet_while(quiet),
            about: Mutex::new(None),
        })
    }

    /// `begin`, with a refusal recorded in the audit trail, and the operation described by
    /// `audit` (its session, cluster and target).
    pub(crate) async fn begin_audited(&self, plan: Plan, audit: &Audit) -> Result<Operation> {
        match self.begin(plan).await {
            Ok(op) => {
                op.about(audit).await;
                Ok(op)
            }
            Err(e) => self.refuse(audit, e).await,
        }
    }

    /// Runs `work` (an action that begins an operation) and answers with its outcome and
    /// the operation that ran it; with `respond_async`, as soon as the operation is accepted
    /// (its first step begun: it runs on in its own task), unless the action ends first (a
    /// refusal, a quick action).
    pub async fn accepting<T>(
        &self,
        respond_async: bool,
        work: impl Future<Output = Result<T>>,
    ) -> Result<Answer<T>> {
        let (tx, mut rx) = oneshot::channel();
        let scope = OpScope {
            accepted: RefCell::new(Some(tx)),
            current: Cell::new(None),
        };
        let work = scope.run(work);
        tokio::pin!(work);
        let value = if respond_async {
            tokio::select! {
                biased;
                r = &mut work => r?,
                Ok(id) = &mut rx => return Ok(Answer::Accepted(id)),
            }
        } else {
            work.await?
        };
        Ok(Answer::Done {
            value,
            operation: rx.try_recv().ok(),
        })
    }
}

impl Operation {
    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn row_id(&self) -> Id {
        self.id.into()
    }

    /// What the operation is about, once its session is located.
    pub async fn about(&self, audit: &Audit) {
        *self.about.lock().unwrap_or_else(|e| e.into_inner()) = Some(audit.clone());
        self.logged("describe an operation", async {
            let mut c = self.service.conn().await?;
            let (s, cl) = (audit.session_id, audit.cluster_id);
            store::describe_operation(&mut c, self.row_id(), s, cl, &audit.target).await?;
            Ok(())
        })
        .await;
    }

    /// Begins step `position` (1-based), running `command`; `waiting` when it waits on
    /// gluster or an admin rather than acting. The first step begun accepts the operation.
    pub async fn enter(&self, position: i64, command: Option<&str>, waiting: bool) {
        let accepted = {
            let mut p = self.progress();
            p.step = position;
            p.begun = true;
            p.accepted.take()
        };
        let state = if waiting {
            OperationState::Waiting
        } else {
            OperationState::Running
        };
        self.logged("begin a step", async {
            let mut c = self.service.conn().await?;
            store::begin_step(&mut c, self.row_id(), position, command, state, Utc::now()).await?;
            Ok(())
        })
        .await;
        if let Some(tx) = accepted {
            let _ = tx.send(self.id);
        }
    }

    /// Ends step `position` in `state`.
    pub async fn leave(&self, position: i64, state: StepState, message: Option<&str>) {
        self.logged("end a step", async {
            let mut c = self.service.conn().await?;
            store::end_step(&mut c, self.row_id(), position, state, message, Utc::now()).await?;
            Ok(())
        })
        .await;
        self.step_event(position, state, message).await;
    }

    /// A failover's or failback's steps are audit events of their own: what an admin reads
    /// back after a disaster is each step, when, and what gluster said.
    async fn step_event(&self, position: i64, state: StepState, message: Option<&str>) {
        if !matches!(self.kind, OperationKind::Failover | OperationKind::Failback) {
            return;
        }
        let about = self.about.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(about) = about else {
            return;
        };
        let event = Audit {
            action: format!("{}_step", self.kind.as_str()),
            target: format!("{} step {position}", about.target),
            operation_id: Some(self.row_id()),
            ..about
        };
        let text = format!(
            "step {position} {}{}",
            state.as_str(),
            message.map_or(String::new(), |m| format!(": {m}"))
        );
        let outcome: Result<()> = match state {
            StepState::Failed => Err(ServiceError::Incomplete(text.clone())),
            _ => Ok(()),
        };
        self.service.record(&event, &outcome, Some(&text)).await;
    }

    /// The step under way failed with `message`.
    pub async fn fail_current(&self, message: &str) {
        let position = self.progress().step;
        if position > 0 {
            self.leave(position, StepState::Failed, Some(message)).await;
        }
    }

    /// Replaces what a resumed run needs.
    pub async fn save_params(&self, params: &serde_json::Value) {
        self.logged("save its params", async {
            let mut c = self.service.conn().await?;
            store::set_params(&mut c, self.row_id(), &params.to_string()).await?;
            Ok(())
        })
        .await;
    }

    /// Step `position` around `work`: begun, then ended by its outcome (`note` gives the
    /// message of a success).
    pub async fn step<T>(
        &self,
        position: i64,
        command: Option<&str>,
        work: impl Future<Output = Result<T>>,
        note: impl FnOnce(&T) -> Option<String>,
    ) -> Result<T> {
        self.enter(position, command, false).await;
        let r = work.await;
        match &r {
            Ok(v) => {
                let m = note(v);
                self.leave(position, StepState::Succeeded, m.as_deref())
                    .await
            }
            Err(e) => {
                self.leave(position, StepState::Failed, Some(&e.to_string()))
                    .await
            }
        }
        r
    }

    pub fn kind(&self) -> OperationKind {
        self.kind
    }

    /// From here on it cannot be cancelled (what it changes next cannot be left half-made).
    pub async fn not_cancellable(&self) {
        self.logged("end its cancellability", async {
            let mut c = self.service.conn().await?;
            store::set_cancellable(&mut c, self.row_id(), false, Utc::now()).await?;
            Ok(())
        })
        .await;
    }

    /// Whether an admin asked to cancel it.
    pub async fn cancel_asked(&self) -> bool {
        match self.service.conn().await {
            Ok(mut c) => store::cancel_requested(&mut c, self.row_id())
                .await
                .unwrap_or(false),
            Err(_) => false,
        }
    }

    /// Step `position` waits for an admin to confirm `prompt` (`confirm_operation`), checking
    /// every 2 s; a confirmation given earlier (before an interruption) counts. A cancel
    /// ends the wait with `Cancelled`.
    pub async fn await_confirmation(&self, position: i64, prompt: &str) -> Result<()> {
        self.enter(position, None, true).await;
        self.logged("ask for a confirmation", async {
            let mut c = self.service.conn().await?;
            store::set_confirm_prompt(&mut c, self.row_id(), Some(prompt), Utc::now()).await?;
            Ok(())
        })
        .await;
        loop {
            let (confirmed, cancelled) = match self.service.conn().await {
                Ok(mut c) => store::confirmed_or_cancelled(&mut c, self.row_id())
                    .await
                    .unwrap_or((0, false)),
                Err(_) => (0, false),
            };
            if confirmed == position || cancelled {
                // (confirmed before an interruption: asked again above, answered already)
                self.logged("clear the confirmation", async {
                    let mut c = self.service.conn().await?;
                    store::set_confirm_prompt(&mut c, self.row_id(), None, Utc::now()).await?;
                    Ok(())
                })
                .await;
            }
            if confirmed == position {
                self.leave(position, StepState::Succeeded, Some("confirmed"))
                    .await;
                return Ok(());
            }
            if cancelled {
                self.leave(position, StepState::Cancelled, None).await;
                return Err(ServiceError::Cancelled(format!(
                    "while waiting for the confirmation: {prompt}"
                )));
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    }

    /// Ends the operation by `outcome` and records its audit event, linked to it. An operation
    /// refused before its first step leaves no row (its event says why it was refused).
    pub async fn finish<T>(self, audit: &Audit, outcome: &Result<T>, message: Option<&str>) {
        self.finish_with(audit, outcome, message, None).await
    }

    /// `finish` without an audit event (georep's own routine work: scheduled probes).
    pub async fn finish_unaudited<T>(self, outcome: &Result<T>, message: Option<&str>) {
        self.finish_inner(None, outcome, message, None).await
    }

    /// `finish`, with the recovery point a DR sync reached.
    pub async fn finish_with<T>(
        self,
        audit: &Audit,
        outcome: &Result<T>,
        message: Option<&str>,
        recovery_point: Option<chrono::DateTime<Utc>>,
    ) {
        self.finish_inner(Some(audit), outcome, message, recovery_point)
            .await
    }

    async fn finish_inner<T>(
        self,
        audit: Option<&Audit>,
        outcome: &Result<T>,
        message: Option<&str>,
        recovery_point: Option<chrono::DateTime<Utc>>,
    ) {
        let begun = {
            let mut p = self.progress();
            p.finished = true;
            p.begun
        };
        let (state, text) = match outcome {
            Ok(_) => (OperationState::Succeeded, message.map(str::to_owned)),
            Err(ServiceError::Cancelled(m)) => (OperationState::Cancelled, Some(m.clone())),
            Err(e) => (OperationState::Failed, Some(e.to_string())),
        };
        let id = self.row_id();
        end_row(
            &self.service,
            id,
            begun,
            state,
            text.as_deref(),
            recovery_point,
        )
        .await;
        if let Some(audit) = audit {
            let mut audit = audit.clone();
            audit.operation_id = begun.then_some(id);
            self.service.record(&audit, outcome, message).await;
        }
        tracing::info!(operation = %self.id, kind = self.kind.as_str(), state = state.as_str(), "operation");
    }

    /// Ends an operation that never began a step and will not (its session could not be
    /// read): no row is left.
    pub async fn abandon(self) {
        self.progress().finished = true;
        let state = OperationState::Failed;
        end_row(&self.service, self.row_id(), false, state, None, None).await;
    }

    /// Runs one progress write; a failure is logged (progress is worth having, never worth
    /// failing the action for).
    async fn logged(&self, what: &str, write: impl Future<Output = Result<()>>) {
        if let Err(e) = write.await {
            tracing::warn!(operation = %self.id, error = %e, "cannot {what}");
        }
    }
}

impl Drop for Operation {
    /// An operation left without an outcome (an early return, a panic) frees its session at
    /// once rather than at the next start: it needs attention if it began a step (what it did
    /// on gluster is not known), else it leaves no row. A process that dies leaves the row
    /// running; the next start judges it.
    fn drop(&mut self) {
        let (begun, finished) = {
            let p = self.progress();
            (p.begun, p.finished)
        };
        if finished {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (service, id) = (self.service.clone(), self.row_id());
        rt.spawn(async move {
            let why = "ended without an outcome: check the session on gluster";
            end_row(
                &service,
                id,
                begun,
                OperationState::NeedsAttention,
                Some(why),
                None,
            )
            .await;
        });
    }
}

/// Writes an operation's end: its final state, or (never begun) no row at all. Logged when
/// it cannot be written: the next start judges the row.
async fn end_row(
    service: &Service,
    id: Id,
    begun: bool,
    state: OperationState,
    message: Option<&str>,
    recovery_point: Option<chrono::DateTime<Utc>>,
) {
    let written = async {
        let mut c = service.conn().await?;
        if begun {
            store::finish_operation(&mut c, id, state, message, recovery_point, Utc::now()).await?;
        } else {
            store::delete_operation(&mut c, id).await?;
        }
        Ok::<_, ServiceError>(())
    }
    .await;
    if let Err(e) = written {
        tracing::error!(operation = %id, error = %e, "cannot end an operation");
    }
}

/// The view of stored rows.
pub(crate) fn view(op: OperationRow, steps: &[StepRow]) -> OperationView {
    OperationView {
        id: op.id.into_uuid(),
        parent_id: op.parent_id.map(|p| p.into_uuid()),
        kind: op.kind,
        session_id: op.session_id.map(|s| s.into_uuid()),
        cluster_id: op.cluster_id.map(|c| c.into_uuid()),
        target: op.target,
        actor: op.actor,
        state: op.state,
        step: op.step,
        cancellable: op.cancellable,
        cancel_requested: op.cancel_requested,
        created_at: op.created_at,
        updated_at: op.updated_at,
        finished_at: op.finished_at,
        message: op.message,
        recovery_point: op.recovery_point,
        confirm: op.confirm_prompt,
        steps: steps
            .iter()
            .filter(|s| s.operation_id == op.id)
            .map(|s| StepView {
                position: s.position,
                name: s.name.clone(),
                state: s.state,
                command: s.command.clone(),
                message: s.message.clone(),
                started_at: s.started_at,
                finished_at: s.finished_at,
            })
            .collect(),
    }
}

/// Which operations to list.
#[derive(Clone, Debug, Default)]
pub struct OperationQuery {
    pub session: Option<Uuid>,
    pub state: Option<OperationState>,
    pub kind: Option<OperationKind>,
    pub unfinished: bool,
    pub limit: Option<i64>,
}

impl Service {
    /// Operations, newest first (at most 500).
    pub async fn operations(&self, q: &OperationQuery) -> Result<Vec<OperationView>> {
        let mut c = self.conn().await?;
        let rows = store::list_operations(
            &mut c,
            &store::OperationFilter {
                session: q.session.map(|s| s.into()),
                state: q.state,
                kind: q.kind,
                unfinished: q.unfinished,
                before: None,
                limit: q.limit.unwrap_or(100).clamp(1, 500),
            },
        )
        .await?;
        let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
        let steps = store::steps_of(&mut c, &ids).await?;
        Ok(rows.into_iter().map(|r| view(r, &steps)).collect())
    }

    pub async fn operation(&self, id: Uuid) -> Result<OperationView> {
        let mut c = self.conn().await?;
        let row = store::get_operation(&mut c, id.into())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("operation {id}")))?;
        let steps = store::steps_of(&mut c, &[row.id]).await?;
        Ok(view(row, &steps))
    }

    /// Confirms what a running operation waits for (an admin stopped I/O). Audited.
    pub async fn confirm_operation(&self, actor: &str, id: Uuid) -> Result<OperationView> {
        let op = self.operation(id).await?;
        let audit = Audit {
            actor: actor.into(),
            action: "confirm".into(),
            cluster_id: op.cluster_id.map(|c| c.into()),
            session_id: op.session_id.map(|s| s.into()),
            target: format!(
                "{} {}: {}",
                op.kind.as_str(),
                op.target,
                op.confirm.as_deref().unwrap_or("")
            ),
            operation_id: Some(id.into()),
        };
        let outcome = if !op.state.active() {
            Err(ServiceError::Conflict(format!(
                "operation {id} has ended ({})",
                op.state.as_str()
            )))
        } else if op.confirm.is_none() {
            Err(ServiceError::Conflict(format!(
                "operation {id} is not waiting for a confirmation (step {})",
                op.step
            )))
        } else {
            let mut c = self.conn().await?;
            match store::confirm_operation(&mut c, id.into(), Utc::now()).await? {
                true => Ok(()),
                false => Err(ServiceError::Conflict(format!(
                    "operation {id} no longer waits for a confirmation"
                ))),
            }
        };
        self.record(&audit, &outcome, None).await;
        outcome?;
        self.operation(id).await
    }

    /// Asks a running operation to stop at its next safe point (audited).
    pub async fn cancel_operation(&self, actor: &str, id: Uuid) -> Result<OperationView> {
        let op = self.operation(id).await?;
        let audit = Audit {
            actor: actor.into(),
            action: "cancel".into(),
            cluster_id: op.cluster_id.map(|c| c.into()),
            session_id: op.session_id.map(|s| s.into()),
            target: format!("{} {}", op.kind.as_str(), op.target),
            operation_id: Some(id.into()),
        };
        let outcome = if !op.state.active() {
            Err(ServiceError::Conflict(format!(
                "operation {id} has ended ({})",
                op.state.as_str()
            )))
        } else if !op.cancellable {
            Err(ServiceError::Conflict(format!(
                "a {} cannot be cancelled once it runs",
                op.kind.as_str()
            )))
        } else {
            let mut c = self.conn().await?;
            match store::request_cancel(&mut c, id.into(), Utc::now()).await? {
                true => Ok(()),
                false => Err(ServiceError::Conflict(format!("operation {id} has ended"))),
            }
        };
        self.record(&audit, &outcome, None).await;
        outcome?;
        self.operation(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::Gluster;
    use crate::store::tests::{open, seed};
    use std::time::Duration;

    fn service(store: crate::store::Store) -> Service {
        Service::new(store, Gluster::new("/bin/false", Duration::from_secs(5)))
    }

    fn plan(id: Uuid, kind: OperationKind, lane: Lane) -> Plan {
        Plan::new(kind, Subject::Session(id), lane, "test")
            .step("one", false)
            .step("two", true)
    }

    #[tokio::test]
    async fn the_database_holds_one_running_operation_per_session_and_lane() {
        let (_dir, store) = open().await;
        let f = seed(&store).await;
        let id = f.session.session_id.into_uuid();
        // two services on one database: two georep processes
        let (a, b) = (service(store.clone()), service(store.clone()));
        let pause = a
            .begin(plan(id, OperationKind::Pause, Lane::Change))
            .await
            .unwrap();
        pause.enter(1, Some("gluster … pause"), false).await;
        let refused = b.begin(plan(id, OperationKind::Resume, Lane::Change)).await;
        match refused {
            Err(ServiceError::Busy(m)) => {
                assert!(m.starts_with("pause by test (started "), "{m}");
                assert!(m.contains(&pause.id.to_string()), "{m}");
            }
            other => panic!("not refused: {:?}", other.map(|o| o.id)),
        }
        // another lane of the same session is free: a probe while an admin pauses
        let probe = b
            .begin(plan(id, OperationKind::Probe, Lane::Health))
            .await
            .unwrap();
        // refused before its first step: no row left
        let audit = Audit {
            actor: "test".into(),
            action: "probe".into(),
            cluster_id: None,
            session_id: Some(f.session.session_id),
            target: "t".into(),
            operation_id: None,
        };
        probe
            .finish(
                &audit,
                &Err::<(), _>(ServiceError::Invalid("no".into())),
                None,
            )
            .await;
        let ended: Result<()> = Ok(());
        pause.finish(&audit, &ended, Some("done")).await;
        let ops = a.operations(&OperationQuery::default()).await.unwrap();
        assert_eq!(ops.len(), 1, "{ops:#?}");
        let op = &ops[0];
        assert_eq!(
            (op.kind, op.state),
            (OperationKind::Pause, OperationState::Succeeded)
        );
        assert_eq!(
            op.steps[0].state,
            StepState::Succeeded,
            "running step ends with it"
        );
        assert_eq!(op.steps[1].state, StepState::Skipped, "never begun");
        assert_eq!(op.steps[0].command.as_deref(), Some("gluster … pause"));
        // the lock is free again, for the other process too
        assert!(b
            .begin(plan(id, OperationKind::Resume, Lane::Change))
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn an_operation_dropped_without_an_outcome_needs_attention_and_frees_its_session() {
        let (_dir, store) = open().await;
        let f = seed(&store).await;
        let id = f.session.session_id.into_uuid();
        let s = service(store);
        let op = s
            .begin(plan(id, OperationKind::Stop, Lane::Change))
            .await
            .unwrap();
        op.enter(1, None, false).await;
        let op_id = op.id;
        drop(op); // an early return, a panic
        let t0 = std::time::Instant::now();
        loop {
            let v = s.operation(op_id).await.unwrap();
            if v.state == OperationState::NeedsAttention {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(5), "{v:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(s
            .begin(plan(id, OperationKind::Start, Lane::Change))
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn a_dead_processs_operations_are_freed_at_once_then_judged() {
        let (_dir, store) = open().await;
        let f = seed(&store).await;
        let id = f.session.session_id.into_uuid();
        let dead = service(store.clone());
        let never = dead
            .begin(plan(id, OperationKind::Pause, Lane::Change))
            .await
            .unwrap();
        let (never_id, never) = (never.id, std::mem::ManuallyDrop::new(never));
        // the process dies: no Drop, no finish
        let _ = &never;
        let next = service(store);
        let orphans = next.take_over_orphans().await.unwrap();
        assert_eq!(orphans.len(), 1);
        // the session is free before any judgement
        assert!(next
            .begin(plan(id, OperationKind::Resume, Lane::Health))
            .await
            .is_ok());
        let judged = next.recover_operations(orphans).await.unwrap();
        assert_eq!(judged[0].id, never_id);
        // it had not begun a step: nothing was asked of gluster
        assert_eq!(judged[0].state, OperationState::Failed, "{judged:#?}");
        let v = next.operation(never_id).await.unwrap();
        assert_eq!(v.state, OperationState::Failed);
        let events = next
            .events(
                &app::domain::EventFilter::of_session(id),
                app::domain::EventCursor::Newest,
                10,
            )
            .await
            .unwrap()
            .events;
        assert!(events
            .iter()
            .any(|e| e.action == "pause_recovered" && e.operation_id == Some(never_id)));
    }
}
