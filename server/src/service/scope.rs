//! A stored session located: what every action, probe and restart on it starts from.
use uuid::Uuid;

use super::audit::Audit;
use super::{Result, Service, ServiceError};
use crate::domain::hosts::{first_to_ask, session_name, slave_spec, target_of};
use crate::gluster::Target;
use crate::store::{self, ClusterRow, HostRow, Id, SessionRow, VolumeRow};

/// A session as stored, with its master volume, its cluster, the host gluster is asked on
/// (connected first) and how the CLI names its slave.
pub(crate) struct SessionScope {
    pub session: SessionRow,
    pub cluster: ClusterRow,
    pub master: VolumeRow,
    pub host: HostRow,
    pub target: Target,
    /// `[user@]host::volume`.
    pub slave: String,
}

impl SessionScope {
    /// `master -> [user@]host::volume`, as the audit trail names a session.
    pub fn target_text(&self) -> String {
        session_name(&self.master.name, &self.slave)
    }

    pub fn audit(&self, actor: &str, action: &str) -> Audit {
        Audit::of_session(
            actor,
            action,
            &self.cluster,
            &self.session,
            &self.master.name,
            &self.slave,
        )
    }

    /// Whether the asked host is this machine (its workers can be signalled one by one).
    pub fn local(&self) -> bool {
        self.host.connection == app::domain::Connection::Local
    }
}

/// A volume and its cluster, both as stored.
pub(crate) async fn volume_and_cluster_in(
    c: &mut dyn store::Conn,
    volume_id: Id,
) -> Result<(VolumeRow, ClusterRow)> {
    let volume = store::get_volume(&mut *c, volume_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("volume {volume_id}")))?;
    let cluster = store::get_cluster(&mut *c, volume.cluster_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("cluster {}", volume.cluster_id)))?;
    Ok((volume, cluster))
}

/// The host of `cluster` gluster is asked on (connected first).
pub(crate) async fn host_to_ask_in(
    c: &mut dyn store::Conn,
    cluster: &ClusterRow,
) -> Result<HostRow> {
    first_to_ask(store::hosts_of_cluster(c, cluster.id).await?).ok_or_else(|| no_host(cluster))
}

/// The refusal when a cluster has no host georep could ask.
pub(crate) fn no_host(cluster: &ClusterRow) -> ServiceError {
    ServiceError::Conflict(format!("cluster {} has no host to ask", cluster.name))
}

impl Service {
    /// Locates session `id` in one connection (under the session's claim, the state read is
    /// the one the action starts from).
    pub(crate) async fn session_scope(&self, id: Uuid) -> Result<SessionScope> {
        let mut c = self.conn().await?;
        let session = store::get_session(&mut c, id.into())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("session {id}")))?;
        let (master, cluster) = volume_and_cluster_in(&mut c, session.master_volume_id).await?;
        let host = host_to_ask_in(&mut c, &cluster).await?;
        let slave = slave_spec(
            &session.slave_user,
            &session.slave_host_name,
            &session.slave_volume_name,
        );
        Ok(SessionScope {
            target: target_of(&host),
            session,
            cluster,
            master,
            host,
            slave,
        })
    }
}
