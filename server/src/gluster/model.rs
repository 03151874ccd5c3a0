//! Types parsed from `gluster --mode=script --xml …` answers (see `parse.rs`).
//!
//! Naming: gluster ≥ 10 says primary/secondary, gluster < 10 master/slave. These types use
//! master/slave throughout (the words the UI and the API use); the parsers accept both.
//!
//! All types are plain data: `Clone + Debug + PartialEq + Eq` and serde both ways, so they can
//! be handed to the API layer as they are.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The part every answer has: `<cliOutput><opRet/><opErrno/><opErrstr/>…`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// 0 = success. Seen otherwise: -1 (error), 2 ("already Paused" / "is not Paused"),
    /// -3 (config-set failed).
    pub op_ret: i32,
    /// 30800 on the failures seen; 0 on success; 0 when the element is absent.
    pub op_errno: i32,
    /// The message, entities decoded (`&amp;` → `&`), otherwise verbatim. `None` when the element
    /// is absent, empty or only whitespace. May be set with `op_ret == 0` (a warning or an
    /// informational note such as "config-set successful" or "primary not found").
    pub op_errstr: Option<String>,
}

impl Envelope {
    pub fn is_ok(&self) -> bool {
        self.op_ret == 0
    }
}

/// One entry of `pool list` / `peer status` (`peerStatus/peer`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub uuid: Uuid,
    /// As gluster prints it; `pool list` says `localhost` for the node it runs on.
    pub hostname: String,
    pub connected: bool,
}

/// One volume of `volume info` (`volInfo/volumes/volume`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeInfo {
    pub id: Uuid,
    pub name: String,
    /// gluster's numeric status: 0 Created, 1 Started, 2 Stopped.
    pub status_code: i32,
    /// `statusStr`, e.g. "Started".
    pub status_str: String,
    /// gluster's numeric type: 0 Distribute, 2 Replicate, 4 Disperse, 5 Distributed-Replicate, …
    pub type_code: i32,
    /// `typeStr`, e.g. "Distribute", "Replicate", "Distributed-Replicate".
    pub type_str: String,
    pub brick_count: u32,
    pub dist_count: u32,
    pub replica_count: u32,
    /// 0 when gluster leaves it out.
    pub arbiter_count: u32,
    /// 0 when gluster leaves it out.
    pub disperse_count: u32,
    /// 0 when gluster leaves it out.
    pub redundancy_count: u32,
    /// 0 tcp, 1 rdma, 2 tcp,rdma; 0 when gluster leaves it out.
    pub transport: i32,
    /// In gluster's order (the order matters: it defines replica / disperse sets).
    pub bricks: Vec<BrickInfo>,
    /// Reconfigured options (`options/option/{name,value}`), gluster's order; value may be "".
    pub options: Vec<(String, String)>,
}

/// One `bricks/brick` of `volume info`: `<brick uuid="U">host:/path<name>host:/path</name>
/// <hostUuid>U</hostUuid><isArbiter>0</isArbiter></brick>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrickInfo {
    /// The `uuid` attribute (the uuid of the peer holding the brick); `None` when absent.
    pub uuid: Option<Uuid>,
    pub host: String,
    /// Absolute path on `host`.
    pub path: String,
    pub host_uuid: Uuid,
    pub is_arbiter: bool,
    /// 0-based position in the volume's brick list.
    pub position: usize,
}

/// One volume of `volume status [VOL|all] [detail]` (`volStatus/volumes/volume`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeStatus {
    pub name: String,
    /// Every `node` in gluster's order: bricks *and* daemons (see [`NodeStatus::is_brick`]).
    pub nodes: Vec<NodeStatus>,
}

impl VolumeStatus {
    /// The brick processes only (self-heal daemon, NFS server, snapshot daemon, … left out).
    pub fn bricks(&self) -> impl Iterator<Item = &NodeStatus> {
        self.nodes.iter().filter(|n| n.is_brick)
    }
}

