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
    /// `heal_after` in the background (the probe's answer does not wait for the restart).
    pub(in crate::service) fn heal_later(&self, id: Uuid, report: &ProbeReport) {
        if report.result != ProbeResult::Stalled {
            return;
        }
        let (s, report) = (self.clone(), report.clone());
        tokio::spawn(async move {
            match s.heal_after(id, &report).await {
                Ok(Healing::NotNeeded) => {}
                Ok(h) => tracing::info!(session = %id, healing = ?h, "self-healing"),
                Err(e) => tracing::warn!(session = %id, error = %e, "self-healing failed"),
            }
        });
    }

    /// Whether self-healing is on for the session (its own setting, else the server's).
    pub async fn self_heal_on(&self, id: Uuid) -> Result<bool> {
        let mut c = self.conn().await?;
        Ok(store::self_heal_of(&mut c, id.into())
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
                id.into(),
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
                report
                    .message
                    .as_deref()
                    .unwrap_or("checkpoint not completed")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::Gluster;
    use crate::service::health::HealthConfig;
    use crate::store::tests::{open, seed};
    use app::operations::OperationState;
    use std::time::Duration;

    fn stalled(id: Uuid) -> ProbeReport {
        ProbeReport {
            session_id: id,
            started_at: Utc::now(),
            duration_ms: 30_000,
            result: ProbeResult::Stalled,
            checkpoint: None,
            bricks: vec![],
            message: Some("checkpoint not completed within 30 s by vm:/b1".into()),
        }
    }

    #[tokio::test]
    async fn self_healing_is_off_by_default_and_gives_up_after_its_hourly_budget() {
        let (_dir, store) = open().await;
        let f = seed(&store).await;
        let id = f.session.session_id.into_uuid();
        let config = HealthConfig {
            self_heal_per_hour: 2,
            ..HealthConfig::default()
        };
        let s = Service::with_health(
            store.clone(),
            Gluster::new("/bin/false", Duration::from_secs(5)),
            config,
        );
        assert_eq!(
            s.heal_after(id, &stalled(id)).await.unwrap(),
            Healing::NotNeeded
        );
        s.set_self_heal("test", id, Some(true)).await.unwrap();
        // a passed probe needs nothing
        let passed = ProbeReport {
            result: ProbeResult::Passed,
            ..stalled(id)
        };
        assert_eq!(s.heal_after(id, &passed).await.unwrap(), Healing::NotNeeded);
        // two self-healing restarts within the hour: the budget is spent
        let mut c = store.conn().await.unwrap();
        for _ in 0..2 {
            let now = Utc::now();
            let row = store::OperationRow {
                id: Uuid::new_v4().into(),
                parent_id: None,
                kind: OperationKind::RestartStalled,
                subject: format!("session:{id}"),
                lane: "health".into(),
                session_id: Some(id.into()),
                cluster_id: None,
                target: "t".into(),
                actor: HEAL_ACTOR.into(),
                state: OperationState::Running,
                params: "{}".into(),
                step: 0,
                cancellable: false,
                cancel_requested: false,
                owner: s.instance().into(),
                created_at: now,
                updated_at: now,
                finished_at: None,
                message: None,
                recovery_point: None,
                confirm_prompt: None,
                confirmed: 0,
            };
            store::insert_operation(&mut c, &row, &[])
                .await
                .unwrap()
                .unwrap();
            store::finish_operation(&mut c, row.id, OperationState::Succeeded, None, None, now)
                .await
                .unwrap();
        }
        drop(c);
        assert_eq!(
            s.heal_after(id, &stalled(id)).await.unwrap(),
            Healing::GaveUp
        );
        // the alert is an event (written in the background)
        let t0 = std::time::Instant::now();
        while !s
            .events(
                &app::domain::EventFilter::of_session(id),
                app::domain::EventCursor::Newest,
                10,
            )
            .await
            .unwrap()
            .events
            .iter()
            .any(|e| e.action == "self_heal_gave_up" && e.result == "failed")
        {
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "no self_heal_gave_up event"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
