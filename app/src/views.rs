//! What the pages (and the REST documents) show: read models built by the server from SQLite
//! (never from gluster directly: the background sync keeps SQLite fresh). The server functions
//! that fetch them are in `rpc.rs`.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{BrickState, BrickStatus, Role, SessionStatus};
use crate::health::Health;

/// The logged-in user of the browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub role: Role,
}

impl Me {
    /// Viewers see everything and change nothing.
    pub fn can_act(&self) -> bool {
        self.role == Role::Admin
    }
}

/// A brick of a volume.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrickView {
    pub id: Uuid,
    pub server: String,
    pub path: String,
    pub status: BrickState,
}

/// A volume with its bricks and the part it plays in geo-replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VolumeView {
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub cluster_name: String,
    pub name: String,
    /// gluster's type, e.g. Distribute, Replicate.
    pub volume_type: String,
    /// Started / Stopped / Created
    pub status: String,
    pub bricks: Vec<BrickView>,
    /// Sessions whose master is this volume.
    pub master_of: i64,
    /// Sessions whose slave is this volume (georep manages the slave's cluster).
    pub slave_of: i64,
    pub size_total: Option<i64>,
    pub size_free: Option<i64>,
}

/// Where a session's checkpoint stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointState {
    /// None set.
    None,
    Pending,
    Completed,
}

/// A session in a list (the pages' and REST's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub master_volume_id: Uuid,
    pub master_volume: String,
    /// gluster's session key (`session_secondary`).
    pub session_key: String,
    pub slave_host: String,
    /// The slave host's peer uuid, when georep manages the slave's cluster.
    pub slave_host_uuid: Option<Uuid>,
    pub slave_volume: String,
    pub slave_volume_id: Option<Uuid>,
    pub slave_user: String,
    pub status: SessionStatus,
    /// Every active worker completed the checkpoint (`status::checkpoint_completed`).
    pub checkpoint_completed: bool,
    /// The same, with whether a checkpoint is set at all.
    pub checkpoint: CheckpointState,
    pub checkpoint_time: Option<DateTime<Utc>>,
    pub health: Option<Health>,
    /// Failed over (the slave takes writes) or failing back; None: the normal role.
    pub dr_role: Option<crate::failover::DrRole>,
    pub updated_at: DateTime<Utc>,
    /// Its slave volume is gone: why, since when (the cleanup action removes it).
    pub stale: Option<Stale>,
}

/// Why a session replicates nowhere (its slave volume no longer exists), found by the sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stale {
    pub reason: String,
    pub since: DateTime<Utc>,
}

crate::spelled! {
    "snake_case",
    /// A session's disaster-recovery role as an overview filters it: the normal role (master
    /// replicates to slave) too.
    pub enum DrRoleFilter {
        Normal,
        FailedOver,
        FailingBack,
    }
}

impl DrRoleFilter {
    pub fn of(role: Option<crate::failover::DrRole>) -> Self {
        match role {
            None => DrRoleFilter::Normal,
            Some(crate::failover::DrRole::FailedOver) => DrRoleFilter::FailedOver,
            Some(crate::failover::DrRole::FailingBack) => DrRoleFilter::FailingBack,
        }
    }
}

/// Which sessions an overview lists: every criterion given must hold. REST's session lists
/// take them as query parameters of the same names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFilter {
    /// A session without a verdict yet counts as unknown.
    pub health: Option<Health>,
    pub status: Option<SessionStatus>,
    /// The master volume's cluster.
    pub cluster: Option<Uuid>,
    /// Volume names, exactly (gluster's names are case-sensitive).
    pub master_volume: Option<String>,
    pub slave_volume: Option<String>,
    pub dr_role: Option<DrRoleFilter>,
}

impl SessionFilter {
    pub fn matches(&self, s: &SessionSummary) -> bool {
        self.health
            .is_none_or(|h| s.health.unwrap_or(Health::Unknown) == h)
            && self.status.is_none_or(|st| s.status == st)
            && self.cluster.is_none_or(|c| s.cluster_id == c)
            && self
                .master_volume
                .as_ref()
                .is_none_or(|v| s.master_volume == *v)
            && self
                .slave_volume
                .as_ref()
                .is_none_or(|v| s.slave_volume == *v)
            && self
                .dr_role
                .is_none_or(|r| DrRoleFilter::of(s.dr_role) == r)
    }
}

