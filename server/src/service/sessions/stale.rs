//! A stale session — its slave volume no longer exists (found by the sync, `slave_gone`) —
//! cleaned up: gluster lists it as long as its master lives, its workers are Faulty, and a
//! plain `delete` is refused while glusterd holds it started ("still active"), so the cleanup
//! is `stop force` then `delete`, one operation. Only a stale session: a live one is stopped
//! and deleted by the lifecycle's own actions, with their checks.
use app::domain::ActionOutcome;
use app::operations::OperationKind;
use futures_util::TryFutureExt;
use uuid::Uuid;

use super::super::operations::{georep_command, Operation, Plan};
use super::{Ctx, Result, Service, ServiceError};
use crate::store;
use crate::sync::{Lane, Quiet, Subject};

/// The words of the cleanup's two gluster calls.
const STOP: [&str; 2] = ["stop", "force"];
const DELETE: [&str; 1] = ["delete"];

impl Service {
    /// Cleans up stale session `id` (see the module); refused (409) when it is not stale.
    pub(in crate::service) async fn cleanup_session_now(
        &self,
        actor: &str,
        id: Uuid,
    ) -> Result<ActionOutcome> {
        let quiet = Quiet::session(id, &[]);
        let plan = Plan::new(
            OperationKind::Cleanup,
            Subject::Session(id),
            Lane::Change,
            actor,
        )
        .quiet(quiet)
        .step("stop the session (force)", false)
        .step("delete the session", false);
        let (begun, ctx) = self.begin_located(plan, id).await?;
        let audit = ctx.audit(actor, "cleanup");
        let op = match begun {
            Ok(op) => op,
            Err(e) => return self.refuse(&audit, e).await,
        };
        // a deleted volume's id never comes back: what the sync stored decides
        let Some(reason) = ctx.session.stale_reason.clone() else {
            op.abandon().await;
            return self
                .refuse(
                    &audit,
                    ServiceError::Conflict(format!(
                        "the session {} is not stale (its slave volume exists, or georep cannot \
                         tell: its cluster is not managed or not read): stop and delete it",
                        ctx.target_text()
                    )),
                )
                .await;
        };
        op.about(&audit).await;
        let outcome = self.run_cleanup(&op, &ctx, &reason).await;
        let message = outcome.as_ref().ok().and_then(|o| o.message.clone());
        op.finish(&audit, &outcome, message.as_deref()).await;
        outcome
    }

    async fn run_cleanup(&self, op: &Operation, ctx: &Ctx, reason: &str) -> Result<ActionOutcome> {
        self.coord().touch(&ctx.session.session_key);
        for (step, words) in [(1, &STOP[..]), (2, &DELETE[..])] {
            let command = georep_command(&ctx.master.name, &ctx.slave, words);
            op.step(
                step,
                Some(&command),
                self.gluster()
                    .georep_action(&ctx.target, &ctx.master.name, &ctx.slave, words)
                    .map_err(ServiceError::from),
                |a| a.message.clone(),
            )
            .await?;
        }
        let mut c = self.conn().await?;
        store::delete_session(&mut c, ctx.session.session_id).await?;
        Ok(ActionOutcome {
            session: None,
            message: Some(format!("cleaned up ({reason})")),
        })
    }
}
