//! `volume geo-replication MASTER HOST::SLAVE config --xml`.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::common::malformed;
use super::envelope::ok_body;
use super::Result;

/// `volume geo-replication MASTER HOST::SLAVE config --xml`: `geoRep/config/<key>value</key>`,
/// in gluster's order; an empty element gives "". An empty `<config/>` (what
/// `config <one option> --xml` answers) gives an empty list.
///
/// The answer to a set/reset (`config KEY VALUE`, `config '!KEY'`) has the same shape with a
/// single `<message>` element, so this returns `[("message", "geo-replication config updated
/// successfully")]` for it; use [`parse_action`](super::parse_action) for those answers instead.
pub fn parse_georep_config(xml: &str) -> Result<Vec<(String, String)>> {
    let doc: GeoConfigDoc = ok_body(xml, "geo-replication config")?;
    let config = doc
        .geo_rep
        .and_then(|g| g.config)
        .ok_or_else(|| malformed("no <geoRep><config> in the answer"))?;
    Ok(config.0)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::parse::fixtures::*;
    use crate::gluster::parse::*;

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
}
