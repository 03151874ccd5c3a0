//! A non-root (mountbroker) session for real (issue 19): the two-cluster lab with no trace of a
//! mountbroker (`gluster-lab2.sh nonroot-reset`: no user geoaccount, no mountbroker root, no
//! mountbroker option on node3), the real georep binary, through the REST API. ONE test:
//! 1. the pre-flight (`POST …/georeplication-preflight`) names what is missing, each with its
//!    fix; a create without the set-up is refused for it and gluster has no session;
//! 2. the slave stopped, then the slave not empty: each refused with its reason and fix, no
//!    session in gluster;
//! 3. the create with `setup_slave`: every step verified (user and group, mountbroker setup
//!    and add, node3's glusterd restarted, the master's key, push-pem, the session's keys);
//!    started with tarssh: a worker Active, a file written on the master reaches the slave,
//!    the slave side's gsyncd on node3 runs as geoaccount (`ps`);
//! 4. the session deleted, the mountbroker root made group-writable: the pre-flight and the
//!    create (no set-up) refuse it with the fix, gluster has no session; made right again, a
//!    create with no set-up (the slave ready by now) succeeds;
//! 5. a second master volume (c2master2) into the same slave volume as another user
//!    (geoaccount2), set up by georep: gluster lists both sessions, both replicate (a worker
//!    Active each).
use std::time::{Duration, Instant};

use georep::api::docs::{Clusters, Operations, PreflightDoc, Sessions};
use reqwest::Method;

use crate::common;
use common::lab2::{lab2, node_cli, replicates, texts, Mount};
use common::lab2_lock_async;

const PW: &str = "nonroot-admin-1";
const MASTER: &str = "c2master";
const SLAVE: &str = "c2slave";
const USER: &str = "geoaccount";
const SLAVE_BRICK: &str = "/srv/georep-lab2/node3/c2slave/b1";

/// The sessions node1's glusterd lists, as `master -> ssh://[user@]host::slave` (gluster's
/// session key without the volumes' ids), sorted, each once: with two master volumes,
/// glusterfs 10.3's `status` lists the first one's sessions twice (its `<volume>` again after
/// the second's).
fn gluster_sessions() -> Vec<String> {
    let xml = node_cli("node1", &["volume", "geo-replication", "status"]);
    let mut listed: Vec<String> = texts(&xml, "volume")
        .iter()
        .flat_map(|v| {
            let m = texts(v, "name").remove(0);
            texts(v, "session_secondary").into_iter().map(move |s| {
                let slave = s.split_once(':').map_or(s.as_str(), |(_, rest)| rest);
                let slave = slave.rsplit_once(':').map_or(slave, |(k, _)| k);
                format!("{m} -> {slave}")
            })
        })
        .collect();
    listed.sort();
    listed.dedup();
    listed
}

fn body(extra: &str) -> String {
    body_of(USER, extra)
}

fn body_of(user: &str, extra: &str) -> String {
    format!(
        "<georeplication-session><slave_host_name>node3</slave_host_name><slavevolume>{SLAVE}\
         </slavevolume><slave_user>{user}</slave_user>{extra}</georeplication-session>"
    )
}

