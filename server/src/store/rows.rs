//! Typed rows, one struct per table, as the repository reads and writes them.
use app::domain::{BrickState, BrickStatus, Connection, HostStatus, SessionStatus, SyncState};
use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, FromRow, Postgres, Sqlite, Type};
use uuid::Uuid;

/// A row's id: stored as hyphenated text on SQLite (readable with the sqlite3 shell), as a
/// `uuid` on PostgreSQL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(Uuid);

impl Id {
    pub const fn into_uuid(self) -> Uuid {
        self.0
    }

    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl From<Uuid> for Id {
    fn from(u: Uuid) -> Self {
        Id(u)
    }
}

impl From<&Uuid> for Id {
    fn from(u: &Uuid) -> Self {
        Id(*u)
    }
}

impl From<Id> for Uuid {
    fn from(id: Id) -> Self {
        id.0
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl std::str::FromStr for Id {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Id)
    }
}

impl Type<Sqlite> for Id {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Id {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Id {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(<&str as Decode<'r, Sqlite>>::decode(value)?.parse()?)
    }
}

impl Type<Postgres> for Id {
    fn type_info() -> PgTypeInfo {
        <Uuid as Type<Postgres>>::type_info()
    }
}

impl sqlx::postgres::PgHasArrayType for Id {
    fn array_type_info() -> PgTypeInfo {
        <Uuid as sqlx::postgres::PgHasArrayType>::array_type_info()
    }
}

impl Encode<'_, Postgres> for Id {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <Uuid as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Id {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Id(<Uuid as Decode<'r, Postgres>>::decode(value)?))
    }
}

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
