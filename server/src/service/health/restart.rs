//! The guided restart of a session's stalled workers: each alone when it runs on this
//! machine, else (or when that did not clear the stall) a stop and start of the session;
//! a probe after each.
use std::time::Duration;

use app::domain::SessionAction;
use app::health::{ProbeResult, RestartMethod, RestartOutcome};
use uuid::Uuid;

use super::probe::probe_message;
use super::{store_err, Ctx};
use crate::gluster::workers;
use crate::service::{Result, Service, ServiceError};
use crate::store::{self, BrickRow};

/// How long the guided restart waits for restarted workers to reach Changelog Crawl.
const RESTART_SETTLE: Duration = Duration::from_secs(150);

impl Service {
    /// Restarts the session's stalled workers, the least disruptive way that works: each
    /// stalled worker alone (when its node is this machine), else — or when that did not
    /// clear the stall — a stop and start of the session; probes again after each. Audited.
    pub(in crate::service) async fn restart_stalled_now(
        &self,
        actor: &str,
        id: Uuid,
    ) -> Result<RestartOutcome> {
        let ctx = self.health_ctx(id).await?;
        let audit = ctx.at.audit(actor, "restart_stalled");
        let outcome = self.run_restart(&ctx, actor).await;
        let message = outcome.as_ref().ok().map(|o| {
            let how: Vec<&str> = o
                .methods
                .iter()
                .map(|m| match m {
                    RestartMethod::Worker => "worker restart",
                    RestartMethod::Session => "session stop + start",
                })
                .collect();
            format!(
                "{} of {}: {}; {}",
                how.join(", then "),
                o.restarted.join(", "),
                if o.cleared {
                    "stall cleared"
                } else {
                    "NOT cleared"
                },
                probe_message(&o.probe)
            )
        });
        self.record(&audit, &outcome, message.as_deref()).await;
        outcome
    }

    async fn run_restart(&self, ctx: &Ctx, actor: &str) -> Result<RestartOutcome> {
        let id = ctx.at.session.session_id.into_uuid();
        let _p = self.claim_health(id, "restart of stalled workers")?;
        let stalled: Vec<BrickRow> = {
            let mut c = self.store().pool().acquire().await.map_err(store_err)?;
            let marks = store::brick_health_of(&mut c, ctx.at.session.session_id).await?;
            ctx.bricks
                .iter()
                .filter(|b| {
                    marks
                        .iter()
                        .any(|m| m.master_brick_id == b.id && m.stalled_since.is_some())
                })
                .cloned()
                .collect()
        };
        if stalled.is_empty() {
            return Err(ServiceError::Conflict(
                "no stalled worker to restart (probe the session first)".into(),
            ));
        }
        let names: Vec<String> = stalled
            .iter()
            .map(|b| format!("{}:{}", b.server_name, b.path))
            .collect();
        let mut methods = Vec::new();
        let mut probe = None;

        // 1. the stalled workers alone, when they run on this machine
        if ctx.at.local() {
            let mut killed = 0;
            for b in &stalled {
                let (m, s, p) = (
                    ctx.at.master.name.clone(),
                    ctx.at.slave.clone(),
                    b.path.clone(),
                );
                let r = tokio::task::spawn_blocking(move || workers::restart_worker(&m, &s, &p))
                    .await
                    .map_err(|e| ServiceError::Conflict(format!("worker restart: {e}")))??;
                killed += usize::from(r.is_some());
            }
            if killed == stalled.len() {
                methods.push(RestartMethod::Worker);
                // the killed worker is Faulty for ~10 s, then Initializing, Active, History Crawl
                tokio::time::sleep(Duration::from_secs(5)).await;
                let r = self.probe_locked(ctx, "restart", RESTART_SETTLE).await?;
                let cleared = r.result == ProbeResult::Passed;
                probe = Some(r);
                if cleared {
                    return Ok(RestartOutcome {
                        methods,
                        restarted: names,
                        cleared,
                        probe: probe.unwrap(),
                    });
                }
            }
        }

        // 2. stop + start of the session (every worker restarts; history crawl catches up)
        methods.push(RestartMethod::Session);
        self.session_action(actor, id, SessionAction::Stop, false, false)
            .await?;
        self.session_action(actor, id, SessionAction::Start, false, false)
            .await?;
        let r = self.probe_locked(ctx, "restart", RESTART_SETTLE).await?;
        let cleared = r.result == ProbeResult::Passed;
        let _ = probe.replace(r);
        Ok(RestartOutcome {
            methods,
            restarted: names,
            cleared,
            probe: probe.unwrap(),
        })
    }
}
