//! The geo-replication session options gluster 10 has: defaults, kinds, and who sets each
//! one — an admin (with georep or gluster's CLI) or gluster itself. Below `service` (which
//! validates changes against it) and `sync` (which records an admin's change made outside
//! georep, and not gluster filling in its own values).
//!
//! gluster's `config --xml` lists values only. gsyncd's own `config-get --show-defaults --json`
//! works on the lab, but it fills `default` only for options that were modified (and then wrongly
//! for `checkpoint`), and it has to run on a master node as a separate program. So the table
//! below is taken from gluster 10's `/etc/glusterfs/gsyncd.conf` (the file gsyncd itself reads,
//! identical to peers-georep §5.3), keyed in the XML spelling (`_`), with its help texts
//! (gluster's source `geo-replication/gsyncd.conf.in`).
use app::domain::OptionGroup;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    Choice(&'static [&'static str]),
    /// `checkpoint`: set through the checkpoint action.
    UnixTime,
    Text,
}

#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub key: &'static str,
    pub default: &'static str,
    pub kind: Kind,
    pub configurable: bool,
    /// A *command option* (`cmd` below): its value names a program, a command line or its
    /// arguments, or a path that gsyncd runs or writes as root on every master (or slave)
    /// node. gluster lets anyone who may run `config` change it, which makes a georep admin
    /// root on those nodes; georep changes it only when the server allows command options.
    pub command: bool,
    /// One of the options admins tune most (the options table shows them first).
    pub common: bool,
    /// gluster's own help text (gsyncd.conf's `help=`), "" where it has none.
    pub help: &'static str,
}

impl Spec {
    /// Whether `config KEY VALUE` may change it (the checkpoint has its own action).
    pub fn settable(&self) -> bool {
        self.configurable && self.kind != Kind::UnixTime
    }

    /// Where the options table puts it: gluster's own values (read-only) apart, then the
    /// commonly tuned, then the command options, then the rest.
    pub fn group(&self) -> OptionGroup {
        match self {
            s if !s.configurable => OptionGroup::ReadOnly,
            s if s.common => OptionGroup::Common,
            s if s.command => OptionGroup::Command,
            _ => OptionGroup::Advanced,
        }
    }

    const fn ro(self) -> Self {
        Spec {
            configurable: false,
            ..self
        }
    }

    const fn cmd(self) -> Self {
        Spec {
            command: true,
            ..self
        }
    }

    const fn common(self) -> Self {
        Spec {
            common: true,
            ..self
        }
    }

    const fn help(self, help: &'static str) -> Self {
        Spec { help, ..self }
    }
}

const LEVELS: &[&str] = &["ERROR", "INFO", "WARNING", "DEBUG"];
const INT: Kind = Kind::Int {
    min: 0,
    max: i32::MAX as i64,
};

/// A configurable option that is no command option, no common one, without help text.
const fn spec(key: &'static str, default: &'static str, kind: Kind) -> Spec {
    Spec {
        key,
        default,
        kind,
        configurable: true,
        command: false,
        common: false,
        help: "",
    }
}

