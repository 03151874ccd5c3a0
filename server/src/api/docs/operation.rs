//! Operations (`/api/operations`), and a session's DR sync: its schedule and recovery point.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::time;
use crate::api::repr::Root;
use app::operations::{Every, OperationView, RecoveryView, ScheduleView};

pub fn operation_href(id: Uuid) -> String {
    format!("/api/operations/{id}")
}

/// A link to an operation: `<operation id="…" href="/api/operations/…"/>`.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Clone)]
pub struct OperationLink {
    #[serde(rename = "@id")]
    pub id: Uuid,
    #[serde(rename = "@href")]
    pub href: String,
}

impl OperationLink {
    pub fn new(id: Uuid) -> Self {
        OperationLink {
            id,
            href: operation_href(id),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
#[serde(rename = "operations")]
pub struct Operations {
    #[serde(rename = "operation", default)]
    pub operations: Vec<OperationDoc>,
}

/// An operation: every action georep takes, with its steps (state: queued, running, waiting,
/// succeeded, failed, cancelled, needs_attention).
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "operation")]
pub struct OperationDoc {
    #[serde(rename = "@id")]
    pub id: Uuid,
    #[serde(rename = "@href")]
    pub href: String,
    pub kind: String,
    pub state: String,
    /// `master -> host::slave`
    pub target: String,
    pub actor: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub session_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cluster_id: Option<Uuid>,
    /// The operation that ran this one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub parent: Option<OperationLink>,
    /// The current step, 1-based (0: none begun), of `step_count`.
    pub step: i64,
    pub step_count: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub current_step: Option<String>,
    /// The gluster call under way, as an admin would type it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub current_command: Option<String>,
    pub cancellable: bool,
    pub cancel_requested: bool,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub finished_at: Option<String>,
    pub elapsed_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
    /// A DR sync that completed: the slave is consistent up to this time.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub recovery_point: Option<String>,
    /// What it waits for an admin to confirm (`POST /api/operations/{id}/confirm`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub confirm: Option<String>,
    #[serde(default)]
    pub steps: StepDocs,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct StepDocs {
    #[serde(rename = "step", default)]
    pub steps: Vec<StepDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct StepDoc {
    #[serde(rename = "@position")]
    pub position: i64,
    pub name: String,
    /// pending, running, succeeded, failed, skipped or cancelled
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub finished_at: Option<String>,
}

impl From<&OperationView> for OperationDoc {
    fn from(o: &OperationView) -> Self {
        let current = o.current();
        OperationDoc {
            id: o.id,
            href: operation_href(o.id),
            kind: o.kind.as_str().into(),
            state: o.state.as_str().into(),
            target: o.target.clone(),
            actor: o.actor.clone(),
            session_id: o.session_id,
            cluster_id: o.cluster_id,
            parent: o.parent_id.map(OperationLink::new),
            step: o.step,
            step_count: o.steps.len() as i64,
            current_step: current.map(|s| s.name.clone()),
            current_command: current.and_then(|s| s.command.clone()),
            cancellable: o.cancellable,
            cancel_requested: o.cancel_requested,
            created_at: time(o.created_at),
            updated_at: time(o.updated_at),
            finished_at: o.finished_at.map(time),
            elapsed_seconds: o.elapsed_secs(chrono::Utc::now()),
            message: o.message.clone(),
            recovery_point: o.recovery_point.map(time),
            confirm: o.confirm.clone(),
            steps: StepDocs {
                steps: o
                    .steps
                    .iter()
                    .map(|s| StepDoc {
                        position: s.position,
                        name: s.name.clone(),
                        state: s.state.as_str().into(),
                        command: s.command.clone(),
                        message: s.message.clone(),
                        started_at: s.started_at.map(time),
                        finished_at: s.finished_at.map(time),
                    })
                    .collect(),
            },
        }
    }
}

/// A session's DR sync schedule; also the body of `PUT …/schedule` (`every_seconds` or
/// `cron`, the rest optional).
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
#[serde(rename = "schedule")]
pub struct ScheduleDoc {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub every_seconds: Option<i64>,
    /// Five fields: minute hour day month weekday, read in `time_zone`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cron: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub timeout_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rpo_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_run_at: Option<String>,
}

impl Root for ScheduleDoc {
    const ROOT: &'static str = "schedule";
}

impl From<&ScheduleView> for ScheduleDoc {
    fn from(s: &ScheduleView) -> Self {
        let (every_seconds, cron) = match &s.every {
            Every::Seconds(n) => (Some(*n), None),
            Every::Cron(c) => (None, Some(c.clone())),
        };
        ScheduleDoc {
            enabled: Some(s.enabled),
            every_seconds,
            cron,
            time_zone: Some(s.time_zone.clone()),
            timeout_seconds: Some(s.timeout_seconds),
            rpo_seconds: s.rpo_seconds,
            next_run_at: s.next_run_at.map(time),
        }
    }
}

/// `PUT …/self-healing`: `<self_healing><enabled>true</enabled></self_healing>`; no
/// `enabled`: the server's default.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
#[serde(rename = "self_healing")]
pub struct SelfHealingBody {
    #[serde(default)]
    pub enabled: Option<bool>,
}

impl Root for SelfHealingBody {
    const ROOT: &'static str = "self_healing";
}

/// A session's DR state: the recovery point, the schedule, self-healing, the last runs.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "recovery")]
pub struct RecoveryDoc {
    /// The slave is consistent with the master up to this time (RFC 3339); absent: no DR
    /// sync has completed yet.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub recovery_point: Option<String>,
    /// Older than the schedule's `rpo_seconds`.
    pub overdue: bool,
    pub self_healing: bool,
    pub self_healing_default: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub schedule: Option<ScheduleDoc>,
    #[serde(default)]
    pub runs: Operations,
}

impl From<&RecoveryView> for RecoveryDoc {
    fn from(r: &RecoveryView) -> Self {
        RecoveryDoc {
            recovery_point: r.recovery_point.map(time),
            overdue: r.overdue,
            self_healing: r.self_heal,
            self_healing_default: r.self_heal_default,
            schedule: r.schedule.as_ref().map(ScheduleDoc::from),
            runs: Operations {
                operations: r.runs.iter().map(OperationDoc::from).collect(),
            },
        }
    }
}
