//! The pre-flight check judged from what was read (issue 19): the slave volume as the fresh
//! read stored it, the facts of the node that runs `create` and of each slave node
//! (`gluster::nodes`). Pure: every outcome, detail and fix is decided here.
use app::domain::BrickState;
use app::preflight::{Check, CheckResult, Outcome, Preflight};

use crate::gluster::parse::nodes::{MasterFacts, SlaveFacts};

/// Clocks further apart than this fail the time check.
pub const CLOCK_SKEW_MS: i64 = 2_000;

/// The slave volume as georep knows it (None: its cluster is not georep's).
pub struct SlaveVolume<'a> {
    pub started: bool,
    pub bricks: &'a [BrickState],
    pub size: Option<i64>,
}

/// A node read, or why not: the facts with the node clock's offset from georep's (ms).
pub type Read<T> = Result<(T, i64), String>;

pub struct Inputs<'a> {
    pub user: &'a str,
    pub slave_host: &'a str,
    pub slave_volume: &'a str,
    pub master_size: Option<i64>,
    pub slave: Option<SlaveVolume<'a>>,
    pub master: Read<MasterFacts>,
    /// Each slave node by its address (empty when the slave cluster is not georep's).
    pub slave_nodes: Vec<(String, Read<SlaveFacts>)>,
}

fn result(check: Check, outcome: Outcome, detail: String, fix: Option<&str>) -> CheckResult {
    CheckResult {
        check,
        outcome,
        detail,
        fix: (outcome != Outcome::Pass)
            .then(|| fix.map(str::to_owned))
            .flatten(),
    }
}

fn pass(check: Check, detail: impl Into<String>) -> CheckResult {
    result(check, Outcome::Pass, detail.into(), None)
}

fn unknown(check: Check, detail: impl Into<String>) -> CheckResult {
    result(check, Outcome::Unknown, detail.into(), None)
}

fn fail(check: Check, detail: impl Into<String>, fix: impl Into<String>) -> CheckResult {
    let fix = fix.into();
    result(check, Outcome::Fail, detail.into(), Some(&fix))
}

const NOT_MANAGED: &str = "the slave cluster is not registered in georep";

