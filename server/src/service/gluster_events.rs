//! gluster's own events, pushed: a cluster opts in and georep registers its webhook with
//! glustereventsd (`gluster-eventsapi webhook-add URL --bearer_token T`: gluster copies it to
//! every peer), tells each node's glustereventsd to load it, and has every node post a test to
//! it. An event that arrives with the token refreshes what it names at once — the session of a
//! `GEOREP_*` event, the cluster for a volume, brick or peer event — so a pause made with the
//! CLI shows without waiting for the sync loop, which stays the fallback and the truth.
//!
//! The token is gluster's bearer token, not its JWT secret: glustereventsd 10.3 cannot sign a
//! JWT on python 3 (`base64.urlsafe_b64encode` of a str raises, and the push thread dies).
use app::domain::{GlusterEvents, GlusterEventsSetup, NodeCheck};
use chrono::Utc;
use uuid::Uuid;

use super::audit::Audit;
use super::auth::token_hash;
use super::scope::host_to_ask_in;
use super::{Result, Service, ServiceError};
use crate::domain::hosts::target_of;
use crate::gluster::parse::events::{parse_pushed_event, EventSubject, NodeOutcome};
use crate::gluster::Target;
use crate::store::{self, ClusterRow, GlusterEventsRow};
use crate::sync::{PairRead, Quiet};

/// How long a refresh waits for more events of the same burst (a start is CREATE-less, but a
/// stop brings GEOREP_STOP and then a worker event per brick).
const GATHER: std::time::Duration = std::time::Duration::from_millis(100);

pub(super) fn view(r: GlusterEventsRow) -> GlusterEvents {
    GlusterEvents {
        url: r.url,
        enabled_at: r.enabled_at,
        enabled_by: r.enabled_by,
        last_event_at: r.last_event_at,
        last_event: r.last_event,
        events_received: r.events_received,
    }
}

/// Why a push is refused (the route answers 401 for both: no cluster is told apart).
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Unauthorized,
    Malformed(String),
}

fn checks(step: &str, nodes: &[NodeOutcome]) -> Vec<NodeCheck> {
    nodes
        .iter()
        .map(|n| NodeCheck {
            node: n.node.clone(),
            check: step.to_owned(),
            ok: n.ok(),
            message: if n.up {
                n.outcome.clone()
            } else {
                "node down".into()
            },
        })
        .collect()
}

impl Service {
    /// The webhook of cluster `id` (`…/hooks/gluster/<id>` under `serve --events-url`).
    fn webhook_url(&self, id: Uuid) -> Result<String> {
        let base = self.inner.events_url.as_deref().ok_or_else(|| {
            ServiceError::Conflict(
                "georep does not know the address gluster's nodes reach it at: \
                 start it with --events-url (GEOREP_EVENTS_URL)"
                    .into(),
            )
        })?;
        Ok(format!("{}/hooks/gluster/{id}", base.trim_end_matches('/')))
    }

