//! Registering and listing clusters.
use app::domain::{ClusterSummary, Connection, HostStatus, NewCluster, SyncState};
use chrono::Utc;
use uuid::Uuid;

use super::audit::Audit;
use super::names::{ClusterName, HostName};
use super::{Result, Service, ServiceError};
use crate::gluster::GlusterError;
use crate::store::{self, ClusterRow, ClusterSummaryRow, HostRow};

impl Service {
    pub async fn list_clusters(&self) -> Result<Vec<ClusterSummary>> {
        let mut conn = self
            .store()
            .pool()
            .acquire()
            .await
            .map_err(store::StoreError::from)?;
        let rows = store::list_cluster_summaries(&mut conn).await?;
        Ok(rows.into_iter().map(summary).collect())
    }

    /// Stores the cluster and its first host in one transaction, after checking (`verify`)
    /// that gluster answers on that host; then syncs it at once in the background.
    pub async fn register_cluster(&self, new: NewCluster, verify: bool) -> Result<ClusterSummary> {
        let name = ClusterName::parse(&new.name)?;
        let host = HostName::parse(&new.host)?;
        if new.description.len() > 1024 {
            return Err(ServiceError::Invalid(
                "description is longer than 1024 bytes".into(),
            ));
        }
        let cluster = ClusterRow {
            id: Uuid::new_v4().hyphenated(),
            name: name.as_str().to_owned(),
            description: new.description.trim().to_owned(),
            created_at: Utc::now(),
            sync_state: SyncState::Unknown,
            sync_error: None,
            synced_at: None,
        };
        let host_row = HostRow {
            id: Uuid::new_v4().hyphenated(),
            cluster_id: cluster.id,
            address: host.as_str().to_owned(),
            gluster_uuid: None,
            connection: new.connection,
            ssh_user: "root".into(),
            ssh_port: 22,
            status: HostStatus::Unknown,
            last_seen_at: None,
        };
        if verify {
            let peers = self
                .gluster()
                .pool_list(&crate::sync::target_of(&host_row))
                .await?;
            tracing::debug!(peers = peers.len(), "cluster answers");
            // the pool's other peers' ssh host keys now, while the admin registers it, rather
            // than whatever answers when georep first needs one of them
            if let (Connection::Ssh, Some(known)) = (new.connection, self.gluster().known_hosts()) {
                for p in peers.iter().filter(|p| p.hostname != "localhost") {
                    let port = host_row.ssh_port as u16;
                    match known
                        .record_new(&p.hostname, port, self.gluster().timeout())
                        .await
                    {
                        Ok(fps) if !fps.is_empty() => {
                            tracing::info!(host = %p.hostname, fingerprints = ?fps, "ssh host key recorded")
                        }
                        Ok(_) => {}
                        // a peer down now is recorded when georep first reaches it
                        Err(e) => {
                            tracing::warn!(host = %p.hostname, error = %e, "ssh host key not recorded")
                        }
                    }
                }
            }
        }
        let mut tx = self.store().begin().await?;
        store::insert_cluster(&mut tx, &cluster).await?;
        store::insert_host(&mut tx, &host_row).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(cluster = %cluster.name, host = %host, "cluster registered");
        let (syncer, row) = (self.syncer().clone(), cluster.clone());
        tokio::spawn(async move {
            if let Err(e) = syncer.cluster(&row).await {
                tracing::warn!(cluster = %row.name, error = %e, "first sync failed");
            }
        });
        Ok(summary(ClusterSummaryRow {
            cluster,
            host_count: 1,
            volume_count: 0,
            session_count: 0,
        }))
    }
}

impl Service {
    /// The deliberate way past a changed ssh host key: records the key `host` offers now if
    /// its fingerprint is `fingerprint` (the one the refusal named, which the admin checked
    /// on the host), in place of the recorded one. Audited with both fingerprints. Returns
    /// the fingerprints recorded before and now.
    pub async fn accept_host_key(
        &self,
        actor: &str,
        host: &str,
        fingerprint: &str,
    ) -> Result<(String, String)> {
        let host = HostName::parse(host)?;
        let fp_chars = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
        if !fingerprint
            .strip_prefix("SHA256:")
            .is_some_and(|b| !b.is_empty() && b.chars().all(fp_chars))
        {
            return Err(ServiceError::Invalid(format!(
                "{fingerprint:?} is not an ssh fingerprint (SHA256:…)"
            )));
        }
        let known = self.gluster().known_hosts().cloned().ok_or_else(|| {
            ServiceError::Conflict("this georep checks ssh host keys with ssh's own files".into())
        })?;
        let mut ssh_hosts = Vec::new();
        {
            let mut c = self.conn().await?;
            for cluster in store::list_clusters(&mut c).await? {
                for h in store::hosts_of_cluster(&mut c, cluster.id).await? {
                    if h.connection == Connection::Ssh
                        && h.address.eq_ignore_ascii_case(host.as_str())
                    {
                        ssh_hosts.push(h);
                    }
                }
            }
        }
        let first = ssh_hosts.first().ok_or_else(|| {
            ServiceError::NotFound(format!("no registered host {host} reached over ssh"))
        })?;
        let audit = Audit {
            actor: actor.into(),
            action: "host_key_accept".into(),
            cluster_id: Some(first.cluster_id),
            session_id: None,
            target: format!("{host} {fingerprint}"),
            operation_id: None,
        };
        let outcome = known
            .accept(
                &first.address,
                first.ssh_port as u16,
                fingerprint,
                self.gluster().timeout(),
            )
            .await
            .map_err(|e| match e {
                e @ GlusterError::KeyNotOffered { .. } => ServiceError::Conflict(e.to_string()),
                e => ServiceError::Gluster(e),
            });
        let message = outcome
            .as_ref()
            .ok()
            .map(|(before, now)| format!("ssh host key of {host}: {before} -> {now}"));
        self.record(&audit, &outcome, message.as_deref()).await;
        if outcome.is_ok() {
            tracing::warn!(%host, %fingerprint, "ssh host key accepted");
        }
        outcome
    }
}

fn summary(r: ClusterSummaryRow) -> ClusterSummary {
    ClusterSummary {
        id: r.cluster.id.into_uuid(),
        name: r.cluster.name,
        description: r.cluster.description,
        host_count: r.host_count,
        volume_count: r.volume_count,
        session_count: r.session_count,
        sync_state: r.cluster.sync_state,
        sync_error: r.cluster.sync_error,
        synced_at: r.cluster.synced_at,
    }
}
