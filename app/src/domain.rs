//! Domain types shared by the server and the browser (serde on both sides).
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An enum with its spellings derived, never hand-written: serde's snake_case between server
/// and browser, strum's `$case` for what is stored and shown (`as_str`, `parse`, `Display`).
#[macro_export]
macro_rules! spelled {
    ($case:literal, $(#[$m:meta])* $vis:vis enum $name:ident { $($body:tt)* }) => {
        $(#[$m])*
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            strum::Display,
            strum::EnumString,
            strum::IntoStaticStr,
            strum::VariantArray,
            strum::VariantNames,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = $case)]
        $vis enum $name { $($body)* }
    };
}

crate::spelled! {
    "snake_case",
    /// What a user may do: the one role type of the browser, the REST API, the CLI and the store
    /// (its stored and shown spelling is the snake_case name).
    pub enum Role {
        /// Everything.
        Admin,
        /// Reads only.
        Viewer,
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The store's role column (a CHECK keeps it to the two spellings).
impl TryFrom<String> for Role {
    type Error = strum::ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod role_tests {
    use super::Role;

    #[test]
    fn one_spelling_stored_shown_and_sent() {
        for (role, text) in [(Role::Admin, "admin"), (Role::Viewer, "viewer")] {
            assert_eq!(role.as_str(), text);
            assert_eq!(role.to_string(), text);
            assert_eq!(text.parse::<Role>(), Ok(role));
        }
        assert!("Admin".parse::<Role>().is_err() && "root".parse::<Role>().is_err());
    }
}

crate::spelled! {
    "snake_case",
    /// Outcome of the last sync of a cluster with its gluster CLI.
    pub enum SyncState {
        Ok,
        Error,
        Unknown,
    }
}

crate::spelled! {
    "snake_case",
    /// How georep reaches a host's gluster CLI.
    pub enum Connection {
        Local,
        Ssh,
    }
}

impl Connection {
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

crate::spelled! {
    "snake_case",
    /// A host of a cluster's trusted pool, as gluster's pool list last showed it.
    pub enum HostStatus {
        Connected,
        Disconnected,
        /// No longer in gluster's pool (the row stays: bricks may still name it).
        Missing,
        /// Not seen yet, or the cluster could not be read.
        Unknown,
    }
}

crate::spelled! {
    "snake_case",
    /// A volume's brick process, as gluster's volume status last showed it (not to be confused
    /// with `BrickStatus`, a geo-replication worker's).
    pub enum BrickState {
        Online,
        Offline,
        /// The volume is not started.
        Stopped,
        /// The cluster could not be read.
        Unknown,
    }
}

/// A stored column read as the type: a spelling georep does not know reads as the fallback
/// (a row georep cannot place is still shown, as unknown), never as an error.
#[macro_export]
macro_rules! read_stored {
    ($($t:ty => $fallback:expr),* $(,)?) => {$(
        impl $t {
            /// The stored (and shown) spelling.
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// The stored spelling read; anything else is the fallback.
            pub fn from_db(s: &str) -> Self {
                s.parse().unwrap_or($fallback)
            }
        }

        impl From<String> for $t {
            fn from(s: String) -> Self {
                Self::from_db(&s)
            }
        }

        /// Compares with a stored spelling (tests read rows as SQLite has them).
        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                <&'static str>::from(*self) == *other
            }
        }
    )*};
}

crate::read_stored!(
    SyncState => SyncState::Unknown,
    Connection => Connection::Local,
    HostStatus => HostStatus::Unknown,
    BrickState => BrickState::Unknown,
    SessionStatus => SessionStatus::Unknown,
    BrickStatus => BrickStatus::Unknown,
);

/// A host of a cluster (REST `hosts`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostView {
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub address: String,
    /// gluster's peer uuid; None until the sync saw the host in the pool.
    pub gluster_uuid: Option<Uuid>,
    pub status: HostStatus,
    pub connection: Connection,
    pub ssh_user: String,
    pub ssh_port: u16,
    /// The ssh host keys georep trusts for it (`SHA256:…`); empty when none is recorded yet
    /// (or it is reached locally).
    pub ssh_fingerprints: Vec<String>,
}

/// A cluster as the clusters page and the API list it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterSummary {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// How georep reaches its hosts, and over ssh as whom and on which port (what a peer that
    /// joins the pool gets too).
    pub connection: Connection,
    pub ssh_user: String,
    pub ssh_port: u16,
    pub host_count: i64,
    pub volume_count: i64,
    pub session_count: i64,
    pub sync_state: SyncState,
    pub sync_error: Option<String>,
    pub synced_at: Option<DateTime<Utc>>,
    /// Set when the cluster pushes gluster's events to georep.
    #[serde(default)]
    pub gluster_events: Option<GlusterEvents>,
}

