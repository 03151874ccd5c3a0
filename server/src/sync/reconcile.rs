//! Turns one cluster's gluster snapshot into SQLite rows, inside the caller's transaction,
//! writing only what changed (an idle cycle writes nothing).
use std::collections::{HashMap, HashSet};

use app::domain::{BrickState, BrickStatus, HostStatus, SessionStatus};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::hosts::{session_name, slave_spec};
use crate::domain::options;
use crate::domain::status;
use crate::domain::workers::{brick_status, crawl_status};
use crate::gluster::model::{GeorepPair, GeorepStatus, Peer, VolumeInfo, VolumeStatus};
use crate::store::{
    self, BrickRow, ConfigRow, HostRow, Id, SessionDetailRow, SessionRow, VolumeRow,
};

/// What one sync read from a cluster.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The host row that answered (the `localhost` of `pool list`).
    pub queried_host: Option<Id>,
    pub peers: Vec<Peer>,
    pub volumes: Vec<VolumeInfo>,
    pub status: Vec<VolumeStatus>,
    pub georep: GeorepStatus,
    /// Options by session key; a session missing here keeps its stored options.
    pub configs: HashMap<String, Vec<(String, String)>>,
}

/// Something the sync found changed (for the audit trail: what no action of georep caused
/// was done outside georep). `name` is the session as the trail names it,
/// `master -> [user@]host::volume`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    SessionAppeared {
        session_id: Uuid,
        session_key: String,
        name: String,
    },
    SessionVanished {
        session_id: Uuid,
        session_key: String,
        name: String,
    },
    SessionStatus {
        session_id: Uuid,
        name: String,
        from: SessionStatus,
        to: SessionStatus,
    },
    /// The session's slave volume is gone (`mark_slave_gone`): it replicates nowhere. Found in
    /// the slave's cluster; the session is the master's.
    SessionStale {
        session_id: Uuid,
        master_cluster_id: Uuid,
        name: String,
        reason: String,
    },
    /// A new value of an option an admin sets (never gluster's own values, nor a session's
    /// first ones).
    OptionChanged {
        session_id: Uuid,
        name: String,
        key: String,
        from: String,
        to: String,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Rows inserted, updated or deleted.
    pub writes: u64,
    pub changes: Vec<Change>,
    /// Sessions whose hold saw gluster report past the stale states: the action has taken
    /// effect, and a later stale-looking report (a pause from the CLI after a resume) is real.
    pub settled: Vec<Uuid>,
}

/// A status an action just caused, kept while gluster still reports the state before it
/// (`start` answers before the workers are even Initializing: gluster says Created for ~3 s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    pub status: SessionStatus,
    /// What gluster may still report meanwhile (the state before the action).
    pub stale: Vec<SessionStatus>,
    pub until: DateTime<Utc>,
}

/// Holds by session id.
pub type Holds = HashMap<Uuid, Hold>;

pub async fn reconcile(
    conn: &mut dyn store::Conn,
    cluster_id: Id,
    snap: &Snapshot,
    now: DateTime<Utc>,
) -> store::Result<Report> {
    reconcile_held(conn, cluster_id, snap, now, &Guard::default()).await
}

