//! Domain types shared by the server and the browser (serde on both sides).
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Outcome of the last sync of a cluster with its gluster CLI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    Ok,
    Error,
    Unknown,
}

impl SyncState {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Ok => "ok",
            SyncState::Error => "error",
            SyncState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "ok" => SyncState::Ok,
            "error" => SyncState::Error,
            _ => SyncState::Unknown,
        }
    }
}

/// How georep reaches a host's gluster CLI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    Local,
    Ssh,
}

impl Connection {
    pub fn as_str(self) -> &'static str {
        match self {
            Connection::Local => "local",
            Connection::Ssh => "ssh",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "local" => Some(Connection::Local),
            "ssh" => Some(Connection::Ssh),
            _ => None,
        }
    }
}

/// A host of a cluster's trusted pool, as gluster's pool list last showed it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::Display, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum HostStatus {
    Connected,
    Disconnected,
    /// Not seen yet, or the cluster could not be read.
    Unknown,
}

impl HostStatus {
    /// The stored spelling; anything else is `Unknown`.
    pub fn from_db(s: &str) -> Self {
        s.parse().unwrap_or(HostStatus::Unknown)
    }
}

/// A volume's brick process, as gluster's volume status last showed it (not to be confused
/// with `BrickStatus`, a geo-replication worker's).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::Display, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BrickState {
    Online,
    Offline,
    /// The volume is not started.
    Stopped,
    /// The cluster could not be read.
    Unknown,
}

impl BrickState {
    /// The stored spelling; anything else is `Unknown`.
    pub fn from_db(s: &str) -> Self {
        s.parse().unwrap_or(BrickState::Unknown)
    }
}

/// A host of a cluster (REST `hosts`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostView {
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub address: String,
    /// gluster's peer uuid; None until the sync saw the host in the pool.
    pub gluster_uuid: Option<Uuid>,
    pub status: HostStatus,
}

/// A cluster as the clusters page and the API list it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterSummary {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub host_count: i64,
    pub volume_count: i64,
    pub session_count: i64,
    pub sync_state: SyncState,
    pub sync_error: Option<String>,
    pub synced_at: Option<DateTime<Utc>>,
}

/// What it takes to register a cluster: a name and one host of its trusted pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewCluster {
    pub name: String,
    pub description: String,
    pub host: String,
    pub connection: Connection,
}

/// Status of a geo-replication session, aggregated from its bricks (DESIGN §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Initializing,
    Created,
    NotStarted,
    Active,
    Passive,
    Paused,
    Stopped,
    PartialFaulty,
    Faulty,
    Unknown,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 10] = [
        SessionStatus::Initializing,
        SessionStatus::Created,
        SessionStatus::NotStarted,
        SessionStatus::Active,
        SessionStatus::Passive,
        SessionStatus::Paused,
        SessionStatus::Stopped,
        SessionStatus::PartialFaulty,
        SessionStatus::Faulty,
        SessionStatus::Unknown,
    ];

    /// The stored spelling (the seed's upper-case names).
    pub fn as_db(self) -> &'static str {
        match self {
            SessionStatus::Initializing => "INITIALIZING",
            SessionStatus::Created => "CREATED",
            SessionStatus::NotStarted => "NOTSTARTED",
            SessionStatus::Active => "ACTIVE",
            SessionStatus::Passive => "PASSIVE",
            SessionStatus::Paused => "PAUSED",
            SessionStatus::Stopped => "STOPPED",
            SessionStatus::PartialFaulty => "PARTIAL_FAULTY",
            SessionStatus::Faulty => "FAULTY",
            SessionStatus::Unknown => "UNKNOWN",
        }
    }

    /// The API's spelling: lower case with `_`.
    pub fn as_api(self) -> &'static str {
        match self {
            SessionStatus::Initializing => "initializing",
            SessionStatus::Created => "created",
            SessionStatus::NotStarted => "notstarted",
            SessionStatus::Active => "active",
            SessionStatus::Passive => "passive",
            SessionStatus::Paused => "paused",
            SessionStatus::Stopped => "stopped",
            SessionStatus::PartialFaulty => "partial_faulty",
            SessionStatus::Faulty => "faulty",
            SessionStatus::Unknown => "unknown",
        }
    }

    pub fn from_db(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|v| v.as_db() == s)
            .unwrap_or(SessionStatus::Unknown)
    }
}

/// Status of one master brick's worker: gluster's worker status 1:1, plus OFFLINE for a
/// brick of the master volume that gluster's status does not list (its node is down).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrickStatus {
    Initializing,
    Created,
    Active,
    Passive,
    Paused,
    Stopped,
    Faulty,
    Offline,
    Unknown,
}

impl BrickStatus {
    pub const ALL: [BrickStatus; 9] = [
        BrickStatus::Initializing,
        BrickStatus::Created,
        BrickStatus::Active,
        BrickStatus::Passive,
        BrickStatus::Paused,
        BrickStatus::Stopped,
        BrickStatus::Faulty,
        BrickStatus::Offline,
        BrickStatus::Unknown,
    ];

    pub fn as_db(self) -> &'static str {
        match self {
            BrickStatus::Initializing => "INITIALIZING",
            BrickStatus::Created => "CREATED",
            BrickStatus::Active => "ACTIVE",
            BrickStatus::Passive => "PASSIVE",
            BrickStatus::Paused => "PAUSED",
            BrickStatus::Stopped => "STOPPED",
            BrickStatus::Faulty => "FAULTY",
            BrickStatus::Offline => "OFFLINE",
            BrickStatus::Unknown => "UNKNOWN",
        }
    }

    pub fn from_db(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|v| v.as_db() == s)
            .unwrap_or(BrickStatus::Unknown)
    }
}

