//! Health alerts: a transition into or out of stalled / faulty / lagging is an event in the
//! audit trail and, when a webhook is configured, a JSON POST to it (in the background; one
//! retry; failures are logged, never block the health scheduler).
use app::health::Health;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::Service;
use crate::store::EventRow;

/// The webhook's JSON body.
#[derive(Clone, Debug, Serialize)]
pub struct Transition {
    pub session_id: Uuid,
    pub cluster_id: Option<Uuid>,
    /// `master -> host::slave`
    pub session: String,
    pub from: Health,
    pub to: Health,
    pub reason: String,
    pub since: DateTime<Utc>,
    pub lag_seconds: Option<i64>,
    pub at: DateTime<Utc>,
}

impl Transition {
    pub fn event(&self) -> EventRow {
        EventRow {
            id: 0,
            at: self.at,
            actor: "health".into(),
            action: "health".into(),
            cluster_id: self.cluster_id.map(|c| c.into()),
            session_id: Some(self.session_id.into()),
            target: format!(
                "{}: {} -> {}",
                self.session,
                self.from.as_str(),
                self.to.as_str()
            ),
            result: app::domain::EventResult::Detected,
            message: Some(self.reason.clone()),
            operation_id: None,
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    event: &'static str,
    #[serde(flatten)]
    transition: &'a Transition,
}

/// An alert about a session that is not a health transition (a failed DR sync, an overdue
/// recovery point, self-healing that gave up).
#[derive(Serialize)]
struct SessionAlert<'a> {
    event: &'static str,
    session_id: Option<Uuid>,
    cluster_id: Option<Uuid>,
    session: &'a str,
    operation_id: Option<Uuid>,
    reason: &'a str,
    at: DateTime<Utc>,
}

impl Service {
    /// POSTs a session alert of `kind` to the configured webhook, if any, in the background.
    pub(crate) fn send_alert(&self, kind: &'static str, about: &super::audit::Audit, reason: &str) {
        let body = SessionAlert {
            event: kind,
            session_id: about.session_id.map(|s| s.into_uuid()),
            cluster_id: about.cluster_id.map(|c| c.into_uuid()),
            session: &about.target,
            operation_id: about.operation_id.map(|o| o.into_uuid()),
            reason,
            at: Utc::now(),
        };
        self.post_webhook(serde_json::to_value(&body).unwrap_or_default());
    }

    /// POSTs the transition to the configured webhook, if any, in the background.
    pub(crate) fn send_webhook(&self, t: Transition) {
        let body = Body {
            event: "health_transition",
            transition: &t,
        };
        self.post_webhook(serde_json::to_value(&body).unwrap_or_default());
    }

    /// POSTs `body` to the configured webhook in the background (one retry).
    fn post_webhook(&self, body: serde_json::Value) {
        let Some(url) = self.health_config().webhook.clone() else {
            return;
        };
        let http = self.inner.health.http.clone();
        tokio::spawn(async move {
            for attempt in 1..=2 {
                match http.post(&url).json(&body).send().await {
                    Ok(r) if r.status().is_success() => return,
                    Ok(r) => {
                        tracing::warn!(url = %url, status = %r.status(), attempt, "alert webhook refused")
                    }
                    Err(e) => {
                        tracing::warn!(url = %url, error = %e, attempt, "alert webhook failed")
                    }
                }
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
        });
    }
}
