//! Clusters and their hosts, and the bodies that register and edit a cluster.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{cluster_href, empty_is_none, Link};
use crate::api::repr::Root;
use app::domain::{
    ClusterEdit, ClusterSummary, Connection, GlusterEvents, GlusterEventsSetup, HostKeyAccept,
    HostView, NewCluster,
};

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
    /// How georep reaches the cluster's hosts: `local` (gluster on georep's machine) or `ssh`.
    pub connection: String,
    /// ssh only: the user georep logs in as, and the port.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ssh_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ssh_port: Option<u16>,
    /// Present when the cluster pushes gluster's events to georep.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gluster_events: Option<GlusterEventsDoc>,
    #[serde(rename = "link", default)]
    pub links: Vec<Link>,
}

/// `<gluster_events>`: the webhook gluster's glustereventsd pushes to, and what arrived.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "gluster_events")]
pub struct GlusterEventsDoc {
    pub url: String,
    pub enabled_at: String,
    pub enabled_by: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_event_at: Option<String>,
    /// `GEOREP_PAUSE`, `VOLUME_SET`, … or `webhook-test`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_event: Option<String>,
    pub events_received: i64,
}

impl GlusterEventsDoc {
    pub fn new(e: &GlusterEvents) -> Self {
        GlusterEventsDoc {
            url: e.url.clone(),
            enabled_at: super::time(e.enabled_at),
            enabled_by: e.enabled_by.clone(),
            last_event_at: e.last_event_at.map(super::time),
            last_event: e.last_event.clone(),
            events_received: e.events_received,
        }
    }
}

/// `<gluster_events_setup>`: the answer to turning pushed events on or off, each node's checks.
#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "gluster_events_setup")]
pub struct GlusterEventsSetupDoc {
    /// Absent once turned off.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gluster_events: Option<GlusterEventsDoc>,
    #[serde(rename = "node_check", default)]
    pub node_checks: Vec<NodeCheckDoc>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct NodeCheckDoc {
    pub node: String,
    /// `webhook copied`, `glustereventsd`, `georep reached` or `webhook removed`.
    pub check: String,
    pub ok: bool,
    pub message: String,
}

impl GlusterEventsSetupDoc {
    pub fn new(s: &GlusterEventsSetup) -> Self {
        GlusterEventsSetupDoc {
            gluster_events: s.events.as_ref().map(GlusterEventsDoc::new),
            node_checks: s
                .nodes
                .iter()
                .map(|n| NodeCheckDoc {
                    node: n.node.clone(),
                    check: n.check.clone(),
                    ok: n.ok,
                    message: n.message.clone(),
                })
                .collect(),
        }
    }
}

impl ClusterDoc {
    pub fn new(c: &ClusterSummary, with_links: bool) -> Self {
        let id = c.id;
        let href = cluster_href(id);
        let links = if with_links {
            vec![
                Link::new("glustervolumes", format!("{href}/glustervolumes")),
                Link::new("hosts", format!("{href}/hosts")),
                Link::new(
                    "georeplication-sessions",
                    format!("{href}/georeplication-sessions"),
                ),
            ]
        } else {
            Vec::new()
        };
        let ssh = c.connection == Connection::Ssh;
        ClusterDoc {
            id_attr: id,
            href,
            id,
            name: c.name.clone(),
            description: c.description.clone(),
            connection: c.connection.to_string(),
            ssh_user: ssh.then(|| c.ssh_user.clone()),
            ssh_port: ssh.then_some(c.ssh_port),
            gluster_events: c.gluster_events.as_ref().map(GlusterEventsDoc::new),
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
    /// `local` or `ssh`.
    pub connection: String,
    /// ssh only: the host keys georep trusts for this host (none until it first reached it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ssh_host_keys: Option<HostKeys>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
pub struct HostKeys {
    /// OpenSSH's `SHA256:…`.
    #[serde(rename = "fingerprint", default)]
    pub fingerprints: Vec<String>,
}

impl HostDoc {
    pub fn new(h: &HostView) -> Self {
        let id = h.id;
        HostDoc {
            id_attr: id,
            href: format!("{}/hosts/{id}", cluster_href(h.cluster_id)),
            id,
            name: h.address.clone(),
            address: h.address.clone(),
            gluster_uuid: h.gluster_uuid,
            status: h.status.to_string(),
            connection: h.connection.to_string(),
            ssh_host_keys: (h.connection == Connection::Ssh).then(|| HostKeys {
                fingerprints: h.ssh_fingerprints.clone(),
            }),
        }
    }
}

// ---------------------------------------------------------------- request bodies

/// Register body: `<cluster><name/><host/>…</cluster>`.
#[derive(Deserialize, Serialize, ToSchema, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NewClusterBody {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// One host of the cluster's trusted pool (name or address).
    pub host: String,
    /// `local` (default: gluster on georep's machine) or `ssh`.
    #[serde(default)]
    pub connection: Option<String>,
    /// ssh only: default root.
    #[serde(default)]
    pub ssh_user: Option<String>,
    /// ssh only: 1 to 65535, default 22.
    #[serde(default)]
    pub ssh_port: Option<i64>,
    /// Ask gluster on the host first (default true); false registers a cluster georep cannot
    /// reach now (the sync reports what it finds).
    #[serde(default)]
    pub verify: Option<bool>,
}

impl Root for NewClusterBody {
    const ROOT: &'static str = "cluster";
}

impl NewClusterBody {
    /// The cluster to register, and whether to ask gluster first.
    pub fn into_new(self) -> Result<(NewCluster, bool), String> {
        let connection = match self.connection.as_deref().map(str::trim) {
            None | Some("") => Connection::Local,
            Some(c) => {
                Connection::parse(c).ok_or_else(|| format!("<connection> {c:?}: local or ssh"))?
            }
        };
        let new = NewCluster {
            name: self.name,
            description: self.description.unwrap_or_default(),
            host: self.host,
            connection,
            ssh_user: self.ssh_user,
            ssh_port: self.ssh_port,
        };
        Ok((new, self.verify.unwrap_or(true)))
    }
}

/// Edit body: `<cluster>` with what changes.
#[derive(Deserialize, Serialize, ToSchema, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterEditBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// ssh only, for every host of the cluster.
    #[serde(default)]
    pub ssh_user: Option<String>,
    #[serde(default)]
    pub ssh_port: Option<i64>,
    /// Trust the key this host offers now, if its fingerprint is the one given (after the key
    /// changed: the sync's error names both fingerprints).
    #[serde(default)]
    pub host_key: Option<HostKeyBody>,
    /// When the ssh user or port changes, check that gluster answers with them first
    /// (default true).
    #[serde(default)]
    pub verify: Option<bool>,
}

#[derive(Deserialize, Serialize, ToSchema, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HostKeyBody {
    pub host: String,
    pub fingerprint: String,
}

impl Root for ClusterEditBody {
    const ROOT: &'static str = "cluster";
}

impl ClusterEditBody {
    /// The change, and whether to ask gluster first.
    pub fn into_edit(self) -> (ClusterEdit, bool) {
        let edit = ClusterEdit {
            name: self.name,
            description: self.description,
            ssh_user: self.ssh_user,
            ssh_port: self.ssh_port,
            host_key: self.host_key.map(|k| HostKeyAccept {
                host: k.host,
                fingerprint: k.fingerprint,
            }),
        };
        (edit, self.verify.unwrap_or(true))
    }
}
