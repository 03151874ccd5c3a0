//! Which host of a cluster georep asks, and how; how the CLI names a slave, and the trail a
//! session.
use app::domain::{Connection, HostStatus};

use crate::gluster::Target;
use crate::store::HostRow;

/// The order a cluster's hosts are asked in: connected ones first (a down peer would cost a
/// timeout before the next one is asked), otherwise as stored.
pub fn connected_first<H: std::borrow::Borrow<HostRow>>(mut hosts: Vec<H>) -> Vec<H> {
    hosts.sort_by_key(|h| h.borrow().status != HostStatus::Connected);
    hosts
}

/// The host to ask first, if the cluster has any.
pub fn first_to_ask(hosts: Vec<HostRow>) -> Option<HostRow> {
    connected_first(hosts).into_iter().next()
}

/// How the gluster CLI of `h` is reached: on this machine, or over ssh.
pub fn target_of(h: &HostRow) -> Target {
    match h.connection {
        Connection::Ssh => Target::Ssh {
            host: h.address.clone(),
            user: h.ssh_user.clone(),
            port: h.ssh_port as u16,
        },
        Connection::Local => Target::Local,
    }
}

/// `[user@]host::volume`, as the gluster CLI names a slave.
pub fn slave_spec(user: &str, host: &str, volume: &str) -> String {
    if user.is_empty() || user == "root" {
        format!("{host}::{volume}")
    } else {
        format!("{user}@{host}::{volume}")
    }
}

/// `master -> [user@]host::volume`: a session as the audit trail (and its alerts) name it.
pub fn session_name(master: &str, slave: &str) -> String {
    format!("{master} -> {slave}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(address: &str, status: &str) -> HostRow {
        HostRow {
            id: uuid::Uuid::nil().into(),
            cluster_id: uuid::Uuid::nil().into(),
            address: address.into(),
            gluster_uuid: None,
            connection: "local".parse().unwrap(),
            ssh_user: String::new(),
            ssh_port: 22,
            status: status.parse().unwrap(),
            last_seen_at: None,
        }
    }

    #[test]
    fn connected_hosts_are_asked_first_the_rest_in_stored_order() {
        let order = connected_first(vec![
            host("a", "disconnected"),
            host("b", "connected"),
            host("c", "unknown"),
            host("d", "connected"),
        ]);
        let names: Vec<_> = order.iter().map(|h| h.address.as_str()).collect();
        assert_eq!(names, ["b", "d", "a", "c"]);
        assert_eq!(first_to_ask(vec![]).map(|h| h.address), None);
    }

    #[test]
    fn a_root_slave_is_named_without_its_user() {
        assert_eq!(slave_spec("", "h", "v"), "h::v");
        assert_eq!(slave_spec("root", "h", "v"), "h::v");
        assert_eq!(slave_spec("geo", "h", "v"), "geo@h::v");
    }
}