/// Every check, in `Check`'s order; the non-root ones only for a user other than root.
pub fn judge(i: &Inputs) -> Preflight {
    let non_root = !(i.user.is_empty() || i.user == "root");
    let user = if non_root { i.user } else { "root" };
    let nodes: Vec<(&str, &SlaveFacts, i64)> = i
        .slave_nodes
        .iter()
        .filter_map(|(a, r)| r.as_ref().ok().map(|(f, o)| (a.as_str(), f, *o)))
        .collect();
    let unread: Vec<String> = i
        .slave_nodes
        .iter()
        .filter_map(|(a, r)| r.as_ref().err().map(|e| format!("{a}: {e}")))
        .collect();
    // a check over every slave node is unknown unless each one answered
    let all_nodes = |check: Check| -> Option<CheckResult> {
        if i.slave_nodes.is_empty() {
            return Some(unknown(check, NOT_MANAGED));
        }
        (!unread.is_empty()).then(|| unknown(check, unread.join("; ")))
    };
    let mut checks = Vec::new();

    checks.push(match &i.master {
        Err(e) => unknown(Check::SshFromMaster, format!("the master node: {e}")),
        Ok((m, _)) => match &m.ssh {
            Ok(()) => pass(
                Check::SshFromMaster,
                format!("{user}@{} answers", i.slave_host),
            ),
            Err(e) => fail(
                Check::SshFromMaster,
                format!("ssh {user}@{}: {e}", i.slave_host),
                format!(
                    "put the master node's root key into {user}'s authorized_keys on {} \
                     (ssh-copy-id {user}@{}); georep does it when it sets up the slave side",
                    i.slave_host, i.slave_host
                ),
            ),
        },
    });

    match &i.slave {
        None => {
            checks.push(unknown(Check::SlaveStarted, NOT_MANAGED));
            checks.push(unknown(Check::SlaveBricksUp, NOT_MANAGED));
        }
        Some(s) => {
            checks.push(match s.started {
                true => pass(
                    Check::SlaveStarted,
                    format!("{} is started", i.slave_volume),
                ),
                false => fail(
                    Check::SlaveStarted,
                    format!("{} is not started", i.slave_volume),
                    format!("gluster volume start {}", i.slave_volume),
                ),
            });
            let up = s
                .bricks
                .iter()
                .filter(|b| **b == BrickState::Online)
                .count();
            checks.push(match up {
                0 => fail(
                    Check::SlaveBricksUp,
                    format!("none of its {} bricks is online", s.bricks.len()),
                    format!(
                        "start the slave volume's bricks (gluster volume start {} force) and \
                         check their nodes",
                        i.slave_volume
                    ),
                ),
                n => pass(
                    Check::SlaveBricksUp,
                    format!("{n} of {} bricks online", s.bricks.len()),
                ),
            });
        }
    }

    checks.push(all_nodes(Check::SlaveEmpty).unwrap_or_else(|| {
        let full: Vec<String> = nodes
            .iter()
            .flat_map(|(a, f, _)| {
                f.bricks.iter().filter_map(move |(p, n)| match n {
                    Some(n) if *n > 0 => Some(format!("{a}:{p} holds {n} entries")),
                    _ => None,
                })
            })
            .collect();
        let seen = nodes
            .iter()
            .flat_map(|(_, f, _)| &f.bricks)
            .filter(|(_, n)| n.is_some())
            .count();
        if !full.is_empty() {
            fail(
                Check::SlaveEmpty,
                full.join("; "),
                "delete the files on the slave volume, or create with force to keep them",
            )
        } else if seen == 0 {
            unknown(
                Check::SlaveEmpty,
                "no brick of the slave volume was found on its nodes",
            )
        } else {
            pass(Check::SlaveEmpty, format!("{seen} bricks hold no file"))
        }
    }));

    checks.push(match (&i.slave, i.master_size) {
        (None, _) => unknown(Check::SlaveSize, NOT_MANAGED),
        (Some(SlaveVolume { size: None, .. }), _) | (_, None) => {
            unknown(Check::SlaveSize, "a volume's size is not known")
        }
        (Some(SlaveVolume { size: Some(s), .. }), Some(m)) if *s < m => fail(
            Check::SlaveSize,
            format!("the slave holds {s} bytes, the master {m}"),
            "grow the slave volume (add bricks), or create with force",
        ),
        (Some(SlaveVolume { size: Some(s), .. }), Some(m)) => {
            pass(Check::SlaveSize, format!("slave {s} bytes ≥ master {m}"))
        }
    });

    checks.push(match (&i.master, all_nodes(Check::Versions)) {
        (Err(e), _) => unknown(Check::Versions, format!("the master node: {e}")),
        (_, Some(r)) => r,
        (Ok((m, _)), None) => {
            let master = m.version.clone().unwrap_or_else(|| "?".into());
            let other: Vec<String> = nodes
                .iter()
                .filter(|(_, f, _)| f.version.as_deref() != Some(master.as_str()))
                .map(|(a, f, _)| format!("{a} runs {}", f.version.as_deref().unwrap_or("?")))
                .collect();
            match other.is_empty() {
                true => pass(Check::Versions, format!("every node runs gluster {master}")),
                false => fail(
                    Check::Versions,
                    format!("the master node runs {master}; {}", other.join(", ")),
                    "run the same gluster version on both clusters, or create with force",
                ),
            }
        }
    });

    checks.push(match (&i.master, all_nodes(Check::TimeSync)) {
        (Err(e), _) => unknown(Check::TimeSync, format!("the master node: {e}")),
        (_, Some(r)) => r,
        (Ok((_, mo)), None) => {
            let worst = nodes
                .iter()
                .map(|(a, _, o)| (*a, (o - mo).abs()))
                .max_by_key(|(_, d)| *d);
            match worst {
                Some((a, d)) if d > CLOCK_SKEW_MS => fail(
                    Check::TimeSync,
                    format!(
                        "{a}'s clock is {:.1} s off the master node's",
                        d as f64 / 1000.0
                    ),
                    "keep both clusters' clocks in sync (chrony or ntpd on every node)",
                ),
                Some((_, d)) => pass(
                    Check::TimeSync,
                    format!("within {:.1} s of the master node", d as f64 / 1000.0),
                ),
                None => unknown(Check::TimeSync, NOT_MANAGED),
            }
        }
    });

    if non_root {
        non_root_checks(i, &nodes, &all_nodes, &mut checks);
    }
    Preflight { checks }
}