impl SessionFilter {
    /// The filter as query parameters (REST's and the sessions page's names and spellings).
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        q.extend(self.health.map(|h| ("health", h.to_string())));
        q.extend(self.status.map(|s| ("status", s.as_api())));
        q.extend(self.cluster.map(|c| ("cluster", c.to_string())));
        q.extend(self.master_volume.clone().map(|v| ("master_volume", v)));
        q.extend(self.slave_volume.clone().map(|v| ("slave_volume", v)));
        q.extend(self.dr_role.map(|r| ("dr_role", r.to_string())));
        q
    }

    /// Read from query parameters as `to_query` writes them; what does not parse (or is
    /// empty) is no criterion (a page shows everything rather than an error; REST says 400).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let text = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        SessionFilter {
            health: text("health").and_then(|h| h.parse().ok()),
            status: text("status").and_then(|s| SessionStatus::from_api(&s)),
            cluster: text("cluster").and_then(|c| c.parse().ok()),
            master_volume: text("master_volume"),
            slave_volume: text("slave_volume"),
            dr_role: text("dr_role").and_then(|r| r.parse().ok()),
        }
    }
}

crate::spelled! {
    "snake_case",
    /// A column the sessions overview sorts by.
    pub enum SessionSort {
        /// Worst first: faulty, stalled, lagging, unknown, healthy.
        Health,
        Lag,
        /// Oldest first (none: older than any).
        RecoveryPoint,
        /// The last checkpoint's time, oldest first (none: older than any).
        Checkpoint,
        /// Worst first: faulty, partial faulty, unknown, then the idle and the working states.
        Status,
        Cluster,
        Master,
        Slave,
    }
}

impl SessionSort {
    pub const ALL: &[SessionSort] = <SessionSort as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The order a first click on the column asks for: what needs attention first (the
    /// largest lag; the oldest recovery point and checkpoint; the worst health and status),
    /// names A to Z.
    pub fn first_order(self) -> SortOrder {
        match self {
            SessionSort::Lag => SortOrder::Desc,
            _ => SortOrder::Asc,
        }
    }
}

crate::spelled! {
    "snake_case",
    pub enum SortOrder {
        Asc,
        Desc,
    }
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn flipped(self) -> Self {
        match self {
            SortOrder::Asc => SortOrder::Desc,
            SortOrder::Desc => SortOrder::Asc,
        }
    }
}

/// A session as the overview of every cluster lists it: its summary (with the health verdict
/// as of now) and what a storage admin scans for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverviewRow {
    pub session: SessionSummary,
    pub cluster_name: String,
    pub health_reason: String,
    pub health_since: DateTime<Utc>,
    /// The session's largest brick lag, seconds (None: not known, e.g. not active).
    pub lag_seconds: Option<i64>,
    /// The slave holds everything written on the master before this (the last DR sync's or
    /// failover's checkpoint every worker reached).
    pub recovery_point: Option<DateTime<Utc>>,
    /// Older than the session's schedule's RPO.
    pub recovery_overdue: bool,
}

/// The sessions of every cluster that a filter lets through, sorted; with the counts of all
/// sessions (the page says "3 of 12", and how many are not healthy).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionOverview {
    pub rows: Vec<OverviewRow>,
    pub total: usize,
    /// Of all sessions, by health (in `Health::ALL`'s order, only those with sessions).
    pub by_health: Vec<(Health, usize)>,
}

impl SessionOverview {
    /// How many sessions of all are not healthy (the title's and the favicon's number).
    pub fn not_healthy(&self) -> usize {
        self.by_health
            .iter()
            .filter(|(h, _)| *h != Health::Healthy)
            .map(|(_, n)| n)
            .sum()
    }
}

fn health_rank(h: Option<Health>) -> u8 {
    match h.unwrap_or(Health::Unknown) {
        Health::Faulty => 0,
        Health::Stalled => 1,
        Health::Lagging => 2,
        Health::Unknown => 3,
        Health::Healthy => 4,
    }
}

fn status_rank(s: SessionStatus) -> u8 {
    use SessionStatus as S;
    match s {
        S::Faulty => 0,
        S::PartialFaulty => 1,
        S::Unknown => 2,
        S::Stopped => 3,
        S::Paused => 4,
        S::Created => 5,
        S::NotStarted => 6,
        S::Initializing => 7,
        S::Passive => 8,
        S::Active => 9,
    }
}

