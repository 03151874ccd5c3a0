//! The inventory by REST's paths: clusters, hosts, volumes with bricks, sessions with their
//! per-brick details, as the views of `views.rs` (the pages' own). Every lookup under a parent
//! checks that the child belongs to it (a session under another volume is not found).
use app::domain::{ClusterSummary, Connection, HostView};
use app::views::{SessionDetail, SessionSummary, VolumeView};
use uuid::Uuid;

use super::views::{host_view, session_detail_in, session_summary};
use super::{Result, Service, ServiceError};
use crate::store::{self, VolumeRow};

impl Service {
    pub async fn cluster(&self, id: Uuid) -> Result<ClusterSummary> {
        self.list_clusters()
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| cluster_not_found(id))
    }

    pub async fn hosts(&self, cluster: Uuid) -> Result<Vec<HostView>> {
        let mut conn = self.conn().await?;
        let c = store::get_cluster(&mut conn, cluster.into())
            .await?
            .ok_or_else(|| cluster_not_found(cluster))?;
        let hosts = store::hosts_of_cluster(&mut conn, c.id).await?;
        let known = self.gluster().known_hosts();
        Ok(hosts
            .iter()
            .map(|h| {
                let fingerprints = match (h.connection, known) {
                    (Connection::Ssh, Some(k)) => k
                        .keys(&h.address, h.ssh_port as u16)
                        .iter()
                        .filter_map(|key| key.fingerprint())
                        .collect(),
                    _ => Vec::new(),
                };
                host_view(h, fingerprints)
            })
            .collect())
    }

    /// The cluster's volumes by name, with their bricks in volume order.
    pub async fn volumes(&self, cluster: Uuid) -> Result<Vec<VolumeView>> {
        let inv = self.inventory().await?;
        if !inv.clusters.contains_key(&cluster) {
            return Err(cluster_not_found(cluster));
        }
        Ok(inv
            .volumes
            .iter()
            .filter(|v| v.cluster_id.into_uuid() == cluster)
            .map(|v| inv.volume(v))
            .collect())
    }

    /// The volume, if it is in the cluster.
    pub async fn volume(&self, cluster: Uuid, volume: Uuid) -> Result<VolumeView> {
        let inv = self.inventory().await?;
        inv.volumes
            .iter()
            .find(|v| v.id.into_uuid() == volume && v.cluster_id.into_uuid() == cluster)
            .map(|v| inv.volume(v))
            .ok_or_else(|| volume_not_found(cluster, volume))
    }

    /// The sessions whose master is this volume, by slave.
    pub async fn sessions(&self, cluster: Uuid, volume: Uuid) -> Result<Vec<SessionSummary>> {
        let mut conn = self.conn().await?;
        let v = volume_in(&mut conn, cluster, volume).await?;
        let sessions = store::sessions_of_volume(&mut conn, v.id).await?;
        let details = store::details_of_volume(&mut conn, v.id).await?;
        let health: std::collections::HashMap<_, _> = store::list_health(&mut conn)
            .await?
            .into_iter()
            .map(|h| (h.session_id, h))
            .collect();
        let roles: std::collections::HashMap<_, _> = store::failovers_in_effect(&mut conn)
            .await?
            .into_iter()
            .filter_map(|f| Some((f.session_id, f.in_effect()?)))
            .collect();
        Ok(sessions
            .iter()
            .map(|s| {
                let mine: Vec<_> = details
                    .iter()
                    .filter(|d| d.session_id == s.session_id)
                    .collect();
                session_summary(
                    s,
                    Some(&v),
                    &mine,
                    health.get(&s.session_id),
                    roles.get(&s.session_id).copied(),
                )
            })
            .collect())
    }

    /// One session with its details, if its master is this volume of this cluster.
    pub async fn session(&self, cluster: Uuid, volume: Uuid, id: Uuid) -> Result<SessionDetail> {
        let mut conn = self.conn().await?;
        let v = volume_in(&mut conn, cluster, volume).await?;
        let session = store::get_session(&mut conn, id.into())
            .await?
            .filter(|s| s.master_volume_id == v.id)
            .ok_or_else(|| ServiceError::NotFound(format!("session {id} of volume {volume}")))?;
        session_detail_in(&mut conn, session, Some(&v)).await
    }

    /// Fails with NotFound unless the session's master is this volume of this cluster.
    pub async fn check_session_path(&self, cluster: Uuid, volume: Uuid, id: Uuid) -> Result<()> {
        let mut conn = self.conn().await?;
        let found = store::get_session(&mut conn, id.into())
            .await?
            .filter(|s| s.master_volume_id.into_uuid() == volume);
        let vol = store::get_volume(&mut conn, volume.into())
            .await?
            .filter(|v| v.cluster_id.into_uuid() == cluster);
        match (found, vol) {
            (Some(_), Some(_)) => Ok(()),
            _ => Err(ServiceError::NotFound(format!(
                "session {id} of volume {volume} in cluster {cluster}"
            ))),
        }
    }
}

fn cluster_not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("cluster {id}"))
}

fn volume_not_found(cluster: Uuid, volume: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("volume {volume} in cluster {cluster}"))
}

async fn volume_in(conn: &mut dyn store::Conn, cluster: Uuid, volume: Uuid) -> Result<VolumeRow> {
    store::get_volume(conn, volume.into())
        .await?
        .filter(|v| v.cluster_id.into_uuid() == cluster)
        .ok_or_else(|| volume_not_found(cluster, volume))
}
