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
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
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
            Err(ServiceError::Invalid(format!("{s:?} is not a valid host name or address")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_names() {
        for good in ["site-a", "Lab_1", "a", "dc2.prod"] {
            assert_eq!(ClusterName::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "-x", "a b", "x;rm -rf /", "../etc", &"x".repeat(65), "ü"] {
            assert!(ClusterName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn host_names() {
        for good in ["vm", "gluster1.example.com", "127.0.0.1", "::1", "node-2"] {
            assert!(HostName::parse(good).is_ok(), "{good:?} refused");
        }
        assert_eq!(HostName::parse("VM.Example.COM").unwrap().as_str(), "vm.example.com");
        for bad in ["", "-oProxyCommand=x", "root@vm", "vm:22", "a b", "a..b", "vm;id", "$(id)", "a/b", &"a".repeat(64)] {
            assert!(HostName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
