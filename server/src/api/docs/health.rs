//! Session health: the verdict, lag samples, what a probe and a guided restart did.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{brick_status_api, empty_is_none, time, volume_href};

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
