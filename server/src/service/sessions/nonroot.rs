//! A non-root session's slave side, set up by georep (issue 19) the way gluster's guide does
//! it by hand: the user and group on every slave node, `gluster-mountbroker setup` and `add`,
//! glusterd restarted on every slave node whose glusterd.vol changed since it started (one at
//! a time), the master node's root key in the user's authorized_keys; after `create
//! push-pem`, `set_geo_rep_pem_keys.sh` on the slave host. Each step is verified by reading
//! the nodes again (`gluster::nodes`), and skipped, saying so, when already so.
use super::super::names::UserName;
use super::super::operations::Operation;
use super::super::{Result, Service, ServiceError};
use super::preflight::{Planned, SlaveSide};
use crate::domain::hosts::target_of;
use crate::gluster::keys::KeyMode;
use crate::gluster::parse::nodes::SlaveFacts;
use crate::gluster::GlusterError;
use crate::store::{ClusterRow, HostRow};
use app::operations::StepState;

/// Where the mountbroker mounts for its users when the slave nodes have no root yet
/// (gluster's guide's choice).
pub(super) const MOUNTBROKER_ROOT: &str = "/var/mountbroker-root";
/// The mountbroker's group when the admin names none and the slave nodes have none.
pub(super) const DEFAULT_GROUP: &str = "geogroup";

/// The set-up's steps before gsec_create, in order (all safe to run again).
pub(super) const SETUP_STEPS: [&str; 5] = [
    "the user and group on every slave node",
    "gluster-mountbroker setup",
    "gluster-mountbroker add",
    "restart glusterd on the slave nodes whose glusterd.vol changed, one at a time",
    "the master node's root key in the user's authorized_keys on every slave node",
];
/// The step after the session is read back.
pub(super) const PEM_KEYS_STEP: &str =
    "the session's keys on every slave node (set_geo_rep_pem_keys.sh)";

/// How long the push-pem hook may take to leave the session's key in the user's home.
const PEM_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

impl Service {
    /// Every slave node's facts for `user`, or the first node that did not answer.
    async fn slave_nodes_read(
        &self,
        slave: &SlaveSide,
        user: &str,
        key: &str,
    ) -> Result<Vec<(HostRow, SlaveFacts)>> {
        let mut read = Vec::new();
        for (h, _) in &slave.nodes {
            let f = self
                .gluster()
                .slave_facts(&target_of(h), user, key, &[])
                .await
                .map_err(|e| ServiceError::Incomplete(format!("{}: {e}", h.address)))?;
            read.push((h.clone(), f));
        }
        Ok(read)
    }

    /// The nodes where `bad` finds something, each with it; Incomplete naming them.
    fn all_well(
        read: &[(HostRow, SlaveFacts)],
        bad: impl Fn(&SlaveFacts) -> Option<String>,
    ) -> Result<()> {
        let found: Vec<String> = read
            .iter()
            .filter_map(|(h, f)| bad(f).map(|w| format!("{}: {w}", h.address)))
            .collect();
        match found.is_empty() {
            true => Ok(()),
            false => Err(ServiceError::Incomplete(found.join("; "))),
        }
    }

    /// Step `position` (`command`): skipped when `done` held on every slave node `before`;
    /// else `run`, then every node read again must satisfy `done` (`lacks` says what a node
    /// lacks).
    #[allow(clippy::too_many_arguments)]
    async fn mountbroker_step(
        &self,
        op: &Operation,
        (position, command): (i64, &str),
        (slave, user, before): (&SlaveSide, &str, &[(HostRow, SlaveFacts)]),
        done: &(dyn Fn(&SlaveFacts) -> bool + Sync),
        lacks: &(dyn Fn(&SlaveFacts) -> String + Sync),
        run: impl std::future::Future<Output = std::result::Result<String, GlusterError>>,
        note: String,
    ) -> Result<()> {
        if before.iter().all(|(_, f)| done(f)) {
            op.leave(
                position,
                StepState::Skipped,
                Some("already so on every slave node"),
            )
            .await;
            return Ok(());
        }
        let work = async {
            run.await?;
            let read = self.slave_nodes_read(slave, user, "").await?;
            Self::all_well(&read, |f| (!done(f)).then(|| lacks(f)))
        };
        op.step(position, Some(command), work, |_| Some(note)).await
    }

