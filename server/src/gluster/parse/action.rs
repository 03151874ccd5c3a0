//! The answer of an action (geo-rep create/start/stop/…, config set/reset, volume start/stop).

use super::envelope::ok_envelope;
use super::Result;
use crate::gluster::model::ActionAnswer;

/// The answer of an action: geo-rep create/start/stop/pause/resume/delete, config set/reset,
/// `volume start/stop`. Only the envelope is read: opRet 0 → `Ok` with `opErrstr` (if any) as
/// the message (a warning such as "… is not empty … use force …", or a note such as
/// "config-set successful", "delete successful", "geo-replication is not set up");
/// opRet ≠ 0 → [`ParseError::Command`](super::ParseError::Command).
pub fn parse_action(xml: &str) -> Result<ActionAnswer> {
    let env = ok_envelope(xml)?;
    Ok(ActionAnswer {
        message: env.op_errstr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::parse::fixtures::*;

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
}