/// What recent actions protect from a cycle: statuses held over stale reports, and sessions
/// an action changed after the cycle began to read (by session key), which the cycle leaves
/// alone — its snapshot of them is older than what the action wrote.
#[derive(Clone, Debug, Default)]
pub struct Guard {
    pub holds: Holds,
    pub skip: HashSet<String>,
    /// When the read this guards began (a cycle's; None: a refresh of one pair).
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

/// `reconcile`, keeping what recent actions wrote (`guard`) over older reports.
pub async fn reconcile_held(
    conn: &mut dyn store::Conn,
    cluster_id: Id,
    snap: &Snapshot,
    now: DateTime<Utc>,
    guard: &Guard,
) -> store::Result<Report> {
    let mut r = Report::default();
    let hosts = reconcile_hosts(conn, cluster_id, snap, now, &mut r).await?;
    let host_of_peer: HashMap<Uuid, Id> = hosts
        .iter()
        .filter_map(|h| h.gluster_uuid.map(|u| (u.into_uuid(), h.id)))
        .collect();

    // volumes and bricks
    let old_volumes: HashMap<Uuid, VolumeRow> = store::volumes_of_cluster(conn, cluster_id)
        .await?
        .into_iter()
        .map(|v| (v.id.into_uuid(), v))
        .collect();
    let seen: HashSet<Uuid> = snap.volumes.iter().map(|v| v.id).collect();
    for (id, v) in &old_volumes {
        if !seen.contains(id) {
            mark_slave_gone(conn, cluster_id, v, now, &mut r).await?;
            store::delete_volume(conn, v.id).await?;
            r.writes += 1;
        }
    }
    let old_bricks: HashMap<Uuid, BrickRow> = store::bricks_of_cluster(conn, cluster_id)
        .await?
        .into_iter()
        .map(|b| (b.id.into_uuid(), b))
        .collect();
    // bricks: (volume id) -> rows in volume order, for the sessions below
    let mut bricks_of: HashMap<Uuid, Vec<BrickRow>> = HashMap::new();
    for vol in &snap.volumes {
        // brick processes by (peer, path): one lookup per brick, not a scan
        let nodes: HashMap<(Uuid, &str), &crate::gluster::model::NodeStatus> = snap
            .status
            .iter()
            .filter(|s| s.name == vol.name)
            .flat_map(|s| s.bricks())
            .filter_map(|n| n.peer_id.map(|p| ((p, n.path.as_str()), n)))
            .collect();
        let mut rows = Vec::with_capacity(vol.bricks.len());
        for b in &vol.bricks {
            let node = nodes.get(&(b.host_uuid, b.path.as_str())).copied();
            let state = match (vol.status_code, node) {
                (1, Some(n)) if n.online => BrickState::Online,
                (1, _) => BrickState::Offline,
                _ => BrickState::Stopped,
            };
            let id = brick_id(vol.id, b);
            let old = old_bricks.get(&id);
            let size_total = node.and_then(|n| n.size_total).map(|v| v as i64);
            let size_free = node.and_then(|n| n.size_free).map(|v| v as i64);
            rows.push(BrickRow {
                id: id.into(),
                volume_id: vol.id.into(),
                host_id: host_of_peer.get(&b.host_uuid).copied(),
                host_uuid: Some(b.host_uuid.into()),
                server_name: b.host.clone(),
                path: b.path.clone(),
                position: b.position as i64,
                status: state,
                size_total: settle(old.and_then(|o| o.size_total), size_total, size_total),
                size_free: settle(old.and_then(|o| o.size_free), size_free, size_total),
            });
        }
        let row = volume_row(cluster_id, vol, &rows, now);
        match old_volumes.get(&vol.id) {
            Some(old)
                if VolumeRow {
                    updated_at: old.updated_at,
                    ..row.clone()
                } == *old => {}
            _ => {
                store::upsert_volume(conn, &row).await?;
                r.writes += 1;
            }
        }
        bricks_of.insert(vol.id, rows);
    }
    let wanted: HashSet<Uuid> = bricks_of
        .values()
        .flatten()
        .map(|b| b.id.into_uuid())
        .collect();
    for (id, b) in &old_bricks {
        if !wanted.contains(id) && seen.contains(&b.volume_id.into_uuid()) {
            store::delete_brick(conn, b.id).await?;
            r.writes += 1;
        }
    }
    for b in bricks_of.values().flatten() {
        if old_bricks.get(&b.id.into_uuid()) != Some(b) {
            store::upsert_brick(conn, b).await?;
            r.writes += 1;
        }
    }

    let masters: HashMap<&str, (Uuid, usize)> = snap
        .volumes
        .iter()
        .map(|v| {
            let set = status::set_size(v.replica_count as i64, v.disperse_count as i64);
            (v.name.as_str(), (v.id, set))
        })
        .collect();
    let read = SessionsRead {
        georep: &snap.georep,
        configs: &snap.configs,
        masters: &masters,
        bricks_of: &bricks_of,
    };
    reconcile_sessions(conn, cluster_id, &read, now, guard, &mut r).await?;
    Ok(r)
}

/// The sessions of `georep` (with `configs`) written over the volumes and bricks SQLite has:
/// what a refresh of a few sessions needs, without re-reading the volumes and bricks (a
/// session's actions do not change them). Sessions not in `georep` are left alone only when `guard`
/// skips them: the caller puts every other session of the cluster there.
pub async fn reconcile_sessions_held(
    conn: &mut dyn store::Conn,
    cluster_id: Id,
    georep: &GeorepStatus,
    configs: &HashMap<String, Vec<(String, String)>>,
    now: DateTime<Utc>,
    guard: &Guard,
) -> store::Result<Report> {
    let volumes = store::volumes_of_cluster(conn, cluster_id).await?;
    let masters: HashMap<&str, (Uuid, usize)> = volumes
        .iter()
        .map(|v| {
            let set = status::set_size(v.replica_count, v.disperse_count);
            (v.name.as_str(), (v.id.into_uuid(), set))
        })
        .collect();
    let mut bricks_of: HashMap<Uuid, Vec<BrickRow>> = HashMap::new();
    for b in store::bricks_of_cluster(conn, cluster_id).await? {
        bricks_of
            .entry(b.volume_id.into_uuid())
            .or_default()
            .push(b);
    }
    let mut r = Report::default();
    let read = SessionsRead {
        georep,
        configs,
        masters: &masters,
        bricks_of: &bricks_of,
    };
    reconcile_sessions(conn, cluster_id, &read, now, guard, &mut r).await?;
    Ok(r)
}

/// What the session rows are made from: gluster's sessions and options, and the master
/// volumes (name -> id and replica/disperse set size) with their bricks in volume order.
struct SessionsRead<'a> {
    georep: &'a GeorepStatus,
    configs: &'a HashMap<String, Vec<(String, String)>>,
    masters: &'a HashMap<&'a str, (Uuid, usize)>,
    bricks_of: &'a HashMap<Uuid, Vec<BrickRow>>,
}

