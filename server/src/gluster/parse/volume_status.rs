//! `volume status [VOL|all] [detail] --xml`.

use serde::Deserialize;

use super::common::{flag, is_absent, malformed, opt_num, opt_text, req, uuid};
use super::envelope::ok_body;
use super::Result;
use crate::gluster::model::{NodeStatus, VolumeStatus};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::parse::fixtures::*;
    use crate::gluster::parse::*;

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
}