    /// Steps 1 to 5 of a create with `setup_slave` (`SETUP_STEPS`).
    pub(super) async fn set_up_slave(
        &self,
        op: &Operation,
        cluster: &ClusterRow,
        p: &Planned,
        slave: &SlaveSide,
        group: Option<&str>,
    ) -> Result<()> {
        let g = self.gluster();
        let user = p.user.as_str();
        let vol = p.volume.as_str();
        let before = self.slave_nodes_read(slave, user, "").await?;
        let group = match group {
            Some(gr) => UserName::parse(gr)?.as_str().to_owned(),
            None => before
                .iter()
                .find_map(|(_, f)| f.group.clone())
                .unwrap_or_else(|| DEFAULT_GROUP.into()),
        };
        let root = before
            .iter()
            .find_map(|(_, f)| f.mountbroker_root.clone())
            .unwrap_or_else(|| MOUNTBROKER_ROOT.into());
        let asked = target_of(slave.node_asked(&p.host)?);

        let command =
            format!("on every slave node: groupadd {group}; useradd -m -p '*' -G {group} {user}");
        op.step(
            1,
            Some(&command),
            async {
                for (h, _) in &slave.nodes {
                    let groups = g
                        .ensure_user(&target_of(h), user, &group)
                        .await
                        .map_err(|e| ServiceError::Incomplete(format!("{}: {e}", h.address)))?;
                    if !groups.split_whitespace().any(|x| x == group) {
                        return Err(ServiceError::Incomplete(format!(
                            "{}: {user} is in {groups:?}, not in {group}",
                            h.address
                        )));
                    }
                }
                let read = self.slave_nodes_read(slave, user, "").await?;
                Self::all_well(&read, |f| {
                    if f.home.is_none() {
                        Some(format!("no user {user}"))
                    } else if f.locked {
                        Some(format!(
                            "{user}'s account is locked (usermod -p '*' {user})"
                        ))
                    } else if !f.gluster_on_path {
                        Some(format!(
                            "gluster is not on {user}'s PATH after /etc/profile"
                        ))
                    } else {
                        None
                    }
                })
            },
            |_| {
                Some(format!(
                    "{user} in {group} on {} node(s)",
                    slave.nodes.len()
                ))
            },
        )
        .await?;

        let set = |f: &SlaveFacts| {
            f.mountbroker_root.as_deref() == Some(root.as_str())
                && f.root_is_safe() == Some(true)
                && f.group.as_deref() == Some(group.as_str())
                && f.group_exists
        };
        self.mountbroker_step(
            op,
            (2, &format!("gluster-mountbroker setup {root} {group}")),
            (slave, user, &before),
            &set,
            &|f| match (&f.mountbroker_root, f.root_is_safe()) {
                (Some(_), Some(false)) => format!(
                    "{root} still owned by uid {} with mode {:o}",
                    f.root_owner.unwrap_or(0),
                    f.root_mode.unwrap_or(0)
                ),
                _ => format!("glusterd.vol does not name {root} and {group}"),
            },
            g.mountbroker_setup(&asked, &root, &group),
            format!("{root} (root, 0711) and group {group} on every slave node"),
        )
        .await?;
        let added = |f: &SlaveFacts| f.user_volumes.iter().any(|v| v == vol);
        self.mountbroker_step(
            op,
            (3, &format!("gluster-mountbroker add {vol} {user}")),
            (slave, user, &before),
            &added,
            &|_| format!("glusterd.vol does not let {user} mount {vol}"),
            g.mountbroker_add(&asked, vol, user),
            format!("{user} may mount {vol} on every slave node"),
        )
        .await?;

        let stale = |f: &SlaveFacts| match (f.volfile_mtime, f.glusterd_started) {
            (Some(m), Some(s)) => s < m,
            _ => true,
        };
        let read = self.slave_nodes_read(slave, user, "").await?;
        let due: Vec<&HostRow> = read
            .iter()
            .filter(|(_, f)| stale(f))
            .map(|(h, _)| h)
            .collect();
        if due.is_empty() {
            op.leave(
                4,
                StepState::Skipped,
                Some("every slave node's glusterd started after its glusterd.vol changed"),
            )
            .await;
        } else {
            let names: Vec<&str> = due.iter().map(|h| h.address.as_str()).collect();
            let command = format!(
                "{} on {}, one at a time",
                g.restart_command().join(" "),
                names.join(", ")
            );
            op.step(
                4,
                Some(&command),
                async {
                    for h in &due {
                        let t = target_of(h);
                        g.restart_glusterd(&t)
                            .await
                            .map_err(|e| ServiceError::Incomplete(format!("{}: {e}", h.address)))?;
                        let f = g
                            .slave_facts(&t, user, "", &[])
                            .await
                            .map_err(|e| ServiceError::Incomplete(format!("{}: {e}", h.address)))?;
                        if stale(&f) {
                            return Err(ServiceError::Incomplete(format!(
                                "{}: glusterd did not restart",
                                h.address
                            )));
                        }
                    }
                    Ok(())
                },
                |_| {
                    Some(format!(
                        "glusterd restarted and answering on {}",
                        names.join(", ")
                    ))
                },
            )
            .await?;
        }

        let master_target = self.target_of_cluster(cluster).await?;
        let port = p.ssh_port;
        let facts = g
            .master_facts(&master_target, user, p.host.as_str(), port)
            .await?;
        if facts.ssh.is_ok() {
            op.leave(
                5,
                StepState::Skipped,
                Some(&format!(
                    "the master node reaches {user}@{} already",
                    p.host
                )),
            )
            .await;
            return Ok(());
        }
        let key = facts.pubkeys.first().cloned().ok_or_else(|| {
            ServiceError::Incomplete(
                "the master node's root has no ssh key (ssh-keygen there, as root)".into(),
            )
        })?;
        let command = format!("on every slave node: {key:.24}… into ~{user}/.ssh/authorized_keys");
        op.step(
            5,
            Some(&command),
            async {
                for (h, _) in &slave.nodes {
                    g.authorize_key(&target_of(h), user, &key)
                        .await
                        .map_err(|e| ServiceError::Incomplete(format!("{}: {e}", h.address)))?;
                }
                let after = g
                    .master_facts(&master_target, user, p.host.as_str(), port)
                    .await?;
                after.ssh.map_err(|e| {
                    ServiceError::Incomplete(format!(
                        "the master node still cannot reach {user}@{}: {e}",
                        p.host
                    ))
                })
            },
            |_| Some(format!("the master node reaches {user}@{}", p.host)),
        )
        .await?;
        Ok(())
    }

