//! Typed rows, one struct per table, as the repository reads and writes them.
use app::domain::{BrickState, BrickStatus, Connection, HostStatus, SessionStatus, SyncState};
use chrono::{DateTime, Utc};
use sqlx::types::uuid::fmt::Hyphenated;
use sqlx::FromRow;

/// Ids are stored as hyphenated text (readable with the sqlite3 shell).
pub type Id = Hyphenated;

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct ClusterRow {
    pub id: Id,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub sync_state: SyncState,
    pub sync_error: Option<String>,
    pub synced_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct ClusterSummaryRow {
    #[sqlx(flatten)]
    pub cluster: ClusterRow,
    #[sqlx(try_from = "String")]
    pub connection: Connection,
    pub ssh_user: String,
    pub ssh_port: i64,
    pub host_count: i64,
    pub volume_count: i64,
    pub session_count: i64,
}

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct HostRow {
    pub id: Id,
    pub cluster_id: Id,
    pub address: String,
    pub gluster_uuid: Option<Id>,
    #[sqlx(try_from = "String")]
    pub connection: Connection,
    pub ssh_user: String,
    pub ssh_port: i64,
    #[sqlx(try_from = "String")]
    pub status: HostStatus,
    pub last_seen_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct VolumeRow {
    pub id: Id,
    pub cluster_id: Id,
    pub name: String,
    pub volume_type: String,
    pub status: String,
    pub brick_count: i64,
    pub replica_count: i64,
    pub disperse_count: i64,
    pub size_total: Option<i64>,
    pub size_free: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct BrickRow {
    pub id: Id,
    pub volume_id: Id,
    pub host_id: Option<Id>,
    pub host_uuid: Option<Id>,
    pub server_name: String,
    pub path: String,
    pub position: i64,
    #[sqlx(try_from = "String")]
    pub status: BrickState,
    pub size_total: Option<i64>,
    pub size_free: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct SessionRow {
    pub session_id: Id,
    pub master_volume_id: Id,
    pub session_key: String,
    pub slave_host_uuid: Option<Id>,
    pub slave_host_name: String,
    pub slave_volume_id: Option<Id>,
    pub slave_volume_name: String,
    pub slave_user: String,
    #[sqlx(try_from = "String")]
    pub status: SessionStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Why the session is stale (its slave volume is gone), since when; None: it is not.
    pub stale_reason: Option<String>,
    pub stale_since: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct SessionDetailRow {
    pub session_id: Id,
    pub master_brick_id: Id,
    pub slave_host_uuid: Option<Id>,
    pub slave_host_name: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: BrickStatus,
    pub checkpoint_status: Option<String>,
    pub crawl_status: Option<String>,
    pub files_synced: Option<i64>,
    pub files_pending: Option<i64>,
    pub bytes_pending: Option<i64>,
    pub deletes_pending: Option<i64>,
    pub files_skipped: Option<i64>,
    pub entry_pending: Option<i64>,
    pub data_pending: Option<i64>,
    pub meta_pending: Option<i64>,
    pub failures: Option<i64>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub checkpoint_time: Option<DateTime<Utc>>,
    pub checkpoint_completed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ConfigRow {
    pub session_id: Id,
    pub config_key: String,
    pub config_value: String,
    pub default_value: Option<String>,
    pub read_only: bool,
}

/// A cluster whose gluster pushes its events to georep (migration 0009).
#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct GlusterEventsRow {
    pub cluster_id: Id,
    /// The webhook gluster was given.
    pub url: String,
    /// SHA-256 (hex) of the bearer token gluster sends.
    pub token_sha256: String,
    pub enabled_at: DateTime<Utc>,
    pub enabled_by: String,
    pub last_event_at: Option<DateTime<Utc>>,
    /// The kind of the last event (`GEOREP_PAUSE`, …), or `webhook-test`.
    pub last_event: Option<String>,
    pub events_received: i64,
}
