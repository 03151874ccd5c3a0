//! Session health: the probe (a checkpoint and a change on every master brick, then a bounded
//! wait for every active worker to complete it), the verdict per session (rules in
//! `rules.rs`), lag samples, the guided restart of stalled workers, and the scheduler
//! task that evaluates every few seconds and probes active sessions on an interval.
//!
//! Why: glusterfs 10.3 often starts a worker that says Active / Changelog Crawl and never
//! gets a live changelog (FINDINGS P10). Gluster's status cannot tell; a checkpoint that
//! does not complete after a change that reached the brick can.
//!
//! This file: the configuration, the state, what a probe or restart knows of a session, and
//! the views the pages and `/metrics` read. `probe.rs`: the probe. `restart.rs`: the guided
//! restart. `evaluate.rs`: evaluation, lag, the views' reads. `scheduler.rs`: `run`.
use std::path::PathBuf;
use std::time::Duration;

use app::domain::SessionStatus;
use app::health::SessionHealth;
use uuid::Uuid;

use super::operations::Plan;
use super::scope::SessionScope;
use super::{Result, Service};
use crate::gluster::model::GeorepPair;
use crate::store::{self, BrickRow, HealthRow, Id};
use crate::sync::{Lane, Subject};
use app::operations::OperationKind;
use rules::BrickView;

mod evaluate;
mod heal;
mod probe;
mod restart;
pub mod rules;
mod scheduler;

pub use heal::{Healing, HEAL_ACTOR};
pub use probe::write_probe_dir;
pub(super) use probe::Waits;
pub use scheduler::run;

/// The hidden folder the probe's directories are made in, at the root of the master volume:
/// one per master volume (georep's id of it). A failback probes the reverse session, whose
/// master is the old slave: a folder of one shared name made there too would exist on both
/// volumes with two gfids, and the reverse session, run with gfid-conflict-resolution off as a
/// failback must, could never sync it (its worker Faulty for good: a CI run saw it when the
/// master's folder was made after the failover's last sync).
pub fn probe_dir(master_volume: crate::store::Id) -> String {
    format!(".georep-probe-{}", master_volume.into_uuid().simple())
}

#[derive(Clone, Debug)]
pub struct HealthConfig {
    /// Zero: no scheduled probes.
    pub probe_interval: Duration,
    pub probe_timeout: Duration,
    pub mount_dir: PathBuf,
    pub lag_threshold: i64,
    pub sample_interval: Duration,
    pub retention: chrono::Duration,
    pub webhook: Option<String>,
    /// Self-healing for sessions without their own setting.
    pub self_heal: bool,
    pub self_heal_per_hour: i64,
}

/// The health part of the service's state.
pub(crate) struct HealthState {
    pub config: HealthConfig,
    pub(crate) http: reqwest::Client,
}

impl HealthState {
    pub fn new(config: HealthConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("georep/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        HealthState { config, http }
    }
}

/// What a probe or restart needs about a session: where it is, and its master's bricks.
pub(in crate::service) struct Ctx {
    pub at: SessionScope,
    bricks: Vec<BrickRow>,
}

impl Ctx {
    fn brick_id(&self, p: &GeorepPair) -> Option<Id> {
        self.bricks
            .iter()
            .find(|b| {
                b.path == p.master_brick
                    && b.host_uuid
                        .is_none_or(|u| u.into_uuid() == p.master_node_uuid)
            })
            .map(|b| b.id)
    }

    fn brick_name(&self, p: &GeorepPair) -> String {
        format!("{}:{}", p.master_node, p.master_brick)
    }

    fn master_mount(&self, root: &std::path::Path) -> PathBuf {
        root.join(self.at.master.id.to_string())
    }
}

/// The probe's three steps (see `probe.rs`).
pub(super) fn probe_steps(plan: Plan) -> Plan {
    plan.step("wait for every worker to reach Changelog Crawl", true)
        .step("checkpoint now, and a change on the master volume", true)
        .step("wait until every worker completed the checkpoint", true)
}

impl Service {
    pub(crate) fn health_config(&self) -> &HealthConfig {
        &self.inner.health.config
    }

    /// A probe or restart as an operation: one at a time per session (admin actions may run
    /// meanwhile: another lane). `probes`: how many probes it may run (their steps).
    fn health_plan(kind: OperationKind, id: Uuid, actor: &str, probes: usize) -> Plan {
        let mut plan = Plan::new(kind, Subject::Session(id), Lane::Health, actor);
        if kind == OperationKind::Probe {
            // its waits look for a cancel; it changes nothing that needs undoing
            plan = plan.cancellable();
        }
        if kind == OperationKind::RestartStalled {
            plan = plan.step("restart the stalled workers alone (this machine's)", false);
        }
        for i in 0..probes {
            if i == 1 {
                plan = plan
                    .step("stop the session", false)
                    .step("start the session", false);
            }
            plan = probe_steps(plan);
        }
        plan
    }

    pub(in crate::service) async fn health_ctx(&self, id: Uuid) -> Result<Ctx> {
        let at = self.session_scope(id).await?;
        let mut c = self.conn().await?;
        let bricks = store::bricks_of_volume(&mut c, at.master.id).await?;
        Ok(Ctx { at, bricks })
    }

    pub(in crate::service) async fn pairs(&self, ctx: &Ctx) -> Result<Vec<GeorepPair>> {
        let st = self
            .gluster()
            .georep_session_status(&ctx.at.target, &ctx.at.master.name, &ctx.at.slave)
            .await?;
        Ok(st
            .sessions()
            .filter(|(m, s)| {
                *m == ctx.at.master.name && s.session_key == ctx.at.session.session_key
            })
            .flat_map(|(_, s)| s.pairs.clone())
            .collect())
    }
}

/// A session's health with what `/metrics` and the scheduler need besides.
#[derive(Clone, Debug)]
pub struct HealthView {
    pub master: String,
    pub slave: String,
    pub cluster_id: Option<Uuid>,
    pub status: SessionStatus,
    pub health: SessionHealth,
    pub counters: Vec<BrickCounters>,
    pub(crate) views: Vec<BrickView>,
    pub(crate) stored: Option<HealthRow>,
}

/// A brick's pending counters as gluster reported them (None: not reported).
#[derive(Clone, Debug)]
pub struct BrickCounters {
    pub brick: String,
    pub entry: Option<i64>,
    pub data: Option<i64>,
    pub meta: Option<i64>,
    pub failures: Option<i64>,
}
