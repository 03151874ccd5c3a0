//! Clusters: registering one (gluster asked on its host first), editing its name and how
//! georep reaches it (ssh user, port, a changed host key), and removing it from georep — only
//! georep's rows go, gluster is never called. Each change is an audit event.
use app::domain::{
    ClusterEdit, ClusterSummary, Connection, HostStatus, NewCluster, RemovedCluster, SyncState,
};
use chrono::Utc;
use uuid::Uuid;

use super::audit::Audit;
use super::names::{ClusterName, Fingerprint, HostName, SshPort, UserName};
use super::{Result, Service, ServiceError};
use crate::domain::hosts::first_to_ask;
use crate::gluster::GlusterError;
use crate::store::{self, ClusterRow, ClusterSummaryRow, HostRow};

/// How georep logs in to a cluster's hosts over ssh.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ssh {
    user: String,
    port: u16,
}

impl Ssh {
    /// What an admin gave, checked; ssh's defaults for what is not given. A cluster reached
    /// locally has no ssh settings to give.
    fn parse(connection: Connection, user: Option<&str>, port: Option<i64>) -> Result<Ssh> {
        if connection == Connection::Local && (user.is_some() || port.is_some()) {
            return Err(ServiceError::Invalid(
                "ssh user and port are for a cluster reached over ssh (connection ssh)".into(),
            ));
        }
        Ok(Ssh {
            user: UserName::parse(user.unwrap_or(""))?.as_str().to_owned(),
            port: port
                .map(SshPort::parse)
                .transpose()?
                .map_or(22, SshPort::get),
        })
    }
}

fn checked_description(s: &str) -> Result<String> {
    if s.len() > 1024 {
        return Err(ServiceError::Invalid(
            "description is longer than 1024 bytes".into(),
        ));
    }
    Ok(s.trim().to_owned())
}

