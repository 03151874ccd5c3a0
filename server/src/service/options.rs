//! Geo-replication session options: whether and to what a change is allowed (the values
//! checked before gluster sees them, command options). The table of options itself, with
//! gluster's help texts and the groups the options table shows, is `domain::options`.
use super::names::OptionKey;
use super::ServiceError;
pub use crate::domain::options::{Kind, Spec, OPTIONS};

pub fn spec(key: &OptionKey) -> Option<&'static Spec> {
    crate::domain::options::find(key.as_str())
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