/// gluster 10.3's gsyncd.conf, in its order.
///
/// `ro` marks what gluster fills in itself, `common` what admins tune most (`sync_jobs`,
/// `sync_method`, deletes, the meta volume, the checkpoint, ssh port, ACLs and xattrs, log
/// levels), `help` is gsyncd.conf's own text (verbatim). `cmd` marks the command options, each for this reason:
/// - paths gsyncd writes to or creates as root (working, log, run, misc dirs; the meta
///   volume's mount point; the changelog archive's file name pattern; the read-only log, pid
///   and state files): pointed elsewhere they overwrite or create files anywhere;
/// - programs gsyncd executes (`*_command`, `remote_gsyncd`) and the directories it takes
///   them from (`*_command_dir`): any program, run as root;
/// - words gsyncd adds to a command line it runs as root: `ssh_options*` (`-oProxyCommand=`
///   runs a command), `rsync_options` (`--rsh=`), `rsync_ssh_options`, `gluster_cli_options`
///   (`--log-file=`), `gluster_params` / `secondary_gluster_params` (the geo-rep mount's
///   options, e.g. its log file).
///
/// Not command options: booleans, integers (also `ssh_port`: a number cannot name a program
/// or a path), choices, and the free texts that are neither paths nor command words
/// (`stime_xattr_prefix` an xattr name, `isolated_secondarys` and `allow_network` host lists,
/// `special_sync_mode` a mode name).
pub const OPTIONS: &[Spec] = &[
    spec("primary_bricks", "", Kind::Text).ro(),
    spec("secondary_bricks", "", Kind::Text).ro(),
    spec("primary_volume_id", "", Kind::Text).ro(),
    spec("secondary_volume_id", "", Kind::Text).ro(),
    spec("primary_replica_count", "1", INT).ro(),
    spec("primary_disperse_count", "1", INT).ro(),
    spec("primary_distribution_count", "1", INT).ro(),
    spec("glusterd_workdir", "/var/lib/glusterd", Kind::Text).cmd(),
    spec("gluster_logdir", "/var/log/glusterfs", Kind::Text).cmd(),
    spec("gluster_rundir", "/var/run/gluster", Kind::Text).cmd(),
    spec("gsyncd_miscdir", "/var/lib/misc/gluster/gsyncd", Kind::Text).cmd(),
    // gsyncd.conf lets it be set, but gsyncd fills it itself when a session starts
    // (`trusted.glusterfs.<master id>.<slave id>`) and names every brick's sync-time xattr
    // with it: another value would lose where each brick's replication stands
    spec("stime_xattr_prefix", "", Kind::Text).ro(),
    spec("checkpoint", "0", Kind::UnixTime).common().help("Set Checkpoint"),
    spec("gluster_cli_options", "", Kind::Text).cmd().help("Gluster CLI Options"),
    spec("pid_file", "", Kind::Text).ro().cmd().help("PID file path"),
    spec("state_file", "", Kind::Text).ro().cmd().help("Status File path"),
    spec("georep_session_working_dir", "", Kind::Text).ro().cmd().help("Session Working directory"),
    spec("access_mount", "false", Kind::Bool).help("Do not lazy unmount the primary volume. This allows admin to access the mount for debugging."),
    spec("secondary_access_mount", "false", Kind::Bool).help("Do not lazy unmount the secondary volume. This allows admin to access the mount for debugging."),
    spec("isolated_secondarys", "", Kind::Text).help("List of Secondary nodes which are isolated"),
    spec("changelog_batch_size", "727040", INT).help("Max size of Changelogs to process per batch."),
    spec("secondary_timeout", "120", INT).help("Timeout in seconds for Secondary Gsyncd. If no activity from primary for this timeout, Secondary gsyncd will be disconnected. Set Timeout to zero to skip this check."),
    spec("connection_timeout", "60", INT).help("Timeout for mounts"),
    spec("replica_failover_interval", "1", INT).help("Minimum time interval in seconds for passive worker to become Active"),
    spec("changelog_archive_format", "%Y%m", Kind::Text).cmd().help("Processed changelogs will be archived in working directory. Pattern for archive file"),
    spec("use_meta_volume", "false", Kind::Bool).common().help("Use this to set Active Passive mode to meta-volume."),
    spec("meta_volume_mnt", "/run/gluster/shared_storage", Kind::Text).cmd().help("Meta Volume or Shared Volume mount path"),
    spec("allow_network", "", Kind::Text),
    spec("change_interval", "5", INT),
    spec("sync_method", "rsync", Kind::Choice(&["rsync", "tarssh"])).common().help("Sync method for data sync. Available methods are tar over ssh and rsync. Default is rsync."),
    spec("remote_gsyncd", "", Kind::Text).cmd().help("If SSH keys are not secured with gsyncd prefix then use this configuration to set the actual path of gsyncd(Usually /usr/libexec/glusterfs/gsyncd)"),
    spec("gluster_command_dir", "/usr/sbin", Kind::Text).cmd().help("Directory where Gluster binaries exist on primary"),
    spec("secondary_gluster_command_dir", "/usr/sbin", Kind::Text).cmd().help("Directory where Gluster binaries exist on secondary"),
    spec("gluster_params", "aux-gfid-mount acl", Kind::Text).cmd().help("Parameters for Gluster Geo-rep mount in Primary"),
    spec("secondary_gluster_params", "aux-gfid-mount acl", Kind::Text).cmd().help("Parameters for Gluster Geo-rep mount in Secondary"),
    spec("ignore_deletes", "false", Kind::Bool).common().help("Do not sync deletes in Secondary"),
    spec("special_sync_mode", "", Kind::Text),
    spec("gfid_conflict_resolution", "true", Kind::Bool).help("Disables automatic gfid conflict resolution while syncing"),
    spec("working_dir", "", Kind::Text).ro().cmd().help("Working directory for storing Changelogs"),
    spec("change_detector", "changelog", Kind::Choice(&["changelog", "xsync"])).help("Change detector"),
    spec("cli_log_file", "", Kind::Text).ro().cmd(),
    spec("cli_log_level", "INFO", Kind::Choice(LEVELS)).common().help("Set CLI Log Level"),
    spec("log_file", "", Kind::Text).ro().cmd(),
    spec("changelog_log_file", "", Kind::Text).ro().cmd(),
    spec("gluster_log_file", "", Kind::Text).ro().cmd(),
    spec("secondary_log_file", "", Kind::Text).ro().cmd(),
    spec("secondary_gluster_log_file", "", Kind::Text).ro().cmd(),
    spec("secondary_gluster_log_file_mbr", "", Kind::Text).ro().cmd(),
    spec("log_level", "INFO", Kind::Choice(LEVELS)).common().help("Set Log Level"),
    spec("gluster_log_level", "INFO", Kind::Choice(LEVELS)).common().help("Set Gluster mount Log Level"),
    spec("changelog_log_level", "INFO", Kind::Choice(LEVELS)).common().help("Set Changelog Log Level"),
    spec("secondary_log_level", "INFO", Kind::Choice(LEVELS)).common().help("Set Secondary Gsyncd Log Level"),
    spec("secondary_gluster_log_level", "INFO", Kind::Choice(LEVELS)).common().help("Set Secondary Gluster mount Log Level"),
    spec("ssh_port", "22", Kind::Int { min: 1, max: 65535 }).common().help("Set SSH port"),
    spec("ssh_command", "ssh", Kind::Text).cmd().help("Set ssh binary path"),
    spec("tar_command", "tar", Kind::Text).cmd().help("Set tar command path"),
    spec("ssh_options", "", Kind::Text).cmd(),
    spec("ssh_options_tar", "", Kind::Text).cmd(),
    spec("gluster_command", "gluster", Kind::Text).cmd().help("Set gluster binary path"),
    spec("sync_jobs", "3", Kind::Int { min: 1, max: 100 }).common().help("Number of Syncer jobs"),
    spec("rsync_command", "rsync", Kind::Text).cmd().help("Set rsync command path"),
    spec("rsync_options", "", Kind::Text).cmd(),
    spec("rsync_ssh_options", "", Kind::Text).cmd(),
    spec("rsync_opt_ignore_missing_args", "true", Kind::Bool),
    spec("rsync_opt_existing", "true", Kind::Bool),
    spec("log_rsync_performance", "false", Kind::Bool).help("Log Rsync performance"),
    spec("use_rsync_xattrs", "false", Kind::Bool),
    spec("sync_xattrs", "true", Kind::Bool).common(),
    spec("sync_acls", "true", Kind::Bool).common(),
    spec("max_rsync_retries", "10", INT),
];