/// One `node` of `volume status`. Daemons appear as nodes too, e.g. hostname
/// "Self-heal Daemon" with path "localhost" or a peer's host name; they have `is_brick == false`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// True when `path` is absolute, i.e. this node is a brick process.
    pub is_brick: bool,
    /// The brick's host, or the daemon's name ("Self-heal Daemon", "NFS Server", …).
    pub hostname: String,
    /// The brick's path, or (for a daemon) the host it runs on.
    pub path: String,
    /// `peerid`; `None` when absent (very old gluster).
    pub peer_id: Option<Uuid>,
    /// `status` 1 → true, 0 → false.
    pub online: bool,
    /// TCP port; `None` for "N/A" or 0 (daemons, offline bricks).
    pub port: Option<u16>,
    /// `None` for "N/A" or a value ≤ 0 (offline).
    pub pid: Option<u32>,
    /// The following are only present with `detail`; `None` otherwise or for "N/A".
    pub size_total: Option<u64>,
    pub size_free: Option<u64>,
    pub device: Option<String>,
    pub fs_name: Option<String>,
    pub inodes_total: Option<u64>,
    pub inodes_free: Option<u64>,
}

/// `volume geo-replication [M [H::S]] status [detail]`: all sessions found, per master volume.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeorepStatus {
    pub volumes: Vec<GeorepVolume>,
}

impl GeorepStatus {
    /// All sessions of all volumes, flattened, with their master volume's name.
    pub fn sessions(&self) -> impl Iterator<Item = (&str, &GeorepSession)> {
        self.volumes
            .iter()
            .flat_map(|v| v.sessions.iter().map(move |s| (v.name.as_str(), s)))
    }
}

/// `geoRep/volume`: one master volume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeorepVolume {
    /// The master volume's name.
    pub name: String,
    pub sessions: Vec<GeorepSession>,
}

/// `geoRep/volume/sessions/session`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeorepSession {
    /// `session_secondary` / `session_slave` verbatim:
    /// `<master node uuid>:ssh://[user@]<slave host>::<slave volume>:<slave volume uuid>`.
    pub session_key: String,
    /// The uuid at the start of the key.
    pub master_node_uuid: Uuid,
    /// The first pair's `secondary_user`/`slave_user`; else the `user@` of the key; else "root".
    pub slave_user: String,
    /// Host part of the key, without any `user@`.
    pub slave_host: String,
    pub slave_volume: String,
    /// `None` when the key has no trailing uuid.
    pub slave_volume_uuid: Option<Uuid>,
    /// One per master brick.
    pub pairs: Vec<GeorepPair>,
}

/// `session/pair`: one master brick's worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeorepPair {
    pub master_node: String,
    pub master_brick: String,
    pub slave_user: String,
    /// Verbatim: `vm::slavevol` from a per-session status, `ssh://vm::slavevol` from the
    /// all-sessions and per-volume status.
    pub slave: String,
    /// `None` for "N/A" or empty (empty for Active workers in gluster 10.3).
    pub slave_node: Option<String>,
    pub status: WorkerStatus,
    pub crawl_status: CrawlStatus,
    /// Counters: `None` for "N/A" (worker not running) or empty.
    pub entry: Option<u64>,
    pub data: Option<u64>,
    pub meta: Option<u64>,
    pub failures: Option<u64>,
    /// Yes → Some(true), No → Some(false), N/A → None.
    pub checkpoint_completed: Option<bool>,
    pub master_node_uuid: Uuid,
    /// gluster prints local time without a zone; read as UTC (see `parse.rs`).
    pub last_synced: Option<DateTime<Utc>>,
    pub checkpoint_time: Option<DateTime<Utc>>,
    pub checkpoint_completion_time: Option<DateTime<Utc>>,
}

/// A worker's `status`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WorkerStatus {
    Created,
    /// gluster prints "Initializing...".
    Initializing,
    Active,
    Passive,
    Paused,
    Stopped,
    Faulty,
    Offline,
    /// Anything else, verbatim (e.g. "Config Corrupted").
    Unknown(String),
}

/// A worker's `crawl_status`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CrawlStatus {
    /// "Changelog Crawl"
    Changelog,
    /// "Hybrid Crawl"
    Hybrid,
    /// "History Crawl"
    History,
    /// "N/A" (or empty): the worker is not running.
    NotAvailable,
    /// Anything else, verbatim.
    Other(String),
}

/// The answer to an action (geo-rep create/start/stop/pause/resume/delete, config set/reset,
/// `volume start`/`stop`) that succeeded (opRet 0).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionAnswer {
    /// `opErrstr` when non-empty: a warning or note that came with the success, e.g.
    /// "vm::slavevol is not empty. … use force …", "geo-replication is not set up" (stop of a
    /// stopped session), "config-set successful", "delete successful".
    pub message: Option<String>,
}

/// One option of `volume get VOLUME KEY`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeOption {
    pub key: String,
    pub value: String,
    /// gluster's default (not set on the volume).
    pub default: bool,
}
