//! Pure parsers for the stdout of `gluster --mode=script --xml …` (no I/O).
//!
//! Every function takes the whole stdout (as `&str`; give invalid UTF-8 through
//! `String::from_utf8_lossy`) and never panics, whatever the input.
//!
//! How it works: the XML is read with quick-xml's serde support into private `Raw*` structs
//! whose leaves are all `Option<String>` (so a missing element, an empty element, "N/A" or a
//! bad number become *our* decision, with a useful error, instead of a generic serde error);
//! then the raw structs are checked and turned into the types of `model.rs`.
//!
//! Errors (see [`ParseError`]):
//! * stdout empty or not starting with `<` (CLI-side errors print nothing; `gsec_create`
//!   prints plain text; a geo-rep `status` with no session at all prints the plain line
//!   `geo-replication command failed` and exits 2) → [`ParseError::NotXml`] with the text.
//! * `opRet` ≠ 0 → [`ParseError::Command`] with gluster's `opErrstr` verbatim (entities decoded).
//! * XML that does not have the expected shape, or is truncated → [`ParseError::Malformed`].
//!
//! gluster < 10 says master/slave where gluster ≥ 10 says primary/secondary in the geo-rep
//! status; both are accepted (serde `alias`).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use super::model::*;

/// How much of an offending text is kept in an error.
const SNIPPET_CHARS: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// gluster answered, with `opRet` ≠ 0. `message` is `opErrstr` verbatim (entities decoded;
    /// empty when gluster gave none).
    #[error("gluster: {message} (opRet {op_ret}, opErrno {op_errno})")]
    Command {
        op_ret: i32,
        op_errno: i32,
        message: String,
    },
    /// stdout was empty or plain text (first ~200 characters kept, whitespace trimmed).
    /// For a geo-rep status this is how gluster says "no session at all":
    /// `NotXml("geo-replication command failed")`; the caller decides what that means.
    #[error("gluster printed no XML: {0:?}")]
    NotXml(String),
    /// XML that does not fit the expected document (or is truncated / not well formed).
    #[error("unexpected gluster XML: {0}")]
    Malformed(String),
}

type Result<T> = std::result::Result<T, ParseError>;

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// Reads `<cliOutput><opRet/><opErrno/><opErrstr/>…`. Returns the envelope whatever `opRet`
/// says (the `parse_*` functions turn `opRet` ≠ 0 into [`ParseError::Command`]).
/// `opRet` is required; a missing `opErrno` reads as 0; an empty `opErrstr` as `None`.
/// The name of the root element is not checked.
pub fn check_envelope(xml: &str) -> Result<Envelope> {
    let raw: RawEnvelope = de(xml, "envelope")?;
    let op_ret = match raw.op_ret {
        Some(s) => num::<i32>(&s, "opRet")?,
        None => return Err(malformed("no <opRet> in the answer")),
    };
    let op_errno = match raw.op_errno {
        Some(s) if !s.trim().is_empty() => num::<i32>(&s, "opErrno")?,
        _ => 0,
    };
    let op_errstr = raw.op_errstr.filter(|s| !s.trim().is_empty());
    Ok(Envelope {
        op_ret,
        op_errno,
        op_errstr,
    })
}

/// `pool list --xml` and `peer status --xml`: `peerStatus/peer*/{uuid, hostname, connected}`.
/// An empty `<peerStatus/>` (what `peer status` says on a single node) gives an empty list.
pub fn parse_pool_list(xml: &str) -> Result<Vec<Peer>> {
    let doc: PoolDoc = ok_body(xml, "pool list")?;
    let peers = doc
        .peer_status
        .ok_or_else(|| malformed("no <peerStatus> in the answer"))?
        .peer;
    peers
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let ctx = format!("peer {}", i + 1);
            Ok(Peer {
                uuid: uuid(req(p.uuid, &ctx, "uuid")?.as_str(), &ctx, "uuid")?,
                hostname: req(p.hostname, &ctx, "hostname")?,
                connected: flag(&req(p.connected, &ctx, "connected")?, &ctx, "connected")?,
            })
        })
        .collect()
}

/// `volume info [VOL] --xml`: `volInfo/volumes/volume*`. No volume → empty list.
pub fn parse_volume_info(xml: &str) -> Result<Vec<VolumeInfo>> {
    let doc: VolInfoDoc = ok_body(xml, "volume info")?;
    let volumes = doc
        .vol_info
        .ok_or_else(|| malformed("no <volInfo> in the answer"))?
        .volumes
        .map(|v| v.volume)
        .unwrap_or_default();
    volumes
        .into_iter()
        .enumerate()
        .map(|(i, v)| convert_volume_info(i, v))
        .collect()
}

/// `volume status [VOL|all] [detail] --xml`: `volStatus/volumes/volume*/{volName, node*}`.
/// Daemons (self-heal daemon, NFS server, …) are kept with `is_brick == false`; use
/// [`VolumeStatus::bricks`] for the bricks only.
pub fn parse_volume_status(xml: &str) -> Result<Vec<VolumeStatus>> {
    let doc: VolStatusDoc = ok_body(xml, "volume status")?;
    let volumes = doc
        .vol_status
        .ok_or_else(|| malformed("no <volStatus> in the answer"))?
        .volumes
        .map(|v| v.volume)
        .unwrap_or_default();
    volumes
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let ctx = format!("volume {}", i + 1);
            let name = req(v.vol_name, &ctx, "volName")?;
            let nodes = v
                .node
                .into_iter()
                .enumerate()
                .map(|(j, n)| convert_node(&format!("{ctx} ({name}) node {}", j + 1), n))
                .collect::<Result<Vec<_>>>()?;
            Ok(VolumeStatus { name, nodes })
        })
        .collect()
}

/// `volume geo-replication [MASTER [HOST::SLAVE]] status [detail] --xml`.
///
/// `geoRep/volume*/{name, sessions/session*/{session_secondary|session_slave, pair*}}`.
/// An empty status (`<geoRep/>`, no `<geoRep>` at all, or volumes without sessions) gives an
/// empty [`GeorepStatus`] / empty session lists.
///
/// When there is no session at all gluster prints no XML, only the plain line
/// `geo-replication command failed` (exit 2): that is returned as
/// `Err(ParseError::NotXml("geo-replication command failed"))` so the caller decides whether it
/// means "no session" (it does for a status of a session that was just deleted, files 103/104)
/// or a real failure.
pub fn parse_georep_status(xml: &str) -> Result<GeorepStatus> {
    let doc: GeoStatusDoc = ok_body(xml, "geo-replication status")?;
    let volumes = doc.geo_rep.map(|g| g.volume).unwrap_or_default();
    let volumes = volumes
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let ctx = format!("geo-rep volume {}", i + 1);
            let name = req(v.name, &ctx, "name")?;
            let sessions = v
                .sessions
                .map(|s| s.session)
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(j, s)| convert_session(&format!("{ctx} ({name}) session {}", j + 1), s))
                .collect::<Result<Vec<_>>>()?;
            Ok(GeorepVolume { name, sessions })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(GeorepStatus { volumes })
}

/// `volume geo-replication MASTER HOST::SLAVE config --xml`: `geoRep/config/<key>value</key>`,
/// in gluster's order; an empty element gives "". An empty `<config/>` (what
/// `config <one option> --xml` answers) gives an empty list.
///
/// The answer to a set/reset (`config KEY VALUE`, `config '!KEY'`) has the same shape with a
/// single `<message>` element, so this returns `[("message", "geo-replication config updated
/// successfully")]` for it; use [`parse_action`] for those answers instead.
pub fn parse_georep_config(xml: &str) -> Result<Vec<(String, String)>> {
    let doc: GeoConfigDoc = ok_body(xml, "geo-replication config")?;
    let config = doc
        .geo_rep
        .and_then(|g| g.config)
        .ok_or_else(|| malformed("no <geoRep><config> in the answer"))?;
    Ok(config.0)
}

/// The answer of an action: geo-rep create/start/stop/pause/resume/delete, config set/reset,
/// `volume start/stop`. Only the envelope is read: opRet 0 → `Ok` with `opErrstr` (if any) as
/// the message (a warning such as "… is not empty … use force …", or a note such as
/// "config-set successful", "delete successful", "geo-replication is not set up");
/// opRet ≠ 0 → [`ParseError::Command`].
pub fn parse_action(xml: &str) -> Result<ActionAnswer> {
    let env = ok_envelope(xml)?;
    Ok(ActionAnswer {
        message: env.op_errstr,
    })
}

// ---------------------------------------------------------------------------------------------
// Raw documents (what quick-xml fills in)
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(rename = "opRet")]
    op_ret: Option<String>,
    #[serde(rename = "opErrno")]
    op_errno: Option<String>,
    #[serde(rename = "opErrstr")]
    op_errstr: Option<String>,
}

#[derive(Deserialize)]
struct PoolDoc {
    #[serde(rename = "peerStatus")]
    peer_status: Option<RawPeers>,
}

#[derive(Deserialize)]
struct RawPeers {
    #[serde(default)]
    peer: Vec<RawPeer>,
}

#[derive(Deserialize)]
struct RawPeer {
    uuid: Option<String>,
    hostname: Option<String>,
    connected: Option<String>,
}

#[derive(Deserialize)]
struct VolInfoDoc {
    #[serde(rename = "volInfo")]
    vol_info: Option<RawVolInfo>,
}

#[derive(Deserialize)]
struct RawVolInfo {
    volumes: Option<RawVolInfoVolumes>,
}

