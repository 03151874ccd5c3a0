//! The envelope every `--xml` answer has: `<cliOutput><opRet/><opErrno/><opErrstr/>…`.

use serde::Deserialize;

use super::common::{de, malformed, num};
use super::{ParseError, Result};
use crate::gluster::model::Envelope;

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

#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(rename = "opRet")]
    op_ret: Option<String>,
    #[serde(rename = "opErrno")]
    op_errno: Option<String>,
    #[serde(rename = "opErrstr")]
    op_errstr: Option<String>,
}

/// The envelope, which must say opRet 0 (else `Command`).
pub(super) fn ok_envelope(xml: &str) -> Result<Envelope> {
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
pub(super) fn ok_body<T: serde::de::DeserializeOwned>(xml: &str, what: &str) -> Result<T> {
    ok_envelope(xml)?;
    de(xml, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::parse::fixtures::*;
    use crate::gluster::parse::*;

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
}
