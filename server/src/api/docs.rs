//! The documents of the REST API (API.md): serde types written as XML by quick-xml (`@name`
//! is an attribute) and as JSON by serde_json, and read back from request bodies.
use app::domain::{BrickStatus, Event, SessionOption, SessionStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::repr::Root;
use crate::service::inventory::{SessionView, VolumeView};
use crate::store::{BrickRow, ClusterRow, HostRow};

pub fn cluster_href(c: Uuid) -> String {
    format!("/api/clusters/{c}")
}

pub fn volume_href(c: Uuid, v: Uuid) -> String {
    format!("/api/clusters/{c}/glustervolumes/{v}")
}

pub fn session_href(c: Uuid, v: Uuid, s: Uuid) -> String {
    format!("{}/georeplication-sessions/{s}", volume_href(c, v))
}

/// Reads an optional value written as an empty element (XML) or null (JSON) back as None.
fn empty_is_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: std::str::FromStr> serde::de::Visitor<'de> for V<T>
    where
        T::Err: std::fmt::Display,
    {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a value, empty or null")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse().map(Some).map_err(E::custom)
            }
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
            self.visit_str(&n.to_string())
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
            self.visit_str(&n.to_string())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        /// quick-xml gives an element with text as a map holding `$text`.
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut text = String::new();
            while let Some((k, v)) = map.next_entry::<String, String>()? {
                if k == "$text" {
                    text = v;
                }
            }
            self.visit_str(&text)
        }
    }
    d.deserialize_option(V(std::marker::PhantomData))
}

/// RFC 3339 UTC to the second.
fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// gluster's spelling made an API enumeration: lower case with `_`.
fn enum_text(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace(['-', ' '], "_")
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct Link {
    #[serde(rename = "@rel")]
    pub rel: String,
    #[serde(rename = "@href")]
    pub href: String,
}

impl Link {
    pub fn new(rel: &str, href: String) -> Self {
        Link {
            rel: rel.into(),
            href,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "api")]
pub struct EntryPoint {
    #[serde(rename = "link")]
    pub links: Vec<Link>,
    pub product_info: ProductInfo,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct ProductInfo {
    pub name: String,
    pub version: String,
}

/// `<fault><reason/><detail/></fault>`
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "fault")]
pub struct FaultDoc {
    pub reason: String,
    pub detail: String,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "clusters")]
pub struct Clusters {
    #[serde(rename = "cluster", default)]
    pub clusters: Vec<ClusterDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "cluster")]
pub struct ClusterDoc {
    #[serde(rename = "@id")]
    pub id_attr: Uuid,
    #[serde(rename = "@href")]
    pub href: String,
    pub id: Uuid,
    pub name: String,
    pub description: String,
    #[serde(rename = "link", default)]
    pub links: Vec<Link>,
}

impl ClusterDoc {
    pub fn new(c: &ClusterRow, with_links: bool) -> Self {
        let id = c.id.into_uuid();
        let href = cluster_href(id);
        let links = if with_links {
            vec![
                Link::new("glustervolumes", format!("{href}/glustervolumes")),
                Link::new("hosts", format!("{href}/hosts")),
            ]
        } else {
            Vec::new()
        };
        ClusterDoc {
            id_attr: id,
            href,
            id,
            name: c.name.clone(),
            description: c.description.clone(),
            links,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "hosts")]
pub struct Hosts {
    #[serde(rename = "host", default)]
    pub hosts: Vec<HostDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "host")]
pub struct HostDoc {
    #[serde(rename = "@id")]
    pub id_attr: Uuid,
    #[serde(rename = "@href")]
    pub href: String,
    pub id: Uuid,
    pub name: String,
    pub address: String,
    /// gluster's peer uuid; empty until the sync saw the host in the pool.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub gluster_uuid: Option<Uuid>,
    pub status: String,
}

impl HostDoc {
    pub fn new(h: &HostRow) -> Self {
        let id = h.id.into_uuid();
        HostDoc {
            id_attr: id,
            href: format!("{}/hosts/{id}", cluster_href(h.cluster_id.into_uuid())),
            id,
            name: h.address.clone(),
            address: h.address.clone(),
            gluster_uuid: h.gluster_uuid.map(|u| u.into_uuid()),
            status: enum_text(&h.status),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "gluster_volumes")]
pub struct Volumes {
    #[serde(rename = "gluster_volume", default)]
    pub volumes: Vec<VolumeDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "gluster_volume")]
