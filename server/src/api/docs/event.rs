//! The audit trail: a page of events, and the export's rows.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{empty_is_none, time};
use app::domain::Event;

#[derive(Serialize, Deserialize, ToSchema, Debug, PartialEq)]
#[serde(rename = "events")]
pub struct Events {
    #[serde(rename = "event", default)]
    pub events: Vec<EventDoc>,
    /// `next`: the older page; `prev`: the newer one (each with the same filter and limit).
    #[serde(rename = "link", default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<super::Link>,
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
    /// The operation that did it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub operation: Option<super::OperationLink>,
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
            result: e.result.to_string(),
            message: e.message,
            operation: e.operation_id.map(super::OperationLink::new),
        }
    }
}
