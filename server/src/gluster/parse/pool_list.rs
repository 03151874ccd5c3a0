//! `pool list --xml` and `peer status --xml`.

use serde::Deserialize;

use super::common::{flag, malformed, req, uuid};
use super::envelope::ok_body;
use super::Result;
use crate::gluster::model::Peer;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::parse::fixtures::*;
    use crate::gluster::parse::*;

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
}