pub struct VolumeDoc {
    #[serde(rename = "@id")]
    pub id_attr: Uuid,
    #[serde(rename = "@href")]
    pub href: String,
    pub id: Uuid,
    pub name: String,
    pub volume_type: String,
    pub status: String,
    pub bricks: Bricks,
    #[serde(rename = "link", default)]
    pub links: Vec<Link>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct Bricks {
    #[serde(rename = "brick", default)]
    pub bricks: Vec<BrickDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "brick")]
pub struct BrickDoc {
    #[serde(rename = "@id")]
    pub id_attr: Uuid,
    #[serde(rename = "@href")]
    pub href: String,
    pub id: Uuid,
    pub server_name: String,
    pub brick_dir: String,
    pub status: String,
}

impl BrickDoc {
    pub fn new(cluster: Uuid, b: &BrickRow) -> Self {
        let id = b.id.into_uuid();
        BrickDoc {
            id_attr: id,
            href: format!(
                "{}/bricks/{id}",
                volume_href(cluster, b.volume_id.into_uuid())
            ),
            id,
            server_name: b.server_name.clone(),
            brick_dir: b.path.clone(),
            status: enum_text(&b.status),
        }
    }
}

impl VolumeDoc {
    pub fn new(cluster: Uuid, v: &VolumeView) -> Self {
        let id = v.volume.id.into_uuid();
        let href = volume_href(cluster, id);
        VolumeDoc {
            id_attr: id,
            id,
            name: v.volume.name.clone(),
            volume_type: enum_text(&v.volume.volume_type),
            status: enum_text(&v.volume.status),
            bricks: Bricks {
                bricks: v.bricks.iter().map(|b| BrickDoc::new(cluster, b)).collect(),
            },
            links: vec![Link::new(
                "georeplication-sessions",
                format!("{href}/georeplication-sessions"),
            )],
            href,
        }
    }
}

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
pub const ACTIONS: [&str; 8] = [
    "start",
    "stop",
    "pause",
    "resume",
    "checkpoint",
    "refresh",
    "probe",
    "restart-stalled",
];

impl SessionDoc {
    pub fn new(v: &SessionView, with_details: bool) -> Self {
        let s = &v.session;
        let (c, vol, id) = (
            v.cluster_id,
            s.master_volume_id.into_uuid(),
            s.session_id.into_uuid(),
        );
        let href = session_href(c, vol, id);
        let details = with_details.then(|| SessionDetails {
            details: v
                .details
                .iter()
                .map(|(d, b)| SessionDetailDoc::new(c, vol, d, b.as_ref()))
                .collect(),
        });
        SessionDoc {
            id_attr: id,
            id,
            host: c,
            slavevolume: s.slave_volume_name.clone(),
            status: SessionStatus::from_db(&s.status).as_api().into(),
            master_volume: VolumeRef {
                id: vol,
                href: volume_href(c, vol),
                name: v.master_name.clone(),
            },
            session_key: s.session_key.clone(),
            slave_host_name: s.slave_host_name.clone(),
            slave_host_uuid: s.slave_host_uuid.map(|u| u.into_uuid()),
            slave_volume_id: s.slave_volume_id.map(|u| u.into_uuid()),
            slave_user: s.slave_user.clone(),
            checkpoint_completed: v.checkpoint_completed,
            updated: time(s.updated_at),
            links: vec![
                Link::new("options", format!("{href}/options")),
                Link::new("health", format!("{href}/health")),
                Link::new("lag", format!("{href}/lag")),
            ],
            actions: Actions {
                links: ACTIONS
                    .iter()
                    .map(|a| Link::new(a, format!("{href}/{a}")))
                    .collect(),
            },
            health: None,
            session_details: details,
            href,
        }
    }

    /// The document with georep's health verdict.
    pub fn with_health(mut self, h: Option<&app::health::SessionHealth>) -> Self {
        self.health = h.map(|h| HealthDoc::new(self.host, self.master_volume.id, h));
        self
    }
}

