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
        Self::ALL.into_iter().find(|v| v.as_db() == s).unwrap_or(BrickStatus::Unknown)
    }
}