impl Service {
    pub async fn list_clusters(&self) -> Result<Vec<ClusterSummary>> {
        let mut c = self.conn().await?;
        let rows = store::list_cluster_summaries(&mut c).await?;
        let mut pushing: std::collections::HashMap<_, _> = store::all_gluster_events(&mut c)
            .await?
            .into_iter()
            .map(|e| (e.cluster_id, e))
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let events = pushing
                    .remove(&r.cluster.id)
                    .map(super::gluster_events::view);
                ClusterSummary {
                    gluster_events: events,
                    ..summary(r)
                }
            })
            .collect())
    }

    /// A cluster by its id or its name (how the CLI names one).
    pub async fn find_cluster(&self, id_or_name: &str) -> Result<ClusterSummary> {
        let key = id_or_name.trim();
        let id = Uuid::parse_str(key).ok();
        self.list_clusters()
            .await?
            .into_iter()
            .find(|c| Some(c.id) == id || c.name == key)
            .ok_or_else(|| ServiceError::NotFound(format!("no cluster {key:?}")))
    }

    /// Refused when another cluster has this name: before gluster is asked (the unique index
    /// stays the rule).
    async fn check_name_free(&self, name: &ClusterName, own: Option<Uuid>) -> Result<()> {
        match store::cluster_named(&mut *self.conn().await?, name.as_str()).await? {
            Some(c) if Some(c.id.into_uuid()) != own => Err(ServiceError::Conflict(format!(
                "a cluster named {:?} already exists",
                name.as_str()
            ))),
            _ => Ok(()),
        }
    }

    /// Stores the cluster and its first host in one transaction, after checking (`verify`)
    /// that gluster answers on that host; then syncs it at once in the background. Audited.
    pub async fn register_cluster(
        &self,
        actor: &str,
        new: NewCluster,
        verify: bool,
    ) -> Result<ClusterSummary> {
        let mut audit = Audit {
            actor: actor.into(),
            action: "cluster_register".into(),
            cluster_id: None,
            session_id: None,
            target: new.name.trim().to_owned(),
            operation_id: None,
        };
        let outcome = self.register(new, verify).await;
        let message = outcome.as_ref().ok().map(|(c, host)| {
            audit.cluster_id = Some(c.id.into());
            match c.connection {
                Connection::Ssh => format!("by {}@{host}:{}", c.ssh_user, c.ssh_port),
                Connection::Local => format!("by {host} (gluster on this machine)"),
            }
        });
        self.record(&audit, &outcome, message.as_deref()).await;
        outcome.map(|(c, _)| c)
    }

    async fn register(&self, new: NewCluster, verify: bool) -> Result<(ClusterSummary, String)> {
        let name = ClusterName::parse(&new.name)?;
        let host = HostName::parse(&new.host)?;
        let description = checked_description(&new.description)?;
        let ssh = Ssh::parse(new.connection, new.ssh_user.as_deref(), new.ssh_port)?;
        self.check_name_free(&name, None).await?;
        let cluster = ClusterRow {
            id: Uuid::new_v4().into(),
            name: name.as_str().to_owned(),
            description,
            created_at: Utc::now(),
            sync_state: SyncState::Unknown,
            sync_error: None,
            synced_at: None,
        };
        let host_row = HostRow {
            id: Uuid::new_v4().into(),
            cluster_id: cluster.id,
            address: host.as_str().to_owned(),
            gluster_uuid: None,
            connection: new.connection,
            ssh_user: ssh.user.clone(),
            ssh_port: ssh.port.into(),
            status: HostStatus::Unknown,
            last_seen_at: None,
        };
        if verify {
            self.reach(&host_row).await?;
        }
        let mut tx = self.store().begin().await?;
        store::insert_cluster(&mut tx, &cluster).await?;
        store::insert_host(&mut tx, &host_row).await?;
        tx.commit().await?;
        tracing::info!(cluster = %cluster.name, host = %host, "cluster registered");
        let (syncer, row) = (self.syncer().clone(), cluster.clone());
        tokio::spawn(async move {
            if let Err(e) = syncer.cluster(&row).await {
                tracing::warn!(cluster = %row.name, error = %e, "first sync failed");
            }
        });
        let c = summary(ClusterSummaryRow {
            cluster,
            connection: new.connection,
            ssh_user: ssh.user,
            ssh_port: ssh.port.into(),
            host_count: 1,
            volume_count: 0,
            session_count: 0,
        });
        Ok((c, host.as_str().to_owned()))
    }

    /// gluster answers on `host` as georep would ask it (`pool list`); over ssh, the host keys
    /// of the pool's other peers are recorded now, while the admin is at it, rather than
    /// whatever answers when georep first needs one of them.
    async fn reach(&self, host: &HostRow) -> Result<()> {
        let peers = self
            .gluster()
            .pool_list(&crate::sync::target_of(host))
            .await?;
        tracing::debug!(peers = peers.len(), "cluster answers");
        let (Connection::Ssh, Some(known)) = (host.connection, self.gluster().known_hosts()) else {
            return Ok(());
        };
        for p in peers.iter().filter(|p| p.hostname != "localhost") {
            let port = host.ssh_port as u16;
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
        Ok(())
    }

    /// Changes what `edit` gives: the name and description, the ssh user and port of every
    /// host (checked against gluster first when `verify`), the trusted key of one host.
    /// Audited with what changed.
    pub async fn edit_cluster(
        &self,
        actor: &str,
        id: Uuid,
        edit: ClusterEdit,
        verify: bool,
    ) -> Result<ClusterSummary> {
        let current = self.cluster(id).await?;
        let audit = Audit {
            actor: actor.into(),
            action: "cluster_edit".into(),
            cluster_id: Some(id.into()),
            session_id: None,
            target: current.name.clone(),
            operation_id: None,
        };
        let outcome = self.edit(actor, &current, edit, verify).await;
        let message = match &outcome {
            Ok((_, changes)) if changes.is_empty() => Some("nothing changed".to_owned()),
            Ok((_, changes)) => Some(changes.join("; ")),
            Err(_) => None,
        };
        self.record(&audit, &outcome, message.as_deref()).await;
        outcome.map(|(c, _)| c)
    }

    async fn edit(
        &self,
        actor: &str,
        current: &ClusterSummary,
        edit: ClusterEdit,
        verify: bool,
    ) -> Result<(ClusterSummary, Vec<String>)> {
        if edit.is_empty() {
            return Err(ServiceError::Invalid(
                "nothing to change: give a name, description, ssh user, ssh port or host key"
                    .into(),
            ));
        }
        let id = current.id;
        let name = edit.name.as_deref().map(ClusterName::parse).transpose()?;
        let description = edit
            .description
            .as_deref()
            .map(checked_description)
            .transpose()?;
        let ssh_given = edit.ssh_user.is_some() || edit.ssh_port.is_some();
        if (ssh_given || edit.host_key.is_some()) && current.connection != Connection::Ssh {
            return Err(ServiceError::Invalid(format!(
                "cluster {} is reached on this machine (connection local): it has no ssh settings",
                current.name
            )));
        }
        let ssh = Ssh {
            user: match &edit.ssh_user {
                Some(u) => UserName::parse(u)?.as_str().to_owned(),
                None => current.ssh_user.clone(),
            },
            port: edit
                .ssh_port
                .map(SshPort::parse)
                .transpose()?
                .map_or(current.ssh_port, SshPort::get),
        };
        let host_key = match &edit.host_key {
            Some(k) => Some((
                HostName::parse(&k.host)?,
                Fingerprint::parse(&k.fingerprint)?,
            )),
            None => None,
        };
        if let Some(n) = &name {
            self.check_name_free(n, Some(id)).await?;
        }
        let hosts = store::hosts_of_cluster(&mut *self.conn().await?, id.into()).await?;
        // the key first: ssh to the host fails until the key it offers is trusted
        let mut changes = Vec::new();
        if let Some((host, fingerprint)) = host_key {
            let h = hosts
                .iter()
                .find(|h| {
                    h.connection == Connection::Ssh && h.address.eq_ignore_ascii_case(host.as_str())
                })
                .ok_or_else(|| {
                    ServiceError::NotFound(format!(
                        "no host {host} of cluster {} reached over ssh",
                        current.name
                    ))
                })?;
            let at = HostRow {
                ssh_port: ssh.port.into(),
                ..h.clone()
            };
            let (before, now) = self.accept_key(actor, &at, &fingerprint).await?;
            changes.push(format!("ssh host key of {host}: {before} -> {now}"));
        }
        let ssh_changed = ssh.user != current.ssh_user || ssh.port != current.ssh_port;
        if ssh_changed && verify {
            if let Some(first) = first_to_ask(hosts) {
                self.reach(&HostRow {
                    ssh_user: ssh.user.clone(),
                    ssh_port: ssh.port.into(),
                    ..first
                })
                .await?;
            }
        }
        let name = name.map_or(current.name.clone(), |n| n.as_str().to_owned());
        let description = description.unwrap_or_else(|| current.description.clone());
        if name != current.name {
            changes.push(format!("name {} -> {name}", current.name));
        }
        if description != current.description {
            changes.push(format!(
                "description {:?} -> {description:?}",
                current.description
            ));
        }
        if ssh.user != current.ssh_user {
            changes.push(format!("ssh user {} -> {}", current.ssh_user, ssh.user));
        }
        if ssh.port != current.ssh_port {
            changes.push(format!("ssh port {} -> {}", current.ssh_port, ssh.port));
        }
        let mut tx = self.store().begin().await?;
        if !store::update_cluster(&mut tx, id.into(), &name, &description).await? {
            return Err(cluster_gone(id));
        }
        if ssh_changed {
            store::set_cluster_ssh(&mut tx, id.into(), &ssh.user, ssh.port.into()).await?;
        }
        tx.commit().await?;
        Ok((self.cluster(id).await?, changes))
    }

    /// Forgets the cluster: every row georep keeps of it (hosts, volumes, the sessions of its
    /// volumes with their health, schedules and failover records), in one transaction; gluster
    /// is not called and keeps all of it. Refused while an operation is under way on it, and,
    /// without `force`, while it has sessions. Audited with what was forgotten.
    pub async fn remove_cluster(
        &self,
        actor: &str,
        id: Uuid,
        force: bool,
    ) -> Result<RemovedCluster> {
        let current = self.cluster(id).await?;
        let audit = Audit {
            actor: actor.into(),
            action: "cluster_remove".into(),
            cluster_id: Some(id.into()),
            session_id: None,
            target: current.name.clone(),
            operation_id: None,
        };
        let outcome = self.remove(&current, force).await;
        let message = outcome.as_ref().ok().map(|r| {
            let mut m = format!(
                "georep forgot {} host(s), {} volume(s), {} session(s); nothing changed in gluster",
                r.hosts, r.volumes, r.sessions
            );
            if let Some(e) = &current.gluster_events {
                // the webhook is gluster's: its pushes are refused from now on
                m.push_str(&format!(
                    "; gluster still pushes its events to {} (gluster-eventsapi webhook-del {0})",
                    e.url
                ));
            }
            m
        });
        self.record(&audit, &outcome, message.as_deref()).await;
        if outcome.is_ok() {
            self.coord().forget_cluster(id);
            tracing::info!(cluster = %current.name, "cluster removed");
        }
        outcome
    }

    async fn remove(&self, c: &ClusterSummary, force: bool) -> Result<RemovedCluster> {
        // one writer from the check to the delete: no operation can begin in between
        let mut tx = self.store().begin_immediate().await?;
        let id = c.id.into();
        if let Some(op) = store::unfinished_operations_of_cluster(&mut tx, id)
            .await?
            .first()
        {
            return Err(ServiceError::Conflict(format!(
                "{} by {} on {} is under way (operation {}): remove the cluster once it has ended",
                op.kind.as_str(),
                op.actor,
                if op.target.is_empty() {
                    &c.name
                } else {
                    &op.target
                },
                op.id
            )));
        }
        let contents = store::cluster_contents(&mut tx, id).await?;
        if contents.sessions > 0 && !force {
            return Err(ServiceError::Conflict(format!(
                "cluster {} has {} geo-replication session(s): removing it makes georep forget \
                 them with their health, schedules and failover records (gluster keeps them, \
                 and they go on replicating); confirm with force",
                c.name, contents.sessions
            )));
        }
        if !store::remove_cluster(&mut tx, id).await? {
            return Err(cluster_gone(c.id));
        }
        tx.commit().await?;
        Ok(RemovedCluster {
            id: c.id,
            name: c.name.clone(),
            hosts: contents.hosts,
            volumes: contents.volumes,
            sessions: contents.sessions,
        })
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
        let fingerprint = Fingerprint::parse(fingerprint)?;
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
        self.accept_key(actor, first, &fingerprint).await
    }

    /// `accept_host_key` for this host row (its address and ssh port), audited.
    async fn accept_key(
        &self,
        actor: &str,
        host: &HostRow,
        fingerprint: &Fingerprint,
    ) -> Result<(String, String)> {
        let known = self.gluster().known_hosts().cloned().ok_or_else(|| {
            ServiceError::Conflict("this georep checks ssh host keys with ssh's own files".into())
        })?;
        let audit = Audit {
            actor: actor.into(),
            action: "host_key_accept".into(),
            cluster_id: Some(host.cluster_id),
            session_id: None,
            target: format!("{} {}", host.address, fingerprint.as_str()),
            operation_id: None,
        };
        let outcome = known
            .accept(
                &host.address,
                host.ssh_port as u16,
                fingerprint.as_str(),
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
            .map(|(before, now)| format!("ssh host key of {}: {before} -> {now}", host.address));
        self.record(&audit, &outcome, message.as_deref()).await;
        if outcome.is_ok() {
            tracing::warn!(host = %host.address, fingerprint = %fingerprint.as_str(), "ssh host key accepted");
        }
        outcome
    }
}

fn cluster_gone(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("cluster {id}"))
}

