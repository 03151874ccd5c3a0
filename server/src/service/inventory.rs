//! Reading the inventory as the REST API shows it: clusters, hosts, volumes with bricks,
//! sessions with their per-brick details. Every lookup under a parent checks that the child
//! belongs to it (a session under another volume is not found).
use app::domain::BrickStatus;
use uuid::Uuid;

use super::{status, Result, Service, ServiceError};
use crate::store::{self, BrickRow, ClusterRow, HostRow, SessionDetailRow, SessionRow, VolumeRow};

/// A volume with its bricks in volume order.
#[derive(Clone, Debug)]
pub struct VolumeView {
    pub volume: VolumeRow,
    pub bricks: Vec<BrickRow>,
}

/// A session as stored, with its details (each with its master brick when known).
#[derive(Clone, Debug)]
pub struct SessionView {
    pub cluster_id: Uuid,
    pub master_name: String,
    pub session: SessionRow,
    pub checkpoint_completed: bool,
    pub details: Vec<(SessionDetailRow, Option<BrickRow>)>,
}

fn checkpoint_completed<'a>(details: impl Iterator<Item = &'a SessionDetailRow>) -> bool {
    let pairs: Vec<_> = details
        .map(|d| {
            (
                BrickStatus::from_db(&d.status),
                d.checkpoint_status.as_deref().map(|c| c == "completed"),
            )
        })
        .collect();
    status::checkpoint_completed(&pairs)
}

impl Service {
    pub async fn cluster(&self, id: Uuid) -> Result<ClusterRow> {
        store::get_cluster(&mut *self.conn().await?, id.hyphenated())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("cluster {id}")))
    }

    pub async fn hosts(&self, cluster: Uuid) -> Result<Vec<HostRow>> {
        let c = self.cluster(cluster).await?;
        Ok(store::hosts_of_cluster(&mut *self.conn().await?, c.id).await?)
    }

    pub async fn volumes(&self, cluster: Uuid) -> Result<Vec<VolumeView>> {
        let c = self.cluster(cluster).await?;
        let mut conn = self.conn().await?;
        let volumes = store::volumes_of_cluster(&mut conn, c.id).await?;
        let mut bricks = store::bricks_of_cluster(&mut conn, c.id).await?;
        Ok(volumes
            .into_iter()
            .map(|volume| {
                let (mine, rest) = bricks.drain(..).partition(|b| b.volume_id == volume.id);
                bricks = rest;
                VolumeView {
                    volume,
                    bricks: mine,
                }
            })
            .collect())
    }

    /// The volume, if it is in the cluster.
    pub async fn volume(&self, cluster: Uuid, volume: Uuid) -> Result<VolumeView> {
        volume_in(&mut *self.conn().await?, cluster, volume).await
    }

    /// The sessions whose master is this volume (without their details).
    pub async fn sessions(&self, cluster: Uuid, volume: Uuid) -> Result<Vec<SessionView>> {
        let v = self.volume(cluster, volume).await?;
        let mut conn = self.conn().await?;
        let sessions = store::sessions_of_volume(&mut conn, v.volume.id).await?;
        let details = store::details_of_volume(&mut conn, v.volume.id).await?;
        Ok(sessions
            .into_iter()
            .map(|session| {
                let done = checkpoint_completed(
                    details
                        .iter()
                        .filter(|d| d.session_id == session.session_id),
                );
                SessionView {
                    cluster_id: cluster,
                    master_name: v.volume.name.clone(),
                    session,
                    checkpoint_completed: done,
                    details: Vec::new(),
                }
            })
            .collect())
    }

    /// One session with its details, if its master is this volume of this cluster.
    pub async fn session(&self, cluster: Uuid, volume: Uuid, id: Uuid) -> Result<SessionView> {
        let mut conn = self.conn().await?;
        let v = volume_in(&mut conn, cluster, volume).await?;
        let session = store::get_session(&mut conn, id.hyphenated())
            .await?
            .filter(|s| s.master_volume_id == v.volume.id)
            .ok_or_else(|| ServiceError::NotFound(format!("session {id} of volume {volume}")))?;
        let details = store::details_of_session(&mut conn, session.session_id).await?;
        let done = checkpoint_completed(details.iter());
        let details = details
            .into_iter()
            .map(|d| {
                let brick = v.bricks.iter().find(|b| b.id == d.master_brick_id).cloned();
                (d, brick)
            })
            .collect();
        Ok(SessionView {
            cluster_id: cluster,
            master_name: v.volume.name,
            session,
            checkpoint_completed: done,
            details,
        })
    }

    /// Fails with NotFound unless the session's master is this volume of this cluster.
    pub async fn check_session_path(&self, cluster: Uuid, volume: Uuid, id: Uuid) -> Result<()> {
        let mut conn = self.conn().await?;
        let found = store::get_session(&mut conn, id.hyphenated())
            .await?
            .filter(|s| s.master_volume_id.into_uuid() == volume);
        let vol = store::get_volume(&mut conn, volume.hyphenated())
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

async fn volume_in(
    conn: &mut sqlx::SqliteConnection,
    cluster: Uuid,
    volume: Uuid,
) -> Result<VolumeView> {
    let v = store::get_volume(conn, volume.hyphenated())
        .await?
        .filter(|v| v.cluster_id.into_uuid() == cluster)
        .ok_or_else(|| ServiceError::NotFound(format!("volume {volume} in cluster {cluster}")))?;
    let bricks = store::bricks_of_volume(conn, v.id).await?;
    Ok(VolumeView { volume: v, bricks })
}
