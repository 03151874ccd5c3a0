//! `volume info [VOL] --xml`.

use serde::Deserialize;

use super::common::{flag, malformed, num_or_zero, req, req_num, snippet, uuid};
use super::envelope::ok_body;
use super::Result;
use crate::gluster::model::{BrickInfo, VolumeInfo};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::parse::fixtures::*;
    use crate::gluster::parse::*;

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
}
