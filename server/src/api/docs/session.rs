//! Sessions with their per-brick details, the answer to an action, and the bodies of
//! create and action requests.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    brick_status_api, empty_is_none, session_href, time, volume_href, HealthDoc, Link,
    ProbeReportDoc, RestartDoc,
};
use crate::api::repr::Root;
use app::views::{BrickProgress, SessionDetail, SessionSummary};

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "georeplication-sessions")]
pub struct Sessions {
    #[serde(rename = "georeplication-session", default)]
    pub sessions: Vec<SessionDoc>,
}

/// A named reference: `<master_volume id href><name/></master_volume>`.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct VolumeRef {
    #[serde(rename = "@id")]
    pub id: Uuid,
    #[serde(rename = "@href")]
    pub href: String,
    pub name: String,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct Actions {
    #[serde(rename = "link", default)]
    pub links: Vec<Link>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "georeplication-session")]
pub struct SessionDoc {
    #[serde(rename = "@id")]
    pub id_attr: Uuid,
    #[serde(rename = "@href")]
    pub href: String,
    pub id: Uuid,
    /// The seed's `host`: the master's cluster id.
    pub host: Uuid,
    pub slavevolume: String,
    pub status: String,
    pub master_volume: VolumeRef,
    pub session_key: String,
    pub slave_host_name: String,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub slave_host_uuid: Option<Uuid>,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub slave_volume_id: Option<Uuid>,
    pub slave_user: String,
    pub checkpoint_completed: bool,
    /// `failed_over` (the slave takes writes) or `failing_back`; absent: the normal role.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dr_role: Option<String>,
    /// Present when the session's slave volume no longer exists (POST its `cleanup` action).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stale: Option<StaleDoc>,
    pub updated: String,
    #[serde(rename = "link", default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub actions: Actions,
    /// georep's health verdict (in the list and the detail of a session; not in an action's
    /// answer, which shows gluster's state right after the action).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub health: Option<HealthDoc>,
    /// Only in the detail.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub session_details: Option<SessionDetails>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct StaleDoc {
    pub reason: String,
    pub since: String,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct SessionDetails {
    #[serde(rename = "session_detail", default)]
    pub details: Vec<SessionDetailDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct BrickRef {
    #[serde(rename = "@id")]
    pub id: Uuid,
    #[serde(rename = "@href")]
    pub href: String,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub server_name: Option<String>,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub brick_dir: Option<String>,
}

/// One master brick's worker. Values gluster does not report are empty (JSON null).
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct SessionDetailDoc {
    pub brick: BrickRef,
    #[serde(rename = "slaveNode")]
    #[serde(default, deserialize_with = "empty_is_none")]
    pub slave_node: Option<String>,
    pub status: String,
    pub checkpoint_status: String,
    pub crawl_status: String,
    #[serde(rename = "filesSkipped")]
    #[serde(default, deserialize_with = "empty_is_none")]
    pub files_skipped: Option<i64>,
    #[serde(rename = "filesPending")]
    #[serde(default, deserialize_with = "empty_is_none")]
    pub files_pending: Option<i64>,
    #[serde(rename = "filesSynced")]
    #[serde(default, deserialize_with = "empty_is_none")]
    pub files_synced: Option<i64>,
    #[serde(rename = "bytesPending")]
    #[serde(default, deserialize_with = "empty_is_none")]
    pub bytes_pending: Option<i64>,
    #[serde(rename = "deletesPending")]
    #[serde(default, deserialize_with = "empty_is_none")]
    pub deletes_pending: Option<i64>,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub entry_pending: Option<i64>,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub data_pending: Option<i64>,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub meta_pending: Option<i64>,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub failures: Option<i64>,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub last_synced: Option<String>,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub checkpoint_time: Option<String>,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub checkpoint_completed_time: Option<String>,
}

/// The actions a session offers, as links (POST to them).
pub const ACTIONS: [&str; 12] = [
    "start",
    "stop",
    "pause",
    "resume",
    "checkpoint",
    "refresh",
    "probe",
    "restart-stalled",
    "sync-now",
    "failover",
    "failback",
    "cleanup",
];

impl SessionDoc {
    /// A session as a list shows it (without its details).
    pub fn new(s: &SessionSummary) -> Self {
        let (c, vol, id) = (s.cluster_id, s.master_volume_id, s.id);
        let href = session_href(c, vol, id);
        SessionDoc {
            id_attr: id,
            id,
            host: c,
            slavevolume: s.slave_volume.clone(),
            status: s.status.as_api(),
            master_volume: VolumeRef {
                id: vol,
                href: volume_href(c, vol),
                name: s.master_volume.clone(),
            },
            session_key: s.session_key.clone(),
            slave_host_name: s.slave_host.clone(),
            slave_host_uuid: s.slave_host_uuid,
            slave_volume_id: s.slave_volume_id,
            slave_user: s.slave_user.clone(),
            checkpoint_completed: s.checkpoint_completed,
            dr_role: s.dr_role.map(|r| r.as_str().to_owned()),
            stale: s.stale.as_ref().map(|st| StaleDoc {
                reason: st.reason.clone(),
                since: time(st.since),
            }),
            updated: time(s.updated_at),
            links: vec![
                Link::new("options", format!("{href}/options")),
                Link::new("health", format!("{href}/health")),
                Link::new("lag", format!("{href}/lag")),
                Link::new("recovery", format!("{href}/recovery")),
                Link::new("failover", format!("{href}/failover")),
                Link::new("schedule", format!("{href}/schedule")),
                Link::new("operations", format!("/api/operations?session={id}")),
            ],
            actions: Actions {
                links: ACTIONS
                    .iter()
                    .filter(|a| **a != "cleanup" || s.stale.is_some())
                    .map(|a| Link::new(a, format!("{href}/{a}")))
                    .collect(),
            },
            health: None,
            session_details: None,
            href,
        }
    }

    /// A session with its per-brick details.
    pub fn detail(d: &SessionDetail) -> Self {
        let s = &d.summary;
        let (c, vol) = (s.cluster_id, s.master_volume_id);
        SessionDoc {
            session_details: Some(SessionDetails {
                details: d
                    .bricks
                    .iter()
                    .map(|b| SessionDetailDoc::new(c, vol, b))
                    .collect(),
            }),
            ..SessionDoc::new(s)
        }
    }

    /// The document with georep's health verdict.
    pub fn with_health(mut self, h: Option<&app::health::SessionHealth>) -> Self {
        self.health = h.map(|h| HealthDoc::new(self.host, self.master_volume.id, h));
        self
    }
}

impl SessionDetailDoc {
    fn new(c: Uuid, vol: Uuid, b: &BrickProgress) -> Self {
        let bid = b.brick_id;
        SessionDetailDoc {
            brick: BrickRef {
                id: bid,
                href: format!("{}/bricks/{bid}", volume_href(c, vol)),
                server_name: b.master_host.clone(),
                brick_dir: b.master_brick.clone(),
            },
            slave_node: b.slave_node.clone(),
            status: brick_status_api(b.status),
            checkpoint_status: b.checkpoint_status.clone().unwrap_or_else(|| "n/a".into()),
            crawl_status: b.crawl_status.clone().unwrap_or_else(|| "n/a".into()),
            files_skipped: b.files_skipped,
            files_pending: b.files_pending,
            files_synced: b.files_synced,
            bytes_pending: b.bytes_pending,
            deletes_pending: b.deletes_pending,
            entry_pending: b.entry_pending,
            data_pending: b.data_pending,
            meta_pending: b.meta_pending,
            failures: b.failures,
            last_synced: b.last_synced.map(time),
            checkpoint_time: b.checkpoint_time.map(time),
            checkpoint_completed_time: b.checkpoint_completed_at.map(time),
        }
    }
}

/// `<action><status>complete</status><georeplication-session …/></action>`
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "action")]
pub struct ActionDoc {
    pub status: String,
    /// gluster's note, when it said one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
    #[serde(
        rename = "georeplication-session",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub session: Option<SessionDoc>,
    /// What a probe found (`probe`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub probe: Option<ProbeReportDoc>,
    /// What a guided restart did (`restart-stalled`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub restart: Option<RestartDoc>,
    /// The operation that ran it (`status` pending: it runs on; follow the link).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub operation: Option<super::OperationLink>,
}

