//! Clusters and their hosts.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{cluster_href, empty_is_none, Link};
use app::domain::{ClusterSummary, HostView};

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
    pub fn new(c: &ClusterSummary, with_links: bool) -> Self {
        let id = c.id;
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
        }
    }
}