    /// Step `position`: `set_geo_rep_pem_keys.sh` on the slave host's node once push-pem's
    /// hook left the session's key in the user's home (it runs after `create` returned), then
    /// the session's key lines read back in the user's authorized_keys on every slave node.
    pub(super) async fn install_session_keys(
        &self,
        op: &Operation,
        position: i64,
        master_volume: &str,
        p: &Planned,
        slave: &SlaveSide,
    ) -> Result<()> {
        let g = self.gluster();
        let (user, vol) = (p.user.as_str(), p.volume.as_str());
        let host = slave.node_asked(&p.host)?;
        let command = format!("set_geo_rep_pem_keys.sh {user} {master_volume} {vol}");
        let work = async {
            let until = tokio::time::Instant::now() + PEM_WAIT;
            loop {
                match g
                    .set_pem_keys(&target_of(host), user, master_volume, vol)
                    .await
                {
                    Ok(_) => break,
                    // the hook has not copied the key yet
                    Err(e)
                        if e.to_string().contains("not present")
                            && tokio::time::Instant::now() < until =>
                    {
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await
                    }
                    Err(e) => return Err(ServiceError::from(e)),
                }
            }
            for (h, _) in &slave.nodes {
                let k = g
                    .session_keys(&target_of(h), KeyMode::Check, user, master_volume, vol)
                    .await
                    .map_err(|e| ServiceError::Incomplete(format!("{}: {e}", h.address)))?;
                if k.in_file == 0 || k.authorized < k.in_file {
                    return Err(ServiceError::Incomplete(format!(
                        "{}: {} of the session's {} key lines in {user}'s authorized_keys",
                        h.address, k.authorized, k.in_file
                    )));
                }
            }
            Ok(())
        };
        op.step(position, Some(&command), work, |_| {
            Some(format!(
                "the session's keys in {user}'s authorized_keys on every slave node"
            ))
        })
        .await
    }
}