// ---------------------------------------------------------------- request bodies

/// Create body: `<georeplication-session>` with the slave.
#[derive(Deserialize, Serialize, ToSchema, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NewSessionBody {
    pub slave_host_name: String,
    pub slavevolume: String,
    #[serde(default)]
    pub slave_user: Option<String>,
    #[serde(default)]
    pub force: Option<bool>,
    #[serde(default)]
    pub start: Option<bool>,
    /// The slave nodes' sshd port (gluster's `ssh-port`; default 22).
    #[serde(default)]
    pub ssh_port: Option<u16>,
    /// gluster's `no-verify` instead of `push-pem` (keys distributed by hand).
    #[serde(default)]
    pub no_verify: Option<bool>,
    /// A non-root `slave_user`: georep sets up the slave side first (user and group on every
    /// slave node, gluster's mountbroker, glusterd restarted, keys).
    #[serde(default)]
    pub setup_slave: Option<bool>,
    /// The mountbroker's group for `setup_slave` (default: the slave's, else `geogroup`).
    #[serde(default)]
    pub slave_group: Option<String>,
}

impl NewSessionBody {
    /// The new session this body asks for, from master volume `master`.
    pub fn new_session(self, master: uuid::Uuid) -> app::domain::NewSession {
        app::domain::NewSession {
            master_volume_id: master,
            slave_host: self.slave_host_name,
            slave_volume: self.slavevolume,
            slave_user: self.slave_user,
            force: self.force.unwrap_or(false),
            start: self.start.unwrap_or(false),
            ssh_port: self.ssh_port,
            no_verify: self.no_verify.unwrap_or(false),
            setup_slave: self.setup_slave.unwrap_or(false),
            slave_group: self.slave_group.filter(|g| !g.trim().is_empty()),
        }
    }
}

