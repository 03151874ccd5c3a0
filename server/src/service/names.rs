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
                "cluster name {s:?} must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A host name or IPv4/IPv6 address as gluster accepts it for peers and slaves
/// (RFC 1123 labels; no user part, no port, nothing a shell or ssh could read as an option).
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
                "{s:?} is not a valid host name or address"
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

/// A gluster volume name as the CLI accepts it: 1–128 letters, digits, `_` or `-`, not
/// starting with `-` (nothing the CLI or ssh could read as an option or a path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeName(String);

impl VolumeName {
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        let s = s.trim();
        let ok = (1..=128).contains(&s.len())
            && !s.starts_with('-')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            && s != "all";
        if ok {
            Ok(VolumeName(s.to_owned()))
        } else {
            Err(ServiceError::Invalid(format!(
                "volume name {s:?} must be 1 to 128 letters, digits, '_' or '-', not starting with '-'"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VolumeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A slave user (POSIX portable user name): `[a-z_][a-z0-9_-]{0,31}`; empty means root.
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
            Err(ServiceError::Invalid(format!("user name {s:?} must be 1 to 32 of a-z, 0-9, '_' or '-', starting with a letter or '_'")))
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
                "{s:?} is not an option name"
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

#[cfg(test)]
mod tests {
    use super::*;

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
        for good in ["slavevol2", "a", "vol_1-x"] {
            assert_eq!(VolumeName::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "-x",
            "a b",
            "a/b",
            "vm::x",
            "all",
            "$(id)",
            &"v".repeat(129),
        ] {
            assert!(VolumeName::parse(bad).is_err(), "{bad:?} accepted");
        }
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
