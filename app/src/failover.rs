//! Disaster recovery for real (issue 18): failover promotes a session's slave volume to take
//! writes when the master site is lost (or planned, with nothing lost), failback brings what
//! was written there back to the master through a reverse session and starts the original
//! session again. Both are operations; these are what pages and the REST API show of them.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{BrickStatus, SessionStatus};

crate::spelled! {
    "snake_case",
    /// A session's disaster-recovery role while it is not the normal one (master → slave).
    pub enum DrRole {
        /// The slave volume takes writes; the session does not replicate.
        FailedOver,
        /// A failback is under way: a reverse session brings the slave's writes back.
        FailingBack,
    }
}

crate::read_stored!(DrRole => DrRole::FailedOver);

/// One master brick's worker as it stood: what the slave holds of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrickPoint {
    /// `host:/path` of the master brick.
    pub brick: String,
    pub status: BrickStatus,
    /// Everything the master brick had up to this time is on the slave (gluster's "last
    /// synced"); None when gluster never reported it.
    pub last_synced: Option<DateTime<Utc>>,
    pub entry_pending: Option<i64>,
    pub data_pending: Option<i64>,
    pub meta_pending: Option<i64>,
}

/// A slave volume option as it was before the failover changed it (None: gluster's default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOption {
    pub key: String,
    pub value: String,
    /// The value was gluster's default, not set on the volume.
    pub default: bool,
}

/// A failover in effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverRecord {
    pub role: DrRole,
    /// The master was reachable and I/O on it stopped: a checkpoint made sure nothing is lost.
    pub planned: bool,
    pub failed_over_at: DateTime<Utc>,
    /// What the slave holds of the master: the oldest brick's last synced time (a planned
    /// failover: the checkpoint every worker completed). Writes after it may be lost.
    pub recovery_point: Option<DateTime<Utc>>,
    pub bricks: Vec<BrickPoint>,
    /// The original session was stopped on the master (false: the master was unreachable;
    /// the failback stops it first).
    pub master_stopped: bool,
    /// The slave volume's options before the failover (the failback puts them back).
    pub saved_options: Vec<SavedOption>,
    pub failover_operation: Uuid,
    pub failback_operation: Option<Uuid>,
    /// The reverse session (slave → master) while a failback runs: gluster's session key.
    pub reverse_session: Option<String>,
}

/// What an admin sees before confirming a failover or a failback (`GET S/failover`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverCheck {
    pub session_id: Uuid,
    pub master: String,
    /// `host::volume` of the slave.
    pub slave: String,
    pub status: SessionStatus,
    /// The master cluster answered its last read.
    pub master_reachable: bool,
    /// Why not (the cluster's last error).
    pub master_error: Option<String>,
    /// The slave volume is in a cluster georep manages (needed to promote it).
    pub slave_managed: bool,
    pub slave_reachable: bool,
    pub checkpoint_time: Option<DateTime<Utc>>,
    pub checkpoint_completed: bool,
    pub bricks: Vec<BrickPoint>,
    /// What a failover now would keep: the oldest brick's last synced time.
    pub recovery_point: Option<DateTime<Utc>>,
    /// A planned failover (stop I/O, checkpoint, nothing lost) is possible: master reachable
    /// and the session replicating or startable.
    pub planned_possible: bool,
    /// Why a failover cannot run now (empty: it can).
    pub failover_blockers: Vec<String>,
    /// Why a failback cannot run now (empty: it can).
    pub failback_blockers: Vec<String>,
    /// The failover in effect, if any.
    pub failover: Option<FailoverRecord>,
}

/// A failover as an admin asks for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverInput {
    /// Planned (stop I/O, checkpoint, nothing lost) or not; default: planned when the master
    /// is reachable.
    pub planned: Option<bool>,
    /// I/O on the master is stopped already: no confirmation step waits for the admin.
    pub io_stopped: bool,
}

/// A failback as an admin asks for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailbackInput {
    /// I/O on the slave is stopped already: no confirmation step waits for the admin.
    pub io_stopped: bool,
}