/// The pre-flight of a planned session (`POST …/georeplication-preflight` with a create body):
/// every check with its outcome and the fix of a failure; `ready` when none failed.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "preflight")]
pub struct PreflightDoc {
    pub ready: bool,
    #[serde(rename = "check", default)]
    pub checks: Vec<CheckDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct CheckDoc {
    /// ssh_from_master, slave_started, slave_bricks_up, slave_empty, slave_size, versions,
    /// time_sync; for a user other than root also mountbroker_root, user_and_group,
    /// mountbroker_user, glusterd_restarted, authorized_keys
    pub name: String,
    pub description: String,
    /// pass, fail or unknown
    pub outcome: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fix: Option<String>,
    /// Whether `force` creates despite its failure.
    pub force_passes: bool,
    /// Whether `setup_slave` makes it pass.
    pub set_up_by_georep: bool,
}

impl PreflightDoc {
    pub fn new(p: &app::preflight::Preflight) -> Self {
        PreflightDoc {
            ready: p.blocking(false, false).is_empty(),
            checks: p
                .checks
                .iter()
                .map(|c| CheckDoc {
                    name: c.check.as_str().into(),
                    description: c.check.title().into(),
                    outcome: c.outcome.as_str().into(),
                    detail: c.detail.clone(),
                    fix: c.fix.clone(),
                    force_passes: c.check.force_passes(),
                    set_up_by_georep: c.check.set_up_by_georep(),
                })
                .collect(),
        }
    }
}

impl Root for NewSessionBody {
    const ROOT: &'static str = "georeplication-session";
}

/// Action body: `<action><force>true</force></action>` or `<action><time>now</time></action>`.
#[derive(Deserialize, Serialize, ToSchema, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    #[serde(default)]
    pub force: Option<bool>,
    /// Checkpoint only: `now` or an RFC 3339 time.
    #[serde(default)]
    pub time: Option<String>,
    /// Answer `202 Accepted` once the operation runs, with `Location: /api/operations/{id}`
    /// (oVirt's `<async>`; the header `Prefer: respond-async` does the same).
    #[serde(rename = "async", default)]
    pub run_async: Option<bool>,
    /// Failover only: planned (stop I/O, checkpoint, nothing lost); default: planned when the
    /// master cluster is reachable.
    #[serde(default)]
    pub planned: Option<bool>,
    /// Failover and failback: I/O on the volume that was written is stopped already (no step
    /// waits for a confirmation).
    #[serde(default)]
    pub io_stopped: Option<bool>,
}

impl Root for ActionBody {
    const ROOT: &'static str = "action";
}
