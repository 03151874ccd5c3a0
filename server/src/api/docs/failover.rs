//! A session's failover: the pre-checks an admin reads before a failover or failback, and the
//! failover in effect (`GET …/failover`).
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{time, OperationLink};
use app::failover::{BrickPoint, FailoverCheck, FailoverRecord, SavedOption};

/// What the slave holds of one master brick.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct BrickPointDoc {
    /// `host:/path` of the master brick.
    pub brick: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_synced: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub entry_pending: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub data_pending: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub meta_pending: Option<i64>,
}

impl From<&BrickPoint> for BrickPointDoc {
    fn from(b: &BrickPoint) -> Self {
        BrickPointDoc {
            brick: b.brick.clone(),
            status: super::brick_status_api(b.status),
            last_synced: b.last_synced.map(time),
            entry_pending: b.entry_pending,
            data_pending: b.data_pending,
            meta_pending: b.meta_pending,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct BrickPoints {
    #[serde(rename = "brick", default)]
    pub bricks: Vec<BrickPointDoc>,
}

/// A slave volume option as it was before the failover.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct SavedOptionDoc {
    #[serde(rename = "@key")]
    pub key: String,
    pub value: String,
    /// gluster's default (the failback resets it).
    pub default: bool,
}

impl From<&SavedOption> for SavedOptionDoc {
    fn from(o: &SavedOption) -> Self {
        SavedOptionDoc {
            key: o.key.clone(),
            value: o.value.clone(),
            default: o.default,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct SavedOptions {
    #[serde(rename = "option", default)]
    pub options: Vec<SavedOptionDoc>,
}

/// The failover in effect.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct FailoverRecordDoc {
    /// `failed_over` or `failing_back`.
    pub role: String,
    pub planned: bool,
    pub failed_over_at: String,
    /// What the slave held of the master when it was promoted (writes after it may be lost).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub recovery_point: Option<String>,
    pub bricks: BrickPoints,
    /// The original session was stopped on the master (false: the failback stops it first).
    pub master_stopped: bool,
    pub saved_options: SavedOptions,
    pub failover_operation: OperationLink,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub failback_operation: Option<OperationLink>,
    /// gluster's key of the reverse session while a failback runs.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reverse_session: Option<String>,
}

impl From<&FailoverRecord> for FailoverRecordDoc {
    fn from(f: &FailoverRecord) -> Self {
        FailoverRecordDoc {
            role: f.role.as_str().into(),
            planned: f.planned,
            failed_over_at: time(f.failed_over_at),
            recovery_point: f.recovery_point.map(time),
            bricks: BrickPoints {
                bricks: f.bricks.iter().map(BrickPointDoc::from).collect(),
            },
            master_stopped: f.master_stopped,
            saved_options: SavedOptions {
                options: f.saved_options.iter().map(SavedOptionDoc::from).collect(),
            },
            failover_operation: OperationLink::new(f.failover_operation),
            failback_operation: f.failback_operation.map(OperationLink::new),
            reverse_session: f.reverse_session.clone(),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct Blockers {
    #[serde(rename = "reason", default)]
    pub reasons: Vec<String>,
}

/// `GET …/failover`: what an admin reads before a failover or failback.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "failover")]
pub struct FailoverDoc {
    pub session_id: Uuid,
    pub master: String,
    pub slave: String,
    pub status: String,
    pub master_reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub master_error: Option<String>,
    pub slave_managed: bool,
    pub slave_reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub checkpoint_time: Option<String>,
    pub checkpoint_completed: bool,
    pub bricks: BrickPoints,
    /// What a failover now keeps: the oldest brick's last synced time.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub recovery_point: Option<String>,
    pub planned_possible: bool,
    pub failover_blockers: Blockers,
    pub failback_blockers: Blockers,
    /// The failover in effect.
    #[serde(
        rename = "failed_over",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub in_effect: Option<FailoverRecordDoc>,
}

impl From<&FailoverCheck> for FailoverDoc {
    fn from(c: &FailoverCheck) -> Self {
        FailoverDoc {
            session_id: c.session_id,
            master: c.master.clone(),
            slave: c.slave.clone(),
            status: c.status.as_api(),
            master_reachable: c.master_reachable,
            master_error: c.master_error.clone(),
            slave_managed: c.slave_managed,
            slave_reachable: c.slave_reachable,
            checkpoint_time: c.checkpoint_time.map(time),
            checkpoint_completed: c.checkpoint_completed,
            bricks: BrickPoints {
                bricks: c.bricks.iter().map(BrickPointDoc::from).collect(),
            },
            recovery_point: c.recovery_point.map(time),
            planned_possible: c.planned_possible,
            failover_blockers: Blockers {
                reasons: c.failover_blockers.clone(),
            },
            failback_blockers: Blockers {
                reasons: c.failback_blockers.clone(),
            },
            in_effect: c.failover.as_ref().map(FailoverRecordDoc::from),
        }
    }
}
