//! Names that come from outside, checked once at the edge and trusted inside.
use std::fmt;

use super::ServiceError;

/// A cluster's display name: 1–64 letters, digits, `.`, `_`, `-`, starting with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterName(String);

impl ClusterName {
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        let s = s.trim();
        let ok = (1..=64).contains(&s.len())
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok(ClusterName(s.to_owned()))
        } else {
            Err(ServiceError::Invalid(format!(
                "cluster name {:?} must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
                shorten(s)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A host name or IPv4/IPv6 address as gluster accepts it for peers and slaves. gluster's
/// `valid_host_name` (libglusterfs/src/common-utils.c): at most 255 bytes, no `..`, labels of
/// ASCII letters, digits and `-` that start and end with a letter or digit. This is that rule
/// with DNS's limits (253 bytes, 63 per label); no user part, no port, nothing a shell or ssh
/// could read as an option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostName(String);

impl HostName {
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        let s = s.trim();
        if s.parse::<std::net::IpAddr>().is_ok() {
            return Ok(HostName(s.to_owned()));
        }
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if (1..=253).contains(&s.len()) && s.split('.').all(label_ok) {
            Ok(HostName(s.to_ascii_lowercase()))
        } else {
            Err(ServiceError::Invalid(format!(
                "{:?} is not a valid host name or address",
                shorten(s)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Names gluster's CLI refuses for a volume (`invalid_volnames` in `cli_validate_volname`,
/// cli/src/cli-cmd-parser.c): words of its own grammar and volfile syntax.
const RESERVED_VOLUME_NAMES: [&str; 14] = [
    "volume",
    "type",
    "help",
    "subvolumes",
    "option",
    "end-volume",
    "all",
    "volume_not_in_ring",
    "description",
    "force",
    "snap-max-hard-limit",
    "snap-max-soft-limit",
    "auto-delete",
    "activate-on-create",
];

/// The longest volume name: glusterd keeps it in `char[GD_VOLUME_NAME_MAX]` (NAME_MAX + 1,
/// rpc/rpc-lib/src/protocol-common.h), so 255 bytes.
const VOLUME_NAME_MAX: usize = 255;

/// A gluster volume name by gluster's own rule (`cli_validate_volname`): 1–255 ASCII letters,
/// digits, `_` or `-`, not starting with `-`, and none of the CLI's reserved words. Nothing
/// the CLI or ssh could read as an option, a path or a `host::volume` separator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeName(String);

impl VolumeName {
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        let s = s.trim();
        let ok = (1..=VOLUME_NAME_MAX).contains(&s.len())
            && !s.starts_with('-')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !ok {
            return Err(ServiceError::Invalid(format!(
                "volume name {:?} must be 1 to {VOLUME_NAME_MAX} letters, digits, '_' or '-', not starting with '-'",
                shorten(s)
            )));
        }
        if RESERVED_VOLUME_NAMES.contains(&s) {
            return Err(ServiceError::Invalid(format!(
                "{s:?} cannot be the name of a volume (a word of gluster's CLI)"
            )));
        }
        Ok(VolumeName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// At most 80 characters of a refused name, so a 1 MiB name does not make a 1 MiB fault.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

impl fmt::Display for VolumeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A slave user (POSIX portable user name): `[a-z_][a-z0-9_-]{0,31}`; empty means root.
/// gluster only bounds it (`LOGIN_NAME_MAX` before the `@` of `user@host::volume`); this is
/// the portable subset useradd accepts, with no `@`, `:` or shell character.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(UserName("root".into()));
        }
        let ok = s.len() <= 32
            && s.chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
        if ok {
            Ok(UserName(s.to_owned()))
        } else {
            Err(ServiceError::Invalid(format!(
                "user name {:?} must be 1 to 32 of a-z, 0-9, '_' or '-', starting with a letter or '_'",
                shorten(s)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A geo-replication option key, normalised to gluster's XML spelling (`_`, lower case):
/// `sync-jobs`, `sync_jobs` and `SYNC-JOBS` are all `sync_jobs`. Whether the key exists is
/// for `options` to say.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OptionKey(String);

impl OptionKey {
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        let ok = (1..=64).contains(&s.len())
            && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(OptionKey(s))
        } else {
            Err(ServiceError::Invalid(format!(
                "{:?} is not an option name",
                shorten(&s)
            )))
        }
    }

    /// `sync_jobs`
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `sync-jobs`, as gluster 10's gsyncd.conf names it
    pub fn dashed(&self) -> String {
        self.0.replace('_', "-")
    }
}

impl fmt::Display for OptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A TCP port georep's ssh connects to: 1 to 65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SshPort(u16);

impl SshPort {
    pub fn parse(n: i64) -> Result<Self, ServiceError> {
        match u16::try_from(n) {
            Ok(p) if p > 0 => Ok(SshPort(p)),
            _ => Err(ServiceError::Invalid(format!(
                "ssh port {n} is not between 1 and 65535"
            ))),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// An ssh host key's fingerprint as OpenSSH prints it: `SHA256:` and unpadded base64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        let s = s.trim();
        let b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
        match s.strip_prefix("SHA256:") {
            Some(b) if (1..=64).contains(&b.len()) && b.chars().all(b64) => {
                Ok(Fingerprint(s.to_owned()))
            }
            _ => Err(ServiceError::Invalid(format!(
                "{:?} is not an ssh fingerprint (SHA256:…)",
                shorten(s)
            ))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_ports_and_fingerprints() {
        for good in [1, 22, 2222, 65535] {
            assert_eq!(i64::from(SshPort::parse(good).unwrap().get()), good);
        }
        for bad in [0, -22, 65536, i64::MAX] {
            assert!(SshPort::parse(bad).is_err(), "{bad} accepted");
        }
        let fp = "SHA256:sA55ynBTDWueQFaCi2JETzYdhAD5FM5Kkr9kvFvYxKg";
        assert_eq!(Fingerprint::parse(&format!(" {fp} ")).unwrap().as_str(), fp);
        for bad in [
            "",
            "SHA256:",
            "MD5:aa:bb",
            "sA55ynBTDWueQFaCi2JETzYdhAD5FM5Kkr9kvFvYxKg",
            "SHA256:abc def",
            "SHA256:-oProxyCommand",
        ] {
            assert!(Fingerprint::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn cluster_names() {
        for good in ["site-a", "Lab_1", "a", "dc2.prod"] {
            assert_eq!(ClusterName::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "-x",
            "a b",
            "x;rm -rf /",
            "../etc",
            &"x".repeat(65),
            "ü",
        ] {
            assert!(ClusterName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn host_names() {
        for good in ["vm", "gluster1.example.com", "127.0.0.1", "::1", "node-2"] {
            assert!(HostName::parse(good).is_ok(), "{good:?} refused");
        }
        assert_eq!(
            HostName::parse("VM.Example.COM").unwrap().as_str(),
            "vm.example.com"
        );
        for bad in [
            "",
            "-oProxyCommand=x",
            "root@vm",
            "vm:22",
            "a b",
            "a..b",
            "vm;id",
            "$(id)",
            "a/b",
            &"a".repeat(64),
        ] {
            assert!(HostName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
    #[test]
    fn volume_user_option_names() {
        for good in [
            "slavevol2",
            "a",
            "vol_1-x",
            "volumes",
            "all2",
            &"v".repeat(255),
        ] {
            assert_eq!(VolumeName::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "-x",
            "a b",
            "a/b",
            "vm::x",
            "all",
            "help",
            "end-volume",
            "volume",
            "$(id)",
            "a..b",
            "vol\u{e9}",
            &"v".repeat(256),
        ] {
            assert!(VolumeName::parse(bad).is_err(), "{bad:?} accepted");
        }
        // a refusal quotes a long name shortened
        let long = VolumeName::parse(&"x;".repeat(100_000))
            .unwrap_err()
            .to_string();
        assert!(long.len() < 300, "{}", long.len());
        assert_eq!(UserName::parse("").unwrap().as_str(), "root");
        assert_eq!(
            UserName::parse("geoaccount").unwrap().as_str(),
            "geoaccount"
        );
        for bad in ["Root", "-u", "a b", "a@b", "1x"] {
            assert!(UserName::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(OptionKey::parse("sync-jobs").unwrap().as_str(), "sync_jobs");
        assert_eq!(OptionKey::parse("SYNC_JOBS").unwrap().dashed(), "sync-jobs");
        for bad in ["", "!sync_jobs", "a b", "-x", "x=1"] {
            assert!(OptionKey::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
