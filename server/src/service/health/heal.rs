//! Self-healing (opt-in per session, or the server's default): a probe that finds a stalled
//! worker is followed by the guided restart (an operation, audited as by `self-heal`), which
//! probes again; at most N restarts per session and hour, then an alert and no more tries
//! until the hour has passed.
use app::health::{ProbeReport, ProbeResult};
use app::operations::OperationKind;
use chrono::Utc;
use uuid::Uuid;

use crate::service::{Result, Service};
use crate::store;

/// Who restarts stalled workers without an admin.
pub const HEAL_ACTOR: &str = "self-heal";

/// What self-healing did after a probe.
#[derive(Debug, PartialEq, Eq)]
pub enum Healing {
    /// Off for this session, or nothing stalled.
    NotNeeded,
    /// A restart operation ran: whether it cleared the stall.
    Restarted { cleared: bool },
    /// The hourly budget is spent: alerted, not tried.
    GaveUp,
}

impl Service {
    /// Whether self-healing is on for the session (its own setting, else the server's).
    pub async fn self_heal_on(&self, id: Uuid) -> Result<bool> {
        let mut c = self.conn().await?;
        Ok(store::self_heal_of(&mut c, id.hyphenated())
            .await?
            .unwrap_or(self.health_config().self_heal))
    }

    /// After a probe of `id`: restarts its stalled workers when self-healing is on and the
    /// hour's budget allows.
    pub(in crate::service) async fn heal_after(
        &self,
        id: Uuid,
        report: &ProbeReport,
    ) -> Result<Healing> {
        if report.result != ProbeResult::Stalled || !self.self_heal_on(id).await? {
            return Ok(Healing::NotNeeded);
        }
        let budget = self.health_config().self_heal_per_hour;
        let tried = {
            let mut c = self.conn().await?;
            store::count_operations_since(
                &mut c,
                id.hyphenated(),
                OperationKind::RestartStalled,
                HEAL_ACTOR,
                Utc::now() - chrono::Duration::hours(1),
            )
            .await?
        };
        if tried >= budget {
            let scope = self.session_scope(id).await?;
            let audit = scope.audit(HEAL_ACTOR, "self_heal_gave_up");
            let why = format!(
                "still stalled after {tried} restarts within the hour: {}",
                report.message.as_deref().unwrap_or("checkpoint not completed")
            );
            self.alert(&audit, "self_heal_gave_up", &why);
            return Ok(Healing::GaveUp);
        }
        tracing::warn!(session = %id, attempt = tried + 1, "self-healing: restarting stalled workers");
        let outcome = self.restart_stalled(HEAL_ACTOR, id).await?;
        Ok(Healing::Restarted {
            cleared: outcome.cleared,
        })
    }
}