impl SessionDetailDoc {
    fn new(
        c: Uuid,
        vol: Uuid,
        d: &crate::store::SessionDetailRow,
        brick: Option<&BrickRow>,
    ) -> Self {
        let bid = d.master_brick_id.into_uuid();
        let status = brick_status_api(BrickStatus::from_db(&d.status));
        SessionDetailDoc {
            brick: BrickRef {
                id: bid,
                href: format!("{}/bricks/{bid}", volume_href(c, vol)),
                server_name: brick.map(|b| b.server_name.clone()),
                brick_dir: brick.map(|b| b.path.clone()),
            },
            slave_node: d.slave_host_name.clone(),
            status,
            checkpoint_status: d.checkpoint_status.clone().unwrap_or_else(|| "n/a".into()),
            crawl_status: d.crawl_status.clone().unwrap_or_else(|| "n/a".into()),
            files_skipped: d.files_skipped,
            files_pending: d.files_pending,
            files_synced: d.files_synced,
            bytes_pending: d.bytes_pending,
            deletes_pending: d.deletes_pending,
            entry_pending: d.entry_pending,
            data_pending: d.data_pending,
            meta_pending: d.meta_pending,
            failures: d.failures,
            last_synced: d.last_synced_at.map(time),
            checkpoint_time: d.checkpoint_time.map(time),
            checkpoint_completed_time: d.checkpoint_completed_at.map(time),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "georeplication_options")]
pub struct Options {
    #[serde(rename = "option", default)]
    pub options: Vec<OptionDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct AllowedValues {
    #[serde(rename = "value", default)]
    pub values: Vec<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "option")]
pub struct OptionDoc {
    #[serde(rename = "@id")]
    pub id_attr: String,
    #[serde(rename = "@href")]
    pub href: String,
    pub id: String,
    pub key: String,
    pub value: String,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub default_value: Option<String>,
    #[serde(default)]
    pub allowed_values: AllowedValues,
    pub read_only: bool,
    /// A command option: its value names a program, a command line or a path that gsyncd
    /// runs or writes as root on the session's nodes (ssh_command, rsync_options, …).
    #[serde(default)]
    pub command_option: bool,
    /// Why this server refuses to change it: command options while the server does not
    /// allow them (`serve --allow-command-options`); empty when it may be changed.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub refused_reason: Option<String>,
}

impl OptionDoc {
    pub fn new(session_href: &str, o: SessionOption) -> Self {
        OptionDoc {
            id_attr: o.key.clone(),
            href: format!("{session_href}/options/{}", o.key),
            id: o.key.clone(),
            default_value: o.default_value,
            allowed_values: AllowedValues {
                values: o.allowed_values,
            },
            read_only: o.read_only,
            command_option: o.command_option,
            refused_reason: o.refused_reason,
            value: o.value,
            key: o.key,
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
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "events")]
pub struct Events {
    #[serde(rename = "event", default)]
    pub events: Vec<EventDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "event")]
pub struct EventDoc {
    #[serde(rename = "@id")]
    pub id_attr: i64,
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub cluster_id: Option<Uuid>,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub session_id: Option<Uuid>,
    pub target: String,
    pub result: String,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub message: Option<String>,
}

impl From<Event> for EventDoc {
    fn from(e: Event) -> Self {
        EventDoc {
            id_attr: e.id,
            id: e.id,
            at: time(e.at),
            actor: e.actor,
            action: e.action,
            cluster_id: e.cluster_id,
            session_id: e.session_id,
            target: e.target,
            result: e.result,
            message: e.message,
        }
    }
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
}

impl Root for ActionBody {
    const ROOT: &'static str = "action";
}

/// `<option><value>5</value></option>`
#[derive(Deserialize, Serialize, ToSchema, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OptionBody {
    pub value: String,
}

impl Root for OptionBody {
    const ROOT: &'static str = "option";
}

/// georep's verdict on a session beside gluster's status (README "Health"): only a probe (a
/// real checkpoint after a real change) may call a session healthy; a stalled or faulty one
/// never is.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "health")]
pub struct HealthDoc {
    /// healthy, lagging, stalled, faulty or unknown
    pub state: String,
    pub reason: String,
    /// Since when the state holds (RFC 3339).
    pub since: String,
    /// The largest lag of the session's active bricks, in seconds; empty when not known.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub lag_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_probe: Option<ProbeDoc>,
    #[serde(default)]
    pub bricks: HealthBricks,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct HealthBricks {
    #[serde(rename = "brick", default)]
    pub bricks: Vec<BrickHealthDoc>,
}

/// One master brick's part of its session's health.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct BrickHealthDoc {
    #[serde(rename = "@id")]
    pub id: Uuid,
    #[serde(rename = "@href")]
    pub href: String,
    /// `host:/path`
    pub name: String,
    pub status: String,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub lag_seconds: Option<i64>,
    /// While the brick is stalled: the checkpoint it did not complete (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stalled_since: Option<String>,
}

/// The last probe of a session.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct ProbeDoc {
    pub at: String,
    /// passed, stalled, inconclusive or failed
    pub result: String,
    pub duration_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
}