/// Waits until a worker of MASTER -> USER@node3::c2slave is Active (gluster's own status).
async fn active(master: &str, user: &str) {
    let t0 = Instant::now();
    loop {
        let slave = format!("{user}@node3::{SLAVE}");
        let xml = node_cli(
            "node1",
            &["volume", "geo-replication", master, &slave, "status"],
        );
        let statuses = texts(&xml, "status");
        if statuses.iter().any(|s| s == "Active") {
            eprintln!(
                "timing: {master} -> {slave}: a worker Active after {} ms: {statuses:?}",
                t0.elapsed().as_millis()
            );
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no worker of {master} -> {slave} Active: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Sets tarssh (rsync 3.5 on the lab's nodes) and starts the session at HREF.
async fn start_with_tarssh(api: &common::rest::Rest, s: &str) {
    common::set_tarssh(api, s).await;
    let started = api.call(Method::POST, &format!("{s}/start"), None).await;
    assert_eq!(started.status, 200, "{}", started.text);
}

async fn preflight(api: &common::rest::Rest, master: &str) -> PreflightDoc {
    let a = api
        .call(
            Method::POST,
            &format!("{master}/georeplication-preflight"),
            Some(&body("")),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    quick_xml::de::from_str(&a.text).unwrap()
}

/// The check NAME of the pre-flight: its outcome, detail and fix.
fn check(p: &PreflightDoc, name: &str) -> (String, String, Option<String>) {
    let c = p
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name}: {p:#?}"));
    (c.outcome.clone(), c.detail.clone(), c.fix.clone())
}

/// A create that must be refused (409) with `says` in the answer; gluster has no session.
async fn refused(api: &common::rest::Rest, master: &str, extra: &str, says: &[&str]) {
    let a = api
        .call(
            Method::POST,
            &format!("{master}/georeplication-sessions"),
            Some(&body(extra)),
        )
        .await;
    assert_eq!(a.status, 409, "{}", a.text);
    for s in says {
        assert!(a.text.contains(s), "{s:?} not in {}", a.text);
    }
    assert!(
        gluster_sessions().is_empty(),
        "a refused create left a session: {:?}",
        gluster_sessions()
    );
}

async fn master_href(api: &common::rest::Rest) -> String {
    let clusters: Clusters = api.get("/api/clusters").await;
    let a = clusters
        .clusters
        .iter()
        .find(|c| c.name == "site-a")
        .unwrap();
    let b = clusters
        .clusters
        .iter()
        .find(|c| c.name == "site-b")
        .unwrap();
    common::volume_href(api, &b.href, SLAVE, None).await;
    common::volume_href(api, &a.href, MASTER, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_non_root_session_set_up_by_georep() {
    let t_all = Instant::now();
    let _lab = lab2_lock_async().await;
    lab2(&["up"]);
    lab2(&["nonroot-reset"]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    common::lab2::register_sites(&db);
    let served = common::serve_apart(
        &db,
        &[
            "--gluster-timeout",
            "60",
            "--glusterd-restart-command",
            "georep-lab-glusterd restart",
        ],
        &["--sync-interval", "2", "--probe-interval", "0"],
        PW,
    );
    let api = common::rest::Rest::new(&served.base, PW);
    let master = master_href(&api).await;

    // --- 1. nothing set up: the pre-flight says what and how; create refused ---
    let t0 = Instant::now();
    let p = preflight(&api, &master).await;
    eprintln!("timing: pre-flight {} ms", t0.elapsed().as_millis());
    assert!(!p.ready, "{p:#?}");
    for name in [
        "slave_started",
        "slave_bricks_up",
        "slave_empty",
        "versions",
        "time_sync",
    ] {
        assert_eq!(check(&p, name).0, "pass", "{name}: {p:#?}");
    }
    for (name, says) in [
        ("user_and_group", "node3: no user geoaccount"),
        ("mountbroker_root", "node3: no mountbroker-root"),
        ("mountbroker_user", "lets geoaccount mount no volume"),
        ("ssh_from_master", "ssh geoaccount@node3"),
    ] {
        let (outcome, detail, fix) = check(&p, name);
        assert_eq!(outcome, "fail", "{name}: {p:#?}");
        assert!(detail.contains(says), "{name}: {detail}");
        assert!(fix.is_some_and(|f| !f.is_empty()), "{name} has a fix");
    }
    refused(
        &api,
        &master,
        "",
        &[
            "user and group on every slave node",
            "no user geoaccount",
            "fix: ",
        ],
    )
    .await;

    // --- 2. the slave stopped, then not empty: refused, each with its fix ---
    let stop = node_cli("node3", &["volume", "stop", SLAVE, "force"]);
    assert!(stop.contains("<opRet>0</opRet>"), "{stop}");
    let p = preflight(&api, &master).await;
    let (outcome, _, fix) = check(&p, "slave_started");
    assert_eq!(outcome, "fail", "{p:#?}");
    assert!(fix.unwrap().contains("gluster volume start c2slave"));
    refused(
        &api,
        &master,
        "<setup_slave>true</setup_slave>",
        &["the slave volume is not started"],
    )
    .await;
    let start = node_cli("node3", &["volume", "start", SLAVE]);
    assert!(start.contains("<opRet>0</opRet>"), "{start}");
    let mnt = Mount::new("nonroot", "node3", SLAVE);
    mnt.write("left-over", "an earlier copy\n");
    drop(mnt);
    let p = preflight(&api, &master).await;
    let (outcome, detail, _) = check(&p, "slave_empty");
    assert_eq!(outcome, "fail", "{p:#?}");
    assert!(
        detail.contains(&format!("node3:{SLAVE_BRICK} holds 1 entries")),
        "{detail}"
    );
    refused(
        &api,
        &master,
        "<setup_slave>true</setup_slave>",
        &["slave volume empty", "create with force to keep them"],
    )
    .await;
    let mnt = Mount::new("nonroot", "node3", SLAVE);
    std::fs::remove_file(mnt.0.join("left-over")).unwrap();
    drop(mnt);

    // --- 3. georep sets the slave side up and creates the session ---
    let t0 = Instant::now();
    let created = api
        .call(
            Method::POST,
            &format!("{master}/georeplication-sessions"),
            Some(&body("<setup_slave>true</setup_slave>")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    eprintln!("timing: set-up and create {} ms", t0.elapsed().as_millis());
    let ops: Operations = api.get("/api/operations").await;
    let op = ops.operations.iter().find(|o| o.kind == "create").unwrap();
    assert_eq!(op.state, "succeeded", "{op:#?}");
    let steps: Vec<(&str, &str)> = op
        .steps
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.state.as_str()))
        .collect();
    eprintln!("create steps: {steps:#?}");
    assert_eq!(steps.len(), 9, "{steps:?}");
    // nothing was there: every set-up step ran (gsec_create may be skipped)
    for (i, (name, state)) in steps.iter().enumerate() {
        assert!(
            *state == "succeeded" || (i == 5 && *state == "skipped"),
            "step {name}: {state}"
        );
    }
    assert_eq!(
        gluster_sessions(),
        [format!("{MASTER} -> ssh://{USER}@node3::{SLAVE}")]
    );
    // gluster's own truth on node3: the mountbroker's options, the user in its group
    let vol = lab2(&["exec", "node3", "cat", "/etc/glusterfs/glusterd.vol"]);
    assert!(
        vol.contains("option mountbroker-root /var/mountbroker-root"),
        "{vol}"
    );
    assert!(
        vol.contains(&format!(
            "option mountbroker-geo-replication.{USER} {SLAVE}"
        )),
        "{vol}"
    );
    let groups = lab2(&["exec", "node3", "id", "-nG", USER]);
    assert!(
        groups.split_whitespace().any(|g| g == "geogroup"),
        "{groups}"
    );

    let list: Sessions = api.get(&format!("{master}/georeplication-sessions")).await;
    let s = list.sessions[0].href.clone();
    assert_eq!(list.sessions[0].slave_user, USER);
    start_with_tarssh(&api, &s).await;
    active(MASTER, USER).await;
    // a name and text of this run's own (the master volume keeps earlier runs' files)
    let name = format!("nonroot-{}", chrono::Utc::now().timestamp_millis());
    let text = format!("written on the master as {name}\n");
    replicates(&api, &s, "nonroot", &name, &text).await;
    // the slave side of gsyncd runs as the user (the node shares this machine's pids: the
    // one process that is this session's slave side)
    let ps = lab2(&["exec", "node3", "ps", "-eo", "user:32,args"]);
    let slave_side: Vec<&str> = ps
        .lines()
        .filter(|l| l.contains("gsyncd.py secondary") && l.contains(MASTER))
        .collect();
    assert!(!slave_side.is_empty(), "no slave-side gsyncd: {ps}");
    for l in &slave_side {
        assert!(
            l.starts_with(&format!("{USER} ")),
            "gsyncd not as {USER}: {l}"
        );
    }

    // --- 4. a group-writable mountbroker root: reported with its fix, refused ---
    let stop = api.call(Method::POST, &format!("{s}/stop"), None).await;
    assert_eq!(stop.status, 200, "{}", stop.text);
    let del = api.call(Method::DELETE, &s, None).await;
    assert_eq!(del.status, 204, "{}", del.text);
    assert!(gluster_sessions().is_empty());
    lab2(&["exec", "node3", "chmod", "0771", "/var/mountbroker-root"]);
    let p = preflight(&api, &master).await;
    let (outcome, detail, fix) = check(&p, "mountbroker_root");
    assert_eq!(outcome, "fail", "{p:#?}");
    assert!(detail.contains("mode 771"), "{detail}");
    assert!(fix.unwrap().contains("chmod 0711"));
    // the slave is set up otherwise
    for name in [
        "user_and_group",
        "mountbroker_user",
        "glusterd_restarted",
        "authorized_keys",
        "ssh_from_master",
    ] {
        assert_eq!(check(&p, name).0, "pass", "{name}: {p:#?}");
    }
    refused(
        &api,
        &master,
        "<force>true</force>",
        &["mountbroker root", "mode 771"],
    )
    .await;
    lab2(&["exec", "node3", "chmod", "0711", "/var/mountbroker-root"]);
    let again = api
        .call(
            Method::POST,
            &format!("{master}/georeplication-sessions"),
            Some(&body("<force>true</force>")),
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(
        gluster_sessions(),
        [format!("{MASTER} -> ssh://{USER}@node3::{SLAVE}")]
    );

    // --- 5. another master volume into the same slave volume, as another user ---
    lab2(&["master2"]);
    let clusters: Clusters = api.get("/api/clusters").await;
    let site_a = clusters
        .clusters
        .iter()
        .find(|c| c.name == "site-a")
        .unwrap();
    let master2 = common::volume_href(&api, &site_a.href, "c2master2", None).await;
    // the slave holds the first session's files by now: force (what gverify asks)
    let second = api
        .call(
            Method::POST,
            &format!("{master2}/georeplication-sessions"),
            Some(&body_of(
                "geoaccount2",
                "<setup_slave>true</setup_slave><force>true</force>",
            )),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(
        gluster_sessions(),
        [
            format!("{MASTER} -> ssh://{USER}@node3::{SLAVE}"),
            format!("c2master2 -> ssh://geoaccount2@node3::{SLAVE}"),
        ]
    );
    let vol = lab2(&["exec", "node3", "cat", "/etc/glusterfs/glusterd.vol"]);
    assert!(
        vol.contains(&format!(
            "option mountbroker-geo-replication.geoaccount2 {SLAVE}"
        )),
        "{vol}"
    );
    for (m, user) in [(master.as_str(), USER), (master2.as_str(), "geoaccount2")] {
        let list: Sessions = api.get(&format!("{m}/georeplication-sessions")).await;
        assert_eq!(list.sessions.len(), 1);
        assert_eq!(list.sessions[0].slave_user, user);
        start_with_tarssh(&api, &list.sessions[0].href).await;
    }
    active(MASTER, USER).await;
    active("c2master2", "geoaccount2").await;
    drop(served);
    lab2(&["nonroot-reset"]);
    eprintln!("timing: nonroot:: {} s", t_all.elapsed().as_secs());
}
