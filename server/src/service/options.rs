//! Geo-replication session options: defaults, allowed values and whether they can be changed.
//!
//! gluster's `config --xml` lists values only. gsyncd's own `config-get --show-defaults --json`
//! works on the lab, but it fills `default` only for options that were modified (and then wrongly
//! for `checkpoint`), and it has to run on a master node as a separate program. So the table
//! below is taken from gluster 10's `/etc/glusterfs/gsyncd.conf` (the file gsyncd itself reads,
//! identical to peers-georep §5.3), keyed in the XML spelling (`_`).
use super::names::OptionKey;
use super::ServiceError;

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
    spec!("stime_xattr_prefix", "", Kind::Text),
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

pub fn spec(key: &OptionKey) -> Option<&'static Spec> {
    OPTIONS.iter().find(|s| s.key == key.as_str())
}

/// gluster's own help text for an option (gsyncd.conf `help=`), where it has one.
pub fn description(key: &str) -> &'static str {
    match key {
        "checkpoint" => "Set Checkpoint",
        "gluster_cli_options" => "Gluster CLI Options",
        "pid_file" => "PID file path",
        "state_file" => "Status File path",
        "georep_session_working_dir" => "Session Working directory",
        "access_mount" => "Do not lazy unmount the primary volume. This allows admin to access the mount for debugging.",
        "secondary_access_mount" => "Do not lazy unmount the secondary volume. This allows admin to access the mount for debugging.",
        "isolated_secondarys" => "List of Secondary nodes which are isolated",
        "changelog_batch_size" => "Max size of Changelogs to process per batch.",
        "secondary_timeout" => "Timeout in seconds for Secondary Gsyncd. If no activity from primary for this timeout, Secondary gsyncd will be disconnected. Set Timeout to zero to skip this check.",
        "connection_timeout" => "Timeout for mounts",
        "replica_failover_interval" => "Minimum time interval in seconds for passive worker to become Active",
        "changelog_archive_format" => "Processed changelogs will be archived in working directory. Pattern for archive file",
        "use_meta_volume" => "Use this to set Active Passive mode to meta-volume.",
        "meta_volume_mnt" => "Meta Volume or Shared Volume mount path",
        "sync_method" => "Sync method for data sync. Available methods are tar over ssh and rsync. Default is rsync.",
        "remote_gsyncd" => "If SSH keys are not secured with gsyncd prefix then use this configuration to set the actual path of gsyncd(Usually /usr/libexec/glusterfs/gsyncd)",
        "gluster_command_dir" => "Directory where Gluster binaries exist on primary",
        "secondary_gluster_command_dir" => "Directory where Gluster binaries exist on secondary",
        "gluster_params" => "Parameters for Gluster Geo-rep mount in Primary",
        "secondary_gluster_params" => "Parameters for Gluster Geo-rep mount in Secondary",
        "ignore_deletes" => "Do not sync deletes in Secondary",
        "gfid_conflict_resolution" => "Disables automatic gfid conflict resolution while syncing",
        "working_dir" => "Working directory for storing Changelogs",
        "change_detector" => "Change detector",
        "cli_log_level" => "Set CLI Log Level",
        "log_level" => "Set Log Level",
        "gluster_log_level" => "Set Gluster mount Log Level",
        "changelog_log_level" => "Set Changelog Log Level",
        "secondary_log_level" => "Set Secondary Gsyncd Log Level",
        "secondary_gluster_log_level" => "Set Secondary Gluster mount Log Level",
        "ssh_port" => "Set SSH port",
        "ssh_command" => "Set ssh binary path",
        "tar_command" => "Set tar command path",
        "gluster_command" => "Set gluster binary path",
        "sync_jobs" => "Number of Syncer jobs",
        "rsync_command" => "Set rsync command path",
        "log_rsync_performance" => "Log Rsync performance",
        _ => "",
    }
}