impl HealthDoc {
    pub fn new(c: Uuid, vol: Uuid, h: &app::health::SessionHealth) -> Self {
        HealthDoc {
            state: h.health.as_str().into(),
            reason: h.reason.clone(),
            since: time(h.since),
            lag_seconds: h.lag_seconds,
            last_probe: h.last_probe.as_ref().map(|p| ProbeDoc {
                at: time(p.at),
                result: p.result.as_str().into(),
                duration_ms: p.duration_ms,
                message: p.message.clone(),
            }),
            bricks: HealthBricks {
                bricks: h
                    .bricks
                    .iter()
                    .map(|b| BrickHealthDoc {
                        id: b.brick_id,
                        href: format!("{}/bricks/{}", volume_href(c, vol), b.brick_id),
                        name: b.brick.clone(),
                        status: brick_status_api(b.status),
                        lag_seconds: b.lag_seconds,
                        stalled_since: b.stalled_since.map(time),
                    })
                    .collect(),
            },
        }
    }
}

/// A worker's status as the session details show it.
fn brick_status_api(s: BrickStatus) -> String {
    match s {
        BrickStatus::Offline => "offline".to_owned(),
        other => SessionStatus::from_db(other.as_db()).as_api().to_owned(),
    }
}

/// `GET S/lag`: lag samples since a time, oldest first (the chart's data).
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
#[serde(rename = "lag_samples")]
pub struct LagSamples {
    #[serde(rename = "sample", default)]
    pub samples: Vec<LagSampleDoc>,
}

/// One sample: the session's own (largest) lag when `brick` is empty, else one brick's.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct LagSampleDoc {
    pub at: String,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub brick: Option<Uuid>,
    pub lag_seconds: i64,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub pending: Option<i64>,
}

impl LagSampleDoc {
    pub fn new(s: &app::health::LagSample) -> Self {
        LagSampleDoc {
            at: time(s.at),
            brick: s.brick_id,
            lag_seconds: s.lag_seconds,
            pending: s.pending,
        }
    }
}

/// What `POST S/probe` did and found (also the probe after `POST S/restart-stalled`).
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct ProbeReportDoc {
    pub started: String,
    pub duration_ms: i64,
    /// passed, stalled, inconclusive or failed
    pub result: String,
    /// The checkpoint the probe set, as gluster reports it (RFC 3339); empty when none.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub checkpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
    #[serde(default)]
    pub bricks: ProbeBricks,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct ProbeBricks {
    #[serde(rename = "brick", default)]
    pub bricks: Vec<ProbeBrickDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct ProbeBrickDoc {
    /// `host:/path`
    pub name: String,
    pub status: String,
    /// From the probe's change to the checkpoint's completion; empty: not completed.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub completed_after_ms: Option<i64>,
    pub stalled: bool,
}

impl ProbeReportDoc {
    pub fn new(r: &app::health::ProbeReport) -> Self {
        ProbeReportDoc {
            started: time(r.started_at),
            duration_ms: r.duration_ms,
            result: r.result.as_str().into(),
            checkpoint: r.checkpoint.map(time),
            message: r.message.clone(),
            bricks: ProbeBricks {
                bricks: r
                    .bricks
                    .iter()
                    .map(|b| ProbeBrickDoc {
                        name: b.brick.clone(),
                        status: brick_status_api(b.status),
                        completed_after_ms: b.completed_after_ms,
                        stalled: b.stalled,
                    })
                    .collect(),
            },
        }
    }
}

/// What `POST S/restart-stalled` did: the methods tried in order (worker, session), the
/// bricks whose workers were restarted, whether the stall cleared, and the last probe.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct RestartDoc {
    #[serde(default)]
    pub methods: Names,
    #[serde(default)]
    pub restarted: Names,
    pub cleared: bool,
    pub probe: ProbeReportDoc,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq, Default)]
pub struct Names {
    #[serde(rename = "name", default)]
    pub names: Vec<String>,
}

impl RestartDoc {
    pub fn new(o: &app::health::RestartOutcome) -> Self {
        RestartDoc {
            methods: Names {
                names: o
                    .methods
                    .iter()
                    .map(|m| match m {
                        app::health::RestartMethod::Worker => "worker".to_owned(),
                        app::health::RestartMethod::Session => "session".to_owned(),
                    })
                    .collect(),
            },
            restarted: Names {
                names: o.restarted.clone(),
            },
            cleared: o.cleared,
            probe: ProbeReportDoc::new(&o.probe),
        }
    }
}