fn summary(r: ClusterSummaryRow) -> ClusterSummary {
    ClusterSummary {
        id: r.cluster.id.into_uuid(),
        name: r.cluster.name,
        description: r.cluster.description,
        connection: r.connection,
        ssh_user: r.ssh_user,
        ssh_port: u16::try_from(r.ssh_port).unwrap_or(22),
        host_count: r.host_count,
        volume_count: r.volume_count,
        session_count: r.session_count,
        sync_state: r.cluster.sync_state,
        sync_error: r.cluster.sync_error,
        synced_at: r.cluster.synced_at,
        gluster_events: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::Gluster;
    use crate::service::operations::Plan;
    use crate::store::tests::{open, seed};
    use crate::sync::{Lane, Subject};
    use app::operations::OperationKind;
    use std::time::Duration;

    /// A service whose gluster always fails: what succeeds never asked it.
    fn service(store: store::Store) -> Service {
        Service::new(store, Gluster::new("/bin/false", Duration::from_secs(5)))
    }

    fn new_cluster(name: &str, connection: Connection) -> NewCluster {
        NewCluster {
            name: name.into(),
            description: String::new(),
            host: "node1".into(),
            connection,
            ssh_user: None,
            ssh_port: None,
        }
    }

    async fn count(store: &store::Store, sql: &str) -> i64 {
        let mut c = store.conn().await.unwrap();
        crate::on!(c => |db| sqlx::query_scalar(sql)
            .fetch_one(db).await)
        .unwrap()
    }

    #[tokio::test]
    async fn registering_checks_its_input_before_gluster_and_records_it() {
        let (_dir, store) = open().await;
        let f = seed(&store).await;
        let s = service(store.clone());
        let refused = [
            new_cluster("bad name", Connection::Ssh),
            NewCluster {
                host: "-oProxyCommand=x".into(),
                ..new_cluster("b", Connection::Ssh)
            },
            NewCluster {
                ssh_port: Some(0),
                ..new_cluster("b", Connection::Ssh)
            },
            NewCluster {
                ssh_port: Some(65536),
                ..new_cluster("b", Connection::Ssh)
            },
            NewCluster {
                ssh_user: Some("Root;id".into()),
                ..new_cluster("b", Connection::Ssh)
            },
            NewCluster {
                ssh_user: Some("geo".into()),
                ..new_cluster("b", Connection::Local)
            },
        ];
        for new in refused {
            let r = s.register_cluster("admin", new.clone(), true).await;
            assert!(matches!(r, Err(ServiceError::Invalid(_))), "{new:?}: {r:?}");
        }
        // a taken name is refused before gluster is asked (it would fail here)
        let dup = s
            .register_cluster(
                "admin",
                new_cluster(&f.cluster.name, Connection::Local),
                true,
            )
            .await;
        assert!(matches!(dup, Err(ServiceError::Conflict(_))), "{dup:?}");
        let unreachable = s
            .register_cluster("admin", new_cluster("site-b", Connection::Ssh), true)
            .await;
        assert!(
            matches!(unreachable, Err(ServiceError::Gluster(_))),
            "{unreachable:?}"
        );
        let c = s
            .register_cluster(
                "admin",
                NewCluster {
                    ssh_user: Some("geo".into()),
                    ssh_port: Some(2222),
                    ..new_cluster("site-b", Connection::Ssh)
                },
                false,
            )
            .await
            .unwrap();
        assert_eq!(
            (c.connection, c.ssh_user.as_str(), c.ssh_port),
            (Connection::Ssh, "geo", 2222)
        );
        assert_eq!(s.find_cluster("site-b").await.unwrap(), c);
        assert_eq!(
            s.find_cluster(&c.id.to_string()).await.unwrap().name,
            "site-b"
        );
        let events = s
            .events(&Default::default(), Default::default(), 20)
            .await
            .unwrap()
            .events;
        let results: Vec<_> = events
            .iter()
            .filter(|e| e.action == "cluster_register")
            .map(|e| e.result.as_str())
            .collect();
        // newest first: the registration, the unreachable one, the duplicate, six refusals
        assert_eq!(results.len(), 9, "{events:#?}");
        assert_eq!(&results[..2], ["ok", "failed"], "{results:?}");
        assert!(results[2..].iter().all(|r| *r == "refused"), "{results:?}");
    }

    #[tokio::test]
    async fn editing_changes_names_and_every_ssh_host_but_not_a_local_clusters_ssh() {
        let (_dir, store) = open().await;
        let f = seed(&store).await;
        let s = service(store.clone());
        let local = f.cluster.id.into_uuid();
        let ssh_only = ClusterEdit {
            ssh_port: Some(2222),
            ..Default::default()
        };
        let r = s.edit_cluster("admin", local, ssh_only, false).await;
        assert!(matches!(r, Err(ServiceError::Invalid(_))), "{r:?}");
        let r = s
            .edit_cluster("admin", local, ClusterEdit::default(), false)
            .await;
        assert!(
            matches!(r, Err(ServiceError::Invalid(_))),
            "nothing to change: {r:?}"
        );

        let b = s
            .register_cluster("admin", new_cluster("site-b", Connection::Ssh), false)
            .await
            .unwrap();
        // a second host of the pool, as the sync would add it
        let mut c = store.conn().await.unwrap();
        let first = store::hosts_of_cluster(&mut c, b.id.into())
            .await
            .unwrap()
            .remove(0);
        store::insert_host(
            &mut c,
            &HostRow {
                id: Uuid::new_v4().into(),
                address: "node2".into(),
                ..first
            },
        )
        .await
        .unwrap();
        drop(c);
        let taken = ClusterEdit {
            name: Some(f.cluster.name.clone()),
            ..Default::default()
        };
        let r = s.edit_cluster("admin", b.id, taken, false).await;
        assert!(matches!(r, Err(ServiceError::Conflict(_))), "{r:?}");
        // gluster is asked with the new settings first; it fails here, so nothing changes
        let edit = ClusterEdit {
            name: Some("dr-site".into()),
            ssh_user: Some("geo".into()),
            ssh_port: Some(2222),
            ..Default::default()
        };
        let r = s.edit_cluster("admin", b.id, edit.clone(), true).await;
        assert!(matches!(r, Err(ServiceError::Gluster(_))), "{r:?}");
        let unchanged = s.cluster(b.id).await.unwrap();
        assert_eq!(
            (unchanged.name, unchanged.ssh_user, unchanged.ssh_port),
            (b.name, b.ssh_user, b.ssh_port)
        );
        let changed = s.edit_cluster("admin", b.id, edit, false).await.unwrap();
        assert_eq!(
            (
                changed.name.as_str(),
                changed.ssh_user.as_str(),
                changed.ssh_port
            ),
            ("dr-site", "geo", 2222)
        );
        let hosts = s.hosts(b.id).await.unwrap();
        assert_eq!(hosts.len(), 2);
        assert!(
            hosts
                .iter()
                .all(|h| (h.ssh_user.as_str(), h.ssh_port) == ("geo", 2222)),
            "{hosts:?}"
        );
        let event = s
            .events(&Default::default(), Default::default(), 1)
            .await
            .unwrap()
            .events
            .remove(0);
        assert_eq!(
            (event.action.as_str(), event.result.as_str()),
            ("cluster_edit", "ok")
        );
        assert_eq!(
            event.message.as_deref(),
            Some("name site-b -> dr-site; ssh user root -> geo; ssh port 22 -> 2222")
        );
        // a key for a host the cluster does not have is refused before ssh-keyscan
        let edit = ClusterEdit {
            host_key: Some(app::domain::HostKeyAccept {
                host: "node9".into(),
                fingerprint: "SHA256:sA55ynBTDWueQFaCi2JETzYdhAD5FM5Kkr9kvFvYxKg".into(),
            }),
            ..Default::default()
        };
        let r = s.edit_cluster("admin", b.id, edit, false).await;
        assert!(matches!(r, Err(ServiceError::NotFound(_))), "{r:?}");
    }

    #[tokio::test]
    async fn removing_waits_for_operations_asks_about_sessions_and_forgets_only_georeps_rows() {
        let (_dir, store) = open().await;
        let f = seed(&store).await;
        let s = service(store.clone());
        let id = f.cluster.id.into_uuid();
        let session = f.session.session_id.into_uuid();
        // a failover record of its session, and history: an event
        let op = s
            .begin(
                Plan::new(
                    OperationKind::Pause,
                    Subject::Session(session),
                    Lane::Change,
                    "admin",
                )
                .step("pause", false),
            )
            .await
            .unwrap();
        op.enter(1, None, false).await;
        let r = s.remove_cluster("admin", id, true).await;
        match r {
            Err(ServiceError::Conflict(m)) => {
                assert!(m.contains(&op.id.to_string()), "names the operation: {m}")
            }
            other => panic!("not refused while an operation runs: {other:?}"),
        }
        let audit = Audit {
            actor: "admin".into(),
            action: "pause".into(),
            cluster_id: Some(f.cluster.id),
            session_id: Some(f.session.session_id),
            target: "mastervol -> vm::slavevol".into(),
            operation_id: None,
        };
        op.finish(&audit, &Ok::<(), ServiceError>(()), None).await;
        let mut c = store.conn().await.unwrap();
        store::insert_failover(
            &mut c,
            &store::FailoverRow {
                id: Uuid::new_v4().into(),
                session_id: f.session.session_id,
                role: "failed_over".into(),
                planned: true,
                failed_over_at: Utc::now(),
                failed_back_at: None,
                recovery_point: None,
                bricks: "[]".into(),
                master_stopped: true,
                saved_options: "[]".into(),
                failover_operation: Uuid::new_v4().into(),
                failback_operation: None,
                reverse_session: None,
                master_read_only: None,
            },
        )
        .await
        .unwrap();
        drop(c);

        let r = s.remove_cluster("admin", id, false).await;
        match r {
            Err(ServiceError::Conflict(m)) => {
                assert!(m.contains("1 geo-replication session"), "{m}")
            }
            other => panic!("removed without force: {other:?}"),
        }
        assert!(s.cluster(id).await.is_ok(), "still there");
        let removed = s.remove_cluster("admin", id, true).await.unwrap();
        assert_eq!(
            (removed.hosts, removed.volumes, removed.sessions),
            (1, 1, 1)
        );
        for table in [
            "clusters",
            "hosts",
            "gluster_volumes",
            "gluster_georep_session",
            "gluster_georep_session_details",
            "gluster_georep_config",
            "failovers",
        ] {
            assert_eq!(
                count(&store, &format!("SELECT COUNT(*) FROM {table}")).await,
                0,
                "{table}"
            );
        }
        // the history stays: the operation and the events, the removal's last
        assert_eq!(count(&store, "SELECT COUNT(*) FROM operations").await, 1);
        let events = s
            .events(&Default::default(), Default::default(), 10)
            .await
            .unwrap()
            .events;
        let e = &events[0];
        assert_eq!(
            (e.action.as_str(), e.result.as_str(), e.target.as_str()),
            ("cluster_remove", "ok", "site-a")
        );
        assert!(
            e.message
                .as_deref()
                .is_some_and(|m| m.contains("1 session(s)")),
            "{e:?}"
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| e.action == "cluster_remove")
                .map(|e| e.result.as_str())
                .collect::<Vec<_>>(),
            ["ok", "refused", "refused"]
        );
        let again = s.remove_cluster("admin", id, true).await;
        assert!(matches!(again, Err(ServiceError::NotFound(_))), "{again:?}");
    }
}
