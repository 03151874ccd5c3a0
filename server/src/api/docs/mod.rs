//! The documents of the REST API (API.md), a module per resource: serde types written as XML
//! by quick-xml (`@name` is an attribute) and as JSON by serde_json, and read back from
//! request bodies. The helpers they share (hrefs, times, empty values) are here.
use app::domain::{BrickStatus, SessionStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

mod cluster;
mod event;
mod failover;
mod health;
mod operation;
mod option;
mod session;
mod volume;

pub use cluster::*;
pub use event::*;
pub use failover::*;
pub use health::*;
pub use operation::*;
pub use option::*;
pub use session::*;
pub use volume::*;

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
pub fn time(t: DateTime<Utc>) -> String {
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

/// A worker's status as the session details show it.
fn brick_status_api(s: BrickStatus) -> String {
    match s {
        BrickStatus::Offline => "offline".to_owned(),
        other => SessionStatus::from_db(other.as_str()).as_api(),
    }
}