/// Values a select box can offer (empty: free input).
pub fn allowed_values(kind: Kind) -> Vec<String> {
    match kind {
        Kind::Bool => vec!["true".into(), "false".into()],
        Kind::Choice(v) => v.iter().map(|s| s.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// gluster prints booleans as `True`/`False` (python): compare them case-insensitively.
pub fn same_value(a: &str, b: &str) -> bool {
    a == b
        || a.eq_ignore_ascii_case(b) && matches!(a.to_ascii_lowercase().as_str(), "true" | "false")
}

/// The spec of a key that may be set, and the value in the form gluster is given.
pub fn validate_set(key: &OptionKey, value: &str) -> Result<(&'static Spec, String), ServiceError> {
    let spec = spec(key).ok_or_else(|| ServiceError::Invalid(format!("unknown option {key}")))?;
    if !spec.configurable {
        return Err(ServiceError::Invalid(format!("option {key} is read-only")));
    }
    let v = value.trim();
    let bad = |why: String| ServiceError::Invalid(format!("bad value {v:?} for {key}: {why}"));
    let out = match spec.kind {
        Kind::Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => "true".to_owned(),
            "false" | "no" | "off" | "0" => "false".to_owned(),
            _ => return Err(bad("true or false".into())),
        },
        Kind::Int { min, max } => match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => n.to_string(),
            _ => return Err(bad(format!("an integer from {min} to {max}"))),
        },
        Kind::Choice(values) => match values.iter().find(|c| c.eq_ignore_ascii_case(v)) {
            Some(c) => c.to_string(),
            None => return Err(bad(format!("one of {}", values.join(", ")))),
        },
        Kind::UnixTime => {
            return Err(ServiceError::Invalid(
                "set the checkpoint with the checkpoint action".into(),
            ))
        }
        Kind::Text => {
            if v.len() > 1024 || v.chars().any(|c| c.is_control()) {
                return Err(bad("at most 1024 printable characters".into()));
            }
            // gsyncd runs these values (commands, their options, directories) as root on
            // master and slave nodes: nothing a shell would read as more than words
            if let Some(c) = v.chars().find(|c| SHELL_CHARS.contains(*c)) {
                return Err(bad(format!("{c:?} is not accepted in an option value")));
            }
            if COMMANDS.contains(&spec.key) && !is_program(v) {
                return Err(bad(
                    "one program: a name or an absolute path, without arguments".into(),
                ));
            }
            v.to_owned()
        }
    };
    Ok((spec, out))
}

/// What a shell would read as more than words: separators, substitutions, redirections,
/// quotes and escapes.
const SHELL_CHARS: &str = ";&|$`<>(){}'\"\\";

/// Options whose value gsyncd executes as a program (arguments have their own options).
const COMMANDS: &[&str] = &[
    "ssh_command",
    "tar_command",
    "gluster_command",
    "rsync_command",
    "remote_gsyncd",
];

/// A program name or an absolute path to one: `ssh`, `/usr/local/bin/rsync`.
fn is_program(v: &str) -> bool {
    !v.is_empty()
        && !v.starts_with('-')
        && !v.split('/').any(|part| part == "..")
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+'))
}

/// Whether this server changes command options (`serve --allow-command-options`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CommandOptions {
    /// Refused (403) with the reason from [`command_refusal`] (the default).
    #[default]
    Refused,
    Allowed,
}

/// Why this server will not change `spec`'s value (None: it may, as far as this policy goes).
/// A reset is not refused: it takes the value back to gluster's own default, which names no
/// program or path of an admin's choosing (and undoes one set from the CLI).
pub fn command_refusal(spec: &Spec, policy: CommandOptions) -> Option<String> {
    (spec.command && spec.configurable && policy == CommandOptions::Refused).then(|| {
        format!(
            "{} is a command option: gsyncd runs or writes what it names as root on the \
             session's nodes, so this server does not change it (start it with \
             `georep serve --allow-command-options` or GEOREP_ALLOW_COMMAND_OPTIONS=true to \
             allow command options)",
            spec.key
        )
    })
}

