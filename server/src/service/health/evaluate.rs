//! Evaluation: a session's health computed from its stored rows (the rules in `rules.rs`),
//! what changed written back (marks, verdict, transition + webhook), the lag samples, and the
//! reads the pages, REST and `/metrics` use.
use std::collections::HashMap;

use app::health::{BrickHealth, Health, LagSample, ProbeResult, ProbeSummary, SessionHealth};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::rules::{self, BrickView, LastProbe};
use super::{BrickCounters, HealthView};
use crate::service::alerts::Transition;
use crate::service::{Result, Service, ServiceError};
use crate::store::{
    self, BrickHealthRow, BrickRow, ClusterRow, HealthRow, Id, SessionDetailRow, SessionRow,
    VolumeRow,
};
use crate::sync;

impl Service {
    /// The session's health as stored (evaluated by the scheduler every few seconds).
    pub async fn session_health(&self, id: Uuid) -> Result<SessionHealth> {
        let view = self.health_view(id).await?;
        Ok(view.health)
    }

    /// Lag samples since `since` (default: 24 hours ago), oldest first.
    pub async fn lag_history(
        &self,
        id: Uuid,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<LagSample>> {
        let mut c = self.store().conn().await?;
        if store::get_session(&mut c, id.into()).await?.is_none() {
            return Err(ServiceError::NotFound(format!("session {id}")));
        }
        let since = since.unwrap_or_else(|| Utc::now() - chrono::Duration::hours(24));
        let rows = store::lag_samples(&mut c, id.into(), since).await?;
        Ok(rows
            .into_iter()
            .map(|r| LagSample {
                at: r.at,
                brick_id: Uuid::parse_str(&r.master_brick_id).ok(),
                lag_seconds: r.lag_seconds,
                pending: r.pending,
            })
            .collect())
    }

    /// Every session's health view (the scheduler's tick, `/metrics`): one read transaction
    /// of a few queries per cluster, however many sessions there are (a query per session
    /// cost a 1,000-session database 15,000 queries every tick, on the API's connections).
    pub async fn health_views(&self) -> Result<Vec<HealthView>> {
        let mut tx = self.store().begin().await?;
        let inv = crate::service::views::inventory_in(&mut tx).await?;
        let mut marks: HashMap<Id, Vec<BrickHealthRow>> = HashMap::new();
        for m in store::list_brick_health(&mut tx).await? {
            marks.entry(m.session_id).or_default().push(m);
        }
        tx.commit().await?;
        let volumes: HashMap<Id, &VolumeRow> = inv.volumes.iter().map(|v| (v.id, v)).collect();
        let mut bricks: HashMap<Id, Vec<BrickRow>> = HashMap::new();
        for b in inv.bricks {
            bricks.entry(b.volume_id).or_default().push(b);
        }
        let mut details: HashMap<Id, Vec<SessionDetailRow>> = HashMap::new();
        for d in inv.details {
            details.entry(d.session_id).or_default().push(d);
        }
        let now = Utc::now();
        let mut out = Vec::with_capacity(inv.sessions.len());
        for session in &inv.sessions {
            let sid = session.session_id;
            let master = volumes.get(&session.master_volume_id).copied();
            let cluster = master.and_then(|m| inv.clusters.get(&m.cluster_id.into_uuid()));
            let bricks = master
                .and_then(|m| bricks.get(&m.id))
                .map_or(&[][..], Vec::as_slice);
            out.push(self.compute_view(
                HealthRows {
                    session,
                    master,
                    cluster,
                    bricks,
                    details: details.get(&sid).map_or(&[][..], Vec::as_slice),
                    marks: marks.get(&sid).map_or(&[][..], Vec::as_slice),
                    stored: inv.health.get(&sid.into_uuid()),
                },
                now,
            ));
        }
        Ok(out)
    }

    /// Reads a session and computes its health now (no writes).
    async fn health_view(&self, id: Uuid) -> Result<HealthView> {
        let mut c = self.store().conn().await?;
        let session = store::get_session(&mut c, id.into())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("session {id}")))?;
        let master = store::get_volume(&mut c, session.master_volume_id).await?;
        let cluster = match &master {
            Some(m) => store::get_cluster(&mut c, m.cluster_id).await?,
            None => None,
        };
        let bricks = match &master {
            Some(m) => store::bricks_of_volume(&mut c, m.id).await?,
            None => Vec::new(),
        };
        let details = store::details_of_session(&mut c, session.session_id).await?;
        let marks = store::brick_health_of(&mut c, session.session_id).await?;
        let stored = store::get_health(&mut c, session.session_id).await?;
        drop(c);
        Ok(self.compute_view(
            HealthRows {
                session: &session,
                master: master.as_ref(),
                cluster: cluster.as_ref(),
                bricks: &bricks,
                details: &details,
                marks: &marks,
                stored: stored.as_ref(),
            },
            Utc::now(),
        ))
    }

    /// A session's health at `now`, from its rows.
    fn compute_view(&self, r: HealthRows<'_>, now: DateTime<Utc>) -> HealthView {
        let HealthRows {
            session,
            master,
            cluster,
            bricks,
            details,
            marks,
            stored,
        } = r;
        let mut views = Vec::new();
        let mut brick_health = Vec::new();
        let mut counters = Vec::new();
        for d in details {
            let brick = bricks.iter().find(|b| b.id == d.master_brick_id);
            let name = brick
                .map(|b| format!("{}:{}", b.server_name, b.path))
                .unwrap_or_else(|| d.master_brick_id.to_string());
            let mark = marks
                .iter()
                .find(|m| m.master_brick_id == d.master_brick_id);
            let pending = match (d.entry_pending, d.data_pending, d.meta_pending) {
                (None, None, None) => None,
                (e, da, m) => Some(e.unwrap_or(0) + da.unwrap_or(0) + m.unwrap_or(0)),
            };
            let status = d.status;
            let v = BrickView {
                brick: name.clone(),
                status: Some(status),
                pending,
                last_synced: d.last_synced_at,
                checkpoint_time: d.checkpoint_time,
                checkpoint_done: d.checkpoint_status.as_deref().map(|s| s == "completed"),
                checkpoint_completed_at: d.checkpoint_completed_at,
                pending_since: mark.and_then(|m| m.pending_since),
                stalled_since: mark.and_then(|m| m.stalled_since),
            };
            let stalled_since = v.stalled_since.filter(|_| !rules::stall_cleared(&v));
            brick_health.push(BrickHealth {
                brick_id: d.master_brick_id.into_uuid(),
                brick: name.clone(),
                status,
                lag_seconds: rules::brick_lag(&v, now),
                stalled_since,
            });
            counters.push(BrickCounters {
                brick: name,
                entry: d.entry_pending,
                data: d.data_pending,
                meta: d.meta_pending,
                failures: d.failures,
            });
            views.push(v);
        }
        let last_probe = stored.and_then(|h| {
            Some(LastProbe {
                at: h.last_probe_at?,
                result: ProbeResult::parse(h.last_probe_result.as_deref()?)?,
            })
        });
        let status = session.status;
        let sync_error = cluster
            .filter(|c| c.sync_state == app::domain::SyncState::Error)
            .and_then(|c| c.sync_error.clone());
        let (health, reason) = rules::evaluate(&rules::Inputs {
            status,
            bricks: &views,
            now,
            lag_threshold: self.health_config().lag_threshold,
            probes_enabled: !self.health_config().probe_interval.is_zero(),
            last_probe,
            sync_error: sync_error.as_deref(),
            stale: session.stale_reason.as_deref(),
        });
        let prev = stored.map(|h| (h.health, h.since));
        let since = rules::since(prev, health, &views, session.created_at, now);
        HealthView {
            master: master.map(|m| m.name.clone()).unwrap_or_default(),
            slave: sync::slave_spec(
                &session.slave_user,
                &session.slave_host_name,
                &session.slave_volume_name,
            ),
            cluster_id: cluster.map(|c| c.id.into_uuid()),
            status,
            health: SessionHealth {
                session_id: session.session_id.into_uuid(),
                health,
                reason,
                since,
                lag_seconds: rules::session_lag(&views, now),
                bricks: brick_health,
                last_probe: stored.and_then(|h| {
                    Some(ProbeSummary {
                        at: h.last_probe_at?,
                        result: ProbeResult::parse(h.last_probe_result.as_deref()?)?,
                        duration_ms: h.last_probe_ms.unwrap_or(0),
                        message: h.last_probe_message.clone(),
                    })
                }),
            },
            views,
            counters,
            stored: stored.cloned(),
        }
    }

    /// Evaluates one session and writes what changed: its health row, the per-brick marks
    /// (pending since, stalls that are over), and a transition (event + webhook).
    pub async fn evaluate_session(&self, id: Uuid) -> Result<SessionHealth> {
        let view = self.health_view(id).await?;
        let writes = evaluation_writes(&view, Utc::now());
        if !writes.is_empty() {
            let mut tx = self.store().begin().await?;
            writes.apply(&mut tx).await?;
            tx.commit().await?;
            writes.announce(self);
        }
        Ok(view.health)
    }

    /// Writes what changed in every session's evaluation in one transaction (none when
    /// nothing did: a document cache keyed on commits stays warm), each session in its own
    /// savepoint so that one failing (deleted meanwhile) does not undo the others.
    pub(super) async fn store_evaluations(&self, views: &[HealthView]) -> Result<()> {
        let now = Utc::now();
        let writes: Vec<Writes> = views
            .iter()
            .map(|v| evaluation_writes(v, now))
            .filter(|w| !w.is_empty())
            .collect();
        if writes.is_empty() {
            return Ok(());
        }
        let mut tx = self.store().begin().await?;
        let mut stored = Vec::new();
        for w in writes {
            let mut sp = tx.begin().await?;
            match w.apply(&mut sp).await {
                Ok(()) => {
                    sp.commit().await?;
                    stored.push(w);
                }
                Err(e) => {
                    tracing::warn!(session = %w.session_id, error = %e, "health: evaluation not stored");
                    sp.rollback().await?;
                }
            }
        }
        tx.commit().await?;
        for w in &stored {
            w.announce(self);
        }
        Ok(())
    }

    /// Writes one lag sample per session (its largest lag) and per active brick, and drops
    /// history older than the retention.
    pub(super) async fn sample_lag(&self, views: &[HealthView]) -> Result<()> {
        let now = Utc::now();
        let mut rows = Vec::new();
        for v in views {
            let Some(lag) = v.health.lag_seconds else {
                continue;
            };
            let sid = v.health.session_id.into();
            let total: Option<i64> = v
                .views
                .iter()
                .filter_map(|b| b.pending)
                .reduce(|a, b| a + b);
            rows.push(store::LagSampleRow {
                session_id: sid,
                master_brick_id: String::new(),
                at: now,
                lag_seconds: lag,
                pending: total,
            });
            for (b, view) in v.health.bricks.iter().zip(&v.views) {
                if let Some(l) = b.lag_seconds {
                    rows.push(store::LagSampleRow {
                        session_id: sid,
                        master_brick_id: b.brick_id.to_string(),
                        at: now,
                        lag_seconds: l,
                        pending: view.pending,
                    });
                }
            }
        }
        let mut tx = self.store().begin().await?;
        store::insert_lag_samples(&mut tx, &rows).await?;
        store::prune_health_history(&mut tx, now - self.health_config().retention).await?;
        // finished operations go with the health history (DR runs stay: the recovery points)
        store::prune_operations(&mut tx, now - self.health_config().retention).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The rows a session's health is computed from.
struct HealthRows<'a> {
    session: &'a SessionRow,
    master: Option<&'a VolumeRow>,
    cluster: Option<&'a ClusterRow>,
    bricks: &'a [BrickRow],
    details: &'a [SessionDetailRow],
    marks: &'a [BrickHealthRow],
    stored: Option<&'a HealthRow>,
}

