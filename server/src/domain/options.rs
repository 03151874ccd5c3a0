//! The geo-replication session options gluster 10 has: defaults, kinds, and who sets each
//! one — an admin (with georep or gluster's CLI) or gluster itself. Below `service` (which
//! validates changes against it) and `sync` (which records an admin's change made outside
//! georep, and not gluster filling in its own values).
//!
//! gluster's `config --xml` lists values only. gsyncd's own `config-get --show-defaults --json`
//! works on the lab, but it fills `default` only for options that were modified (and then wrongly
//! for `checkpoint`), and it has to run on a master node as a separate program. So the table
//! below is taken from gluster 10's `/etc/glusterfs/gsyncd.conf` (the file gsyncd itself reads,
//! identical to peers-georep §5.3), keyed in the XML spelling (`_`).

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
}

impl Spec {
    /// Whether `config KEY VALUE` may change it (the checkpoint has its own action).
    pub fn settable(&self) -> bool {
        self.configurable && self.kind != Kind::UnixTime
    }
}

const LEVELS: &[&str] = &["ERROR", "INFO", "WARNING", "DEBUG"];
const INT: Kind = Kind::Int {
    min: 0,
    max: i32::MAX as i64,
};

macro_rules! spec {
    ($key:literal, $default:literal, $kind:expr) => {
        spec!(@ $key, $default, $kind, true, false)
    };
    ($key:literal, $default:literal, $kind:expr, ro) => {
        spec!(@ $key, $default, $kind, false, false)
    };
    ($key:literal, $default:literal, $kind:expr, cmd) => {
        spec!(@ $key, $default, $kind, true, true)
    };
    ($key:literal, $default:literal, $kind:expr, ro cmd) => {
        spec!(@ $key, $default, $kind, false, true)
    };
    (@ $key:literal, $default:literal, $kind:expr, $configurable:expr, $command:expr) => {
        Spec {
            key: $key,
            default: $default,
            kind: $kind,
            configurable: $configurable,
            command: $command,
        }
    };
}

/// gluster 10.3's gsyncd.conf, in its order.
///
/// `cmd` marks the command options, each for this reason:
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
    spec!("primary_bricks", "", Kind::Text, ro),
    spec!("secondary_bricks", "", Kind::Text, ro),
    spec!("primary_volume_id", "", Kind::Text, ro),
    spec!("secondary_volume_id", "", Kind::Text, ro),
    spec!("primary_replica_count", "1", INT, ro),
    spec!("primary_disperse_count", "1", INT, ro),
    spec!("primary_distribution_count", "1", INT, ro),
    spec!("glusterd_workdir", "/var/lib/glusterd", Kind::Text, cmd),
    spec!("gluster_logdir", "/var/log/glusterfs", Kind::Text, cmd),
    spec!("gluster_rundir", "/var/run/gluster", Kind::Text, cmd),
    spec!(
        "gsyncd_miscdir",
        "/var/lib/misc/gluster/gsyncd",
        Kind::Text,
        cmd
    ),
    // gsyncd.conf lets it be set, but gsyncd fills it itself when a session starts
    // (`trusted.glusterfs.<master id>.<slave id>`) and names every brick's sync-time xattr
    // with it: another value would lose where each brick's replication stands
    spec!("stime_xattr_prefix", "", Kind::Text, ro),
    spec!("checkpoint", "0", Kind::UnixTime),
    spec!("gluster_cli_options", "", Kind::Text, cmd),
    spec!("pid_file", "", Kind::Text, ro cmd),
    spec!("state_file", "", Kind::Text, ro cmd),
    spec!("georep_session_working_dir", "", Kind::Text, ro cmd),
    spec!("access_mount", "false", Kind::Bool),
    spec!("secondary_access_mount", "false", Kind::Bool),
    spec!("isolated_secondarys", "", Kind::Text),
    spec!("changelog_batch_size", "727040", INT),
    spec!("secondary_timeout", "120", INT),
    spec!("connection_timeout", "60", INT),
    spec!("replica_failover_interval", "1", INT),
    spec!("changelog_archive_format", "%Y%m", Kind::Text, cmd),
    spec!("use_meta_volume", "false", Kind::Bool),
    spec!(
        "meta_volume_mnt",
        "/run/gluster/shared_storage",
        Kind::Text,
        cmd
    ),
    spec!("allow_network", "", Kind::Text),
    spec!("change_interval", "5", INT),
    spec!("sync_method", "rsync", Kind::Choice(&["rsync", "tarssh"])),
    spec!("remote_gsyncd", "", Kind::Text, cmd),
    spec!("gluster_command_dir", "/usr/sbin", Kind::Text, cmd),
    spec!(
        "secondary_gluster_command_dir",
        "/usr/sbin",
        Kind::Text,
        cmd
    ),
    spec!("gluster_params", "aux-gfid-mount acl", Kind::Text, cmd),
    spec!(
        "secondary_gluster_params",
        "aux-gfid-mount acl",
        Kind::Text,
        cmd
    ),
    spec!("ignore_deletes", "false", Kind::Bool),
    spec!("special_sync_mode", "", Kind::Text),
    spec!("gfid_conflict_resolution", "true", Kind::Bool),
    spec!("working_dir", "", Kind::Text, ro cmd),
    spec!(
        "change_detector",
        "changelog",
        Kind::Choice(&["changelog", "xsync"])
    ),
    spec!("cli_log_file", "", Kind::Text, ro cmd),
    spec!("cli_log_level", "INFO", Kind::Choice(LEVELS)),
    spec!("log_file", "", Kind::Text, ro cmd),
    spec!("changelog_log_file", "", Kind::Text, ro cmd),
    spec!("gluster_log_file", "", Kind::Text, ro cmd),
    spec!("secondary_log_file", "", Kind::Text, ro cmd),
    spec!("secondary_gluster_log_file", "", Kind::Text, ro cmd),
    spec!("secondary_gluster_log_file_mbr", "", Kind::Text, ro cmd),
    spec!("log_level", "INFO", Kind::Choice(LEVELS)),
    spec!("gluster_log_level", "INFO", Kind::Choice(LEVELS)),
    spec!("changelog_log_level", "INFO", Kind::Choice(LEVELS)),
    spec!("secondary_log_level", "INFO", Kind::Choice(LEVELS)),
    spec!("secondary_gluster_log_level", "INFO", Kind::Choice(LEVELS)),
    spec!("ssh_port", "22", Kind::Int { min: 1, max: 65535 }),
    spec!("ssh_command", "ssh", Kind::Text, cmd),
    spec!("tar_command", "tar", Kind::Text, cmd),
    spec!("ssh_options", "", Kind::Text, cmd),
    spec!("ssh_options_tar", "", Kind::Text, cmd),
    spec!("gluster_command", "gluster", Kind::Text, cmd),
    spec!("sync_jobs", "3", Kind::Int { min: 1, max: 100 }),
    spec!("rsync_command", "rsync", Kind::Text, cmd),
    spec!("rsync_options", "", Kind::Text, cmd),
    spec!("rsync_ssh_options", "", Kind::Text, cmd),
    spec!("rsync_opt_ignore_missing_args", "true", Kind::Bool),
    spec!("rsync_opt_existing", "true", Kind::Bool),
    spec!("log_rsync_performance", "false", Kind::Bool),
    spec!("use_rsync_xattrs", "false", Kind::Bool),
    spec!("sync_xattrs", "true", Kind::Bool),
    spec!("sync_acls", "true", Kind::Bool),
    spec!("max_rsync_retries", "10", INT),
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