/// A cluster whose glustereventsd pushes gluster's events to georep's webhook: each event
/// refreshes what it names at once (the sync loop stays the fallback and the truth).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlusterEvents {
    /// The webhook gluster was given.
    pub url: String,
    pub enabled_at: DateTime<Utc>,
    pub enabled_by: String,
    pub last_event_at: Option<DateTime<Utc>>,
    /// `GEOREP_PAUSE`, `VOLUME_SET`, … or `webhook-test`.
    pub last_event: Option<String>,
    pub events_received: i64,
}

/// What turning pushed events on or off found on each node of the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlusterEventsSetup {
    /// As stored now (None: off).
    pub events: Option<GlusterEvents>,
    /// One line per node and check: the webhook copied, glustereventsd reloaded, georep
    /// reached from the node with the token.
    pub nodes: Vec<NodeCheck>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCheck {
    pub node: String,
    pub check: String,
    pub ok: bool,
    pub message: String,
}

/// What it takes to register a cluster: a name and one host of its trusted pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewCluster {
    pub name: String,
    pub description: String,
    pub host: String,
    pub connection: Connection,
    /// ssh only: the user georep logs in as (default root) and the port (default 22).
    pub ssh_user: Option<String>,
    pub ssh_port: Option<i64>,
}

/// A change to a registered cluster: what is given changes, the rest stays.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    /// ssh only, for every host of the cluster.
    pub ssh_user: Option<String>,
    pub ssh_port: Option<i64>,
    /// The ssh host key to trust from now on for one of its hosts (after the key changed).
    pub host_key: Option<HostKeyAccept>,
}

impl ClusterEdit {
    pub fn is_empty(&self) -> bool {
        *self == ClusterEdit::default()
    }
}

/// Trust the key `host` offers now, if its fingerprint is `fingerprint` (`SHA256:…`, checked
/// on the host itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKeyAccept {
    pub host: String,
    pub fingerprint: String,
}

/// What removing a cluster made georep forget (gluster keeps all of it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedCluster {
    pub id: Uuid,
    pub name: String,
    pub hosts: i64,
    pub volumes: i64,
    pub sessions: i64,
}

crate::spelled! {
    "SCREAMING_SNAKE_CASE",
    /// Status of a geo-replication session, aggregated from its bricks (DESIGN §2). Its stored
    /// spelling is the seed's upper-case name; the API's is that in lower case.
    pub enum SessionStatus {
        Initializing,
        Created,
        #[strum(serialize = "NOTSTARTED")]
        NotStarted,
        Active,
        Passive,
        Paused,
        Stopped,
        PartialFaulty,
        Faulty,
        Unknown,
    }
}

impl SessionStatus {
    pub const ALL: &[SessionStatus] = <SessionStatus as strum::VariantArray>::VARIANTS;

    /// The API's spelling: lower case with `_`.
    pub fn as_api(self) -> String {
        self.as_str().to_ascii_lowercase()
    }

    /// Read back from the API's spelling (`partial_faulty`).
    pub fn from_api(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_api() == s)
    }
}

crate::spelled! {
    "SCREAMING_SNAKE_CASE",
    /// Status of one master brick's worker: gluster's worker status 1:1, plus OFFLINE for a
    /// brick of the master volume that gluster's status does not list (its node is down).
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
}

crate::spelled! {
    "snake_case",
    /// An action on an existing session.
    pub enum SessionAction {
        Start,
        Stop,
        Pause,
        Resume,
        Delete,
    }
}

impl SessionAction {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// gluster's `ssh-port N`: the slave nodes' sshd port (default 22).
    #[serde(default)]
    pub ssh_port: Option<u16>,
    /// gluster's `no-verify` instead of `push-pem`: the keys were put on the slave nodes by
    /// hand, and gluster skips its own checks of the slave.
    #[serde(default)]
    pub no_verify: bool,
    /// For a user other than root: georep sets up the slave side first (the user and group on
    /// every slave node, gluster's mountbroker, glusterd restarted, the master's key), then
    /// installs the session's keys (`set_geo_rep_pem_keys.sh`) after `create`.
    #[serde(default)]
    pub setup_slave: bool,
    /// The mountbroker's group for `setup_slave` (default: the one the slave nodes have, else
    /// `geogroup`).
    #[serde(default)]
    pub slave_group: Option<String>,
}

/// Why a volume is not a good slave (oVirt's list, peers-georep §2.7). `force` goes on anyway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "detail")]
pub enum Ineligibility {
    /// The master volume is not started (gluster's create needs its bricks).
    MasterVolumeNotUp,
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
    /// A failed check of the pre-flight (what georep found on the nodes), with its fix.
    Preflight(crate::preflight::CheckResult),
}

