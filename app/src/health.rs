//! Session health (issue 9): the types shared with the browser and their server functions.
//!
//! Health is georep's verdict beside gluster's status: a session whose workers all say
//! Active / Changelog Crawl can still replicate nothing (glusterfs 10.3's changelog stall);
//! only a probe (a checkpoint plus a change on every master brick) tells.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::BrickStatus;

crate::spelled! {
    "snake_case",
    /// The health of a session. A stalled or faulty session is never healthy.
    pub enum Health {
        Healthy,
        /// Active, but its lag is above the threshold.
        Lagging,
        /// A worker says Active but did not complete the probe's checkpoint in time.
        Stalled,
        Faulty,
        /// Not replicating (stopped, paused, starting), not probed yet, or gluster unreadable.
        Unknown,
    }
}

crate::read_stored!(Health => Health::Unknown);

impl Health {
    pub const ALL: &[Health] = <Health as strum::VariantArray>::VARIANTS;

    /// The states alerts are sent for (into and out of).
    pub fn is_alerting(self) -> bool {
        matches!(self, Health::Lagging | Health::Stalled | Health::Faulty)
    }
}

crate::spelled! {
    "snake_case",
    /// What a probe found.
    pub enum ProbeResult {
        /// Every active worker completed the checkpoint.
        Passed,
        /// At least one active worker did not complete it in time.
        Stalled,
        /// The session was not in a state a probe can judge (no active worker, workers still
        /// crawling history, a worker changed state meanwhile).
        Inconclusive,
        /// georep could not run the probe (gluster or the mount failed).
        Failed,
    }
}

impl ProbeResult {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// One master brick's part of a session's health.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrickHealth {
    pub brick_id: Uuid,
    /// `host:/path`
    pub brick: String,
    pub status: BrickStatus,
    /// now − the start of the oldest work known pending; 0 when nothing is pending; None when
    /// the worker is not active or gluster does not say.
    pub lag_seconds: Option<i64>,
    /// Set while the brick is stalled: the time of the checkpoint it did not complete.
    pub stalled_since: Option<DateTime<Utc>>,
}

/// The last probe of a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeSummary {
    pub at: DateTime<Utc>,
    pub result: ProbeResult,
    pub duration_ms: i64,
    pub message: Option<String>,
}

/// A session's health with its reason and since when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionHealth {
    pub session_id: Uuid,
    pub health: Health,
    pub reason: String,
    pub since: DateTime<Utc>,
    /// The largest lag of the session's active bricks (None: not known).
    pub lag_seconds: Option<i64>,
    pub bricks: Vec<BrickHealth>,
    pub last_probe: Option<ProbeSummary>,
}

/// One brick in a probe's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeBrick {
    pub brick: String,
    pub status: BrickStatus,
    /// Milliseconds from the probe's change to the checkpoint's completion (None: not completed).
    pub completed_after_ms: Option<i64>,
    pub stalled: bool,
}

/// What one probe did and found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub session_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub result: ProbeResult,
    /// The checkpoint the probe set (as gluster reports it).
    pub checkpoint: Option<DateTime<Utc>>,
    pub bricks: Vec<ProbeBrick>,
    pub message: Option<String>,
}

/// How the guided restart restarted the stalled workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartMethod {
    /// Only the stalled workers were restarted (their monitor respawned them).
    Worker,
    /// The session was stopped and started.
    Session,
}

/// The answer to a guided restart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestartOutcome {
    /// Every method tried, in order.
    pub methods: Vec<RestartMethod>,
    /// The bricks whose workers were restarted.
    pub restarted: Vec<String>,
    /// The stall cleared: the last probe passed.
    pub cleared: bool,
    /// The last probe, after the restart.
    pub probe: ProbeReport,
}

/// One lag sample (for charts). `brick_id` None: the session's own (its largest) lag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagSample {
    pub at: DateTime<Utc>,
    pub brick_id: Option<Uuid>,
    pub lag_seconds: i64,
    pub pending: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    /// The derived spellings are the ones stored in SQLite and shown by the API.
    #[test]
    fn spellings() {
        let health: Vec<_> = Health::VARIANTS.iter().map(|h| h.as_str()).collect();
        assert_eq!(
            health,
            ["healthy", "lagging", "stalled", "faulty", "unknown"]
        );
        let probe: Vec<_> = ProbeResult::VARIANTS.iter().map(|r| r.as_str()).collect();
        assert_eq!(probe, ["passed", "stalled", "inconclusive", "failed"]);
        for h in Health::VARIANTS {
            assert_eq!(Health::from_db(h.as_str()), *h);
        }
        for r in ProbeResult::VARIANTS {
            assert_eq!(ProbeResult::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Health::from_db("Healthy"), Health::Unknown);
        assert_eq!(ProbeResult::parse(""), None);
    }
}