/// What one evaluation changes in SQLite: the per-brick marks that moved, the verdict when
/// it changed, and the transition to record and alert on.
struct Writes {
    session_id: Uuid,
    marks: Vec<BrickHealthRow>,
    verdict: Option<HealthRow>,
    transition: Option<Transition>,
}

impl Writes {
    fn is_empty(&self) -> bool {
        self.marks.is_empty() && self.verdict.is_none() && self.transition.is_none()
    }

    async fn apply(&self, conn: &mut dyn store::Conn) -> Result<()> {
        for m in &self.marks {
            store::put_brick_health(conn, m).await?;
        }
        if let Some(v) = &self.verdict {
            store::put_verdict(conn, v).await?;
        }
        if let Some(t) = &self.transition {
            store::insert_event(conn, &t.event()).await?;
        }
        Ok(())
    }

    /// After the commit: the log line and the webhook of a transition.
    fn announce(&self, service: &Service) {
        if let Some(t) = &self.transition {
            tracing::warn!(session = %t.session_id, from = t.from.as_str(), to = t.to.as_str(), reason = %t.reason, "health changed");
            service.send_webhook(t.clone());
        }
    }
}

/// What evaluating a session changes, compared with the marks and verdict its view was
/// computed from.
fn evaluation_writes(view: &HealthView, now: DateTime<Utc>) -> Writes {
    let h = &view.health;
    let sid = h.session_id.into();
    let marks = view
        .views
        .iter()
        .zip(&h.bricks)
        .filter_map(|(v, b)| {
            let row = BrickHealthRow {
                session_id: sid,
                master_brick_id: b.brick_id.into(),
                stalled_since: b.stalled_since,
                pending_since: rules::next_pending_since(v.pending_since, v.pending, now),
            };
            (row.stalled_since != v.stalled_since || row.pending_since != v.pending_since)
                .then_some(row)
        })
        .collect();
    let prev = view.stored.as_ref();
    let changed = prev.is_none_or(|p| {
        p.health != h.health || p.reason != h.reason || p.lag_seconds != h.lag_seconds
    });
    let verdict = changed.then(|| HealthRow {
        session_id: sid,
        health: h.health,
        reason: h.reason.clone(),
        since: h.since,
        lag_seconds: h.lag_seconds,
        // not written by put_verdict
        last_probe_at: None,
        last_probe_result: None,
        last_probe_ms: None,
        last_probe_message: None,
        updated_at: now,
    });
    let from = prev.map(|p| p.health).unwrap_or(Health::Unknown);
    let transition =
        (from != h.health && (from.is_alerting() || h.health.is_alerting())).then(|| Transition {
            session_id: h.session_id,
            cluster_id: view.cluster_id,
            session: format!("{} -> {}", view.master, view.slave),
            from,
            to: h.health,
            reason: h.reason.clone(),
            since: h.since,
            lag_seconds: h.lag_seconds,
            at: now,
        });
    Writes {
        session_id: h.session_id,
        marks,
        verdict,
        transition,
    }
}

#[cfg(test)]
#[path = "evaluate_tests.rs"]
mod tests;
