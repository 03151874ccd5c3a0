//! `volume get VOLUME KEY --xml`.

use serde::Deserialize;

use super::common::{malformed, req};
use super::envelope::ok_body;
use super::Result;
use crate::gluster::model::VolumeOption;

/// `volume get VOLUME KEY --xml`: `volGetopts/Opt*/{Option, Value}`. gluster marks a value it
/// does not have set on the volume as `off (DEFAULT)`: that is `default`, with the value alone.
pub fn parse_volume_get(xml: &str) -> Result<Vec<VolumeOption>> {
    let doc: GetDoc = ok_body(xml, "volume get")?;
    let opts = doc
        .vol_getopts
        .ok_or_else(|| malformed("no <volGetopts> in the answer"))?
        .opt;
    opts.into_iter()
        .enumerate()
        .map(|(i, o)| {
            let ctx = format!("option {}", i + 1);
            let key = req(o.option, &ctx, "Option")?;
            let raw = o.value.unwrap_or_default();
            let (value, default) = match raw.trim().strip_suffix("(DEFAULT)") {
                Some(v) => (v.trim().to_owned(), true),
                None => (raw.trim().to_owned(), false),
            };
            Ok(VolumeOption {
                key,
                value,
                default,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct GetDoc {
    #[serde(rename = "volGetopts")]
    vol_getopts: Option<RawOpts>,
}

#[derive(Deserialize)]
struct RawOpts {
    #[serde(default, rename = "Opt")]
    opt: Vec<RawOpt>,
}

#[derive(Deserialize)]
struct RawOpt {
    #[serde(rename = "Option")]
    option: Option<String>,
    #[serde(rename = "Value")]
    value: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::parse::fixtures::*;
    use crate::gluster::parse::{parse_action, ParseError};

    fn one(key: &str, value: &str, default: bool) -> Vec<VolumeOption> {
        vec![VolumeOption {
            key: key.into(),
            value: value.into(),
            default,
        }]
    }

    #[test]
    fn a_set_value_and_a_default_one() {
        assert_eq!(
            parse_volume_get(VOL_GET_READ_ONLY).unwrap(),
            one("features.read-only", "off", false)
        );
        assert_eq!(
            parse_volume_get(VOL_GET_INDEXING).unwrap(),
            one("geo-replication.indexing", "off", false)
        );
        assert_eq!(
            parse_volume_get(VOL_GET_CHANGELOG_DEFAULT).unwrap(),
            one("changelog.changelog", "off", true)
        );
    }

    #[test]
    fn an_unknown_option_is_gluster_s_refusal() {
        match parse_volume_get(VOL_GET_UNKNOWN) {
            Err(ParseError::Command { message, .. }) => {
                assert_eq!(message, "Did you mean auth.allow?")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_action(VOL_SET_READ_ONLY).unwrap().message, None);
    }
}