/// The spec of `key` (XML spelling), if gluster 10 has such an option.
pub fn find(key: &str) -> Option<&'static Spec> {
    OPTIONS.iter().find(|s| s.key == key)
}

/// Whether a new value of `key` is someone's change (an admin's, with georep or gluster's CLI)
/// rather than gluster filling in its own: the read-only options (the volumes' ids, bricks and
/// counts, the working files, the xattr prefix, written by glusterd when a session is created
/// or started) are gluster's, and so is a key this table does not know (gluster's internal
/// `state_socket_unencoded`, another version's spellings: georep shows them read-only too).
pub fn set_by_admins(key: &str) -> bool {
    find(key).is_some_and(|s| s.configurable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_has_one_group_and_gluster_s_help_where_it_has_one() {
        let group = |k: &str| find(k).unwrap().group();
        for k in [
            "sync_jobs",
            "sync_method",
            "ignore_deletes",
            "use_meta_volume",
            "checkpoint",
            "log_level",
            "gluster_log_level",
        ] {
            assert_eq!(group(k), OptionGroup::Common, "{k}");
        }
        for k in ["ssh_command", "rsync_options", "gluster_params"] {
            assert_eq!(group(k), OptionGroup::Command, "{k}");
        }
        // read-only wins over command: nobody may change a log file's path
        for k in ["log_file", "primary_volume_id", "stime_xattr_prefix"] {
            assert_eq!(group(k), OptionGroup::ReadOnly, "{k}");
        }
        for k in [
            "changelog_batch_size",
            "allow_network",
            "rsync_opt_existing",
        ] {
            assert_eq!(group(k), OptionGroup::Advanced, "{k}");
        }
        // no common option runs anything as root, and no command option hides among them
        assert!(OPTIONS.iter().all(|s| !(s.common && s.command)));
        assert_eq!(find("sync_jobs").unwrap().help, "Number of Syncer jobs");
        assert_eq!(find("rsync_options").unwrap().help, "");
        assert_eq!(OPTIONS.iter().filter(|s| !s.help.is_empty()).count(), 38);
    }

    #[test]
    fn what_gluster_fills_in_itself_is_not_an_admins_change() {
        for key in [
            "stime_xattr_prefix",
            "primary_distribution_count",
            "primary_bricks",
            "secondary_volume_id",
            "pid_file",
            "state_socket_unencoded",
            "master_distribution_count",
        ] {
            assert!(!set_by_admins(key), "{key}");
        }
        for key in [
            "sync_jobs",
            "sync_method",
            "rsync_options",
            "checkpoint",
            "log_level",
        ] {
            assert!(set_by_admins(key), "{key}");
        }
    }
}
