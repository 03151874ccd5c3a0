//! The audit trail: what the lifecycle did (or refused), read back a page at a time for the UI
//! and the API, and kept for the retention.
use app::domain::{Event, EventCursor, EventFilter, EventPage, EventResult};
use chrono::Utc;

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
            Ok(_) => (EventResult::Ok, message.map(str::to_owned)),
            Err(
                e @ (ServiceError::WrongState { .. }
                | ServiceError::Busy(_)
                | ServiceError::NotEligible(_)
                | ServiceError::Invalid(_)
                | ServiceError::Forbidden(_)
                | ServiceError::Conflict(_)
                | ServiceError::Cancelled(_)),
            ) => (EventResult::Refused, Some(e.to_string())),
            Err(e) => (EventResult::Failed, Some(e.to_string())),
        };
        let row = EventRow {
            id: 0,
            at: Utc::now(),
            actor: a.actor.clone(),
            action: a.action.clone(),
            cluster_id: a.cluster_id,
            session_id: a.session_id,
            target: a.target.clone(),
            result,
            message,
            operation_id: a.operation_id,
        };
        let written = async {
            let mut c = self.store().conn().await?;
            store::insert_event(&mut c, &row).await
        }
        .await;
        if let Err(e) = written {
            tracing::error!(error = %e, event = ?row, "cannot record an event");
        }
    }

    /// A page of the events `filter` selects, newest first: at most `limit` (1 to
    /// [`MAX_PAGE`]) on the `cursor`'s side, with where the older and newer pages lie.
    pub async fn events(
        &self,
        filter: &EventFilter,
        cursor: EventCursor,
        limit: i64,
    ) -> Result<EventPage> {
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::Invalid(format!(
                "limit {limit}: from 1 to {MAX_PAGE}"
            )));
        }
        if let (Some(from), Some(to)) = (filter.from, filter.to) {
            if from > to {
                return Err(ServiceError::Invalid(format!(
                    "from {from} is after to {to}"
                )));
            }
        }
        let mut c = self.conn().await?;
        let mut rows = store::list_events(&mut c, filter, cursor, limit + 1).await?;
        // one more than asked: there is a page beyond this one, in the direction read
        let beyond = rows.len() as i64 > limit;
        if beyond {
            match cursor {
                // read upwards from the cursor: the extra one is the newest, at the front
                EventCursor::After(_) => drop(rows.remove(0)),
                _ => rows.truncate(limit as usize),
            }
        }
        let newest = rows.first().map(|e| e.id);
        let oldest = rows.last().map(|e| e.id);
        // the side the page was not read towards (the newest page has nothing newer)
        let back = match cursor {
            EventCursor::Newest => None,
            EventCursor::Before(b) => {
                let from = newest.unwrap_or(b - 1);
                Some((EventCursor::After(from), from))
            }
            EventCursor::After(a) => {
                let from = oldest.unwrap_or(a + 1);
                Some((EventCursor::Before(from), from))
            }
        };
        let back = match back {
            Some((side, from)) if store::any_events(&mut c, filter, side).await? => Some(from),
            _ => None,
        };
        let (older, newer) = match cursor {
            EventCursor::After(_) => (back, newest.filter(|_| beyond)),
            _ => (oldest.filter(|_| beyond), back),
        };
        Ok(EventPage {
            events: rows.into_iter().map(event).collect(),
            older,
            newer,
        })
    }

    /// Drops the events older than the retention (`--event-retention-days`; none when
    /// events are kept for ever): how many went.
    pub async fn prune_events(&self) -> Result<u64> {
        let Some(keep) = self.event_retention() else {
            return Ok(0);
        };
        let mut c = self.conn().await?;
        Ok(store::prune_events(&mut c, Utc::now() - keep).await?)
    }
}

/// The largest page of the audit trail.
pub const MAX_PAGE: i64 = 1000;

fn event(r: EventRow) -> Event {
    Event {
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
    }
}
