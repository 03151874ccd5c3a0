//! The `key=value` lines georep's node scripts print (`gluster::nodes`): a line that is not
//! one, or a key not known, is passed over; a value that does not parse is as if absent.

/// The node that runs `create`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterFacts {
    /// Its clock, in ms since the epoch.
    pub now_ms: Option<i64>,
    pub version: Option<String>,
    /// root's public keys: type and base64.
    pub pubkeys: Vec<String>,
    /// Whether its ssh to the slave as gverify tries it worked: Err with ssh's last line.
    pub ssh: Result<(), String>,
}

/// A slave node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlaveFacts {
    pub now_ms: Option<i64>,
    pub version: Option<String>,
    /// glusterd.vol's last change and glusterd's start (seconds since the epoch).
    pub volfile_mtime: Option<i64>,
    pub glusterd_started: Option<i64>,
    pub mountbroker_root: Option<String>,
    /// The root directory's owner uid and mode (octal digits as `stat %a` prints them).
    pub root_owner: Option<u32>,
    pub root_mode: Option<u32>,
    pub group: Option<String>,
    pub group_exists: bool,
    /// The volumes glusterd.vol lets the user mount.
    pub user_volumes: Vec<String>,
    /// The user's home: None when there is no such user.
    pub home: Option<String>,
    pub user_in_group: bool,
    /// The user's password is locked (`!`): sshd without PAM refuses the user.
    pub locked: bool,
    /// `gluster` is on the user's PATH after /etc/profile (gluster's create runs it so).
    pub gluster_on_path: bool,
    pub key_authorized: bool,
    /// Each brick path asked about, with its top entries (None: no such directory).
    pub bricks: Vec<(String, Option<u32>)>,
}

impl SlaveFacts {
    /// Whether the mountbroker root is owned by root and writable by root only.
    pub fn root_is_safe(&self) -> Option<bool> {
        Some(self.root_owner? == 0 && self.root_mode? & 0o022 == 0)
    }
}

fn lines(stdout: &str) -> impl Iterator<Item = (&str, &str)> {
    stdout.lines().filter_map(|l| l.split_once('='))
}

fn some(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

pub fn parse_master_facts(stdout: &str) -> MasterFacts {
    let mut f = MasterFacts {
        now_ms: None,
        version: None,
        pubkeys: vec![],
        ssh: Err("georep's check printed nothing about ssh".into()),
    };
    for (k, v) in lines(stdout) {
        match k {
            "now_ms" => f.now_ms = v.trim().parse().ok(),
            "version" => f.version = some(v),
            "pubkey" => f.pubkeys.extend(some(v)),
            "ssh" if v.trim() == "ok" => f.ssh = Ok(()),
            "ssh" => f.ssh = Err(some(v).unwrap_or_else(|| "ssh failed, saying nothing".into())),
            _ => {}
        }
    }
    f
}

pub fn parse_slave_facts(stdout: &str) -> SlaveFacts {
    let mut f = SlaveFacts::default();
    for (k, v) in lines(stdout) {
        match k {
            "now_ms" => f.now_ms = v.trim().parse().ok(),
            "version" => f.version = some(v),
            "volfile_mtime" => f.volfile_mtime = v.trim().parse().ok(),
            "glusterd_started" => f.glusterd_started = v.trim().parse().ok(),
            "mountbroker_root" => f.mountbroker_root = some(v),
            "mountbroker_root_stat" => {
                let mut w = v.split_whitespace();
                f.root_owner = w.next().and_then(|o| o.parse().ok());
                f.root_mode = w.next().and_then(|m| u32::from_str_radix(m, 8).ok());
            }
            "group" => f.group = some(v),
            "group_exists" => f.group_exists = v.trim() == "1",
            "user_volumes" => {
                f.user_volumes = v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            "home" => f.home = some(v),
            "user_in_group" => f.user_in_group = v.trim() == "1",
            "key_authorized" => f.key_authorized = v.trim() == "1",
            "locked" => f.locked = v.trim() == "1",
            "gluster_on_path" => f.gluster_on_path = v.trim() == "1",
            "brick" => {
                if let Some((n, path)) = v.split_once(' ') {
                    f.bricks.push((path.to_owned(), n.parse().ok()));
                }
            }
            _ => {}
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::parse::fixtures::{
        NODE_FACTS_MASTER_NO_USER, NODE_FACTS_MASTER_READY, NODE_FACTS_SLAVE_NONE,
        NODE_FACTS_SLAVE_READY,
    };

    #[test]
    fn a_slave_node_with_no_mountbroker_and_one_ready() {
        let none = parse_slave_facts(NODE_FACTS_SLAVE_NONE);
        assert_eq!(none.version.as_deref(), Some("10.3"));
        assert_eq!(none.mountbroker_root, None);
        assert_eq!(none.root_is_safe(), None);
        assert_eq!((none.group.as_deref(), none.home.as_deref()), (None, None));
        assert!(none.user_volumes.is_empty() && !none.key_authorized);
        assert_eq!(
            none.bricks,
            [("/srv/georep-lab2/node3/c2slave/b1".to_owned(), Some(0))]
        );
        assert!(none.glusterd_started >= none.volfile_mtime);

        let ready = parse_slave_facts(NODE_FACTS_SLAVE_READY);
        assert_eq!(
            ready.mountbroker_root.as_deref(),
            Some("/var/mountbroker-root")
        );
        assert_eq!((ready.root_owner, ready.root_mode), (Some(0), Some(0o711)));
        assert_eq!(ready.root_is_safe(), Some(true));
        assert_eq!(ready.group.as_deref(), Some("geogroup"));
        assert!(ready.group_exists && ready.user_in_group && ready.gluster_on_path);
        assert!(ready.key_authorized && !ready.locked);
        assert_eq!(ready.user_volumes, ["c2slave"]);
        assert_eq!(ready.home.as_deref(), Some("/home/geoaccount"));
        assert_eq!(ready.bricks[0].1, Some(4));
    }

    #[test]
    fn the_master_node_before_and_after() {
        let before = parse_master_facts(NODE_FACTS_MASTER_NO_USER);
        assert_eq!(
            before.ssh,
            Err("geoaccount@node3: Permission denied (publickey).".into())
        );
        assert_eq!(before.pubkeys.len(), 1);
        assert!(before.pubkeys[0].starts_with("ssh-ed25519 AAAA"));
        assert!(before.now_ms.is_some_and(|n| n > 1_700_000_000_000));
        let after = parse_master_facts(NODE_FACTS_MASTER_READY);
        assert_eq!(after.ssh, Ok(()));
        assert_eq!(after.version.as_deref(), Some("10.3"));
    }

    #[test]
    fn nothing_printed_is_nothing_known() {
        let m = parse_master_facts("");
        assert!(m.ssh.is_err() && m.pubkeys.is_empty() && m.now_ms.is_none());
        let s = parse_slave_facts("garbage\nbrick=x\nnow_ms=abc\nmountbroker_root_stat=0 9z");
        assert_eq!(s.now_ms, None);
        assert_eq!(s.root_mode, None);
        assert!(s.bricks.is_empty());
    }
}