/// An action on an existing session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionAction {
    Start,
    Stop,
    Pause,
    Resume,
    Delete,
}

impl SessionAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionAction::Start => "start",
            SessionAction::Stop => "stop",
            SessionAction::Pause => "pause",
            SessionAction::Resume => "resume",
            SessionAction::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Start,
            Self::Stop,
            Self::Pause,
            Self::Resume,
            Self::Delete,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    /// What gluster reports right after the action succeeded: the session's status and every
    /// worker's (`None`: the session is gone). Start and resume show `Initializing` until the
    /// first read of the workers (gluster still says Created / Paused for a moment).
    pub fn outcome(self) -> Option<(SessionStatus, BrickStatus)> {
        match self {
            SessionAction::Start | SessionAction::Resume => {
                Some((SessionStatus::Initializing, BrickStatus::Initializing))
            }
            SessionAction::Stop => Some((SessionStatus::Stopped, BrickStatus::Stopped)),
            SessionAction::Pause => Some((SessionStatus::Paused, BrickStatus::Paused)),
            SessionAction::Delete => None,
        }
    }

    /// The states the action may start from (`force` skips this check).
    pub fn allowed_from(self) -> &'static [SessionStatus] {
        use SessionStatus::*;
        match self {
            SessionAction::Start => &[Created, Stopped],
            SessionAction::Stop => &[Active, Passive, Paused, Initializing, Faulty, PartialFaulty],
            SessionAction::Pause => &[Active, Initializing],
            SessionAction::Resume => &[Paused],
            SessionAction::Delete => &[Stopped, Created],
        }
    }
}

/// What it takes to create a session from a master volume georep knows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewSession {
    pub master_volume_id: Uuid,
    /// A host name or address of the slave cluster (managed by georep or not).
    pub slave_host: String,
    pub slave_volume: String,
    /// Default root.
    pub slave_user: Option<String>,
    pub force: bool,
    /// Start the session once created.
    pub start: bool,
}

/// Why a volume is not a good slave (oVirt's list, peers-georep §2.7). `force` goes on anyway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "detail")]
pub enum Ineligibility {
    SlaveVolumeNotUp,
    SameCluster,
    SlaveSizeUnknown,
    MasterSizeUnknown,
    SlaveSmallerThanMaster {
        slave: i64,
        master: i64,
    },
    AlreadySlave {
        session_key: String,
    },
    NotEmpty,
    NoUpSlaveServer,
    VersionMismatch(String),
    /// Another refusal of gluster's own verification (gverify), verbatim.
    Gluster(String),
}

impl std::fmt::Display for Ineligibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ineligibility::SlaveVolumeNotUp => f.write_str("the slave volume is not started"),
            Ineligibility::SameCluster => {
                f.write_str("the slave volume is in the master's cluster")
            }
            Ineligibility::SlaveSizeUnknown => f.write_str("the slave volume's size is not known"),
            Ineligibility::MasterSizeUnknown => {
                f.write_str("the master volume's size is not known")
            }
            Ineligibility::SlaveSmallerThanMaster { slave, master } => {
                write!(f, "the slave volume ({slave} bytes) is smaller than the master volume ({master} bytes)")
            }
            Ineligibility::AlreadySlave { session_key } => {
                write!(
                    f,
                    "the slave volume is already the slave of session {session_key}"
                )
            }
            Ineligibility::NotEmpty => f.write_str("the slave volume is not empty"),
            Ineligibility::NoUpSlaveServer => f.write_str("no server of the slave volume is up"),
            Ineligibility::VersionMismatch(m) => write!(f, "gluster versions differ: {m}"),
            Ineligibility::Gluster(m) => f.write_str(m),
        }
    }
}

/// A session as the lifecycle returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: Uuid,
    pub master_volume_id: Uuid,
    pub session_key: String,
    pub slave_host_name: String,
    pub slave_volume_name: String,
    pub slave_volume_id: Option<Uuid>,
    pub slave_user: String,
    pub status: SessionStatus,
    pub updated_at: DateTime<Utc>,
}

/// The answer to a create: the session (as stored), the eligibility reasons found (present
/// only when `force` went on despite them) and gluster's own note, if any.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatedSession {
    pub session: SessionInfo,
    pub reasons: Vec<Ineligibility>,
    pub message: Option<String>,
}

/// The answer to an action: the session as stored after it (None once deleted) and gluster's
/// note (e.g. "geo-replication is not set up" for a forced stop of a stopped session).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionOutcome {
    pub session: Option<SessionInfo>,
    pub message: Option<String>,
}

/// A checkpoint: now, or a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checkpoint {
    Now,
    At(DateTime<Utc>),
}

/// One option of a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionOption {
    /// gluster's XML spelling (`sync_jobs`).
    pub key: String,
    pub value: String,
    pub default_value: Option<String>,
    /// For a select box; empty for free input.
    pub allowed_values: Vec<String>,
    pub read_only: bool,
    /// gluster's own help text ("" where it has none).
    pub description: String,
    /// Bounds of an integer option (a number input); None for other kinds.
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// A command option: its value names a program, a command line or a path that gsyncd
    /// runs or writes as root on the session's nodes.
    pub command_option: bool,
    /// Why this server refuses to change it (a command option while they are not allowed).
    pub refused_reason: Option<String>,
}

/// One entry of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub cluster_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub target: String,
    /// ok, refused, failed, detected
    pub result: String,
    pub message: Option<String>,
}
