//! Volumes and their bricks.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{enum_text, volume_href, Link};
use app::views::{BrickView, VolumeView};

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
    pub fn new(cluster: Uuid, volume: Uuid, b: &BrickView) -> Self {
        let id = b.id;
        BrickDoc {
            id_attr: id,
            href: format!("{}/bricks/{id}", volume_href(cluster, volume)),
            id,
            server_name: b.server.clone(),
            brick_dir: b.path.clone(),
            status: b.status.to_string(),
        }
    }
}

impl VolumeDoc {
    pub fn new(v: &VolumeView) -> Self {
        let (cluster, id) = (v.cluster_id, v.id);
        let href = volume_href(cluster, id);
        VolumeDoc {
            id_attr: id,
            id,
            name: v.name.clone(),
            volume_type: enum_text(&v.volume_type),
            status: enum_text(&v.status),
            bricks: Bricks {
                bricks: v
                    .bricks
                    .iter()
                    .map(|b| BrickDoc::new(cluster, id, b))
                    .collect(),
            },
            links: vec![Link::new(
                "georeplication-sessions",
                format!("{href}/georeplication-sessions"),
            )],
            href,
        }
    }
}
