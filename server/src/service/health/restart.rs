//! The guided restart of a session's stalled workers: each alone when it runs on this
//! machine, else (or when that did not clear the stall) a stop and start of the session;
//! a probe after each.
use std::time::Duration;

use app::domain::SessionAction;
use app::health::{ProbeResult, RestartMethod, RestartOutcome};
use uuid::Uuid;

use super::probe::{probe_message, Waits};
use super::Ctx;
use crate::gluster::workers;
use crate::service::operations::Operation;
use crate::service::{Result, Service, ServiceError};
use crate::store::{self, BrickRow};
use app::operations::{OperationKind, StepState};

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
        let plan = Self::health_plan(OperationKind::RestartStalled, id, actor, 2);
        let op = self.begin_audited(plan, &audit).await?;
        let outcome = self.run_restart(&op, &ctx, actor).await;
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
        op.finish(&audit, &outcome, message.as_deref()).await;
        outcome
    }

    /// Steps: 1 the workers alone, 2–4 a probe, 5 stop, 6 start, 7–9 a probe.
    async fn run_restart(&self, op: &Operation, ctx: &Ctx, actor: &str) -> Result<RestartOutcome> {
        let id = ctx.at.session.session_id.into_uuid();
        let stalled: Vec<BrickRow> = {
            let mut c = self.store().conn().await?;
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
        if !ctx.at.local() {
            op.leave(
                1,
                StepState::Skipped,
                Some("the workers run on another machine"),
            )
            .await;
            for step in 2..=4 {
                op.leave(step, StepState::Skipped, None).await;
            }
        } else {
            op.enter(
                1,
                Some("signal each stalled worker (gsyncd) to restart"),
                false,
            )
            .await;
            let mut killed = 0;
            for b in &stalled {
                let r =
                    workers::restart_worker_blocking(&ctx.at.master.name, &ctx.at.slave, &b.path)
                        .await?;
                killed += usize::from(r.is_some());
            }
            op.leave(
                1,
                StepState::Succeeded,
                Some(&format!("{killed} of {} workers restarted", stalled.len())),
            )
            .await;
            if killed == stalled.len() {
                methods.push(RestartMethod::Worker);
                // the killed worker is Faulty for ~10 s, then Initializing, Active, History Crawl
                tokio::time::sleep(Duration::from_secs(5)).await;
                let r = self
                    .probe_locked(ctx, "restart", Waits::probe(self, RESTART_SETTLE), op, 1)
                    .await?;
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

        // 2. stop + start of the session (every worker restarts; history crawl catches up),
        //    each its own operation (this one's children)
        methods.push(RestartMethod::Session);
        op.step(
            5,
            None,
            self.session_action(actor, id, SessionAction::Stop, false, false),
            |o| o.message.clone(),
        )
        .await?;
        op.step(
            6,
            None,
            self.session_action(actor, id, SessionAction::Start, false, false),
            |o| o.message.clone(),
        )
        .await?;
        let r = self
            .probe_locked(
                ctx,
                "restart",
                Waits {
                    after_start: true,
                    ..Waits::probe(self, RESTART_SETTLE)
                },
                op,
                6,
            )
            .await?;
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