impl std::fmt::Display for Ineligibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ineligibility::MasterVolumeNotUp => f.write_str("the master volume is not started"),
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
            Ineligibility::Preflight(c) => c.fmt(f),
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

crate::spelled! {
    "snake_case",
    /// Where the options table shows an option (in this order).
    pub enum OptionGroup {
        /// What admins tune most: sync jobs and method, deletes, the meta volume, the
        /// checkpoint, log levels.
        Common,
        /// Timeouts, batch sizes, rsync and changelog details.
        Advanced,
        /// Command options (see `SessionOption::command_option`).
        Command,
        /// What gluster fills in itself (and keys gluster 10's table does not know).
        ReadOnly,
    }
}

impl OptionGroup {
    pub const ALL: &[OptionGroup] = <OptionGroup as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }
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
    pub group: OptionGroup,
}

impl SessionOption {
    /// Its value is not gluster's default (booleans compared as gluster prints them: `True`).
    pub fn changed(&self) -> bool {
        self.default_value.as_deref().is_some_and(|d| {
            d != self.value
                && !(d.eq_ignore_ascii_case(&self.value)
                    && matches!(d.to_ascii_lowercase().as_str(), "true" | "false"))
        })
    }
}

crate::spelled! {
    "snake_case",
    /// How an event of the audit trail ended.
    pub enum EventResult {
        /// Done.
        Ok,
        /// Not begun: the state, another action, the value or the user's role said no (no
        /// gluster call, or none that changed anything).
        Refused,
        /// Begun and not done: gluster (or georep) failed.
        Failed,
        /// Found by georep, not done by it: a change made outside georep, a health transition.
        Detected,
    }
}

impl EventResult {
    pub const ALL: &[EventResult] = <EventResult as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The store's result column (a CHECK keeps it to the four spellings).
impl TryFrom<String> for EventResult {
    type Error = strum::ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Compares with the spelling (tests and pages read results as text).
impl PartialEq<&str> for EventResult {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
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
    pub result: EventResult,
    pub message: Option<String>,
    /// The operation that did it.
    pub operation_id: Option<Uuid>,
}

/// Which events of the audit trail a read returns: every field given narrows it (all of them
/// at once), exactly; none given, every event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    pub session: Option<Uuid>,
    pub cluster: Option<Uuid>,
    /// A user name, or georep's own actors (`sync`, `health`, …).
    pub actor: Option<String>,
    /// `pause`, `option_set`, `session_appeared`, …
    pub action: Option<String>,
    pub result: Option<EventResult>,
    /// At or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub to: Option<DateTime<Utc>>,
}

impl EventFilter {
    /// One session's events.
    pub fn of_session(id: Uuid) -> Self {
        EventFilter {
            session: Some(id),
            ..Default::default()
        }
    }

    /// The filter as query parameters (`session`, `cluster`, `actor`, `action`, `result`,
    /// `from`, `to`, times in RFC 3339): how the REST API and the pages' links spell it.
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let mut q = Vec::new();
        q.extend(self.session.map(|s| ("session", s.to_string())));
        q.extend(self.cluster.map(|c| ("cluster", c.to_string())));
        q.extend(self.actor.clone().map(|a| ("actor", a)));
        q.extend(self.action.clone().map(|a| ("action", a)));
        q.extend(self.result.map(|r| ("result", r.to_string())));
        q.extend(self.from.map(|t| ("from", time(t))));
        q.extend(self.to.map(|t| ("to", time(t))));
        q
    }
}

/// Where a page of the audit trail lies: keyset paging on the event id (the order events were
/// written in), so that events written meanwhile never shift a page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventCursor {
    /// The newest events.
    #[default]
    Newest,
    /// The events just older than this one.
    Before(i64),
    /// The events just newer than this one.
    After(i64),
}

impl EventCursor {
    /// The page older than `before` or newer than `after`; the newest without either.
    pub fn of(before: Option<i64>, after: Option<i64>) -> Result<Self, &'static str> {
        match (before, after) {
            (None, None) => Ok(EventCursor::Newest),
            (Some(b), None) => Ok(EventCursor::Before(b)),
            (None, Some(a)) => Ok(EventCursor::After(a)),
            (Some(_), Some(_)) => Err("before or after, not both"),
        }
    }
}

