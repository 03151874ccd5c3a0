//! Operations: every action georep takes, recorded with its steps as it runs (issue 17), and
//! the scheduled DR sync and self-healing built on them. Shared by the server and the browser.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::spelled! {
    "snake_case",
    /// Where an operation is.
    pub enum OperationState {
        /// Due, waiting for the session to be free.
        Queued,
        Running,
        /// Running, waiting on gluster (a crawl, a checkpoint) or on an admin.
        Waiting,
        Succeeded,
        Failed,
        Cancelled,
        /// Interrupted where repeating a step was not safe: what is known is in its message.
        NeedsAttention,
    }
}

impl OperationState {
    /// Whether it holds its session (the database's lock).
    pub fn active(self) -> bool {
        matches!(
            self,
            OperationState::Queued | OperationState::Running | OperationState::Waiting
        )
    }
}

crate::spelled! {
    "snake_case",
    /// Where a step of an operation is.
    pub enum StepState {
        Pending,
        Running,
        Succeeded,
        Failed,
        Skipped,
        Cancelled,
    }
}

crate::spelled! {
    "snake_case",
    /// What an operation does.
    pub enum OperationKind {
        Create,
        Start,
        Stop,
        Pause,
        Resume,
        Delete,
        /// A stale session (its slave volume gone) stopped with force and deleted.
        Cleanup,
        OptionSet,
        OptionReset,
        Checkpoint,
        Probe,
        RestartStalled,
        ScheduledSync,
        Failover,
        Failback,
    }
}

crate::read_stored!(
    OperationState => OperationState::NeedsAttention,
    StepState => StepState::Pending,
    OperationKind => OperationKind::Probe,
);

/// One step of an operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub position: i64,
    pub name: String,
    pub state: StepState,
    /// The gluster call under way or made, as an admin would type it.
    pub command: Option<String>,
    pub message: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// An operation, as pages and the REST API show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationView {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub kind: OperationKind,
    pub session_id: Option<Uuid>,
    pub cluster_id: Option<Uuid>,
    pub target: String,
    pub actor: String,
    pub state: OperationState,
    /// The current step (1-based; 0: none begun) of `steps.len()`.
    pub step: i64,
    pub cancellable: bool,
    pub cancel_requested: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub message: Option<String>,
    /// A scheduled sync that completed: the time up to which the slave is consistent.
    pub recovery_point: Option<DateTime<Utc>>,
    /// What the operation waits for an admin to confirm (`POST /api/operations/{id}/confirm`),
    /// e.g. "stop I/O on the slave volume".
    pub confirm: Option<String>,
    pub steps: Vec<StepView>,
}

impl OperationView {
    /// The step under way (or the last one begun).
    pub fn current(&self) -> Option<&StepView> {
        usize::try_from(self.step - 1)
            .ok()
            .and_then(|i| self.steps.get(i))
    }

    /// Seconds from creation to the end, or to `now` while it runs.
    pub fn elapsed_secs(&self, now: DateTime<Utc>) -> i64 {
        (self.finished_at.unwrap_or(now) - self.created_at)
            .num_seconds()
            .max(0)
    }
}

/// When scheduled DR syncs of a session run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Every {
    /// A 5-field cron expression (minute hour day month weekday), in `time_zone`.
    Cron(String),
    Seconds(i64),
}

/// A schedule as an admin sets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleInput {
    pub every: Every,
    /// An IANA zone name; default UTC.
    pub time_zone: Option<String>,
    pub enabled: Option<bool>,
    pub timeout_seconds: Option<i64>,
    pub rpo_seconds: Option<i64>,
}

/// A session's DR sync schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleView {
    pub session_id: Uuid,
    pub enabled: bool,
    pub every: Every,
    /// An IANA zone name (cron fields are read in it).
    pub time_zone: String,
    /// How long a run waits for every worker to complete its checkpoint.
    pub timeout_seconds: i64,
    /// Alert when the recovery point is older than this.
    pub rpo_seconds: Option<i64>,
    pub next_run_at: Option<DateTime<Utc>>,
}

/// What a session's DR sync has reached: the schedule, the last runs, the recovery point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryView {
    pub schedule: Option<ScheduleView>,
    /// The slave is consistent with the master up to this time (the last completed run's
    /// checkpoint, or a probe's).
    pub recovery_point: Option<DateTime<Utc>>,
    /// Older than the schedule's `rpo_seconds`.
    pub overdue: bool,
    pub runs: Vec<OperationView>,
    /// Self-healing of stalled workers for this session (the server's default when unset).
    pub self_heal: bool,
    pub self_heal_default: bool,
}