/// The spec of a key that may be reset.
pub fn validate_reset(key: &OptionKey) -> Result<&'static Spec, ServiceError> {
    let spec = spec(key).ok_or_else(|| ServiceError::Invalid(format!("unknown option {key}")))?;
    if !spec.configurable {
        return Err(ServiceError::Invalid(format!("option {key} is read-only")));
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(k: &str, v: &str) -> Result<String, String> {
        validate_set(&OptionKey::parse(k).unwrap(), v)
            .map(|(_, v)| v)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn values_are_checked_before_gluster_sees_them() {
        assert_eq!(set("sync-jobs", "5").unwrap(), "5");
        assert!(set("sync_jobs", "0").unwrap_err().contains("from 1 to 100"));
        assert!(set("sync_jobs", "500").is_err());
        assert!(set("sync_jobs", "x").is_err());
        assert_eq!(set("sync-method", "TARSSH").unwrap(), "tarssh");
        assert!(set("sync_method", "scp")
            .unwrap_err()
            .contains("rsync, tarssh"));
        assert_eq!(set("ignore-deletes", "yes").unwrap(), "true");
        assert!(set("ignore_deletes", "maybe").is_err());
        assert!(set("log_file", "/tmp/x").unwrap_err().contains("read-only"));
        assert!(set("no_such_option", "1")
            .unwrap_err()
            .contains("unknown option"));
        assert!(set("checkpoint", "now").is_err());
        assert!(set("rsync_options", "--bwlimit=1\n--x").is_err());
        assert_eq!(
            set("rsync_options", "--bwlimit=100 --exclude=*.tmp").unwrap(),
            "--bwlimit=100 --exclude=*.tmp"
        );
        for evil in [
            "x;reboot", "$(id)", "`id`", "a|b", "a>b", "'a'", "a && b", "\\x",
        ] {
            assert!(set("ssh_options", evil).is_err(), "{evil}");
        }
        assert_eq!(set("ssh_command", "/usr/bin/ssh").unwrap(), "/usr/bin/ssh");
        for evil in [
            "ssh -o ProxyCommand=x",
            "-oX",
            "../../bin/sh",
            "sh -c id",
            "",
        ] {
            assert!(set("ssh_command", evil).is_err(), "{evil}");
        }
        assert!(validate_reset(&OptionKey::parse("pid-file").unwrap()).is_err());
        assert!(validate_reset(&OptionKey::parse("sync-jobs").unwrap()).is_ok());
        assert!(same_value("True", "true") && !same_value("3", "5"));
    }

    #[test]
    fn command_options_are_refused_unless_the_server_allows_them() {
        let key = |k: &str| OptionKey::parse(k).unwrap();
        for (k, v) in [
            ("ssh_options", "-oProxyCommand=/tmp/x"),
            ("ssh_command", "/usr/bin/anything"),
            ("rsync_options", "--rsh=/tmp/x"),
            ("gluster_params", "aux-gfid-mount"),
            ("gluster_command_dir", "/tmp"),
            ("changelog_archive_format", "%Y"),
        ] {
            let (spec, _) = validate_set(&key(k), v).unwrap();
            let why = command_refusal(spec, CommandOptions::Refused).expect(k);
            assert!(
                why.starts_with(k) && why.contains("--allow-command-options"),
                "{why}"
            );
            assert_eq!(command_refusal(spec, CommandOptions::Allowed), None);
        }
        for (k, v) in [
            ("sync_jobs", "4"),
            ("ssh_port", "2222"),
            ("allow_network", "10.0.0.1"),
        ] {
            let (spec, _) = validate_set(&key(k), v).unwrap();
            assert_eq!(command_refusal(spec, CommandOptions::Refused), None, "{k}");
        }
        // every option gsyncd takes a program, command line or path from is marked
        for s in OPTIONS {
            let named = s.key.starts_with("ssh_") && s.key != "ssh_port"
                || s.key.ends_with("_command")
                || s.key.ends_with("_command_dir")
                || s.key.contains("rsync_options")
                || s.key.ends_with("_params")
                || s.key.ends_with("dir")
                || s.key.ends_with("_file")
                || s.key.ends_with("_mnt")
                || s.key.ends_with("_options");
            if named {
                assert!(s.command, "{} is a command option", s.key);
            }
        }
    }

    #[test]
    fn every_key_is_in_xml_spelling() {
        for s in OPTIONS {
            assert_eq!(OptionKey::parse(s.key).unwrap().as_str(), s.key);
        }
    }
}