/// Sorts overview rows by a column, ties by cluster, master and slave (a stable order, so a
/// live update does not reshuffle equal rows).
pub fn sort_overview(rows: &mut [OverviewRow], by: SessionSort, order: SortOrder) {
    use std::cmp::Ordering;
    let names = |r: &OverviewRow| {
        (
            r.cluster_name.clone(),
            r.session.master_volume.clone(),
            r.session.slave_host.clone(),
            r.session.slave_volume.clone(),
        )
    };
    rows.sort_by(|a, b| {
        let key: Ordering = match by {
            SessionSort::Health => {
                health_rank(a.session.health).cmp(&health_rank(b.session.health))
            }
            // unknown lag below any number
            SessionSort::Lag => a.lag_seconds.cmp(&b.lag_seconds),
            SessionSort::RecoveryPoint => a.recovery_point.cmp(&b.recovery_point),
            SessionSort::Checkpoint => a.session.checkpoint_time.cmp(&b.session.checkpoint_time),
            SessionSort::Status => {
                status_rank(a.session.status).cmp(&status_rank(b.session.status))
            }
            SessionSort::Cluster => a.cluster_name.cmp(&b.cluster_name),
            SessionSort::Master => a.session.master_volume.cmp(&b.session.master_volume),
            SessionSort::Slave => (&a.session.slave_host, &a.session.slave_volume)
                .cmp(&(&b.session.slave_host, &b.session.slave_volume)),
        };
        let key = match order {
            SortOrder::Asc => key,
            SortOrder::Desc => key.reverse(),
        };
        key.then_with(|| names(a).cmp(&names(b)))
    });
}

/// One master brick's worker: what `status detail` says (None: gluster does not report it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrickProgress {
    pub brick_id: Uuid,
    /// The master brick's server and path; None when the brick is not (or no longer) one of
    /// the master volume's.
    pub master_host: Option<String>,
    pub master_brick: Option<String>,
    pub slave_node: Option<String>,
    pub status: BrickStatus,
    pub crawl_status: Option<String>,
    pub checkpoint_status: Option<String>,
    pub checkpoint_time: Option<DateTime<Utc>>,
    pub checkpoint_completed_at: Option<DateTime<Utc>>,
    pub last_synced: Option<DateTime<Utc>>,
    pub entry_pending: Option<i64>,
    pub data_pending: Option<i64>,
    pub meta_pending: Option<i64>,
    pub failures: Option<i64>,
    pub files_synced: Option<i64>,
    pub files_pending: Option<i64>,
    pub files_skipped: Option<i64>,
    pub bytes_pending: Option<i64>,
    pub deletes_pending: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

/// A session with one row per master brick.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionDetail {
    pub summary: SessionSummary,
    /// In the master volume's brick order.
    pub bricks: Vec<BrickProgress>,
    pub health_reason: Option<String>,
    pub lag_seconds: Option<i64>,
}

/// A full page load of `to` (after login and logout: every resource is read again).
pub fn reload_to(to: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = leptos::prelude::window().location().set_href(to);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = to;
}