/// One page of the audit trail, newest first, with where its neighbours lie.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// The next older page is `Before(older)`; None: no older event matches.
    pub older: Option<i64>,
    /// The next newer page is `After(newer)`; None: no newer event matches (yet).
    pub newer: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn an_option_is_changed_when_its_value_is_not_gluster_s_default() {
        let o = |value: &str, default: Option<&str>| SessionOption {
            key: "k".into(),
            value: value.into(),
            default_value: default.map(Into::into),
            allowed_values: Vec::new(),
            read_only: false,
            description: String::new(),
            min: None,
            max: None,
            command_option: false,
            refused_reason: None,
            group: OptionGroup::Common,
        };
        assert!(o("4", Some("3")).changed());
        assert!(!o("3", Some("3")).changed());
        // gluster prints python's booleans
        assert!(!o("True", Some("true")).changed());
        assert!(o("False", Some("true")).changed());
        assert!(o("Rsync", Some("rsync")).changed());
        // no default known: nothing to compare with
        assert!(!o("x", None).changed());
        assert_eq!(OptionGroup::ReadOnly.as_str(), "read_only");
    }

    /// The derived spellings are the ones stored in SQLite and shown by the API.
    #[test]
    fn spellings() {
        let db: Vec<_> = SessionStatus::VARIANTS.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            db,
            [
                "INITIALIZING",
                "CREATED",
                "NOTSTARTED",
                "ACTIVE",
                "PASSIVE",
                "PAUSED",
                "STOPPED",
                "PARTIAL_FAULTY",
                "FAULTY",
                "UNKNOWN"
            ]
        );
        let api: Vec<_> = SessionStatus::VARIANTS.iter().map(|s| s.as_api()).collect();
        assert_eq!(
            api,
            [
                "initializing",
                "created",
                "notstarted",
                "active",
                "passive",
                "paused",
                "stopped",
                "partial_faulty",
                "faulty",
                "unknown"
            ]
        );
        let bricks: Vec<_> = BrickStatus::VARIANTS.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            bricks,
            [
                "INITIALIZING",
                "CREATED",
                "ACTIVE",
                "PASSIVE",
                "PAUSED",
                "STOPPED",
                "FAULTY",
                "OFFLINE",
                "UNKNOWN"
            ]
        );
        let actions: Vec<_> = SessionAction::VARIANTS.iter().map(|a| a.as_str()).collect();
        assert_eq!(actions, ["start", "stop", "pause", "resume", "delete"]);
        let sync: Vec<_> = SyncState::VARIANTS.iter().map(|s| s.as_str()).collect();
        assert_eq!(sync, ["ok", "error", "unknown"]);
        let conn: Vec<_> = Connection::VARIANTS.iter().map(|c| c.as_str()).collect();
        assert_eq!(conn, ["local", "ssh"]);
        assert_eq!(HostStatus::Disconnected.to_string(), "disconnected");
        assert_eq!(BrickState::Online.to_string(), "online");
        assert_eq!(BrickState::Stopped.to_string(), "stopped");
    }

    /// Every spelling reads back as itself; anything else is unknown (or nothing).
    #[test]
    fn spellings_read_back() {
        for s in SessionStatus::VARIANTS {
            assert_eq!(SessionStatus::from_db(s.as_str()), *s);
        }
        for s in BrickStatus::VARIANTS {
            assert_eq!(BrickStatus::from_db(s.as_str()), *s);
        }
        for a in SessionAction::VARIANTS {
            assert_eq!(SessionAction::parse(a.as_str()), Some(*a));
        }
        for s in SyncState::VARIANTS {
            assert_eq!(SyncState::from_db(s.as_str()), *s);
        }
        for c in Connection::VARIANTS {
            assert_eq!(Connection::parse(c.as_str()), Some(*c));
        }
        for s in SessionStatus::VARIANTS {
            assert_eq!(SessionStatus::from_api(&s.as_api()), Some(*s));
        }
        assert_eq!(SessionStatus::from_api("ACTIVE"), None);
        assert_eq!(SessionStatus::from_db("active"), SessionStatus::Unknown);
        assert_eq!(
            SessionStatus::from_db("NOT_STARTED"),
            SessionStatus::Unknown
        );
        assert_eq!(BrickStatus::from_db(""), BrickStatus::Unknown);
        assert_eq!(SessionAction::parse("Start"), None);
        assert_eq!(SyncState::from_db("OK"), SyncState::Unknown);
        assert_eq!(Connection::parse("rsh"), None);
        assert_eq!(HostStatus::from_db("connected"), HostStatus::Connected);
        // a host gone from the pool keeps its row, marked missing (read back as such)
        assert_eq!(HostStatus::from_db("missing"), HostStatus::Missing);
        assert_eq!(HostStatus::Missing, "missing");
        assert_eq!(HostStatus::from_db(""), HostStatus::Unknown);
        assert_eq!(BrickState::from_db("offline"), BrickState::Offline);
        assert_eq!(BrickState::from_db("Started"), BrickState::Unknown);
    }
}