async fn reconcile_hosts(
    conn: &mut dyn store::Conn,
    cluster_id: Id,
    snap: &Snapshot,
    now: DateTime<Utc>,
    r: &mut Report,
) -> store::Result<Vec<HostRow>> {
    let old = store::hosts_of_cluster(conn, cluster_id).await?;
    let mut new = old.clone();
    let template = snap
        .queried_host
        .and_then(|q| old.iter().find(|h| h.id == q))
        .or(old.first())
        .cloned();
    let mut matched = HashSet::new();
    for peer in &snap.peers {
        let pos = new
            .iter()
            .position(|h| h.gluster_uuid.map(|u| u.into_uuid()) == Some(peer.uuid))
            .or_else(|| {
                if peer.hostname == "localhost" {
                    snap.queried_host
                        .and_then(|q| new.iter().position(|h| h.id == q))
                } else {
                    new.iter().position(|h| {
                        h.gluster_uuid.is_none() && h.address.eq_ignore_ascii_case(&peer.hostname)
                    })
                }
            });
        let pos = match pos {
            Some(p) => p,
            None => {
                let Some(t) = &template else { continue };
                new.push(HostRow {
                    id: Uuid::new_v4().into(),
                    address: peer.hostname.clone(),
                    gluster_uuid: None,
                    status: HostStatus::Unknown,
                    last_seen_at: None,
                    ..t.clone()
                });
                new.len() - 1
            }
        };
        let h = &mut new[pos];
        h.gluster_uuid = Some(peer.uuid.into());
        let status = if peer.connected {
            HostStatus::Connected
        } else {
            HostStatus::Disconnected
        };
        if h.status != status {
            h.status = status;
            // "since": written when the state changes, not every cycle
            h.last_seen_at = Some(now);
        }
        matched.insert(h.id);
    }
    for h in new.iter_mut().filter(|h| !matched.contains(&h.id)) {
        if h.status != HostStatus::Missing {
            h.status = HostStatus::Missing;
            h.last_seen_at = Some(now);
        }
    }
    for h in &new {
        match old.iter().find(|o| o.id == h.id) {
            Some(o) if o == h => {}
            Some(_) => {
                store::update_host(conn, h).await?;
                r.writes += 1;
            }
            None => {
                store::insert_host(conn, h).await?;
                r.writes += 1;
            }
        }
    }
    Ok(new)
}

