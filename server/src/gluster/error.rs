//! What a gluster call can fail with, and glusterd's refusals told apart.
use std::time::Duration;

use super::parse::ParseError;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GlusterError {
    /// gluster answered `opRet != 0`; `message` is its `opErrstr`.
    #[error("{message}")]
    Command {
        op_ret: i32,
        op_errno: i32,
        message: String,
    },
    #[error("gluster did not answer within {} s (killed)", .0.as_secs())]
    Timeout(Duration),
    #[error("cannot run {program}: {message}")]
    Spawn { program: String, message: String },
    /// The CLI failed before talking to glusterd (usage error, ssh failure): no XML.
    #[error("gluster exited with status {code}: {message}")]
    Exit { code: i32, message: String },
    #[error("unreadable answer from gluster: {0}")]
    Unreadable(String),
    /// ssh refused the host: its key is not the one georep recorded (nothing was run there).
    #[error(
        "the ssh host key of {host} has changed: georep recorded {known}, {host} now offers \
         {offered}; refused, nothing was run on it. If the change is expected, accept the new \
         key: georep cluster accept-host-key --host {host} --fingerprint {offered}"
    )]
    HostKeyChanged {
        host: String,
        known: String,
        offered: String,
    },
    /// An admin accepted a fingerprint the host does not offer.
    #[error("{host} does not offer the key {expected} (it offers {offered}); nothing changed")]
    KeyNotOffered {
        host: String,
        expected: String,
        offered: String,
    },
}

impl GlusterError {
    /// glusterd refused because another transaction held its lock: nothing was done.
    pub fn is_busy(&self) -> bool {
        matches!(self, GlusterError::Command { message, .. } if is_lock_conflict(message))
    }

    /// The CLI's bare "geo-replication command failed" (exit 2, no XML): no session, or the
    /// master volume locked by another command; gluster does not say which.
    pub(super) fn is_bare_georep_failure(&self) -> bool {
        matches!(self, GlusterError::Exit { code: 2, message } if message == BARE_GEOREP_FAILURE)
    }
}

pub(super) const BARE_GEOREP_FAILURE: &str = "geo-replication command failed";

impl From<ParseError> for GlusterError {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Command {
                op_ret,
                op_errno,
                message,
            } => GlusterError::Command {
                op_ret,
                op_errno,
                message,
            },
            other => GlusterError::Unreadable(other.to_string()),
        }
    }
}

/// glusterd's refusals that mean "busy, nothing done" (its own advice: try again later).
pub fn is_lock_conflict(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("another transaction") || m.starts_with("locking failed on")
}

#[cfg(test)]
mod tests {
    use super::{is_lock_conflict, GlusterError};

    #[test]
    fn a_bare_georep_failure_may_be_a_busy_master_volume() {
        // gluster 10.3, `volume geo-replication M S status detail` while a create on M runs
        let bare = GlusterError::Exit {
            code: 2,
            message: "geo-replication command failed".into(),
        };
        assert!(bare.is_bare_georep_failure() && !bare.is_busy());
        let usage = GlusterError::Exit {
            code: 1,
            message: "Usage: volume geo-replication ...".into(),
        };
        assert!(!usage.is_bare_georep_failure());
        let busy = GlusterError::Command { op_ret: -1, op_errno: 0, message: "Another transaction is in progress for mastervol. Please try again after some time.".into() };
        assert!(busy.is_busy());
    }

    #[test]
    fn lock_conflicts_are_told_from_real_refusals() {
        // glusterd 10.3's own strings (glusterd.so)
        for busy in [
            "Another transaction is in progress for mastervol. Please try again after some time.",
            "Another transaction is in progress. Please try again after some time.",
            "Another transaction could be in progress. Please try again after some time.",
            "Locking failed on vm2. Please check log file for details.",
        ] {
            assert!(is_lock_conflict(busy), "{busy}");
        }
        for refusal in [
            "geo-replication session between mastervol & vm::slavevol is still active. Please stop the session and retry.",
            "vm::slavevol is not empty. Please delete existing files in vm::slavevol and retry, or use force to continue without deleting the existing files.",
            "Volume mastervol does not exist",
        ] {
            assert!(!is_lock_conflict(refusal), "{refusal}");
        }
    }
}