    /// The cluster, its host to ask, and one target per node to reload glustereventsd on (a
    /// cluster reached locally: only this machine's node).
    async fn events_scope(&self, id: Uuid) -> Result<(ClusterRow, Target, Vec<(String, Target)>)> {
        let mut c = self.conn().await?;
        let cluster = store::get_cluster(&mut c, id.into())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("cluster {id}")))?;
        let ask = target_of(&host_to_ask_in(&mut c, &cluster).await?);
        let mut nodes: Vec<(String, Target)> = Vec::new();
        for h in store::hosts_of_cluster(&mut c, cluster.id).await? {
            let t = target_of(&h);
            if !nodes.iter().any(|(_, seen)| *seen == t) {
                nodes.push((h.address.clone(), t));
            }
        }
        Ok((cluster, ask, nodes))
    }

    /// Each node's glustereventsd told to load the webhooks again.
    async fn reload_everywhere(&self, nodes: &[(String, Target)]) -> Vec<NodeCheck> {
        let mut out = Vec::new();
        for (node, t) in nodes {
            let (ok, message) = match self.gluster().reload_eventsd(t).await {
                Ok(true) => (true, "reloaded".to_owned()),
                Ok(false) => (
                    false,
                    "glustereventsd is not running: start it (systemctl enable --now \
                     glustereventsd)"
                        .to_owned(),
                ),
                Err(e) => (false, e.to_string()),
            };
            out.push(NodeCheck {
                node: node.clone(),
                check: "glustereventsd".into(),
                ok,
                message,
            });
        }
        out
    }

    /// Turns pushed events on for cluster `id` (again: a new token).
    pub async fn enable_gluster_events(&self, actor: &str, id: Uuid) -> Result<GlusterEventsSetup> {
        let url = self.webhook_url(id)?;
        let (cluster, ask, nodes) = self.events_scope(id).await?;
        let audit = Audit {
            actor: actor.into(),
            action: "gluster_events_on".into(),
            cluster_id: Some(cluster.id),
            session_id: None,
            target: cluster.name.clone(),
            operation_id: None,
        };
        let outcome = self.enable(&cluster, actor, &url, &ask, &nodes).await;
        let message = outcome.as_ref().ok().map(|s| summary(&url, &s.nodes));
        self.record(&audit, &outcome, message.as_deref()).await;
        outcome
    }

    async fn enable(
        &self,
        cluster: &ClusterRow,
        actor: &str,
        url: &str,
        ask: &Target,
        nodes: &[(String, Target)],
    ) -> Result<GlusterEventsSetup> {
        let token = format!(
            "{:032x}{:032x}",
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        let row = GlusterEventsRow {
            cluster_id: cluster.id,
            url: url.to_owned(),
            token_sha256: token_hash(&token),
            enabled_at: Utc::now(),
            enabled_by: actor.to_owned(),
            last_event_at: None,
            last_event: None,
            events_received: 0,
        };
        // stored first: the nodes' test posts must find the token
        let before = store::gluster_events_of(&mut *self.conn().await?, cluster.id).await?;
        store::put_gluster_events(&mut *self.conn().await?, &row).await?;
        let copied = match self.gluster().set_webhook(ask, url, &token).await {
            Ok(n) => n,
            Err(e) => {
                let mut c = self.conn().await?;
                match before {
                    // gluster keeps the old token where the change failed
                    Some(old) => store::put_gluster_events(&mut c, &old).await?,
                    None => drop(store::delete_gluster_events(&mut c, cluster.id).await?),
                }
                return Err(e.into());
            }
        };
        let mut report = checks("webhook copied", &copied);
        report.extend(self.reload_everywhere(nodes).await);
        match self.gluster().test_webhook(ask, url, &token).await {
            Ok(n) => report.extend(checks("georep reached", &n)),
            Err(e) => report.push(NodeCheck {
                node: "(cluster)".into(),
                check: "georep reached".into(),
                ok: false,
                message: e.to_string(),
            }),
        }
        let events = store::gluster_events_of(&mut *self.conn().await?, cluster.id)
            .await?
            .map(view);
        Ok(GlusterEventsSetup {
            events,
            nodes: report,
        })
    }

    /// Turns pushed events off: the webhook removed from gluster, then georep's record.
    pub async fn disable_gluster_events(
        &self,
        actor: &str,
        id: Uuid,
    ) -> Result<GlusterEventsSetup> {
        let (cluster, ask, nodes) = self.events_scope(id).await?;
        let audit = Audit {
            actor: actor.into(),
            action: "gluster_events_off".into(),
            cluster_id: Some(cluster.id),
            session_id: None,
            target: cluster.name.clone(),
            operation_id: None,
        };
        let outcome = async {
            let row = store::gluster_events_of(&mut *self.conn().await?, cluster.id)
                .await?
                .ok_or_else(|| {
                    ServiceError::NotFound(format!("cluster {} does not push events", cluster.name))
                })?;
            let removed = self.gluster().remove_webhook(&ask, &row.url).await?;
            let mut report = checks("webhook removed", &removed);
            report.extend(self.reload_everywhere(&nodes).await);
            store::delete_gluster_events(&mut *self.conn().await?, cluster.id).await?;
            Ok(GlusterEventsSetup {
                events: None,
                nodes: report,
            })
        }
        .await;
        self.record(&audit, &outcome, None).await;
        outcome
    }

    /// An event glustereventsd pushed for cluster `id` with `bearer`: counted, and what it
    /// names refreshed in the background.
    pub async fn gluster_event_pushed(
        &self,
        id: Uuid,
        bearer: Option<&str>,
        body: &[u8],
    ) -> Result<(), Refused> {
        let internal = |e: ServiceError| {
            tracing::warn!(error = %e, "pushed gluster event: cannot read the store");
            Refused::Unauthorized
        };
        let mut c = self.conn().await.map_err(internal)?;
        let row = store::gluster_events_of(&mut c, id.into())
            .await
            .map_err(|e| internal(e.into()))?
            .ok_or(Refused::Unauthorized)?;
        if bearer.map(token_hash).as_deref() != Some(row.token_sha256.as_str()) {
            return Err(Refused::Unauthorized);
        }
        let event = parse_pushed_event(body).map_err(Refused::Malformed)?;
        let kind = event.as_ref().map_or("webhook-test", |e| e.kind.as_str());
        store::gluster_events_received(&mut c, row.cluster_id, 1, kind, Utc::now())
            .await
            .map_err(|e| internal(e.into()))?;
        let Some(cluster) = store::get_cluster(&mut c, row.cluster_id)
            .await
            .map_err(|e| internal(e.into()))?
        else {
            return Ok(());
        };
        drop(c);
        if let Some(e) = event {
            tracing::debug!(cluster = %cluster.name, event = %e.kind, "gluster event pushed");
            self.refresh_for_event(cluster, e.kind, e.subject);
        }
        Ok(())
    }

    /// What an event names, read again in the background: one session pair, or the cluster.
    fn refresh_for_event(&self, cluster: ClusterRow, kind: String, subject: EventSubject) {
        let pair = match subject {
            EventSubject::Other => return,
            // a session created or deleted: the cycle records it as appeared or vanished
            EventSubject::Session { .. } if kind == "GEOREP_CREATE" || kind == "GEOREP_DELETE" => {
                None
            }
            EventSubject::Session { master, slave } => Some((master, slave)),
            EventSubject::Volume(_) | EventSubject::Pool => None,
        };
        let read = match kind.as_str() {
            "GEOREP_START" | "GEOREP_STOP" | "GEOREP_PAUSE" | "GEOREP_RESUME" => {
                PairRead::PushedStatus
            }
            _ => PairRead::Pushed,
        };
        // one read of each kind at a time: a status read does not stand for an options one
        let what = match &pair {
            Some((m, s)) => format!("{} {m} -> {s} {read:?}", cluster.id),
            None => format!("{}", cluster.id),
        };
        if !self.coord().claim_push(&what) {
            return;
        }
        let service = self.clone();
        tokio::spawn(crate::gluster::follow_up(async move {
            tokio::time::sleep(GATHER).await;
            service.coord().release_push(&what);
            let sync = service.syncer();
            let read = match &pair {
                Some((m, s)) => {
                    match sync
                        .refresh_pair(&cluster, m, s, &Quiet::default(), read)
                        .await
                    {
                        Ok(r) => Ok(r),
                        // a slave the event names otherwise than georep (a non-root user)
                        Err(_) => sync.cluster(&cluster).await,
                    }
                }
                None => sync.cluster(&cluster).await,
            };
            if let Err(e) = read {
                tracing::warn!(cluster = %cluster.name, event = %kind, error = %e, "refresh for a pushed event failed: the sync loop catches up");
            }
        }));
    }
}

/// The audit message: the webhook, and what failed where.
fn summary(url: &str, nodes: &[NodeCheck]) -> String {
    let failed: Vec<String> = nodes
        .iter()
        .filter(|n| !n.ok)
        .map(|n| format!("{} ({}): {}", n.node, n.check, n.message))
        .collect();
    if failed.is_empty() {
        format!("webhook {url}: every node OK")
    } else {
        format!("webhook {url}; not OK: {}", failed.join("; "))
    }
}