async fn reconcile_sessions(
    conn: &mut dyn store::Conn,
    cluster_id: Id,
    read: &SessionsRead<'_>,
    now: DateTime<Utc>,
    guard: &Guard,
    r: &mut Report,
) -> store::Result<()> {
    let old_sessions: HashMap<String, SessionRow> = store::sessions_of_cluster(conn, cluster_id)
        .await?
        .into_iter()
        .map(|s| (s.session_key.clone(), s))
        .collect();
    let mut old_details: HashMap<(Uuid, Uuid), SessionDetailRow> = HashMap::new();
    for d in store::details_of_cluster(conn, cluster_id).await? {
        old_details.insert((d.session_id.into_uuid(), d.master_brick_id.into_uuid()), d);
    }
    let mut old_config: HashMap<Uuid, Vec<ConfigRow>> = HashMap::new();
    for c in store::config_of_cluster(conn, cluster_id).await? {
        old_config
            .entry(c.session_id.into_uuid())
            .or_default()
            .push(c);
    }

    let mut seen = HashSet::new();
    for (master_name, gs) in read.georep.sessions() {
        let Some(&(volume_id, set_size)) = read.masters.get(master_name) else {
            tracing::warn!(
                volume = master_name,
                "geo-replication session of an unknown volume"
            );
            continue;
        };
        seen.insert(gs.session_key.clone());
        if guard.skip.contains(&gs.session_key) {
            continue;
        }
        let bricks = read
            .bricks_of
            .get(&volume_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let old = old_sessions.get(&gs.session_key);
        let session_id = old
            .map(|s| s.session_id)
            .unwrap_or_else(|| Uuid::new_v4().into());
        let name = session_name(
            master_name,
            &slave_spec(&gs.slave_user, &gs.slave_host, &gs.slave_volume),
        );

        // one detail row per master brick, matched by (peer uuid, path); missing = OFFLINE
        let pairs: HashMap<(Uuid, &str), &GeorepPair> = gs
            .pairs
            .iter()
            .map(|p| ((p.master_node_uuid, p.master_brick.as_str()), p))
            .collect();
        let details: Vec<SessionDetailRow> = bricks
            .iter()
            .map(|b| {
                let pair = b
                    .host_uuid
                    .and_then(|u| pairs.get(&(u.into_uuid(), b.path.as_str())).copied());
                detail_row(session_id, b.id, pair, now)
            })
            .collect();
        let statuses: Vec<BrickStatus> = details.iter().map(|d| d.status).collect();
        let status = status::aggregate(&statuses, set_size);
        let status = match guard.holds.get(&session_id.into_uuid()) {
            Some(h) if now < h.until && h.stale.contains(&status) => h.status,
            Some(_) => {
                r.settled.push(session_id.into_uuid());
                status
            }
            None => status,
        };
        let (slave_host_uuid, slave_volume_id) =
            resolve_slave(conn, gs.slave_volume_uuid, &gs.slave_host).await?;
        // marked when its slave volume was deleted (below, in the slave's cluster's cycle): a
        // deleted volume's id never comes back
        let (stale_reason, stale_since) = match (slave_volume_id, old) {
            (None, Some(o)) => (o.stale_reason.clone(), o.stale_since),
            _ => (None, None),
        };
        let row = SessionRow {
            session_id,
            master_volume_id: volume_id.into(),
            session_key: gs.session_key.clone(),
            slave_host_uuid,
            slave_host_name: gs.slave_host.clone(),
            slave_volume_id,
            slave_volume_name: gs.slave_volume.clone(),
            slave_user: gs.slave_user.clone(),
            status,
            created_at: old.map(|o| o.created_at).unwrap_or(now),
            updated_at: now,
            stale_reason,
            stale_since,
        };
        match old {
            None => {
                store::insert_session(conn, &row).await?;
                r.writes += 1;
                r.changes.push(Change::SessionAppeared {
                    session_id: session_id.into_uuid(),
                    session_key: gs.session_key.clone(),
                    name: name.clone(),
                });
            }
            Some(o)
                if SessionRow {
                    updated_at: o.updated_at,
                    ..row.clone()
                } == *o => {}
            Some(o) => {
                store::update_session(conn, &row).await?;
                r.writes += 1;
                if o.status != row.status {
                    r.changes.push(Change::SessionStatus {
                        session_id: session_id.into_uuid(),
                        name: name.clone(),
                        from: o.status,
                        to: status,
                    });
                }
            }
        }
        for d in &details {
            match old_details.remove(&(session_id.into_uuid(), d.master_brick_id.into_uuid())) {
                Some(o)
                    if SessionDetailRow {
                        updated_at: o.updated_at,
                        ..d.clone()
                    } == o => {}
                _ => {
                    store::upsert_session_detail(conn, d).await?;
                    r.writes += 1;
                }
            }
        }
        let stale: Vec<SessionDetailRow> = old_details
            .extract_if(|(sid, _), _| *sid == session_id.into_uuid())
            .map(|(_, d)| d)
            .collect();
        for d in stale {
            store::delete_session_detail(conn, d.session_id, d.master_brick_id).await?;
            r.writes += 1;
        }

        if let Some(options) = read.configs.get(&gs.session_key) {
            let old_rows = old_config
                .remove(&session_id.into_uuid())
                .unwrap_or_default();
            reconcile_config(conn, session_id, &name, options, &old_rows, r).await?;
        }
    }

    let master_names: HashMap<Uuid, &str> = read
        .masters
        .iter()
        .map(|(name, (id, _))| (*id, *name))
        .collect();
    for (key, s) in &old_sessions {
        if !seen.contains(key) && !guard.skip.contains(key) {
            store::delete_session(conn, s.session_id).await?;
            r.writes += 1;
            let slave = slave_spec(&s.slave_user, &s.slave_host_name, &s.slave_volume_name);
            // its master volume is known (a deleted volume takes its sessions along)
            let name = master_names
                .get(&s.master_volume_id.into_uuid())
                .map_or_else(|| key.clone(), |m| session_name(m, &slave));
            r.changes.push(Change::SessionVanished {
                session_id: s.session_id.into_uuid(),
                session_key: key.clone(),
                name,
            });
        }
    }
    Ok(())
}

/// The slave volume is known when its gluster id (the key's suffix) is a volume georep has;
/// the slave host then is the peer (by gluster UUID) of that volume's cluster with the slave's
/// name: a host with that address, else the peer of a brick of the volume with that server
/// name (a slave cluster registered by IP, while gluster names the slave host by name).
async fn resolve_slave(
    conn: &mut dyn store::Conn,
    slave_volume_uuid: Option<Uuid>,
    slave_host: &str,
) -> store::Result<(Option<Id>, Option<Id>)> {
    let Some(vol_id) = slave_volume_uuid else {
        return Ok((None, None));
    };
    let Some(vol) = store::get_volume(conn, vol_id.into()).await? else {
        return Ok((None, None));
    };
    let by_address = store::hosts_by_address(conn, slave_host)
        .await?
        .into_iter()
        .find(|h| h.cluster_id == vol.cluster_id)
        .and_then(|h| h.gluster_uuid);
    let host = match by_address {
        Some(uuid) => Some(uuid),
        None => store::bricks_of_volume(conn, vol.id)
            .await?
            .into_iter()
            .find(|b| b.server_name.eq_ignore_ascii_case(slave_host))
            .and_then(|b| b.host_uuid),
    };
    Ok((host, Some(vol.id)))
}

/// The sessions (of any cluster) whose slave is `gone`, a volume gluster no longer has, marked
/// stale: gluster lists them as long as their master lives, but they replicate nowhere. Only
/// seen here, as the volume goes (its row's deletion forgets which sessions it served); a
/// session georep first sees with its slave already gone is not marked.
async fn mark_slave_gone(
    conn: &mut dyn store::Conn,
    cluster_id: Id,
    gone: &VolumeRow,
    now: DateTime<Utc>,
    r: &mut Report,
) -> store::Result<()> {
    let served = store::sessions_of_slave_volume(conn, gone.id).await?;
    if served.is_empty() {
        return Ok(());
    }
    let cluster = store::get_cluster(conn, cluster_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let reason = format!(
        "the slave volume {} ({}) was deleted from cluster {cluster}",
        gone.name, gone.id
    );
    for (s, master) in served {
        if s.stale_reason.is_some() {
            continue;
        }
        store::set_session_stale(conn, s.session_id, &reason, now).await?;
        r.writes += 1;
        r.changes.push(Change::SessionStale {
            session_id: s.session_id.into_uuid(),
            master_cluster_id: master.cluster_id.into_uuid(),
            name: session_name(
                &master.name,
                &slave_spec(&s.slave_user, &s.slave_host_name, &s.slave_volume_name),
            ),
            reason: reason.clone(),
        });
    }
    Ok(())
}

/// `name`'s options as gluster lists them now, over `old_rows`. A new value of an option an
/// admin sets is a change; what gluster fills in itself (`options::set_by_admins`) and the
/// values of an option listed for the first time (a session's first ones) are not.
async fn reconcile_config(
    conn: &mut dyn store::Conn,
    session_id: Id,
    name: &str,
    options: &[(String, String)],
    old_rows: &[ConfigRow],
    r: &mut Report,
) -> store::Result<()> {
    for (key, value) in options {
        let old = old_rows.iter().find(|o| &o.config_key == key);
        if old.map(|o| &o.config_value) == Some(value) {
            continue;
        }
        let row = ConfigRow {
            session_id,
            config_key: key.clone(),
            config_value: value.clone(),
            default_value: old.and_then(|o| o.default_value.clone()),
            read_only: old.is_some_and(|o| o.read_only),
        };
        store::upsert_config(conn, &row).await?;
        r.writes += 1;
        if let Some(o) = old.filter(|_| options::set_by_admins(key)) {
            r.changes.push(Change::OptionChanged {
                session_id: session_id.into_uuid(),
                name: name.to_owned(),
                key: key.clone(),
                from: o.config_value.clone(),
                to: value.clone(),
            });
        }
    }
    // an option gluster no longer lists (another version's): gone from the rows, no change of
    // anyone's
    for o in old_rows
        .iter()
        .filter(|o| !options.iter().any(|(k, _)| *k == o.config_key))
    {
        store::delete_config(conn, session_id, &o.config_key).await?;
        r.writes += 1;
    }
    Ok(())
}

/// Free space moves all the time: the stored figure is kept while it is within 0.5 % of the
/// brick's size (at least 256 MiB) of the new one, so that an idle cycle writes nothing.
pub fn settle(old: Option<i64>, new: Option<i64>, total: Option<i64>) -> Option<i64> {
    let tolerance = (total.unwrap_or(0) / 200).max(256 << 20);
    match (old, new) {
        (Some(o), Some(n)) if (o - n).abs() <= tolerance => Some(o),
        _ => new,
    }
}

/// A brick's id: gluster reports none of its own (the `uuid` attribute of `volume info`'s
/// `<brick>` is the peer's uuid), so it is derived from what identifies a brick: its volume,
/// its peer and its path.
fn brick_id(volume: Uuid, b: &crate::gluster::model::BrickInfo) -> Uuid {
    Uuid::new_v5(&volume, format!("{}:{}", b.host_uuid, b.path).as_bytes())
}

fn volume_row(
    cluster_id: Id,
    v: &VolumeInfo,
    bricks: &[BrickRow],
    now: DateTime<Utc>,
) -> VolumeRow {
    // usable size: raw brick sizes less replication or erasure-coding redundancy
    let sum = |f: fn(&BrickRow) -> Option<i64>| -> Option<i64> {
        let all: Option<Vec<i64>> = bricks.iter().map(f).collect();
        all.filter(|a| !a.is_empty()).map(|a| a.iter().sum::<i64>())
    };
    let usable = |raw: i64| {
        if v.disperse_count > 0 {
            raw * (v.disperse_count - v.redundancy_count) as i64 / v.disperse_count as i64
        } else {
            raw / v.replica_count.max(1) as i64
        }
    };
    VolumeRow {
        id: v.id.into(),
        cluster_id,
        name: v.name.clone(),
        volume_type: v.type_str.clone(),
        status: v.status_str.clone(),
        brick_count: v.brick_count as i64,
        replica_count: v.replica_count as i64,
        disperse_count: v.disperse_count as i64,
        size_total: sum(|b| b.size_total).map(usable),
        size_free: sum(|b| b.size_free).map(usable),
        updated_at: now,
    }
}

/// A brick's detail row; the seed's counters by the documented mapping
/// (files_pending ← data, deletes_pending ← entry, files_skipped ← failures), never invented.
fn detail_row(
    session_id: Id,
    brick_id: Id,
    pair: Option<&GeorepPair>,
    now: DateTime<Utc>,
) -> SessionDetailRow {
    let n = |v: Option<u64>| v.map(|v| v.min(i64::MAX as u64) as i64);
    match pair {
        None => SessionDetailRow {
            session_id,
            master_brick_id: brick_id,
            slave_host_uuid: None,
            slave_host_name: None,
            status: BrickStatus::Offline,
            checkpoint_status: None,
            crawl_status: None,
            files_synced: None,
            files_pending: None,
            bytes_pending: None,
            deletes_pending: None,
            files_skipped: None,
            entry_pending: None,
            data_pending: None,
            meta_pending: None,
            failures: None,
            last_synced_at: None,
            checkpoint_time: None,
            checkpoint_completed_at: None,
            updated_at: now,
        },
        Some(p) => SessionDetailRow {
            session_id,
            master_brick_id: brick_id,
            slave_host_uuid: None,
            slave_host_name: p.slave_node.clone().filter(|s| !s.is_empty()),
            status: brick_status(&p.status),
            checkpoint_status: p
                .checkpoint_completed
                .map(|c| if c { "completed" } else { "not_completed" }.into()),
            crawl_status: crawl_status(&p.crawl_status),
            files_synced: None,
            files_pending: n(p.data),
            bytes_pending: None,
            deletes_pending: n(p.entry),
            files_skipped: n(p.failures),
            entry_pending: n(p.entry),
            data_pending: n(p.data),
            meta_pending: n(p.meta),
            failures: n(p.failures),
            last_synced_at: p.last_synced,
            checkpoint_time: p.checkpoint_time,
            checkpoint_completed_at: p.checkpoint_completion_time,
            updated_at: now,
        },
    }
}
