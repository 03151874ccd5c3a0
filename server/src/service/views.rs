//! The read models of the browser's pages (`app::views`), built from SQLite alone: the
//! background sync keeps it fresh, so a page never waits for gluster.
use std::collections::HashMap;

use app::domain::{BrickStatus, SessionStatus};
use app::health::Health;
use app::views::{
    BrickProgress, BrickView, CheckpointState, SessionDetail, SessionSummary, VolumeView,
};
use uuid::Uuid;

use super::{status, Result, Service, ServiceError};
use sqlx::SqliteConnection;

use crate::store::{
    self, BrickRow, ClusterRow, HealthRow, SessionDetailRow, SessionRow, VolumeRow,
};

/// Everything the volume and session pages (and the health scheduler) are made of, read in
/// one go.
pub(super) struct Inventory {
    pub clusters: HashMap<Uuid, ClusterRow>,
    pub volumes: Vec<VolumeRow>,
    pub bricks: Vec<BrickRow>,
    pub sessions: Vec<SessionRow>,
    pub details: Vec<SessionDetailRow>,
    pub health: HashMap<Uuid, HealthRow>,
}

impl Service {
    async fn inventory(&self) -> Result<Inventory> {
        inventory_in(&mut *self.conn().await?).await
    }

    /// Every volume of every cluster, by cluster and name.
    pub async fn volume_views(&self) -> Result<Vec<VolumeView>> {
        let inv = self.inventory().await?;
        let mut out: Vec<_> = inv.volumes.iter().map(|v| inv.volume(v)).collect();
        out.sort_by(|a, b| (&a.cluster_name, &a.name).cmp(&(&b.cluster_name, &b.name)));
        Ok(out)
    }

    /// A volume and the sessions whose master it is.
    pub async fn volume_with_sessions(
        &self,
        id: Uuid,
    ) -> Result<(VolumeView, Vec<SessionSummary>)> {
        let inv = self.inventory().await?;
        let v = inv
            .volumes
            .iter()
            .find(|v| v.id.into_uuid() == id)
            .ok_or_else(|| ServiceError::NotFound(format!("volume {id}")))?;
        let sessions = inv
            .sessions
            .iter()
            .filter(|s| s.master_volume_id == v.id)
            .map(|s| inv.summary(s))
            .collect();
        Ok((inv.volume(v), sessions))
    }

    pub async fn session_summaries(&self) -> Result<Vec<SessionSummary>> {
        let inv = self.inventory().await?;
        let mut out: Vec<_> = inv.sessions.iter().map(|s| inv.summary(s)).collect();
        out.sort_by(|a, b| {
            (&a.master_volume, &a.slave_host, &a.slave_volume).cmp(&(
                &b.master_volume,
                &b.slave_host,
                &b.slave_volume,
            ))
        });
        Ok(out)
    }

    pub async fn session_detail_view(&self, id: Uuid) -> Result<SessionDetail> {
        let inv = self.inventory().await?;
        let s = inv
            .sessions
            .iter()
            .find(|s| s.session_id.into_uuid() == id)
            .ok_or_else(|| ServiceError::NotFound(format!("session {id}")))?;
        let mut bricks: Vec<(i64, BrickProgress)> = inv
            .details
            .iter()
            .filter(|d| d.session_id == s.session_id)
            .map(|d| {
                let brick = inv.bricks.iter().find(|b| b.id == d.master_brick_id);
                let progress = BrickProgress {
                    brick_id: d.master_brick_id.into_uuid(),
                    master_host: brick.map(|b| b.server_name.clone()).unwrap_or_default(),
                    master_brick: brick.map(|b| b.path.clone()).unwrap_or_default(),
                    slave_node: d.slave_host_name.clone(),
                    status: BrickStatus::from_db(&d.status),
                    crawl_status: d.crawl_status.clone(),
                    checkpoint_status: d.checkpoint_status.clone(),
                    checkpoint_time: d.checkpoint_time,
                    checkpoint_completed_at: d.checkpoint_completed_at,
                    last_synced: d.last_synced_at,
                    entry_pending: d.entry_pending,
                    data_pending: d.data_pending,
                    meta_pending: d.meta_pending,
                    failures: d.failures,
                    files_synced: d.files_synced,
                    files_pending: d.files_pending,
                    files_skipped: d.files_skipped,
                    updated_at: d.updated_at,
                };
                (brick.map(|b| b.position).unwrap_or(i64::MAX), progress)
            })
            .collect();
        bricks.sort_by_key(|(position, _)| *position);
        let health = inv.health.get(&id);
        Ok(SessionDetail {
            summary: inv.summary(s),
            session_key: s.session_key.clone(),
            bricks: bricks.into_iter().map(|(_, b)| b).collect(),
            health_reason: health.map(|h| h.reason.clone()),
            lag_seconds: health.and_then(|h| h.lag_seconds),
        })
    }
}