fn non_root_checks(
    i: &Inputs,
    nodes: &[(&str, &SlaveFacts, i64)],
    all_nodes: &dyn Fn(Check) -> Option<CheckResult>,
    checks: &mut Vec<CheckResult>,
) {
    let user = i.user;
    let setup = "georep sets it up when asked to set up the slave side";
    // the nodes where `bad` holds, each with what was found
    let failing = |bad: &dyn Fn(&SlaveFacts) -> Option<String>| -> Vec<String> {
        nodes
            .iter()
            .filter_map(|(a, f, _)| bad(f).map(|why| format!("{a}: {why}")))
            .collect()
    };
    let per_node =
        |check: Check, ok: String, fix: String, bad: &dyn Fn(&SlaveFacts) -> Option<String>| {
            all_nodes(check).unwrap_or_else(|| {
                let found = failing(bad);
                match found.is_empty() {
                    true => pass(check, ok),
                    false => fail(check, found.join("; "), fix),
                }
            })
        };

    checks.push(per_node(
        Check::MountbrokerRoot,
        "owned by root, writable by root only, on every slave node".into(),
        format!(
            "gluster-mountbroker setup /var/mountbroker-root GROUP on a slave node, or \
             chown root and chmod 0711 the mountbroker root on the nodes named; {setup}"
        ),
        &|f| match (&f.mountbroker_root, f.root_is_safe()) {
            (None, _) => Some("no mountbroker-root in glusterd.vol".into()),
            (Some(r), None) => Some(format!("{r} does not exist")),
            (Some(r), Some(false)) => Some(format!(
                "{r} is owned by uid {} with mode {:o}",
                f.root_owner.unwrap_or(0),
                f.root_mode.unwrap_or(0)
            )),
            (Some(_), Some(true)) => None,
        },
    ));
    checks.push(per_node(
        Check::UserAndGroup,
        format!("{user} and its group on every slave node"),
        format!(
            "on each node named: groupadd GROUP; useradd -m -G GROUP {user} (GROUP: glusterd.vol's \
             geo-replication-log-group); {setup}"
        ),
        &|f| match (&f.home, &f.group) {
            (None, _) => Some(format!("no user {user}")),
            (_, None) => Some("no geo-replication-log-group in glusterd.vol".into()),
            (_, Some(g)) if !f.group_exists => Some(format!("no group {g}")),
            (_, Some(g)) if !f.user_in_group => Some(format!("{user} is not in {g}")),
            _ if f.locked => Some(format!(
                "{user}'s account is locked (sshd may refuse it): usermod -p '*' {user}"
            )),
            _ if !f.gluster_on_path => Some(format!(
                "gluster is not on {user}'s PATH after /etc/profile (gluster's create runs it \
                 so): ln -s /usr/sbin/gluster /usr/local/bin/gluster"
            )),
            _ => None,
        },
    ));
    checks.push(per_node(
        Check::MountbrokerUser,
        format!("{user} may mount {} on every slave node", i.slave_volume),
        format!("gluster-mountbroker add {} {user}; {setup}", i.slave_volume),
        &|f| {
            (!f.user_volumes.iter().any(|v| v == i.slave_volume)).then(|| {
                match f.user_volumes.is_empty() {
                    true => format!("glusterd.vol lets {user} mount no volume"),
                    false => format!(
                        "glusterd.vol lets {user} mount {} only",
                        f.user_volumes.join(",")
                    ),
                }
            })
        },
    ));
    checks.push(per_node(
        Check::GlusterdRestarted,
        "every slave node's glusterd started after its glusterd.vol changed".into(),
        format!("restart glusterd on the nodes named, one at a time; {setup}"),
        &|f| match (f.volfile_mtime, f.glusterd_started) {
            (_, None) => Some("glusterd is not running".into()),
            (Some(m), Some(s)) if s < m => Some(format!(
                "glusterd started {} s before glusterd.vol last changed",
                m - s
            )),
            _ => None,
        },
    ));
    let host_node = nodes
        .iter()
        .find(|(a, _, _)| a.eq_ignore_ascii_case(i.slave_host));
    checks.push(
        match (&i.master, host_node, all_nodes(Check::AuthorizedKeys)) {
            (Err(e), _, _) => unknown(Check::AuthorizedKeys, format!("the master node: {e}")),
            (_, _, Some(r)) => r,
            (_, None, None) => unknown(
                Check::AuthorizedKeys,
                format!(
                    "{} is not a node georep knows of the slave cluster",
                    i.slave_host
                ),
            ),
            (Ok((m, _)), Some(_), None) if m.pubkeys.is_empty() => fail(
                Check::AuthorizedKeys,
                "the master node's root has no ssh key".to_owned(),
                "ssh-keygen on the master node (as root); georep's set-up needs it too".to_owned(),
            ),
            (Ok(_), Some((a, f, _)), None) => match f.key_authorized {
                true => pass(
                    Check::AuthorizedKeys,
                    format!("in {user}'s authorized_keys on {a}"),
                ),
                false => fail(
                    Check::AuthorizedKeys,
                    format!("not in {user}'s authorized_keys on {a}"),
                    format!("ssh-copy-id {user}@{a} from the master node; {setup}"),
                ),
            },
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    fn master() -> MasterFacts {
        MasterFacts {
            now_ms: Some(0),
            version: Some("10.3".into()),
            pubkeys: vec!["ssh-ed25519 AAAA".into()],
            ssh: Ok(()),
        }
    }

    fn node() -> SlaveFacts {
        SlaveFacts {
            version: Some("10.3".into()),
            volfile_mtime: Some(100),
            glusterd_started: Some(200),
            mountbroker_root: Some("/var/mountbroker-root".into()),
            root_owner: Some(0),
            root_mode: Some(0o711),
            group: Some("geogroup".into()),
            group_exists: true,
            user_volumes: vec!["c2slave".into()],
            home: Some("/home/geoaccount".into()),
            user_in_group: true,
            gluster_on_path: true,
            key_authorized: true,
            bricks: vec![("/b1".into(), Some(0))],
            ..SlaveFacts::default()
        }
    }

    fn inputs<'a>(user: &'a str, n: SlaveFacts, bricks: &'a [BrickState]) -> Inputs<'a> {
        Inputs {
            user,
            slave_host: "node3",
            slave_volume: "c2slave",
            master_size: Some(10),
            slave: Some(SlaveVolume {
                started: true,
                bricks,
                size: Some(10),
            }),
            master: Ok((master(), 0)),
            slave_nodes: vec![("node3".into(), Ok((n, 300)))],
        }
    }

    fn outcome(p: &Preflight, c: Check) -> Outcome {
        p.get(c).map(|r| r.outcome).unwrap_or(Outcome::Unknown)
    }

    #[test]
    fn a_ready_non_root_slave_passes_every_check() {
        let up = [BrickState::Online];
        let p = judge(&inputs("geoaccount", node(), &up));
        assert_eq!(p.checks.len(), Check::VARIANTS.len());
        assert!(p.checks.iter().all(|c| c.outcome == Outcome::Pass), "{p:?}");
        assert!(p.checks.iter().all(|c| c.fix.is_none()));
        // root: no mountbroker checks
        let p = judge(&inputs("", node(), &up));
        assert_eq!(p.checks.len(), 7);
        assert!(p.get(Check::MountbrokerRoot).is_none());
    }

    #[test]
    fn each_broken_thing_fails_its_own_check_with_a_fix() {
        let up = [BrickState::Online];
        type Break = Box<dyn Fn(&mut SlaveFacts)>;
        let cases: Vec<(Check, Break, &str)> = vec![
            (
                Check::MountbrokerRoot,
                Box::new(|f| f.root_mode = Some(0o771)),
                "mode 771",
            ),
            (
                Check::MountbrokerRoot,
                Box::new(|f| f.root_owner = Some(1000)),
                "uid 1000",
            ),
            (
                Check::UserAndGroup,
                Box::new(|f| f.home = None),
                "no user geoaccount",
            ),
            (
                Check::UserAndGroup,
                Box::new(|f| f.user_in_group = false),
                "not in geogroup",
            ),
            (Check::UserAndGroup, Box::new(|f| f.locked = true), "locked"),
            (
                Check::UserAndGroup,
                Box::new(|f| f.gluster_on_path = false),
                "PATH",
            ),
            (
                Check::MountbrokerUser,
                Box::new(|f| f.user_volumes.clear()),
                "no volume",
            ),
            (
                Check::GlusterdRestarted,
                Box::new(|f| f.glusterd_started = Some(50)),
                "50 s before",
            ),
            (
                Check::AuthorizedKeys,
                Box::new(|f| f.key_authorized = false),
                "not in",
            ),
            (
                Check::SlaveEmpty,
                Box::new(|f| f.bricks[0].1 = Some(3)),
                "node3:/b1 holds 3",
            ),
            (
                Check::Versions,
                Box::new(|f| f.version = Some("11.1".into())),
                "node3 runs 11.1",
            ),
        ];
        for (check, broken, says) in cases {
            let mut n = node();
            broken(&mut n);
            let p = judge(&inputs("geoaccount", n, &up));
            let r = p.get(check).unwrap();
            assert_eq!(r.outcome, Outcome::Fail, "{check}: {r:?}");
            assert!(r.detail.contains(says), "{check}: {}", r.detail);
            assert!(r.fix.is_some(), "{check}");
            let failed: Vec<Check> = p.blocking(false, false).iter().map(|c| c.check).collect();
            assert_eq!(failed, [check], "only {check} fails");
        }
    }

    #[test]
    fn the_volume_and_the_clocks_and_unread_nodes() {
        let down = [BrickState::Offline];
        let mut i = inputs("", node(), &down);
        i.slave.as_mut().unwrap().started = false;
        i.slave_nodes[0].1 = Ok((node(), 2_500));
        let p = judge(&i);
        assert_eq!(outcome(&p, Check::SlaveStarted), Outcome::Fail);
        assert_eq!(outcome(&p, Check::SlaveBricksUp), Outcome::Fail);
        assert_eq!(outcome(&p, Check::TimeSync), Outcome::Fail);
        assert!(p.get(Check::TimeSync).unwrap().detail.contains("2.5 s"));

        i.slave_nodes[0].1 = Err("ssh: connection refused".into());
        let p = judge(&i);
        assert_eq!(outcome(&p, Check::SlaveEmpty), Outcome::Unknown);
        assert!(p
            .get(Check::Versions)
            .unwrap()
            .detail
            .contains("connection refused"));

        i.master = Ok((
            MasterFacts {
                ssh: Err("Permission denied (publickey).".into()),
                ..master()
            },
            0,
        ));
        let p = judge(&i);
        let r = p.get(Check::SshFromMaster).unwrap();
        assert_eq!(r.outcome, Outcome::Fail);
        assert!(r.detail.contains("Permission denied"));

        // a slave georep does not manage: what only its nodes can say is unknown
        i.slave = None;
        i.slave_nodes.clear();
        let p = judge(&i);
        assert_eq!(outcome(&p, Check::SlaveStarted), Outcome::Unknown);
        assert_eq!(outcome(&p, Check::TimeSync), Outcome::Unknown);
        assert_eq!(outcome(&p, Check::SshFromMaster), Outcome::Fail);
    }
}
