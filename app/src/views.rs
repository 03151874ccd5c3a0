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
    use super::local_path;

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