/// The inventory as `conn` sees it (in a transaction: one snapshot).
pub(super) async fn inventory_in(c: &mut SqliteConnection) -> Result<Inventory> {
    let mut inv = Inventory {
        clusters: HashMap::new(),
        volumes: Vec::new(),
        bricks: Vec::new(),
        sessions: Vec::new(),
        details: Vec::new(),
        health: HashMap::new(),
    };
    for cluster in store::list_clusters(c).await? {
        inv.volumes
            .extend(store::volumes_of_cluster(c, cluster.id).await?);
        inv.bricks
            .extend(store::bricks_of_cluster(c, cluster.id).await?);
        inv.sessions
            .extend(store::sessions_of_cluster(c, cluster.id).await?);
        inv.details
            .extend(store::details_of_cluster(c, cluster.id).await?);
        inv.clusters.insert(cluster.id.into_uuid(), cluster);
    }
    inv.health = store::list_health(c)
        .await?
        .into_iter()
        .map(|h| (h.session_id.into_uuid(), h))
        .collect();
    Ok(inv)
}

impl Inventory {
    fn volume(&self, v: &VolumeRow) -> VolumeView {
        VolumeView {
            id: v.id.into_uuid(),
            cluster_id: v.cluster_id.into_uuid(),
            cluster_name: self
                .clusters
                .get(&v.cluster_id.into_uuid())
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            name: v.name.clone(),
            volume_type: v.volume_type.clone(),
            status: v.status.clone(),
            bricks: self
                .bricks
                .iter()
                .filter(|b| b.volume_id == v.id)
                .map(|b| BrickView {
                    server: b.server_name.clone(),
                    path: b.path.clone(),
                    status: b.status.clone(),
                })
                .collect(),
            master_of: self
                .sessions
                .iter()
                .filter(|s| s.master_volume_id == v.id)
                .count() as i64,
            slave_of: self
                .sessions
                .iter()
                .filter(|s| s.slave_volume_id == Some(v.id))
                .count() as i64,
            size_total: v.size_total,
            size_free: v.size_free,
        }
    }

    fn summary(&self, s: &SessionRow) -> SessionSummary {
        let details: Vec<_> = self
            .details
            .iter()
            .filter(|d| d.session_id == s.session_id)
            .collect();
        let checkpoint_time = details.iter().filter_map(|d| d.checkpoint_time).max();
        let pairs: Vec<_> = details
            .iter()
            .map(|d| {
                (
                    BrickStatus::from_db(&d.status),
                    d.checkpoint_status.as_deref().map(|c| c == "completed"),
                )
            })
            .collect();
        let checkpoint = match checkpoint_time {
            None => CheckpointState::None,
            Some(_) if status::checkpoint_completed(&pairs) => CheckpointState::Completed,
            Some(_) => CheckpointState::Pending,
        };
        let master = self.volumes.iter().find(|v| v.id == s.master_volume_id);
        SessionSummary {
            id: s.session_id.into_uuid(),
            cluster_id: master.map(|v| v.cluster_id.into_uuid()).unwrap_or_default(),
            master_volume_id: s.master_volume_id.into_uuid(),
            master_volume: master.map(|v| v.name.clone()).unwrap_or_default(),
            slave_host: s.slave_host_name.clone(),
            slave_volume: s.slave_volume_name.clone(),
            slave_volume_id: s.slave_volume_id.map(|v| v.into_uuid()),
            slave_user: s.slave_user.clone(),
            status: SessionStatus::from_db(&s.status),
            checkpoint,
            checkpoint_time,
            health: self
                .health
                .get(&s.session_id.into_uuid())
                .map(|h| Health::parse(&h.health)),
            updated_at: s.updated_at,
        }
    }
}
