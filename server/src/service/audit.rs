//! The audit trail: what the lifecycle did (or refused), read back for the UI and the API.
use app::domain::Event;
use chrono::Utc;
use uuid::Uuid;

use super::{Result, Service, ServiceError};
use crate::store::{self, EventRow, Id};

/// One action's event, before its outcome is known.
#[derive(Clone, Debug)]
pub(crate) struct Audit {
    pub actor: String,
    pub action: String,
    pub cluster_id: Option<Id>,
    pub session_id: Option<Id>,
    pub target: String,
    /// The operation that did it.
    pub operation_id: Option<Id>,
}

impl Audit {
    /// An action on a stored session of `master` -> `slave`.
    pub(crate) fn of_session(
        actor: &str,
        action: &str,
        cluster: &store::ClusterRow,
        session: &store::SessionRow,
        master: &str,
        slave: &str,
    ) -> Self {
        Audit {
            actor: actor.into(),
            action: action.into(),
            cluster_id: Some(cluster.id),
            session_id: Some(session.session_id),
            target: format!("{master} -> {slave}"),
            operation_id: None,
        }
    }
}

impl Audit {
    /// The session an operation's audit is about (a session operation without one is a bug
    /// of the caller, answered as not found).
    pub(crate) fn session(&self) -> super::Result<uuid::Uuid> {
        self.session_id.map(|s| s.into_uuid()).ok_or_else(|| {
            super::ServiceError::NotFound(format!("{} without a session", self.action))
        })
    }
}

impl Service {
    /// A refusal before any operation began: recorded, and returned.
    pub(crate) async fn refuse<T>(&self, audit: &Audit, e: ServiceError) -> Result<T> {
        let refused: Result<T> = Err(e);
        self.record(audit, &refused, None).await;
        refused
    }

    /// Records the outcome of an action; a failure to record is logged, never hides the outcome.
    pub(crate) async fn record<T>(&self, a: &Audit, outcome: &Result<T>, message: Option<&str>) {
        let (result, message) = match outcome {
            Ok(_) => ("ok", message.map(str::to_owned)),
            Err(
                e @ (ServiceError::WrongState { .. }
                | ServiceError::Busy(_)
                | ServiceError::NotEligible(_)
                | ServiceError::Invalid(_)
                | ServiceError::Forbidden(_)
                | ServiceError::Conflict(_)
                | ServiceError::Cancelled(_)),
            ) => ("refused", Some(e.to_string())),
            Err(e) => ("failed", Some(e.to_string())),
        };
        let row = EventRow {
            id: 0,
            at: Utc::now(),
            actor: a.actor.clone(),
            action: a.action.clone(),
            cluster_id: a.cluster_id,
            session_id: a.session_id,
            target: a.target.clone(),
            result: result.into(),
            message,
            operation_id: a.operation_id,
        };
        let written = async {
            let mut c = self
                .store()
                .pool()
                .acquire()
                .await
                .map_err(store::StoreError::from)?;
            store::insert_event(&mut c, &row).await
        }
        .await;
        if let Err(e) = written {
            tracing::error!(error = %e, event = ?row, "cannot record an event");
        }
    }

    pub async fn events(&self, session: Option<Uuid>, limit: i64) -> Result<Vec<Event>> {
        let mut c = self
            .store()
            .pool()
            .acquire()
            .await
            .map_err(store::StoreError::from)?;
        let rows = store::list_events(&mut c, session.map(|s| s.hyphenated()), limit).await?;
        Ok(rows
            .into_iter()
            .map(|r| Event {
                id: r.id,
                at: r.at,
                actor: r.actor,
                action: r.action,
                cluster_id: r.cluster_id.map(|c| c.into_uuid()),
                session_id: r.session_id.map(|s| s.into_uuid()),
                target: r.target,
                result: r.result,
                message: r.message,
                operation_id: r.operation_id.map(|o| o.into_uuid()),
            })
            .collect())
    }
}
