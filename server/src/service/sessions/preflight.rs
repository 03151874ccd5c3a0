//! The pre-flight check of a planned session (issue 19): the node that will run `create` and
//! every slave node asked at once (`gluster::nodes`), judged by `domain::preflight` with the
//! slave volume as stored. The REST resource and the create dialog read the clusters again
//! first; a create asks it before anything is changed.
use app::domain::NewSession;
use app::preflight::Preflight;
use chrono::Utc;
use futures_util::future::join_all;

use super::super::names::{HostName, UserName, VolumeName};
use super::super::{Result, Service, ServiceError};
use crate::domain::hosts::target_of;
use crate::domain::preflight::{judge, Inputs, Read, SlaveVolume};
use crate::gluster::parse::nodes::{MasterFacts, SlaveFacts};
use crate::gluster::GlusterError;
use crate::store::{self, ClusterRow, HostRow, VolumeRow};

/// A planned session, its names checked.
pub(super) struct Planned {
    pub host: HostName,
    pub volume: VolumeName,
    pub user: UserName,
    pub ssh_port: u16,
}

impl Planned {
    pub fn of(new: &NewSession) -> Result<Planned> {
        Ok(Planned {
            host: HostName::parse(&new.slave_host)?,
            volume: VolumeName::parse(&new.slave_volume)?,
            user: UserName::parse(new.slave_user.as_deref().unwrap_or(""))?,
            ssh_port: new.ssh_port.unwrap_or(22),
        })
    }
}

/// The slave cluster's side as georep stores it: the volume, its nodes with the volume's
/// brick paths on each.
pub(super) struct SlaveSide {
    pub volume: VolumeRow,
    pub nodes: Vec<(HostRow, Vec<String>)>,
}

impl SlaveSide {
    /// The node gluster's slave-side tools are run on: the slave host's, else any (they
    /// reach the node's peers themselves).
    pub fn node_asked(&self, host: &HostName) -> Result<&HostRow> {
        self.nodes
            .iter()
            .find(|(h, _)| h.address.eq_ignore_ascii_case(host.as_str()))
            .or(self.nodes.first())
            .map(|(h, _)| h)
            .ok_or_else(|| ServiceError::Incomplete("georep knows no slave node".into()))
    }
}

/// `f` timed: what it read, with the node clock's offset from georep's (`now_ms` against the
/// middle of the call).
async fn timed<T>(
    f: impl std::future::Future<Output = std::result::Result<T, GlusterError>>,
    now_ms: impl Fn(&T) -> Option<i64>,
) -> Read<T> {
    let before = Utc::now().timestamp_millis();
    let read = f.await.map_err(|e| e.to_string())?;
    let middle = (before + Utc::now().timestamp_millis()) / 2;
    let offset = now_ms(&read).map_or(0, |n| n - middle);
    Ok((read, offset))
}

impl Service {
    /// The pre-flight of `new` on fresh reads of both clusters (the create dialog, REST).
    pub async fn preflight(&self, new: &NewSession) -> Result<Preflight> {
        let (master, cluster) = self.volume_and_cluster(new.master_volume_id).await?;
        let p = Planned::of(new)?;
        let master = self
            .read_again(&cluster, &master, &p.host, &p.volume)
            .await?;
        self.preflight_now(&master, &cluster, &p).await
    }

    /// The slave volume `host::volume` where georep manages it.
    pub(super) async fn planned_slave(&self, p: &Planned) -> Result<Option<SlaveSide>> {
        let mut c = self.conn().await?;
        let Some(volume) =
            store::volume_by_host_and_name(&mut c, p.host.as_str(), p.volume.as_str()).await?
        else {
            return Ok(None);
        };
        let bricks = store::bricks_of_volume(&mut c, volume.id).await?;
        let nodes = store::hosts_of_cluster(&mut c, volume.cluster_id)
            .await?
            .into_iter()
            .map(|h| {
                let paths = bricks
                    .iter()
                    .filter(|b| b.host_id == Some(h.id))
                    .map(|b| b.path.clone())
                    .collect();
                (h, paths)
            })
            .collect();
        Ok(Some(SlaveSide { volume, nodes }))
    }

    /// The master node's facts and every slave node's, read at once.
    pub(super) async fn node_facts(
        &self,
        cluster: &ClusterRow,
        p: &Planned,
        slave: Option<&SlaveSide>,
    ) -> Result<(Read<MasterFacts>, Vec<(String, Read<SlaveFacts>)>)> {
        let target = self.target_of_cluster(cluster).await?;
        let g = self.gluster();
        let master = timed(
            g.master_facts(&target, p.user.as_str(), p.host.as_str(), p.ssh_port),
            |m: &MasterFacts| m.now_ms,
        )
        .await;
        // the slave nodes are asked whether the key ssh offers first is authorized
        let key = match &master {
            Ok((m, _)) => m.pubkeys.first().cloned().unwrap_or_default(),
            Err(_) => String::new(),
        };
        let nodes = slave.map(|s| s.nodes.as_slice()).unwrap_or_default();
        let reads = join_all(nodes.iter().map(|(h, bricks)| {
            let bricks: Vec<&str> = bricks.iter().map(String::as_str).collect();
            let target = target_of(h);
            let key = key.clone();
            async move {
                timed(
                    g.slave_facts(&target, p.user.as_str(), &key, &bricks),
                    |f: &SlaveFacts| f.now_ms,
                )
                .await
            }
        }))
        .await;
        let slave_nodes = nodes
            .iter()
            .map(|(h, _)| h.address.clone())
            .zip(reads)
            .collect();
        Ok((master, slave_nodes))
    }

    /// Every check of `p` from `master`'s cluster, with what is stored of the volumes now.
    pub(super) async fn preflight_now(
        &self,
        master: &VolumeRow,
        cluster: &ClusterRow,
        p: &Planned,
    ) -> Result<Preflight> {
        let slave = self.planned_slave(p).await?;
        let (master_facts, slave_nodes) = self.node_facts(cluster, p, slave.as_ref()).await?;
        let states: Vec<_> = {
            let mut c = self.conn().await?;
            match &slave {
                Some(s) => store::bricks_of_volume(&mut c, s.volume.id)
                    .await?
                    .into_iter()
                    .map(|b| b.status)
                    .collect(),
                None => vec![],
            }
        };
        Ok(judge(&Inputs {
            user: p.user.as_str(),
            slave_host: p.host.as_str(),
            slave_volume: p.volume.as_str(),
            master_size: master.size_total,
            slave: slave.as_ref().map(|s| SlaveVolume {
                started: s.volume.status == "Started",
                bricks: &states,
                size: s.volume.size_total,
            }),
            master: master_facts,
            slave_nodes,
        }))
    }
}
