//! The pre-flight check of a planned session (issue 19): what georep verified on the master
//! node that will run `create` and on every slave node before gluster is asked, each check
//! with its outcome and the fix. Shared by the create dialog and the REST resource.
use serde::{Deserialize, Serialize};

crate::spelled! {
    "snake_case",
    /// One thing a session needs of its clusters, in the order the dialog lists them.
    pub enum Check {
        /// The master node that runs `create` reaches `user@slave-host` over ssh without a
        /// password (gluster's gverify tries exactly this).
        SshFromMaster,
        /// The slave volume is started.
        SlaveStarted,
        /// At least one brick of the slave volume is online.
        SlaveBricksUp,
        /// The slave volume holds no file (gluster refuses a non-empty slave without force).
        SlaveEmpty,
        /// The slave volume is at least as large as the master volume.
        SlaveSize,
        /// The master and slave nodes run the same gluster version (gverify compares them).
        Versions,
        /// The clocks of the master node and the slave nodes agree (checkpoints compare times).
        TimeSync,
        /// Non-root: the mountbroker root exists on every slave node, owned by root and
        /// writable by root only (glusterd refuses to mount for the user otherwise).
        MountbrokerRoot,
        /// Non-root: the user, and the mountbroker's group with the user in it, on every
        /// slave node.
        UserAndGroup,
        /// Non-root: every slave node's glusterd.vol lets the user mount the slave volume.
        MountbrokerUser,
        /// Non-root: every slave node's glusterd started after its glusterd.vol last changed
        /// (the mountbroker's options are read at start only).
        GlusterdRestarted,
        /// Non-root: the master node's root key is in the user's authorized_keys on the slave
        /// host (what the ssh check needs).
        AuthorizedKeys,
    }
}

impl Check {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// What the dialog calls it.
    pub fn title(self) -> &'static str {
        match self {
            Check::SshFromMaster => "ssh from the master node",
            Check::SlaveStarted => "slave volume started",
            Check::SlaveBricksUp => "slave bricks up",
            Check::SlaveEmpty => "slave volume empty",
            Check::SlaveSize => "slave size ≥ master size",
            Check::Versions => "gluster versions",
            Check::TimeSync => "clocks in sync",
            Check::MountbrokerRoot => "mountbroker root",
            Check::UserAndGroup => "user and group on every slave node",
            Check::MountbrokerUser => "mountbroker lets the user mount the volume",
            Check::GlusterdRestarted => "glusterd restarted after the mountbroker change",
            Check::AuthorizedKeys => "master key in the user's authorized_keys",
        }
    }

    /// Whether gluster's `force` goes past it (gverify's checks without FORCE_BLOCKER).
    pub fn force_passes(self) -> bool {
        matches!(
            self,
            Check::SlaveEmpty | Check::SlaveSize | Check::Versions | Check::TimeSync
        )
    }

    /// Whether georep's set-up of the slave side (a non-root session) makes it pass.
    pub fn set_up_by_georep(self) -> bool {
        matches!(
            self,
            Check::MountbrokerRoot
                | Check::UserAndGroup
                | Check::MountbrokerUser
                | Check::GlusterdRestarted
                | Check::AuthorizedKeys
                | Check::SshFromMaster
        )
    }
}

crate::spelled! {
    "snake_case",
    /// A check's outcome.
    pub enum Outcome {
        Pass,
        Fail,
        /// georep could not tell (a node did not answer, the slave cluster is not georep's).
        Unknown,
    }
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One check done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: Check,
    pub outcome: Outcome,
    /// What was found (per node where it is per node).
    pub detail: String,
    /// What to do about a failure (None when it passed).
    pub fix: Option<String>,
}

/// Every check of a planned session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preflight {
    pub checks: Vec<CheckResult>,
}

impl Preflight {
    /// The failed checks that stop a create: all of them, less those `force` goes past and,
    /// when georep sets up the slave side, those the set-up makes pass.
    pub fn blocking(&self, force: bool, setup: bool) -> Vec<&CheckResult> {
        self.checks
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .filter(|c| !(force && c.check.force_passes()))
            .filter(|c| !(setup && c.check.set_up_by_georep()))
            .collect()
    }

    pub fn get(&self, check: Check) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.check == check)
    }
}

/// A failed check as one line: what, what was found, the fix.
impl std::fmt::Display for CheckResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.check.title(), self.detail)?;
        if let Some(fix) = &self.fix {
            write!(f, " (fix: {fix})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(check: Check) -> CheckResult {
        CheckResult {
            check,
            outcome: Outcome::Fail,
            detail: "x".into(),
            fix: Some("y".into()),
        }
    }

    #[test]
    fn force_and_setup_go_past_their_own_checks_only() {
        let p = Preflight {
            checks: vec![
                failed(Check::SlaveEmpty),
                failed(Check::MountbrokerRoot),
                failed(Check::SlaveStarted),
                CheckResult {
                    outcome: Outcome::Unknown,
                    ..failed(Check::TimeSync)
                },
            ],
        };
        let names = |v: Vec<&CheckResult>| v.iter().map(|c| c.check).collect::<Vec<_>>();
        assert_eq!(
            names(p.blocking(false, false)),
            [
                Check::SlaveEmpty,
                Check::MountbrokerRoot,
                Check::SlaveStarted
            ]
        );
        assert_eq!(
            names(p.blocking(true, false)),
            [Check::MountbrokerRoot, Check::SlaveStarted]
        );
        assert_eq!(names(p.blocking(true, true)), [Check::SlaveStarted]);
        assert_eq!(
            failed(Check::SlaveEmpty).to_string(),
            "slave volume empty: x (fix: y)"
        );
    }
}