#[derive(Deserialize)]
struct RawVolInfoVolumes {
    #[serde(default)]
    volume: Vec<RawVolume>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawVolume {
    name: Option<String>,
    id: Option<String>,
    status: Option<String>,
    status_str: Option<String>,
    brick_count: Option<String>,
    dist_count: Option<String>,
    replica_count: Option<String>,
    arbiter_count: Option<String>,
    disperse_count: Option<String>,
    redundancy_count: Option<String>,
    #[serde(rename = "type")]
    type_code: Option<String>,
    type_str: Option<String>,
    transport: Option<String>,
    bricks: Option<RawBricks>,
    options: Option<RawOptions>,
}

#[derive(Deserialize)]
struct RawBricks {
    #[serde(default)]
    brick: Vec<RawBrick>,
}

/// `<brick uuid="U">host:/path<name>host:/path</name><hostUuid>U</hostUuid><isArbiter>0</isArbiter></brick>`
/// is mixed content. quick-xml maps it with `$value` onto a sequence of an enum whose
/// `$text` variant takes the text nodes and whose other variants take the child elements, in
/// document order, whatever that order is. (A plain `$text` field next to named fields also
/// reads the real files, but fails with "duplicate field `$text`" as soon as text follows a
/// child element.)
#[derive(Deserialize)]
struct RawBrick {
    #[serde(rename = "@uuid")]
    uuid: Option<String>,
    #[serde(rename = "$value", default)]
    items: Vec<RawBrickItem>,
}

#[derive(Deserialize)]
enum RawBrickItem {
    #[serde(rename = "$text")]
    Text(String),
    #[serde(rename = "name")]
    Name(String),
    #[serde(rename = "hostUuid")]
    HostUuid(String),
    #[serde(rename = "isArbiter")]
    IsArbiter(String),
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct RawOptions {
    #[serde(default)]
    option: Vec<RawOption>,
}

#[derive(Deserialize)]
struct RawOption {
    name: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
struct VolStatusDoc {
    #[serde(rename = "volStatus")]
    vol_status: Option<RawVolStatus>,
}

#[derive(Deserialize)]
struct RawVolStatus {
    volumes: Option<RawVolStatusVolumes>,
}

#[derive(Deserialize)]
struct RawVolStatusVolumes {
    #[serde(default)]
    volume: Vec<RawStatusVolume>,
}

#[derive(Deserialize)]
struct RawStatusVolume {
    #[serde(rename = "volName")]
    vol_name: Option<String>,
    #[serde(default)]
    node: Vec<RawNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNode {
    hostname: Option<String>,
    path: Option<String>,
    #[serde(rename = "peerid")]
    peer_id: Option<String>,
    status: Option<String>,
    port: Option<String>,
    pid: Option<String>,
    size_total: Option<String>,
    size_free: Option<String>,
    device: Option<String>,
    fs_name: Option<String>,
    inodes_total: Option<String>,
    inodes_free: Option<String>,
}

#[derive(Deserialize)]
struct GeoStatusDoc {
    #[serde(rename = "geoRep")]
    geo_rep: Option<RawGeoRep>,
}

#[derive(Deserialize)]
struct RawGeoRep {
    #[serde(default)]
    volume: Vec<RawGeoVolume>,
}

#[derive(Deserialize)]
struct RawGeoVolume {
    name: Option<String>,
    sessions: Option<RawSessions>,
}

#[derive(Deserialize)]
struct RawSessions {
    #[serde(default)]
    session: Vec<RawSession>,
}

#[derive(Deserialize)]
struct RawSession {
    #[serde(rename = "session_secondary", alias = "session_slave")]
    key: Option<String>,
    #[serde(default)]
    pair: Vec<RawPair>,
}

/// Element names of gluster ≥ 10, with the < 10 ones as aliases.
#[derive(Deserialize)]
struct RawPair {
    #[serde(rename = "primary_node", alias = "master_node")]
    master_node: Option<String>,
    #[serde(rename = "primary_brick", alias = "master_brick")]
    master_brick: Option<String>,
    #[serde(rename = "secondary_user", alias = "slave_user")]
    slave_user: Option<String>,
    #[serde(rename = "secondary", alias = "slave")]
    slave: Option<String>,
    #[serde(rename = "secondary_node", alias = "slave_node")]
    slave_node: Option<String>,
    status: Option<String>,
    crawl_status: Option<String>,
    entry: Option<String>,
    data: Option<String>,
    meta: Option<String>,
    failures: Option<String>,
    checkpoint_completed: Option<String>,
    #[serde(rename = "primary_node_uuid", alias = "master_node_uuid")]
    master_node_uuid: Option<String>,
    last_synced: Option<String>,
    checkpoint_time: Option<String>,
    checkpoint_completion_time: Option<String>,
}

#[derive(Deserialize)]
struct GeoConfigDoc {
    #[serde(rename = "geoRep")]
    geo_rep: Option<RawGeoConfig>,
}

#[derive(Deserialize)]
struct RawGeoConfig {
    config: Option<OrderedPairs>,
}

/// The children of an element with arbitrary names, as (name, text) in document order.
/// (A `HashMap`/`BTreeMap` would lose gluster's order; this visits quick-xml's map directly.)
struct OrderedPairs(Vec<(String, String)>);

impl<'de> Deserialize<'de> for OrderedPairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = OrderedPairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("elements with text content")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<OrderedPairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, String>()? {
                    // quick-xml names attributes "@x" and stray text "$text": not options.
                    if key.starts_with('@') || key == "$text" {
                        continue;
                    }
                    pairs.push((key, value));
                }
                Ok(OrderedPairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Raw → model
// ---------------------------------------------------------------------------------------------

fn convert_volume_info(i: usize, v: RawVolume) -> Result<VolumeInfo> {
    let ctx = format!("volume {}", i + 1);
    let name = req(v.name, &ctx, "name")?;
    let ctx = format!("{ctx} ({name})");
    let bricks = v
        .bricks
        .map(|b| b.brick)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(j, b)| convert_brick(&ctx, j, b))
        .collect::<Result<Vec<_>>>()?;
    let options = v
        .options
        .map(|o| o.option)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(j, o)| {
            let octx = format!("{ctx} option {}", j + 1);
            Ok((req(o.name, &octx, "name")?, o.value.unwrap_or_default()))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(VolumeInfo {
        id: uuid(&req(v.id, &ctx, "id")?, &ctx, "id")?,
        status_code: req_num(v.status, &ctx, "status")?,
        status_str: req(v.status_str, &ctx, "statusStr")?,
        type_code: req_num(v.type_code, &ctx, "type")?,
        type_str: req(v.type_str, &ctx, "typeStr")?,
        brick_count: req_num(v.brick_count, &ctx, "brickCount")?,
        dist_count: req_num(v.dist_count, &ctx, "distCount")?,
        replica_count: req_num(v.replica_count, &ctx, "replicaCount")?,
        arbiter_count: num_or_zero(v.arbiter_count, &ctx, "arbiterCount")?,
        disperse_count: num_or_zero(v.disperse_count, &ctx, "disperseCount")?,
        redundancy_count: num_or_zero(v.redundancy_count, &ctx, "redundancyCount")?,
        transport: num_or_zero(v.transport, &ctx, "transport")?,
        name,
        bricks,
        options,
    })
}

fn convert_brick(vctx: &str, position: usize, b: RawBrick) -> Result<BrickInfo> {
    let ctx = format!("{vctx} brick {}", position + 1);
    let mut text = None;
    let mut name = None;
    let mut host_uuid = None;
    let mut is_arbiter = None;
    for item in b.items {
        match item {
            RawBrickItem::Text(t) if text.is_none() && !t.trim().is_empty() => text = Some(t),
            RawBrickItem::Name(n) => name = Some(n),
            RawBrickItem::HostUuid(u) => host_uuid = Some(u),
            RawBrickItem::IsArbiter(a) => is_arbiter = Some(a),
            _ => {}
        }
    }
    // The text and <name> are both "host:/path": the first of them that splits is used.
    // Host names never contain '/', so the first ":/" separates host and path (also for an
    // IPv6 address such as "fe80::1:/srv/b").
    let (host, path) = [text.as_deref(), name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find_map(|s| match s.find(":/") {
            Some(at) if at > 0 => Some((s[..at].to_string(), s[at + 1..].to_string())),
            _ => None,
        })
        .ok_or_else(|| {
            let shown = text.as_deref().or(name.as_deref()).unwrap_or("");
            malformed(format!(
                "{ctx}: brick {:?} is not host:/path",
                snippet(shown.trim())
            ))
        })?;
    let uuid_attr = match b.uuid.filter(|s| !s.trim().is_empty()) {
        Some(s) => Some(uuid(&s, &ctx, "uuid attribute")?),
        None => None,
    };
    let host_uuid = match host_uuid.filter(|s| !s.trim().is_empty()) {
        Some(s) => uuid(&s, &ctx, "hostUuid")?,
        None => uuid_attr.ok_or_else(|| malformed(format!("{ctx}: no <hostUuid>")))?,
    };
    let is_arbiter = match is_arbiter {
        Some(s) if !s.trim().is_empty() => flag(&s, &ctx, "isArbiter")?,
        _ => false,
    };
    Ok(BrickInfo {
        uuid: uuid_attr,
        host,
        path,
        host_uuid,
        is_arbiter,
        position,
    })
}

fn convert_node(ctx: &str, n: RawNode) -> Result<NodeStatus> {
    let hostname = req(n.hostname, ctx, "hostname")?;
    let path = req(n.path, ctx, "path")?;
    let peer_id = match n.peer_id.filter(|s| !is_absent(s)) {
        Some(s) => Some(uuid(&s, ctx, "peerid")?),
        None => None,
    };
    let online = flag(&req(n.status, ctx, "status")?, ctx, "status")?;
    let port = opt_num::<u16>(n.port.as_deref(), ctx, "port")?.filter(|&p| p != 0);
    // An offline process may say -1 or N/A.
    let pid = match opt_num::<i64>(n.pid.as_deref(), ctx, "pid")? {
        Some(p) if p > 0 => {
            Some(u32::try_from(p).map_err(|_| malformed(format!("{ctx}: pid {p} out of range")))?)
        }
        _ => None,
    };
    Ok(NodeStatus {
        is_brick: path.starts_with('/'),
        hostname,
        path,
        peer_id,
        online,
        port,
        pid,
        size_total: opt_num(n.size_total.as_deref(), ctx, "sizeTotal")?,
        size_free: opt_num(n.size_free.as_deref(), ctx, "sizeFree")?,
        device: opt_text(n.device),
        fs_name: opt_text(n.fs_name),
        inodes_total: opt_num(n.inodes_total.as_deref(), ctx, "inodesTotal")?,
        inodes_free: opt_num(n.inodes_free.as_deref(), ctx, "inodesFree")?,
    })
}

fn convert_session(ctx: &str, s: RawSession) -> Result<GeorepSession> {
    let session_key = req(s.key, ctx, "session_secondary")?;
    let key = parse_session_key(&session_key).map_err(|why| {
        malformed(format!(
            "{ctx}: session key {:?}: {why}",
            snippet(&session_key)
        ))
    })?;
    let pairs = s
        .pair
        .into_iter()
        .enumerate()
        .map(|(i, p)| convert_pair(&format!("{ctx} pair {}", i + 1), p))
        .collect::<Result<Vec<_>>>()?;
    let slave_user = pairs
        .first()
        .map(|p| p.slave_user.clone())
        .or(key.user)
        .unwrap_or_else(|| "root".to_string());
    Ok(GeorepSession {
        master_node_uuid: key.master_node_uuid,
        slave_user,
        slave_host: key.host,
        slave_volume: key.volume,
        slave_volume_uuid: key.volume_uuid,
        pairs,
        session_key,
    })
}

struct SessionKey {
    master_node_uuid: Uuid,
    user: Option<String>,
    host: String,
    volume: String,
    volume_uuid: Option<Uuid>,
}

/// `<master node uuid>:ssh://[user@]<host>::<volume>:<volume uuid>`.
fn parse_session_key(key: &str) -> std::result::Result<SessionKey, String> {
    let key = key.trim();
    let (node, rest) = key.split_once(':').ok_or("no ':' after the node uuid")?;
    let master_node_uuid =
        Uuid::parse_str(node.trim()).map_err(|e| format!("bad node uuid: {e}"))?;
    let rest = rest.strip_prefix("ssh://").unwrap_or(rest);
    // rsplit: the volume part never contains "::", an IPv6 host might.
    let (host_part, vol_part) = rest.rsplit_once("::").ok_or("no '::' before the volume")?;
    let (volume, volume_uuid) = match vol_part.rsplit_once(':') {
        Some((v, u)) => (
            v,
            Some(Uuid::parse_str(u).map_err(|e| format!("bad volume uuid: {e}"))?),
        ),
        None => (vol_part, None),
    };
    let (user, host) = match host_part.rsplit_once('@') {
        Some((u, h)) if !u.is_empty() => (Some(u.to_string()), h),
        Some((_, h)) => (None, h),
        None => (None, host_part),
    };
    if host.is_empty() {
        return Err("empty host".into());
    }
    if volume.is_empty() {
        return Err("empty volume".into());
    }
    Ok(SessionKey {
        master_node_uuid,
        user,
        host: host.to_string(),
        volume: volume.to_string(),
        volume_uuid,
    })
}

fn convert_pair(ctx: &str, p: RawPair) -> Result<GeorepPair> {
    Ok(GeorepPair {
        master_node: req(p.master_node, ctx, "primary_node")?,
        master_brick: req(p.master_brick, ctx, "primary_brick")?,
        slave_user: req(p.slave_user, ctx, "secondary_user")?,
        slave: req(p.slave, ctx, "secondary")?,
        slave_node: p.slave_node.and_then(|s| opt_text(Some(s))),
        status: worker_status(&req(p.status, ctx, "status")?),
        crawl_status: crawl_status(p.crawl_status.as_deref().unwrap_or("")),
        entry: opt_num(p.entry.as_deref(), ctx, "entry")?,
        data: opt_num(p.data.as_deref(), ctx, "data")?,
        meta: opt_num(p.meta.as_deref(), ctx, "meta")?,
        failures: opt_num(p.failures.as_deref(), ctx, "failures")?,
        checkpoint_completed: yes_no(p.checkpoint_completed.as_deref(), ctx)?,
        master_node_uuid: uuid(
            &req(p.master_node_uuid, ctx, "primary_node_uuid")?,
            ctx,
            "primary_node_uuid",
        )?,
        last_synced: opt_time(p.last_synced.as_deref(), ctx, "last_synced")?,
        checkpoint_time: opt_time(p.checkpoint_time.as_deref(), ctx, "checkpoint_time")?,
        checkpoint_completion_time: opt_time(
            p.checkpoint_completion_time.as_deref(),
            ctx,
            "checkpoint_completion_time",
        )?,
    })
}

fn worker_status(s: &str) -> WorkerStatus {
    // gluster prints "Initializing..." while a worker starts.
    let key = s.trim().trim_end_matches('.').trim();
    match key.to_ascii_lowercase().as_str() {
        "created" => WorkerStatus::Created,
        "initializing" => WorkerStatus::Initializing,
        "active" => WorkerStatus::Active,
        "passive" => WorkerStatus::Passive,
        "paused" => WorkerStatus::Paused,
        "stopped" => WorkerStatus::Stopped,
        "faulty" => WorkerStatus::Faulty,
        "offline" => WorkerStatus::Offline,
        _ => WorkerStatus::Unknown(s.trim().to_string()),
    }
}

fn crawl_status(s: &str) -> CrawlStatus {
    let s = s.trim();
    if is_absent(s) {
        return CrawlStatus::NotAvailable;
    }
    match s.to_ascii_lowercase().as_str() {
        "changelog crawl" => CrawlStatus::Changelog,
        "hybrid crawl" => CrawlStatus::Hybrid,
        "history crawl" => CrawlStatus::History,
        _ => CrawlStatus::Other(s.to_string()),
    }
}

fn yes_no(s: Option<&str>, ctx: &str) -> Result<Option<bool>> {
    match s.map(str::trim) {
        None => Ok(None),
        Some(s) if is_absent(s) => Ok(None),
        Some(s) if s.eq_ignore_ascii_case("yes") => Ok(Some(true)),
        Some(s) if s.eq_ignore_ascii_case("no") => Ok(Some(false)),
        Some(s) => Err(malformed(format!(
            "{ctx}: checkpoint_completed {:?} is not Yes/No/N/A",
            snippet(s)
        ))),
    }
}

/// gluster prints these times as "YYYY-MM-DD HH:MM:SS" in the local time of the node that
/// answered, without a zone. The lab and the hosts this app manages run in UTC, so they are read
/// as UTC. (If a host ran in another zone, these would be off by its UTC offset.)
fn opt_time(s: Option<&str>, ctx: &str, what: &str) -> Result<Option<DateTime<Utc>>> {
    match s.map(str::trim) {
        None => Ok(None),
        Some(s) if is_absent(s) => Ok(None),
        Some(s) => NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .map(|t| Some(t.and_utc()))
            .map_err(|e| malformed(format!("{ctx}: {what} {:?}: {e}", snippet(s)))),
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The envelope, which must say opRet 0 (else `Command`).
fn ok_envelope(xml: &str) -> Result<Envelope> {
    let env = check_envelope(xml)?;
    if env.op_ret != 0 {
        return Err(ParseError::Command {
            op_ret: env.op_ret,
            op_errno: env.op_errno,
            message: env.op_errstr.unwrap_or_default(),
        });
    }
    Ok(env)
}

/// Envelope check, then the body as `T`.
fn ok_body<T: DeserializeOwned>(xml: &str, what: &str) -> Result<T> {
    ok_envelope(xml)?;
    de(xml, what)
}

/// quick-xml's serde, after telling plain text from XML.
fn de<T: DeserializeOwned>(xml: &str, what: &str) -> Result<T> {
    let xml = xml.trim_start_matches('\u{feff}').trim();
    if !xml.starts_with('<') {
        return Err(ParseError::NotXml(snippet(xml)));
    }
    crate::xml::from_str(xml).map_err(|e| malformed(format!("{what}: {e}")))
}

fn malformed(msg: impl Into<String>) -> ParseError {
    ParseError::Malformed(msg.into())
}

/// The first [`SNIPPET_CHARS`] characters.
fn snippet(s: &str) -> String {
    s.chars().take(SNIPPET_CHARS).collect()
}

/// "N/A" or empty: gluster's way to say "no value".
fn is_absent(s: &str) -> bool {
    let s = s.trim();
    s.is_empty() || s.eq_ignore_ascii_case("N/A")
}

/// A required, non-empty element's text, trimmed.
fn req(v: Option<String>, ctx: &str, what: &str) -> Result<String> {
    match v {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(_) => Err(malformed(format!("{ctx}: empty <{what}>"))),
        None => Err(malformed(format!("{ctx}: no <{what}>"))),
    }
}

fn opt_text(v: Option<String>) -> Option<String> {
    v.filter(|s| !is_absent(s)).map(|s| s.trim().to_string())
}

fn num<T: FromStr>(s: &str, what: &str) -> Result<T> {
    s.trim()
        .parse()
        .map_err(|_| malformed(format!("{what}: {:?} is not a valid number", snippet(s))))
}

fn req_num<T: FromStr>(v: Option<String>, ctx: &str, what: &str) -> Result<T> {
    num(&req(v, ctx, what)?, &format!("{ctx}: {what}"))
}

fn num_or_zero<T: FromStr + Default>(v: Option<String>, ctx: &str, what: &str) -> Result<T> {
    match v {
        Some(s) if !s.trim().is_empty() => num(&s, &format!("{ctx}: {what}")),
        _ => Ok(T::default()),
    }
}

/// A number, or `None` for absent / empty / "N/A".
fn opt_num<T: FromStr>(s: Option<&str>, ctx: &str, what: &str) -> Result<Option<T>> {
    match s {
        Some(s) if !is_absent(s) => num(s, &format!("{ctx}: {what}")).map(Some),
        _ => Ok(None),
    }
}

fn uuid(s: &str, ctx: &str, what: &str) -> Result<Uuid> {
    Uuid::parse_str(s.trim()).map_err(|e| malformed(format!("{ctx}: {what} {:?}: {e}", snippet(s))))
}

/// gluster's 1/0 flags.
fn flag(s: &str, ctx: &str, what: &str) -> Result<bool> {
    match s.trim() {
        "1" => Ok(true),
        "0" => Ok(false),
        other => Err(malformed(format!(
            "{ctx}: {what} {:?} is not 0/1",
            snippet(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    macro_rules! fx {
        ($name:literal) => {
            include_str!(concat!("../../tests/fixtures/gluster/", $name))
        };
    }

    // Real captures (gluster 10.3), named as in shared/gluster-lab/xml/.
    const PEER_STATUS: &str = fx!("002-peer_status.xml");
    const POOL_LIST: &str = fx!("003-pool_list.xml");
    const VOL_INFO_NONE: &str = fx!("005-volume_info.xml");
    const VOL_START: &str = fx!("015-volume_start_mastervol.xml");
    const VOL_START_AGAIN: &str = fx!("017-volume_start_slavevol@already-started.xml");
    const VOL_INFO_PRE: &str = fx!("018-volume_info_mastervol@pre-georep.xml");
    const VOL_STATUS_PRE: &str = fx!("019-volume_status_mastervol@pre-georep.xml");
    const GSEC_CREATE: &str = fx!("022-system___execute_gsec_create.xml");
    const ST_NO_SESSION_ALL: &str = fx!("023-volume_geo-replication_status@no-session.xml");
    const CREATE_BAD_SLAVEVOL: &str =
        fx!("025-volume_geo-replication_mastervol_vm__novol_create_push-pem@bad-slavevol.xml");
    const CREATE_UNREACHABLE: &str = fx!("026-volume_geo-replication_mastervol_127.0.0.2__slavevol_create_push-pem@unreachable-slavehost.xml");
    const CREATE_BAD_MASTERVOL: &str =
        fx!("027-volume_geo-replication_novol_vm__slavevol_create_push-pem@bad-mastervol.xml");
    const ST_NO_SESSION: &str =
        fx!("028-volume_geo-replication_mastervol_vm__slavevol_status_detail@no-session.xml");
    const START_NO_SESSION: &str =
        fx!("029-volume_geo-replication_mastervol_vm__slavevol_start@no-session.xml");
    const DELETE_NO_SESSION: &str =
        fx!("030-volume_geo-replication_mastervol_vm__slavevol_delete@no-session.xml");
    const CONFIG_NO_SESSION: &str =
        fx!("031-volume_geo-replication_mastervol_vm__slavevol_config@no-session.xml");
    const CREATE_OK: &str =
        fx!("032-volume_geo-replication_mastervol_vm__slavevol_create_push-pem.xml");
    const ST_CREATED: &str =
        fx!("033-volume_geo-replication_mastervol_vm__slavevol_status_detail@created.xml");
    const ST_ALL_CREATED: &str = fx!("035-volume_geo-replication_status@created.xml");
    const CREATE_EXISTS: &str =
        fx!("036-volume_geo-replication_mastervol_vm__slavevol_create_push-pem@already-exists.xml");
    const CONFIG_CREATED: &str =
        fx!("037-volume_geo-replication_mastervol_vm__slavevol_config@created.xml");
    const CONFIG_ONE: &str =
        fx!("039-volume_geo-replication_mastervol_vm__slavevol_config_sync-jobs@created.xml");
    const START_OK: &str = fx!("043-volume_geo-replication_mastervol_vm__slavevol_start.xml");
    const ST_INITIALIZING: &str =
        fx!("044-volume_geo-replication_mastervol_vm__slavevol_status_detail@initializing.xml");
    const ST_ACTIVE: &str =
        fx!("045-volume_geo-replication_mastervol_vm__slavevol_status_detail@active.xml");
    const PAUSE_OK: &str = fx!("052-volume_geo-replication_mastervol_vm__slavevol_pause.xml");
    const ST_PAUSED: &str =
        fx!("053-volume_geo-replication_mastervol_vm__slavevol_status_detail@paused.xml");
    const PAUSE_AGAIN: &str =
        fx!("055-volume_geo-replication_mastervol_vm__slavevol_pause@already-paused.xml");
    const START_PAUSED: &str =
        fx!("056-volume_geo-replication_mastervol_vm__slavevol_start@paused.xml");
    const ST_ALL_PAUSED: &str = fx!("057-volume_geo-replication_status@paused.xml");
    const RESUME_AGAIN: &str =
        fx!("059-volume_geo-replication_mastervol_vm__slavevol_resume@already-resumed.xml");
    const STOP_OK: &str = fx!("061-volume_geo-replication_mastervol_vm__slavevol_stop.xml");
    const ST_STOPPED: &str =
        fx!("062-volume_geo-replication_mastervol_vm__slavevol_status_detail@stopped.xml");
    const STOP_AGAIN: &str =
        fx!("064-volume_geo-replication_mastervol_vm__slavevol_stop@already-stopped.xml");
    const RESUME_STOPPED: &str =
        fx!("066-volume_geo-replication_mastervol_vm__slavevol_resume@stopped.xml");
    const ST_CHECKPOINT_SET: &str =
        fx!("069-volume_geo-replication_mastervol_vm__slavevol_status_detail@checkpoint-set.xml");
    const ST_COUNTERS: &str =
        fx!("071-volume_geo-replication_mastervol_vm__slavevol_status_detail@pending-counters.xml");
    const ST_CHECKPOINT_DONE: &str = fx!(
        "072-volume_geo-replication_mastervol_vm__slavevol_status_detail@checkpoint-completed.xml"
    );
    const ST_VOL_CHECKPOINT_DONE: &str =
        fx!("075-volume_geo-replication_mastervol_status@checkpoint-completed.xml");
    const ST_ALL_CHECKPOINT_DONE: &str =
        fx!("076-volume_geo-replication_status_detail@checkpoint-completed.xml");
    const CONFIG_SET: &str =
        fx!("077-volume_geo-replication_mastervol_vm__slavevol_config_sync-jobs_4.xml");
    const CONFIG_BAD_OPTION: &str = fx!("078-volume_geo-replication_mastervol_vm__slavevol_config_no-such-option_4@invalid-option.xml");
    const CONFIG_BAD_VALUE: &str = fx!(
        "079-volume_geo-replication_mastervol_vm__slavevol_config_sync-jobs_abc@invalid-value.xml"
    );
    const CONFIG_RESET: &str = fx!(
        "081-volume_geo-replication_mastervol_vm__slavevol_config_!log-rsync-performance@reset.xml"
    );
    const CONFIG_RESERVED: &str = fx!("082-volume_geo-replication_mastervol_vm__slavevol_config_pid-file__tmp_x.pid@non-configurable.xml");
    const CONFIG_AFTER_SETS: &str =
        fx!("083-volume_geo-replication_mastervol_vm__slavevol_config@after-sets.xml");
    const ST_FAULTY: &str =
        fx!("085-volume_geo-replication_mastervol_vm__slavevol_status_detail@faulty.xml");
    const ST_HISTORY: &str =
        fx!("088-volume_geo-replication_mastervol_vm__slavevol_status_detail@history-crawl.xml");
    const CREATE_FORCE_NOT_EMPTY: &str = fx!("089-volume_geo-replication_mastervol_vm__slavevol_create_push-pem_force@exists-running.xml");
    const DELETE_RUNNING: &str =
        fx!("090-volume_geo-replication_mastervol_vm__slavevol_delete@running.xml");
    const CREATE_BAD_USER: &str = fx!("092-volume_geo-replication_mastervol_nouser@vm__slavevol_create_push-pem@bad-slave-user.xml");
    const VOL_INFO_MASTER: &str = fx!("093-volume_info_mastervol@georep-active.xml");
    const VOL_STATUS_MASTER: &str = fx!("094-volume_status_mastervol@georep-active.xml");
    const VOL_STATUS_DETAIL: &str = fx!("095-volume_status_mastervol_detail@georep-active.xml");
    const VOL_INFO_SLAVE: &str = fx!("096-volume_info_slavevol@georep-active.xml");
    const VOL_INFO_ALL: &str = fx!("097-volume_info@georep-active.xml");
    const VOL_STATUS_ALL: &str = fx!("098-volume_status_all@georep-active.xml");
    const DELETE_OK: &str = fx!("102-volume_geo-replication_mastervol_vm__slavevol_delete.xml");
    const ST_ALL_AFTER_DELETE: &str = fx!("103-volume_geo-replication_status@after-delete.xml");
    const ST_AFTER_DELETE: &str =
        fx!("104-volume_geo-replication_mastervol_vm__slavevol_status@after-delete.xml");
    const DELETE_AGAIN: &str =
        fx!("105-volume_geo-replication_mastervol_vm__slavevol_delete@after-delete.xml");
    const ST_HYBRID: &str =
        fx!("113-volume_geo-replication_mastervol_vm__slavevol_status_detail@hybrid-crawl.xml");
    const ST_REPLICA_BOTH_ACTIVE: &str = fx!("117-volume_geo-replication_mastervol2_vm__slavevol2_status_detail@replica-no-metavol-both-active.xml");
    const ST_TWO_SESSIONS_A: &str = fx!("119-volume_geo-replication_status@two-sessions.xml");
    const ST_ACTIVE_PASSIVE: &str = fx!("122-volume_geo-replication_mastervol2_vm__slavevol2_status_detail@active-passive-metavol.xml");
    const ST_TWO_SESSIONS_B: &str = fx!("124-volume_geo-replication_status@two-sessions.xml");

    // gluster < 10 naming (the files above with master/slave element names).
    const V9: [(&str, &str); 9] = [
        (ST_CREATED, fx!("033-volume_geo-replication_mastervol_vm__slavevol_status_detail@created-v9.xml")),
        (ST_ACTIVE, fx!("045-volume_geo-replication_mastervol_vm__slavevol_status_detail@active-v9.xml")),
        (ST_PAUSED, fx!("053-volume_geo-replication_mastervol_vm__slavevol_status_detail@paused-v9.xml")),
        (ST_COUNTERS, fx!("071-volume_geo-replication_mastervol_vm__slavevol_status_detail@pending-counters-v9.xml")),
        (ST_CHECKPOINT_DONE, fx!("072-volume_geo-replication_mastervol_vm__slavevol_status_detail@checkpoint-completed-v9.xml")),
        (ST_FAULTY, fx!("085-volume_geo-replication_mastervol_vm__slavevol_status_detail@faulty-v9.xml")),
        (ST_TWO_SESSIONS_A, fx!("119-volume_geo-replication_status@two-sessions-v9.xml")),
        (ST_ACTIVE_PASSIVE, fx!("122-volume_geo-replication_mastervol2_vm__slavevol2_status_detail@active-passive-metavol-v9.xml")),
        (ST_TWO_SESSIONS_B, fx!("124-volume_geo-replication_status@two-sessions-v9.xml")),
    ];

    // Hand-made.
    const VOL_STATUS_SHD: &str = fx!("hand-volume_status_mastervol2@replica-shd.xml");
    const ST_EMPTY: &str = fx!("hand-georep_status@empty.xml");
    const ST_NON_ROOT: &str = fx!("hand-georep_status@non-root-user.xml");
    const G_TRUNCATED: &str = fx!("hand-garbage@truncated-045.xml");
    const G_HUGE: &str = fx!("hand-garbage@huge-counter-071.xml");
    const G_HTML: &str = fx!("hand-garbage@html.xml");
    const G_BAD_UTF8: &[u8] =
        include_bytes!("../../tests/fixtures/gluster/hand-garbage@invalid-utf8-045.xml");
    const G_BINARY: &[u8] = include_bytes!("../../tests/fixtures/gluster/hand-garbage@binary.xml");

    const NODE_A: &str = "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc";
    const NODE_B: &str = "2fa7c524-5e62-4ccb-9417-02257633671a";

    fn u(s: &str) -> Uuid {
        Uuid::parse_str(s).unwrap()
    }

    fn t(s: &str) -> Option<DateTime<Utc>> {
        let n = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        Some(Utc.from_utc_datetime(&n))
    }

    fn command_err(r: Result<impl fmt::Debug>) -> (i32, i32, String) {
        match r {
            Err(ParseError::Command {
                op_ret,
                op_errno,
                message,
            }) => (op_ret, op_errno, message),
            other => panic!("expected a Command error, got {other:?}"),
        }
    }

    fn status(xml: &str) -> GeorepStatus {
        parse_georep_status(xml).unwrap()
    }

    /// The pairs of the only session of the only volume.
    fn pairs(xml: &str) -> Vec<GeorepPair> {
        let st = status(xml);
        assert_eq!(st.volumes.len(), 1);
        assert_eq!(st.volumes[0].sessions.len(), 1);
        st.volumes[0].sessions[0].pairs.clone()
    }

    // ----- envelope ---------------------------------------------------------------------------

    #[test]
    fn envelope_ok_without_message() {
        assert_eq!(
            check_envelope(POOL_LIST).unwrap(),
            Envelope {
                op_ret: 0,
                op_errno: 0,
                op_errstr: None
            }
        );
    }

    #[test]
    fn envelope_keeps_errors_and_decodes_entities() {
        let env = check_envelope(START_PAUSED).unwrap();
        assert_eq!(env.op_ret, -1);
        assert_eq!(env.op_errno, 30800);
        assert_eq!(
            env.op_errstr.as_deref(),
            Some("geo-replication session between mastervol & vm::slavevol already started")
        );
        assert!(!env.is_ok());
        assert_eq!(check_envelope(PAUSE_AGAIN).unwrap().op_ret, 2);
        assert_eq!(check_envelope(CONFIG_BAD_VALUE).unwrap().op_ret, -3);
    }

    #[test]
    fn envelope_message_with_success() {
        let env = check_envelope(ST_ALL_CREATED).unwrap();
        assert!(env.is_ok());
        assert_eq!(env.op_errstr.as_deref(), Some("primary not found"));
    }

    #[test]
    fn envelope_missing_parts() {
        let env = check_envelope("<cliOutput><opRet>0</opRet></cliOutput>").unwrap();
        assert_eq!((env.op_ret, env.op_errno, env.op_errstr), (0, 0, None));
        let env = check_envelope("<cliOutput><opRet>-1</opRet><opErrstr>  </opErrstr></cliOutput>")
            .unwrap();
        assert_eq!(env.op_errstr, None);
        assert!(matches!(
            check_envelope("<cliOutput><opErrno>0</opErrno></cliOutput>"),
            Err(ParseError::Malformed(_))
        ));
        assert!(matches!(
            check_envelope("<cliOutput><opRet>99999999999</opRet></cliOutput>"),
            Err(ParseError::Malformed(_))
        ));
        assert!(matches!(
            check_envelope("<cliOutput><opRet>zero</opRet></cliOutput>"),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn not_xml_and_empty() {
        for p in PARSERS {
            assert_eq!(p(""), Err(ParseError::NotXml(String::new())));
            assert_eq!(p("  \n"), Err(ParseError::NotXml(String::new())));
            assert_eq!(
                p(GSEC_CREATE),
                Err(ParseError::NotXml(
                    "Common secret pub file present at /var/lib/glusterd/geo-replication/common_secret.pem.pub"
                        .into()
                ))
            );
        }
        let long = "x".repeat(5000);
        match check_envelope(&long) {
            Err(ParseError::NotXml(s)) => assert_eq!(s.chars().count(), 200),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_display() {
        let e = parse_action(PAUSE_AGAIN).unwrap_err();
        assert_eq!(
            e.to_string(),
            "gluster: Geo-replication session between mastervol and vm::slavevol already Paused. (opRet 2, opErrno 30800)"
        );
    }

    // ----- pool list --------------------------------------------------------------------------

    #[test]
    fn pool_list() {
        assert_eq!(
            parse_pool_list(POOL_LIST).unwrap(),
            vec![Peer {
                uuid: u(NODE_A),
                hostname: "localhost".into(),
                connected: true
            }]
        );
    }

    #[test]
    fn peer_status_empty() {
        assert_eq!(parse_pool_list(PEER_STATUS).unwrap(), vec![]);
    }

    #[test]
    fn peer_status_multi_node_shape() {
        // What `peer status` prints with a second node (extra elements are ignored).
        let xml = r#"<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><peerStatus>
            <peer><uuid>5d0c3a34-1f6e-4c39-8f1a-0b7f9a1b2c3d</uuid><hostname>vm2</hostname>
            <hostnames><hostname>vm2</hostname><hostname>10.0.0.2</hostname></hostnames>
            <connected>0</connected><state>3</state><stateStr>Peer in Cluster</stateStr></peer>
            </peerStatus></cliOutput>"#;
        assert_eq!(
            parse_pool_list(xml).unwrap(),
            vec![Peer {
                uuid: u("5d0c3a34-1f6e-4c39-8f1a-0b7f9a1b2c3d"),
                hostname: "vm2".into(),
                connected: false
            }]
        );
        let bad = xml.replace("<connected>0<", "<connected>maybe<");
        assert!(matches!(
            parse_pool_list(&bad),
            Err(ParseError::Malformed(_))
        ));
        let bad = xml.replace("5d0c3a34-", "zz");
        assert!(matches!(
            parse_pool_list(&bad),
            Err(ParseError::Malformed(_))
        ));
    }

    // ----- volume info ------------------------------------------------------------------------

    #[test]
    fn volume_info_none() {
        assert_eq!(parse_volume_info(VOL_INFO_NONE).unwrap(), vec![]);
    }

    #[test]
    fn volume_info_mixed_content_bricks() {
        let vols = parse_volume_info(VOL_INFO_PRE).unwrap();
        assert_eq!(vols.len(), 1);
        let v = &vols[0];
        assert_eq!(v.name, "mastervol");
        assert_eq!(v.id, u("08aa161c-9880-47a9-84f2-dac2e3c1630b"));
        assert_eq!((v.status_code, v.status_str.as_str()), (1, "Started"));
        assert_eq!((v.type_code, v.type_str.as_str()), (0, "Distribute"));
        assert_eq!(
            (
                v.brick_count,
                v.dist_count,
                v.replica_count,
                v.arbiter_count,
                v.disperse_count,
                v.redundancy_count,
                v.transport
            ),
            (2, 2, 1, 0, 0, 0, 0)
        );
        let b1 = BrickInfo {
            uuid: Some(u(NODE_A)),
            host: "vm".into(),
            path: "/srv/gl/master/b1".into(),
            host_uuid: u(NODE_A),
            is_arbiter: false,
            position: 0,
        };
        let b2 = BrickInfo {
            path: "/srv/gl/master/b2".into(),
            position: 1,
            ..b1.clone()
        };
        assert_eq!(v.bricks, vec![b1, b2]);
        assert_eq!(
            v.options,
            vec![
                ("storage.fips-mode-rchecksum".to_string(), "on".to_string()),
                ("transport.address-family".to_string(), "inet".to_string()),
                ("nfs.disable".to_string(), "on".to_string()),
            ]
        );
    }

    #[test]
    fn volume_info_after_georep() {
        let v = &parse_volume_info(VOL_INFO_MASTER).unwrap()[0];
        assert_eq!(v.options.len(), 6);
        assert_eq!(v.options[0], ("changelog.changelog".into(), "on".into()));
        assert!(v
            .options
            .contains(&("geo-replication.indexing".into(), "on".into())));
        assert_eq!(v.bricks.len(), 2);

        let s = &parse_volume_info(VOL_INFO_SLAVE).unwrap()[0];
        assert_eq!(s.name, "slavevol");
        assert_eq!(s.options[0], ("features.read-only".into(), "on".into()));
    }

    #[test]
    fn volume_info_all() {
        let vols = parse_volume_info(VOL_INFO_ALL).unwrap();
        assert_eq!(
            vols.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
            ["mastervol", "slavevol"]
        );
        assert_eq!(vols[0], parse_volume_info(VOL_INFO_MASTER).unwrap()[0]);
        assert_eq!(vols[1], parse_volume_info(VOL_INFO_SLAVE).unwrap()[0]);
        let s = &vols[1];
        assert_eq!(s.id, u("a10873cc-0900-4522-9c17-2439b5ec9564"));
        assert_eq!(s.brick_count, 1);
        assert_eq!(
            (
                s.bricks[0].host.as_str(),
                s.bricks[0].path.as_str(),
                s.bricks[0].position
            ),
            ("vm", "/srv/gl/slave/b1", 0)
        );
    }

    #[test]
    fn volume_info_brick_variants() {
        // Arbiter flag, text after the children, no uuid attribute, IPv6 host, name fallback.
        let xml = r#"<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volInfo><volumes><volume>
            <name>r3</name><id>08aa161c-9880-47a9-84f2-dac2e3c1630b</id><status>2</status>
            <statusStr>Stopped</statusStr><brickCount>3</brickCount><distCount>3</distCount>
            <replicaCount>3</replicaCount><arbiterCount>1</arbiterCount><type>2</type>
            <typeStr>Replicate</typeStr><bricks>
            <brick uuid="10ee48f8-310b-4ea0-9b7d-31242ddd2ddc">a:/b/1<name>a:/b/1</name><hostUuid>10ee48f8-310b-4ea0-9b7d-31242ddd2ddc</hostUuid><isArbiter>0</isArbiter></brick>
            <brick><name>fe80::1:/b/2</name><hostUuid>2fa7c524-5e62-4ccb-9417-02257633671a</hostUuid><isArbiter>0</isArbiter>tail</brick>
            <brick uuid="2fa7c524-5e62-4ccb-9417-02257633671a"><name>c:/b/3</name><isArbiter>1</isArbiter></brick>
            </bricks></volume></volumes></volInfo></cliOutput>"#;
        let v = &parse_volume_info(xml).unwrap()[0];
        assert_eq!((v.replica_count, v.arbiter_count, v.transport), (3, 1, 0));
        assert_eq!(v.options, vec![]);
        // "tail" is not host:/path: <name> is used.
        assert_eq!(
            (
                v.bricks[1].host.as_str(),
                v.bricks[1].path.as_str(),
                v.bricks[1].position
            ),
            ("fe80::1", "/b/2", 1)
        );
        assert_eq!(v.bricks[1].uuid, None);
        assert_eq!(v.bricks[0].uuid, Some(u(NODE_A)));
        assert_eq!(
            (v.bricks[0].host.as_str(), v.bricks[0].path.as_str()),
            ("a", "/b/1")
        );
        assert_eq!(v.bricks[2].host_uuid, u(NODE_B));
        assert!(v.bricks[2].is_arbiter);
        assert_eq!(
            (v.bricks[2].host.as_str(), v.bricks[2].path.as_str()),
            ("c", "/b/3")
        );
    }

    #[test]
    fn volume_info_bad_brick() {
        let bad = VOL_INFO_PRE.replace(
            ">vm:/srv/gl/master/b1<name>vm:/srv/gl/master/b1<",
            ">novalue<name>x<",
        );
        assert!(matches!(
            parse_volume_info(&bad),
            Err(ParseError::Malformed(_))
        ));
        let bad = VOL_INFO_PRE.replace("<brickCount>2<", "<brickCount>two<");
        assert!(matches!(
            parse_volume_info(&bad),
            Err(ParseError::Malformed(_))
        ));
        let bad = VOL_INFO_PRE.replace("<id>08aa161c", "<id>x");
        assert!(matches!(
            parse_volume_info(&bad),
            Err(ParseError::Malformed(_))
        ));
    }

    // ----- volume status ----------------------------------------------------------------------

    #[test]
    fn volume_status_plain() {
        for xml in [VOL_STATUS_PRE, VOL_STATUS_MASTER] {
            let vols = parse_volume_status(xml).unwrap();
            assert_eq!(vols.len(), 1);
            assert_eq!(vols[0].name, "mastervol");
            let n = &vols[0].nodes;
            assert_eq!(n.len(), 2);
            assert_eq!(vols[0].bricks().count(), 2);
            assert_eq!(
                n[0],
                NodeStatus {
                    is_brick: true,
                    hostname: "vm".into(),
                    path: "/srv/gl/master/b1".into(),
                    peer_id: Some(u(NODE_A)),
                    online: true,
                    port: Some(51082),
                    pid: Some(6818),
                    size_total: None,
                    size_free: None,
                    device: None,
                    fs_name: None,
                    inodes_total: None,
                    inodes_free: None,
                }
            );
            assert_eq!((n[1].port, n[1].pid), (Some(53560), Some(6834)));
        }
    }

    #[test]
    fn volume_status_detail() {
        let vols = parse_volume_status(VOL_STATUS_DETAIL).unwrap();
        let n = &vols[0].nodes[1];
        assert_eq!(n.path, "/srv/gl/master/b2");
        assert_eq!(n.size_total, Some(270_553_174_016));
        assert_eq!(n.size_free, Some(254_167_695_360));
        assert_eq!(n.device.as_deref(), Some("/dev/vda"));
        assert_eq!(n.fs_name.as_deref(), Some("ext4"));
        assert_eq!(n.inodes_total, Some(16_777_216));
        assert_eq!(n.inodes_free, Some(16_298_857));
    }

    #[test]
    fn volume_status_all() {
        let vols = parse_volume_status(VOL_STATUS_ALL).unwrap();
        assert_eq!(
            vols.iter()
                .map(|v| (v.name.as_str(), v.nodes.len()))
                .collect::<Vec<_>>(),
            [("mastervol", 2), ("slavevol", 1)]
        );
        assert_eq!(vols[1].nodes[0].port, Some(57955));
        assert_eq!(vols[1].nodes[0].pid, Some(30236));
    }

    #[test]
    fn volume_status_daemons_flagged() {
        let v = &parse_volume_status(VOL_STATUS_SHD).unwrap()[0];
        assert_eq!(v.nodes.len(), 4);
        let bricks: Vec<_> = v
            .bricks()
            .map(|n| (n.hostname.as_str(), n.path.as_str()))
            .collect();
        assert_eq!(bricks, [("vm", "/srv/gl/m2/b1"), ("vm2", "/srv/gl/m2/b2")]);
        // The offline brick: status 0, port and pid N/A.
        let off = &v.nodes[1];
        assert_eq!((off.online, off.port, off.pid), (false, None, None));
        // The self-heal daemons: not bricks, no port; pid -1 → None.
        let shd: Vec<_> = v.nodes.iter().filter(|n| !n.is_brick).collect();
        assert_eq!(shd.len(), 2);
        assert!(shd
            .iter()
            .all(|n| n.hostname == "Self-heal Daemon" && n.port.is_none()));
        assert_eq!(
            (shd[0].path.as_str(), shd[0].pid),
            ("localhost", Some(7020))
        );
        assert_eq!((shd[1].path.as_str(), shd[1].pid), ("vm2", None));
    }

    #[test]
    fn volume_status_errors() {
        let (ret, _, msg) = command_err(parse_volume_status(VOL_START_AGAIN));
        assert_eq!((ret, msg.as_str()), (-1, "Volume slavevol already started"));
        let bad = VOL_STATUS_PRE.replace("<port>51082<", "<port>70000<");
        assert!(matches!(
            parse_volume_status(&bad),
            Err(ParseError::Malformed(_))
        ));
        assert!(matches!(
            parse_volume_status(POOL_LIST),
            Err(ParseError::Malformed(_))
        ));
    }

    // ----- geo-rep status ---------------------------------------------------------------------

    #[test]
    fn georep_created() {
        let st = status(ST_CREATED);
        let v = &st.volumes[0];
        assert_eq!(v.name, "mastervol");
        let s = &v.sessions[0];
        assert_eq!(
            s.session_key,
            "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://vm::slavevol:a10873cc-0900-4522-9c17-2439b5ec9564"
        );
        assert_eq!(s.master_node_uuid, u(NODE_A));
        assert_eq!(s.slave_user, "root");
        assert_eq!(s.slave_host, "vm");
        assert_eq!(s.slave_volume, "slavevol");
        assert_eq!(
            s.slave_volume_uuid,
            Some(u("a10873cc-0900-4522-9c17-2439b5ec9564"))
        );
        assert_eq!(s.pairs.len(), 2);
        assert_eq!(
            s.pairs[0],
            GeorepPair {
                master_node: "vm".into(),
                master_brick: "/srv/gl/master/b1".into(),
                slave_user: "root".into(),
                slave: "vm::slavevol".into(),
                slave_node: None,
                status: WorkerStatus::Created,
                crawl_status: CrawlStatus::NotAvailable,
                entry: None,
                data: None,
                meta: None,
                failures: None,
                checkpoint_completed: None,
                master_node_uuid: u(NODE_A),
                last_synced: None,
                checkpoint_time: None,
                checkpoint_completion_time: None,
            }
        );
        assert_eq!(s.pairs[1].master_brick, "/srv/gl/master/b2");
        assert_eq!(st.sessions().count(), 1);
    }

    #[test]
    fn georep_every_worker_status() {
        let cases = [
            (ST_CREATED, WorkerStatus::Created),
            (ST_INITIALIZING, WorkerStatus::Initializing),
            (ST_ACTIVE, WorkerStatus::Active),
            (ST_PAUSED, WorkerStatus::Paused),
            (ST_ALL_PAUSED, WorkerStatus::Paused),
            (ST_STOPPED, WorkerStatus::Stopped),
            (ST_FAULTY, WorkerStatus::Faulty),
            (ST_REPLICA_BOTH_ACTIVE, WorkerStatus::Active),
        ];
        for (xml, want) in cases {
            let p = pairs(xml);
            assert_eq!(p.len(), 2);
            assert!(p.iter().all(|p| p.status == want), "{want:?}");
        }
        let p = pairs(ST_ACTIVE_PASSIVE);
        assert_eq!(
            (p[0].status.clone(), p[1].status.clone()),
            (WorkerStatus::Active, WorkerStatus::Passive)
        );
        assert_eq!(worker_status("Offline"), WorkerStatus::Offline);
        assert_eq!(worker_status("Initializing"), WorkerStatus::Initializing);
        assert_eq!(
            worker_status("Config Corrupted"),
            WorkerStatus::Unknown("Config Corrupted".into())
        );
    }

    #[test]
    fn georep_every_crawl_status() {
        let cases = [
            (ST_ACTIVE, CrawlStatus::Changelog),
            (ST_HYBRID, CrawlStatus::Hybrid),
            (ST_HISTORY, CrawlStatus::History),
            (ST_STOPPED, CrawlStatus::NotAvailable),
        ];
        for (xml, want) in cases {
            assert!(
                pairs(xml).iter().all(|p| p.crawl_status == want),
                "{want:?}"
            );
        }
        let p = pairs(ST_ACTIVE_PASSIVE);
        assert_eq!(p[0].crawl_status, CrawlStatus::History);
        assert_eq!(p[1].crawl_status, CrawlStatus::NotAvailable);
        assert_eq!(
            crawl_status("Xsync Crawl"),
            CrawlStatus::Other("Xsync Crawl".into())
        );
    }

    #[test]
    fn georep_active_details() {
        let p = pairs(ST_ACTIVE);
        assert_eq!(p[0].slave_node, None); // <secondary_node/>
        assert_eq!(
            (p[0].entry, p[0].data, p[0].meta, p[0].failures),
            (Some(0), Some(0), Some(0), Some(0))
        );
        assert_eq!(p[0].last_synced, t("2026-11-24 08:44:35"));
        assert_eq!(p[1].last_synced, t("2026-11-24 08:44:36"));
        assert_eq!(p[0].checkpoint_completed, None);
        // Passive worker: counters N/A.
        let p = pairs(ST_ACTIVE_PASSIVE);
        assert_eq!((p[1].entry, p[1].data, p[1].failures), (None, None, None));
        assert_eq!(p[1].master_brick, "/srv/gl/m2/b2");
        assert_eq!(p[1].master_node_uuid, u(NODE_B));
    }

    #[test]
    fn georep_pending_counters() {
        let p = pairs(ST_COUNTERS);
        assert_eq!(
            (p[1].entry, p[1].data, p[1].meta, p[1].failures),
            (Some(0), Some(240), Some(0), Some(0))
        );
        assert_eq!(p[0].data, Some(0));
        assert!(matches!(
            parse_georep_status(G_HUGE),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn georep_checkpoints() {
        let p = pairs(ST_CHECKPOINT_SET);
        for q in &p {
            assert_eq!(q.checkpoint_completed, Some(false));
            assert_eq!(q.checkpoint_time, t("2026-11-24 08:52:06"));
            assert_eq!(q.checkpoint_completion_time, None);
        }
        assert_eq!(p[0].last_synced, t("2026-11-24 08:48:36"));
        assert_eq!(p[1].last_synced, t("2026-11-24 08:48:35"));

        let p = pairs(ST_CHECKPOINT_DONE);
        assert!(p.iter().all(|q| q.checkpoint_completed == Some(true)));
        assert_eq!(p[0].checkpoint_completion_time, t("2026-11-24 08:52:34"));
        assert_eq!(p[1].checkpoint_completion_time, t("2026-11-24 08:52:24"));
        assert_eq!(p[0].last_synced, t("2026-11-24 08:52:27"));
        assert_eq!(p[1].last_synced, t("2026-11-24 08:52:16"));
        assert_eq!(
            p[0].checkpoint_time.unwrap().timestamp(),
            Utc.with_ymd_and_hms(2026, 11, 24, 8, 52, 6)
                .unwrap()
                .timestamp()
        );
        let p = pairs(ST_HISTORY);
        assert_eq!(p[0].checkpoint_completed, Some(true));
        assert_eq!(p[1].last_synced, t("2026-11-24 08:53:45"));
    }

    #[test]
    fn georep_per_volume_and_all_sessions_same_values() {
        // `status detail` of the session, `status` of the volume, `status detail` of everything:
        // same values, except that the latter two say ssh://vm::slavevol in <secondary>.
        let mut one = pairs(ST_CHECKPOINT_DONE);
        for p in &mut one {
            p.slave = format!("ssh://{}", p.slave);
        }
        assert_eq!(pairs(ST_VOL_CHECKPOINT_DONE), one);
        assert_eq!(pairs(ST_ALL_CHECKPOINT_DONE), one);
        assert_eq!(pairs(ST_ALL_CREATED)[0].slave, "ssh://vm::slavevol");
    }

    #[test]
    fn georep_two_sessions() {
        for xml in [ST_TWO_SESSIONS_A, ST_TWO_SESSIONS_B] {
            let st = status(xml);
            let got: Vec<_> = st
                .sessions()
                .map(|(vol, s)| {
                    (
                        vol,
                        s.slave_host.as_str(),
                        s.slave_volume.as_str(),
                        s.slave_volume_uuid,
                        s.master_node_uuid,
                        s.pairs.len(),
                    )
                })
                .collect();
            assert_eq!(
                got,
                [
                    (
                        "mastervol",
                        "vm",
                        "slavevol",
                        Some(u("cdf8665f-ba13-402c-893e-70e2cb5f9e78")),
                        u(NODE_B),
                        2
                    ),
                    (
                        "mastervol2",
                        "vm",
                        "slavevol2",
                        Some(u("052c14d3-269c-49ac-ad1b-3b967a297250")),
                        u(NODE_B),
                        2
                    ),
                ]
            );
            assert_eq!(
                st.volumes[1].sessions[0].pairs[0].master_brick,
                "/srv/gl/m2/b1"
            );
            assert_eq!(
                st.volumes[1].sessions[0].pairs[0].slave,
                "ssh://vm::slavevol2"
            );
        }
        // 119: both workers of mastervol2 active; 124: active + passive.
        let a = status(ST_TWO_SESSIONS_A);
        let b = status(ST_TWO_SESSIONS_B);
        assert_eq!(a.volumes[0], b.volumes[0]);
        let sa: Vec<_> = a.volumes[1].sessions[0]
            .pairs
            .iter()
            .map(|p| p.status.clone())
            .collect();
        let sb: Vec<_> = b.volumes[1].sessions[0]
            .pairs
            .iter()
            .map(|p| p.status.clone())
            .collect();
        assert_eq!(sa, [WorkerStatus::Active, WorkerStatus::Active]);
        assert_eq!(sb, [WorkerStatus::Active, WorkerStatus::Passive]);
        assert_eq!(
            b.volumes[1].sessions[0].pairs[0].crawl_status,
            CrawlStatus::History
        );
    }

    #[test]
    fn georep_v9_naming_is_identical() {
        for (v10, v9) in V9 {
            assert!(v9.contains("<session_slave>") && !v9.contains("<primary_node>"));
            let a = status(v10);
            assert!(!a.volumes.is_empty());
            assert_eq!(status(v9), a);
        }
    }

    #[test]
    fn georep_non_root_user() {
        let st = status(ST_NON_ROOT);
        let s = &st.volumes[0].sessions[0];
        assert_eq!(s.slave_user, "geoaccount");
        assert_eq!(s.slave_host, "vm");
        assert_eq!(s.slave_volume, "slavevol");
        assert_eq!(s.pairs[0].slave, "geoaccount@vm::slavevol");
        assert_eq!(s.pairs[0].slave_user, "geoaccount");
    }

    #[test]
    fn georep_session_key() {
        let k = parse_session_key(
            "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://geo@fe80::1::slavevol:a10873cc-0900-4522-9c17-2439b5ec9564",
        )
        .unwrap();
        assert_eq!(
            (k.user.as_deref(), k.host.as_str(), k.volume.as_str()),
            (Some("geo"), "fe80::1", "slavevol")
        );
        let k = parse_session_key("10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://h::v").unwrap();
        assert_eq!(
            (k.host.as_str(), k.volume.as_str(), k.volume_uuid),
            ("h", "v", None)
        );
        for bad in [
            "",
            "ssh://vm::slavevol",
            "nope:ssh://vm::slavevol:a10873cc-0900-4522-9c17-2439b5ec9564",
            "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://vm:slavevol",
            "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://::slavevol",
            "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://vm::slavevol:zz",
        ] {
            assert!(parse_session_key(bad).is_err(), "{bad}");
        }
        let bad = ST_ACTIVE.replace("ssh://vm::slavevol:", "ssh://vm:slavevol:");
        assert!(matches!(
            parse_georep_status(&bad),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn georep_empty_status() {
        assert_eq!(status(ST_EMPTY), GeorepStatus::default());
        assert_eq!(
            status("<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/></cliOutput>"),
            GeorepStatus::default()
        );
        let st = status(
            "<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><geoRep><volume><name>m</name><sessions/></volume></geoRep></cliOutput>",
        );
        assert_eq!(st.volumes[0].sessions, vec![]);
    }

    #[test]
    fn georep_no_session_is_not_xml() {
        for xml in [
            ST_NO_SESSION_ALL,
            ST_NO_SESSION,
            ST_ALL_AFTER_DELETE,
            ST_AFTER_DELETE,
        ] {
            assert_eq!(
                parse_georep_status(xml),
                Err(ParseError::NotXml("geo-replication command failed".into()))
            );
        }
    }

    #[test]
    fn georep_status_bad_values() {
        let bad = ST_CHECKPOINT_DONE.replacen(
            "<checkpoint_completed>Yes<",
            "<checkpoint_completed>Maybe<",
            1,
        );
        assert!(matches!(
            parse_georep_status(&bad),
            Err(ParseError::Malformed(_))
        ));
        let bad = ST_ACTIVE.replacen("2026-11-24 08:44:35", "yesterday", 1);
        assert!(matches!(
            parse_georep_status(&bad),
            Err(ParseError::Malformed(_))
        ));
        let bad = ST_ACTIVE.replacen("<status>Active</status>", "", 1);
        assert!(matches!(
            parse_georep_status(&bad),
            Err(ParseError::Malformed(_))
        ));
        let bad = ST_ACTIVE.replacen("<data>0</data>", "<data>-1</data>", 1);
        assert!(matches!(
            parse_georep_status(&bad),
            Err(ParseError::Malformed(_))
        ));
    }

    // ----- geo-rep config ---------------------------------------------------------------------

    #[test]
    fn georep_config_all() {
        let c = parse_georep_config(CONFIG_CREATED).unwrap();
        assert_eq!(c.len(), 67);
        assert_eq!(c[0], ("access_mount".into(), "false".into()));
        assert_eq!(c[1], ("allow_network".into(), String::new()));
        assert_eq!(c[66].0, "working_dir");
        let get = |k: &str| c.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("sync_jobs"), Some("3"));
        assert_eq!(get("sync_method"), Some("rsync"));
        assert_eq!(get("checkpoint"), Some("0"));
        assert_eq!(get("rsync_options"), Some(""));
        assert_eq!(
            get("ssh_options"),
            Some("-oPasswordAuthentication=no -oStrictHostKeyChecking=no -i /var/lib/glusterd/geo-replication/secret.pem")
        );
        assert_eq!(
            get("changelog_log_file"),
            Some(
                "/var/log/glusterfs/geo-replication/mastervol_vm_slavevol/changes-${local_id}.log"
            )
        );
        // Order kept.
        let keys: Vec<_> = c.iter().map(|(k, _)| k.clone()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted); // gluster prints them sorted
    }

    #[test]
    fn georep_config_after_sets() {
        let c = parse_georep_config(CONFIG_AFTER_SETS).unwrap();
        let get = |k: &str| c.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("sync_jobs"), Some("4"));
        assert_eq!(get("sync_method"), Some("tarssh"));
        assert_eq!(get("checkpoint"), Some("1795510326"));
        assert_eq!(get("log_rsync_performance"), Some("false"));
        assert_eq!(
            get("stime_xattr_prefix"),
            Some("trusted.glusterfs.08aa161c-9880-47a9-84f2-dac2e3c1630b.a10873cc-0900-4522-9c17-2439b5ec9564")
        );
    }

    #[test]
    fn checkpoint_times_are_utc() {
        // `config checkpoint now` stored a unix time (083); the status shows the same instant
        // as "YYYY-MM-DD HH:MM:SS" (069, 072). Read as UTC, they agree: the lab runs in UTC.
        let c = parse_georep_config(CONFIG_AFTER_SETS).unwrap();
        let stored: i64 = c
            .iter()
            .find(|(k, _)| k == "checkpoint")
            .unwrap()
            .1
            .parse()
            .unwrap();
        for xml in [ST_CHECKPOINT_SET, ST_CHECKPOINT_DONE] {
            for p in pairs(xml) {
                assert_eq!(p.checkpoint_time.unwrap().timestamp(), stored);
            }
        }
    }

    #[test]
    fn georep_config_empty_and_set_answers() {
        assert_eq!(parse_georep_config(CONFIG_ONE).unwrap(), vec![]);
        assert_eq!(
            parse_georep_config(CONFIG_SET).unwrap(),
            vec![(
                "message".to_string(),
                "geo-replication config updated successfully".to_string()
            )]
        );
        assert_eq!(
            parse_action(CONFIG_SET).unwrap().message.as_deref(),
            Some("config-set successful")
        );
        assert_eq!(
            parse_action(CONFIG_RESET).unwrap().message.as_deref(),
            Some("config-del successful")
        );
        assert!(matches!(
            parse_georep_config("<cliOutput><opRet>0</opRet><geoRep/></cliOutput>"),
            Err(ParseError::Malformed(_))
        ));
        assert!(matches!(
            parse_georep_config(
                "<cliOutput><opRet>0</opRet><geoRep><config><a><b/></a></config></geoRep></cliOutput>"
            ),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn georep_config_errors() {
        let cases = [
            (CONFIG_BAD_OPTION, -1, "Invalid option"),
            (
                CONFIG_BAD_VALUE,
                -3,
                "geo-replication config-set failed for mastervol vm::slavevol",
            ),
            (CONFIG_RESERVED, -1, "Reserved option"),
            (
                CONFIG_NO_SESSION,
                -1,
                "Geo-replication session between mastervol and vm::slavevol does not exist.",
            ),
        ];
        for (xml, ret, msg) in cases {
            assert_eq!(
                command_err(parse_georep_config(xml)),
                (ret, 30800, msg.to_string())
            );
            assert_eq!(
                command_err(parse_action(xml)),
                (ret, 30800, msg.to_string())
            );
        }
    }

    // ----- actions ----------------------------------------------------------------------------

    #[test]
    fn actions_ok() {
        for xml in [VOL_START, CREATE_OK, START_OK, PAUSE_OK, STOP_OK] {
            assert_eq!(parse_action(xml).unwrap(), ActionAnswer { message: None });
        }
        let cases = [
            (
                CREATE_FORCE_NOT_EMPTY,
                "vm::slavevol is not empty. Please delete existing files in vm::slavevol and retry, or use force to continue without deleting the existing files.",
            ),
            (STOP_AGAIN, "geo-replication is not set up"),
            (DELETE_OK, "delete successful"),
        ];
        for (xml, msg) in cases {
            assert_eq!(parse_action(xml).unwrap().message.as_deref(), Some(msg));
        }
    }

    #[test]
    fn actions_errors() {
        let cases = [
            (PAUSE_AGAIN, 2, "Geo-replication session between mastervol and vm::slavevol already Paused."),
            (RESUME_AGAIN, 2, "Geo-replication session between mastervol and vm::slavevol is not Paused."),
            (RESUME_STOPPED, 2, "Geo-replication session between mastervol and vm::slavevol is not Paused."),
            (START_PAUSED, -1, "geo-replication session between mastervol & vm::slavevol already started"),
            (DELETE_RUNNING, -1, "geo-replication session between mastervol & vm::slavevol is still active. Please stop the session and retry."),
            (CREATE_BAD_SLAVEVOL, -1, "Unable to mount and fetch secondary volume details. Please check the log: /var/log/glusterfs/geo-replication/gverify-secondarymnt.log"),
            (CREATE_UNREACHABLE, -1, "127.0.0.2 not reachable."),
            (CREATE_BAD_MASTERVOL, -1, "Volume novol does not exist"),
            (CREATE_EXISTS, -1, "Session between mastervol and vm::slavevol is already created."),
            (CREATE_BAD_USER, -1, "Passwordless ssh login has not been setup with vm for user nouser."),
            (START_NO_SESSION, -1, "Geo-replication session between mastervol and vm::slavevol does not exist."),
            (DELETE_NO_SESSION, -1, "Geo-replication session between mastervol and vm::slavevol does not exist."),
            (DELETE_AGAIN, -1, "Geo-replication session between mastervol and vm::slavevol does not exist."),
            (VOL_START_AGAIN, -1, "Volume slavevol already started"),
        ];
        for (xml, ret, msg) in cases {
            assert_eq!(
                command_err(parse_action(xml)),
                (ret, 30800, msg.to_string()),
                "{msg}"
            );
            // Every parser reports the command error first.
            for p in &PARSERS[1..] {
                assert_eq!(command_err(p(xml)).2, msg);
            }
        }
        let (ret, errno, msg) =
            command_err(parse_action("<cliOutput><opRet>-1</opRet></cliOutput>"));
        assert_eq!((ret, errno, msg.as_str()), (-1, 0, ""));
    }

    // ----- robustness -------------------------------------------------------------------------

    type AnyParser = fn(&str) -> Result<()>;
    const PARSERS: [AnyParser; 7] = [
        |x| check_envelope(x).map(drop),
        |x| parse_pool_list(x).map(drop),
        |x| parse_volume_info(x).map(drop),
        |x| parse_volume_status(x).map(drop),
        |x| parse_georep_status(x).map(drop),
        |x| parse_georep_config(x).map(drop),
        |x| parse_action(x).map(drop),
    ];

    /// The real captures and the well-formed hand-made files.
    const GOOD: &[&str] = &[
        PEER_STATUS,
        POOL_LIST,
        VOL_INFO_NONE,
        VOL_START,
        VOL_START_AGAIN,
        VOL_INFO_PRE,
        VOL_STATUS_PRE,
        CREATE_BAD_SLAVEVOL,
        CREATE_UNREACHABLE,
        CREATE_BAD_MASTERVOL,
        START_NO_SESSION,
        DELETE_NO_SESSION,
        CONFIG_NO_SESSION,
        CREATE_OK,
        ST_CREATED,
        ST_ALL_CREATED,
        CREATE_EXISTS,
        CONFIG_CREATED,
        CONFIG_ONE,
        START_OK,
        ST_INITIALIZING,
        ST_ACTIVE,
        PAUSE_OK,
        ST_PAUSED,
        PAUSE_AGAIN,
        START_PAUSED,
        ST_ALL_PAUSED,
        RESUME_AGAIN,
        STOP_OK,
        ST_STOPPED,
        STOP_AGAIN,
        RESUME_STOPPED,
        ST_CHECKPOINT_SET,
        ST_COUNTERS,
        ST_CHECKPOINT_DONE,
        ST_VOL_CHECKPOINT_DONE,
        ST_ALL_CHECKPOINT_DONE,
        CONFIG_SET,
        CONFIG_BAD_OPTION,
        CONFIG_BAD_VALUE,
        CONFIG_RESET,
        CONFIG_RESERVED,
        CONFIG_AFTER_SETS,
        ST_FAULTY,
        ST_HISTORY,
        CREATE_FORCE_NOT_EMPTY,
        DELETE_RUNNING,
        CREATE_BAD_USER,
        VOL_INFO_MASTER,
        VOL_STATUS_MASTER,
        VOL_STATUS_DETAIL,
        VOL_INFO_SLAVE,
        VOL_INFO_ALL,
        VOL_STATUS_ALL,
        DELETE_OK,
        DELETE_AGAIN,
        ST_HYBRID,
        ST_REPLICA_BOTH_ACTIVE,
        ST_TWO_SESSIONS_A,
        ST_ACTIVE_PASSIVE,
        ST_TWO_SESSIONS_B,
        VOL_STATUS_SHD,
        ST_EMPTY,
        ST_NON_ROOT,
    ];
    /// Plain-text stdout (real).
    const PLAIN: &[&str] = &[
        GSEC_CREATE,
        ST_NO_SESSION_ALL,
        ST_NO_SESSION,
        ST_ALL_AFTER_DELETE,
        ST_AFTER_DELETE,
    ];
    const BAD: &[&str] = &[G_TRUNCATED, G_HTML];

    #[test]
    fn every_fixture_through_every_parser() {
        let v9 = V9.iter().map(|(_, v9)| *v9);
        for xml in GOOD.iter().copied().chain(v9) {
            check_envelope(xml).unwrap();
            // Each answer fits at least the action parser or its own parser; none panics.
            let fits = PARSERS[1..].iter().filter(|p| p(xml).is_ok()).count();
            let failed_command = matches!(parse_action(xml), Err(ParseError::Command { .. }));
            assert!(fits >= 1 || failed_command);
        }
        for xml in PLAIN {
            for p in PARSERS {
                assert!(matches!(p(xml), Err(ParseError::NotXml(_))));
            }
        }
        for xml in BAD {
            for p in PARSERS {
                assert!(matches!(p(xml), Err(ParseError::Malformed(_))));
            }
        }
        // A well-formed answer with an out-of-range counter: only the status parser reads it.
        assert!(parse_action(G_HUGE).is_ok());
        assert!(matches!(
            parse_georep_status(G_HUGE),
            Err(ParseError::Malformed(_))
        ));
    }

    /// Random damage (deterministic): removed, replaced and inserted bytes, including XML
    /// syntax, through every parser. (Run with many more rounds while developing.)
    #[test]
    fn mutated_fixtures_never_panic() {
        let tokens: [&[u8]; 12] = [
            b"<",
            b">",
            b"/",
            b"&amp;",
            b"&",
            b"<![CDATA[",
            b"]]>",
            b"<!--",
            b"\"",
            b"=",
            b"<x>",
            b"</x>",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let sources = [
            ST_TWO_SESSIONS_B,
            VOL_INFO_ALL,
            VOL_STATUS_SHD,
            CONFIG_CREATED,
            START_PAUSED,
        ];
        for _ in 0..3000 {
            let mut b = sources[(rnd() % sources.len() as u64) as usize]
                .as_bytes()
                .to_vec();
            for _ in 0..1 + rnd() % 4 {
                let at = (rnd() % b.len() as u64) as usize;
                match rnd() % 4 {
                    0 => {
                        b.remove(at);
                    }
                    1 => {
                        let tok = tokens[(rnd() % tokens.len() as u64) as usize];
                        b.splice(at..at, tok.iter().copied());
                    }
                    2 => {
                        let end = (at + (rnd() % 50) as usize).min(b.len());
                        b.drain(at..end);
                    }
                    _ => b[at] = (rnd() % 256) as u8,
                }
            }
            let s = String::from_utf8_lossy(&b);
            for p in PARSERS {
                let _ = p(&s);
            }
        }
    }

    #[test]
    fn garbage_is_an_error() {
        for p in PARSERS {
            assert!(matches!(p(G_TRUNCATED), Err(ParseError::Malformed(_))));
            assert!(matches!(p(G_HTML), Err(ParseError::Malformed(_))));
            assert!(matches!(p("<"), Err(ParseError::Malformed(_))));
            assert!(matches!(p("<cliOutput"), Err(ParseError::Malformed(_))));
            assert!(matches!(
                p("<?xml version=\"1.0\"?>"),
                Err(ParseError::Malformed(_))
            ));
            assert!(matches!(p("<a><b></a>"), Err(ParseError::Malformed(_))));
            assert!(matches!(
                p("<cliOutput><opRet>0</opRet><opRet>1</opRet></cliOutput>"),
                Err(ParseError::Malformed(_))
            ));
            assert!(matches!(
                p("<cliOutput><opRet>&bogus;</opRet></cliOutput>"),
                Err(ParseError::Malformed(_))
            ));
            let binary = String::from_utf8_lossy(G_BINARY);
            assert!(matches!(p(&binary), Err(ParseError::NotXml(_))));
        }
        // Deep nesting does not blow the stack.
        let deep = format!(
            "<cliOutput><opRet>0</opRet><geoRep>{}</geoRep></cliOutput>",
            "<volume>".repeat(50_000)
        );
        for p in PARSERS {
            let _ = p(&deep);
        }
    }

    #[test]
    fn invalid_utf8_lossy() {
        let xml = String::from_utf8_lossy(G_BAD_UTF8);
        let st = parse_georep_status(&xml).unwrap();
        for p in &st.volumes[0].sessions[0].pairs {
            assert_eq!(p.master_node, "v\u{fffd}m");
            assert_eq!(
                p.status,
                WorkerStatus::Unknown("Act\u{fffd}\u{fffd}ive".into())
            );
            assert_eq!(p.crawl_status, CrawlStatus::Changelog);
        }
    }

    #[test]
    fn every_prefix_never_panics() {
        for xml in [ST_TWO_SESSIONS_B, VOL_INFO_ALL, VOL_STATUS_DETAIL] {
            let full_ok = PARSERS.iter().filter(|p| p(xml).is_ok()).count();
            assert!(full_ok >= 2);
            for (end, _) in xml.char_indices() {
                let prefix = &xml[..end];
                if xml[end..].trim().is_empty() {
                    break; // only the final newline is missing: a complete answer
                }
                for p in PARSERS {
                    if let Ok(()) = p(prefix) {
                        panic!("a truncated answer ({end} bytes) was accepted");
                    }
                }
            }
        }
    }
}