/// Only a path on this site: an open redirect is a phishing tool. `next` must be a path that
/// the URL standard's parser (the browsers' own, `url`) resolves against this site to this
/// site, with no control character or backslash in it, raw or percent-encoded (browsers drop
/// tabs and newlines and read `\` as `/`, so `/\t/evil.example` would become
/// `//evil.example`). The answer is that parser's serialisation: always a valid header value.
pub fn local_path(next: Option<&str>) -> String {
    const SITE: &str = "http://georep.invalid/";
    let hostile = |s: &str| s.chars().any(|c| c.is_control() || c == '\\');
    let local = next.filter(|p| {
        let decoded = percent_encoding::percent_decode_str(p).decode_utf8_lossy();
        p.starts_with('/')
            && !p.starts_with("//")
            && !decoded.starts_with("//")
            && !hostile(p)
            && !hostile(&decoded)
    });
    let Some(url) = local.and_then(|p| url::Url::parse(SITE).ok()?.join(p).ok()) else {
        return "/".to_owned();
    };
    let same_site = url.scheme() == "http"
        && url.host_str() == Some("georep.invalid")
        && url.port().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    let path = &url[url::Position::BeforePath..];
    if !same_site || path.starts_with("//") || path.starts_with("/login") {
        return "/".to_owned();
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failover::DrRole;

    #[test]
    fn a_filter_lets_through_what_every_criterion_given_holds_for() {
        let cluster = Uuid::from_u128(1);
        let s = SessionSummary {
            id: Uuid::from_u128(2),
            cluster_id: cluster,
            master_volume_id: Uuid::from_u128(3),
            master_volume: "mastervol".into(),
            session_key: "k".into(),
            slave_host: "vm".into(),
            slave_host_uuid: None,
            slave_volume: "slavevol".into(),
            slave_volume_id: None,
            slave_user: "root".into(),
            status: SessionStatus::Active,
            checkpoint_completed: false,
            checkpoint: CheckpointState::None,
            checkpoint_time: None,
            health: None,
            dr_role: Some(DrRole::FailedOver),
            stale: None,
            updated_at: DateTime::<Utc>::MIN_UTC,
        };
        let f = |edit: fn(&mut SessionFilter)| {
            let mut f = SessionFilter::default();
            edit(&mut f);
            f.matches(&s)
        };
        assert!(f(|_| {}), "no criterion: everything");
        // one criterion at a time: (holds, does not hold)
        type Criterion = fn(&mut SessionFilter);
        let table: [(Criterion, Criterion); 6] = [
            (
                |f| f.health = Some(Health::Unknown),
                |f| f.health = Some(Health::Healthy),
            ),
            (
                |f| f.status = Some(SessionStatus::Active),
                |f| f.status = Some(SessionStatus::Paused),
            ),
            (
                |f| f.cluster = Some(Uuid::from_u128(1)),
                |f| f.cluster = Some(Uuid::from_u128(9)),
            ),
            (
                |f| f.master_volume = Some("mastervol".into()),
                |f| f.master_volume = Some("MasterVol".into()),
            ),
            (
                |f| f.slave_volume = Some("slavevol".into()),
                |f| f.slave_volume = Some("slavevol2".into()),
            ),
            (
                |f| f.dr_role = Some(DrRoleFilter::FailedOver),
                |f| f.dr_role = Some(DrRoleFilter::Normal),
            ),
        ];
        for (i, (yes, no)) in table.into_iter().enumerate() {
            assert!(f(yes), "criterion {i} holds");
            assert!(!f(no), "criterion {i} does not hold");
        }
        // all at once: each must hold
        let all = SessionFilter {
            health: Some(Health::Unknown),
            status: Some(SessionStatus::Active),
            cluster: Some(cluster),
            master_volume: Some("mastervol".into()),
            slave_volume: Some("slavevol".into()),
            dr_role: Some(DrRoleFilter::FailedOver),
        };
        assert!(all.matches(&s));
        let one_off = SessionFilter {
            dr_role: Some(DrRoleFilter::FailingBack),
            ..all
        };
        assert!(!one_off.matches(&s));
        assert_eq!(DrRoleFilter::of(None), DrRoleFilter::Normal);
        assert_eq!("failing_back".parse(), Ok(DrRoleFilter::FailingBack));
    }

    fn summary(master: &str, health: Option<Health>, status: SessionStatus) -> SessionSummary {
        SessionSummary {
            id: Uuid::new_v4(),
            cluster_id: Uuid::from_u128(1),
            master_volume_id: Uuid::from_u128(3),
            master_volume: master.into(),
            session_key: "k".into(),
            slave_host: "vm".into(),
            slave_host_uuid: None,
            slave_volume: "slavevol".into(),
            slave_volume_id: None,
            slave_user: "root".into(),
            status,
            checkpoint_completed: false,
            checkpoint: CheckpointState::None,
            checkpoint_time: None,
            health,
            dr_role: None,
            updated_at: DateTime::<Utc>::MIN_UTC,
            stale: None,
        }
    }

    #[test]
    fn the_overview_sorts_by_each_column_worst_first_then_by_name() {
        let at = |s: i64| DateTime::from_timestamp(s, 0);
        let row = |m: &str, h: Option<Health>, st, lag: Option<i64>, rp: Option<i64>| OverviewRow {
            session: summary(m, h, st),
            cluster_name: "lab".into(),
            health_reason: String::new(),
            health_since: DateTime::<Utc>::MIN_UTC,
            lag_seconds: lag,
            recovery_point: rp.and_then(at),
            recovery_overdue: false,
        };
        let mut rows = vec![
            row(
                "a",
                Some(Health::Healthy),
                SessionStatus::Active,
                Some(0),
                Some(200),
            ),
            row(
                "b",
                Some(Health::Stalled),
                SessionStatus::Active,
                Some(40),
                None,
            ),
            row("c", None, SessionStatus::Stopped, None, Some(100)),
            row(
                "d",
                Some(Health::Faulty),
                SessionStatus::PartialFaulty,
                Some(700),
                Some(300),
            ),
            row(
                "e",
                Some(Health::Healthy),
                SessionStatus::Passive,
                Some(5),
                Some(50),
            ),
        ];
        let order = |rows: &mut Vec<OverviewRow>, by: SessionSort, o: SortOrder| {
            sort_overview(rows, by, o);
            rows.iter()
                .map(|r| r.session.master_volume.clone())
                .collect::<Vec<_>>()
                .join("")
        };
        assert_eq!(
            order(&mut rows, SessionSort::Health, SortOrder::Asc),
            "dbcae"
        );
        assert_eq!(
            order(&mut rows, SessionSort::Health, SortOrder::Desc),
            "aecbd"
        );
        assert_eq!(
            order(&mut rows, SessionSort::Lag, SessionSort::Lag.first_order()),
            "dbeac"
        );
        assert_eq!(
            order(&mut rows, SessionSort::RecoveryPoint, SortOrder::Asc),
            "becad"
        );
        assert_eq!(
            order(&mut rows, SessionSort::Status, SortOrder::Asc),
            "dceab"
        );
        assert_eq!(
            order(&mut rows, SessionSort::Master, SortOrder::Desc),
            "edcba"
        );
        assert_eq!(SessionSort::Health.first_order(), SortOrder::Asc);
    }

    #[test]
    fn a_filter_goes_into_a_query_and_back() {
        let f = SessionFilter {
            health: Some(Health::Stalled),
            status: Some(SessionStatus::PartialFaulty),
            cluster: Some(Uuid::from_u128(7)),
            master_volume: Some("mastervol".into()),
            slave_volume: Some("slave vol".into()),
            dr_role: Some(DrRoleFilter::FailedOver),
        };
        let q = f.to_query();
        assert!(q.contains(&("status", "partial_faulty".to_owned())));
        assert!(q.contains(&("dr_role", "failed_over".to_owned())));
        let get = |k: &str| q.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        assert_eq!(SessionFilter::from_query(get), f);
        // what does not parse is no criterion
        let junk = |k: &str| {
            Some(
                if k == "master_volume" {
                    "  "
                } else {
                    "nonsense"
                }
                .to_owned(),
            )
        };
        let read = SessionFilter::from_query(junk);
        assert_eq!(read.health, None);
        assert_eq!(read.status, None);
        assert_eq!(read.cluster, None);
        assert_eq!(read.master_volume, None);
        assert_eq!(read.slave_volume.as_deref(), Some("nonsense"));
        assert_eq!(
            SessionFilter::from_query(|_| None),
            SessionFilter::default()
        );
    }

    #[test]
    fn local_path_keeps_only_paths_of_this_site() {
        for (next, want) in [
            ("/", "/"),
            ("/sessions?x=1", "/sessions?x=1"),
            ("/volumes/4f1c/sessions#top", "/volumes/4f1c/sessions#top"),
            ("/a b", "/a%20b"),
            ("/caf\u{e9}", "/caf%C3%A9"),
        ] {
            assert_eq!(local_path(Some(next)), want, "{next:?}");
        }
        let hostile = [
            "",
            "sessions",
            "//evil.example",
            "//evil.example/path",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\\/evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0D%0ASet-Cookie:x=1",
            "/%5Cevil.example",
            "/%5C%5Cevil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "/\u{85}/evil.example",
            "http://evil.example/",
            "https:evil.example",
            "javascript:alert(1)",
            "/login",
            "/login?next=//evil.example",
            "/./login",
            "/x/../login",
            "/..//evil.example",
            "/.//evil.example",
            "/%2e%2e//evil.example",
        ];
        for next in hostile {
            assert_eq!(local_path(Some(next)), "/", "{next:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
