//! Across clusters for real: the two-cluster lab (`scripts/gluster-lab2.sh`: master pool
//! node1 + node2, slave pool node3, each node its own namespaces, reached over ssh) and a
//! session georep creates between them. ONE test, serially: the phases build on each other.
//!
//! 1. the master cluster registered by node1 with connection `ssh`: both peers become hosts,
//!    keyed by their gluster peer UUID, the replica-2 volume's bricks on their own hosts;
//! 2. a session created through georep while the slave cluster is not registered
//!    (unmanaged: slave ids NULL, the slave named by host), started with tarssh;
//! 3. the slave cluster registered by node3: the same session now points at its volume and
//!    host (managed); eligibility knows "same cluster" from "other cluster";
//! 4. one Active and one Passive worker, aggregated ACTIVE; the lab's seed file reached the
//!    slave's brick; a checkpoint at a given time, set through node1 (on Asia/Kolkata), is
//!    that instant in gluster;
//! 5. node2's gluster stopped: its brick OFFLINE, its host disconnected, and the session's
//!    status what the replica-set rule says for the workers shown; node2 back: ACTIVE again;
//!    node1 (the host the cluster was registered by) down: georep reads through node2, whose
//!    worker takes over; node1 back: ACTIVE;
//!    ssh to node3 failing, then node3's ssh host key replaced: refused (site-b in error,
//!    naming node3 and both fingerprints) until accepted with `georep cluster accept-host-key`;
//! 6. the session stopped and deleted through georep (over ssh).
use std::process::Command;
use std::time::{Duration, Instant};

use app::domain::{
    BrickStatus, Checkpoint, Connection, Ineligibility, NewCluster, NewSession, SessionAction as A,
    SessionStatus as S,
};
use georep::api::docs::SessionDoc;
use georep::gluster::{Gluster, KnownHosts};
use georep::service::names::{HostName, VolumeName};
use georep::service::{status, Service};
use georep::store;
use uuid::Uuid;

use crate::common;
use common::lab2::{lab2, lab2_path, node_cli, texts, NodesBack};
use common::lab2_lock_async;

const MASTER: &str = "c2master";
const SLAVE: &str = "c2slave";

/// The peer UUIDs of the master pool by host name, as node1's glusterd knows them.
fn master_peers() -> Vec<(String, Uuid)> {
    let xml = node_cli("node1", &["pool", "list"]);
    texts(&xml, "peer")
        .iter()
        .map(|p| {
            let name = texts(p, "hostname").remove(0);
            let name = if name == "localhost" {
                "node1".into()
            } else {
                name
            };
            (name, texts(p, "uuid")[0].parse().unwrap())
        })
        .collect()
}

async fn conn(service: &Service) -> georep::store::Pooled {
    service.store().conn().await.unwrap()
}

async fn cluster_named(service: &Service, name: &str) -> store::ClusterRow {
    let mut c = conn(service).await;
    store::list_clusters(&mut c)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("cluster {name} registered"))
}

/// One sync cycle of cluster `name`, which must succeed (`ok`) or fail with the error kept on
/// the cluster; the cluster's row after it.
async fn cycle(service: &Service, name: &str, ok: bool) -> store::ClusterRow {
    let c = cluster_named(service, name).await;
    let r = service.sync_cluster(&c).await;
    match (&r, ok) {
        (Ok(_), true) => {}
        (Err(e), false) => eprintln!("{name} unreadable, as meant: {e}"),
        _ => panic!("{name}: {r:?}"),
    }
    let after = cluster_named(service, name).await;
    assert_eq!(
        after.sync_state,
        if ok { "ok" } else { "error" },
        "{after:?}"
    );
    after
}

async fn volume_named(
    service: &Service,
    cluster: &store::ClusterRow,
    name: &str,
) -> store::VolumeRow {
    let mut c = conn(service).await;
    store::volumes_of_cluster(&mut c, cluster.id)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("volume {name} in cluster {}", cluster.name))
}

async fn register(service: &Service, name: &str, host: &str) -> store::ClusterRow {
    service
        .register_cluster(
            "tests",
            NewCluster {
                name: name.into(),
                description: format!("two-cluster lab, by {host} over ssh"),
                host: host.into(),
                connection: Connection::Ssh,
                ssh_user: None,
                ssh_port: None,
            },
            true,
        )
        .await
        .unwrap_or_else(|e| panic!("register {name} by {host}: {e}"));
    let cluster = cluster_named(service, name).await;
    service
        .sync_cluster(&cluster)
        .await
        .unwrap_or_else(|e| panic!("sync {name}: {e}"));
    cluster
}

/// The session as the REST API shows it: the row and its workers with their bricks.
async fn shown(
    service: &Service,
    master: &store::VolumeRow,
    id: Uuid,
) -> app::views::SessionDetail {
    service
        .session(master.cluster_id.into_uuid(), master.id.into_uuid(), id)
        .await
        .expect("session shown")
}

/// Worker status by master brick host (node1/node2).
fn workers(view: &app::views::SessionDetail) -> Vec<(String, BrickStatus)> {
    let mut w: Vec<(String, BrickStatus)> = view
        .bricks
        .iter()
        .map(|b| (b.master_host.clone().unwrap_or_default(), b.status))
        .collect();
    w.sort_by(|a, b| a.0.cmp(&b.0));
    w
}

/// Re-reads the master cluster until `pred` holds on what is shown, within `budget`.
async fn wait_shown(
    service: &Service,
    master: &store::VolumeRow,
    id: Uuid,
    budget: Duration,
    what: &str,
    pred: impl Fn(&app::views::SessionDetail) -> bool,
) -> app::views::SessionDetail {
    let t0 = Instant::now();
    loop {
        let _ = service.refresh_session(id).await;
        let view = shown(service, master, id).await;
        if pred(&view) {
            eprintln!("timing: {what}: {} ms", t0.elapsed().as_millis());
            return view;
        }
        assert!(
            t0.elapsed() < budget,
            "{what}: not within {budget:?}; shown {} {:?}",
            view.summary.status.as_str(),
            workers(&view)
        );
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
}

/// What a fault must not delete: per cluster, its volumes, hosts and sessions (by id).
async fn inventory(service: &Service, clusters: &[&store::ClusterRow]) -> Vec<String> {
    let mut c = conn(service).await;
    let mut all = Vec::new();
    for cluster in clusters {
        for h in store::hosts_of_cluster(&mut c, cluster.id).await.unwrap() {
            all.push(format!("host {} {}", cluster.name, h.address));
        }
        for v in store::volumes_of_cluster(&mut c, cluster.id).await.unwrap() {
            all.push(format!("volume {} {} {}", cluster.name, v.name, v.id));
        }
        for s in store::sessions_of_cluster(&mut c, cluster.id)
            .await
            .unwrap()
        {
            all.push(format!("session {} {}", s.session_id, s.session_key));
        }
    }
    all.sort();
    all
}

/// Where gluster-lab2.sh keeps the nodes' ssh host keys.
const LAB2_KEYS: &str = "/var/lib/georep-lab/clusters/keys";

/// `ssh-keygen -lf KEY.pub`'s fingerprint (`SHA256:…`): the node's key as ssh sees it.
fn lab_fingerprint(key: &std::path::Path) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(key.with_extension("pub"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned()
}

/// A node's original host key, put back (and its sshd restarted) whatever happened.
struct HostKeyBack {
    key: std::path::PathBuf,
    saved: Vec<(std::path::PathBuf, Vec<u8>)>,
}

impl HostKeyBack {
    fn save(key: &std::path::Path) -> Self {
        let saved = [key.to_path_buf(), key.with_extension("pub")]
            .into_iter()
            .map(|f| {
                let bytes = std::fs::read(&f).unwrap();
                (f, bytes)
            })
            .collect();
        HostKeyBack {
            key: key.to_path_buf(),
            saved,
        }
    }
}

impl Drop for HostKeyBack {
    fn drop(&mut self) {
        let node = self
            .key
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split('_').next())
            .unwrap_or("node3")
            .to_owned();
        let _ = Command::new("bash")
            .arg(lab2_path())
            .args(["sshd-stop", &node])
            .output();
        for (f, bytes) in &self.saved {
            let _ = std::fs::write(f, bytes);
            if f == &self.key {
                let _ = std::fs::set_permissions(
                    f,
                    std::os::unix::fs::PermissionsExt::from_mode(0o600),
                );
            }
        }
        let _ = Command::new("bash")
            .arg(lab2_path())
            .args(["node-start", &node])
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_clusters_over_ssh() {
    let t_all = Instant::now();
    let _lab = lab2_lock_async().await;
    lab2(&["up"]);
    // no session left by an earlier run, an empty slave volume
    lab2(&["reset"]);

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    let store = common::open_store(&db).await;
    // ssh host keys in georep's own file, as the binary keeps them (step 5e)
    let known = KnownHosts::in_folder(db.parent().unwrap());
    let service = Service::new(
        store,
        Gluster::new("gluster", Duration::from_secs(60)).with_known_hosts(known.clone()),
    );

    // --- 1. the master cluster, by node1 over ssh ---
    let site_a = register(&service, "site-a", "node1").await;
    // both peers' ssh host keys recorded at registration (node2 before georep ever used it)
    for node in ["node1", "node2"] {
        assert_eq!(
            known.fingerprints(node, 22),
            lab_fingerprint(&std::path::Path::new(LAB2_KEYS).join(format!("{node}_host_ed25519"))),
            "{node}"
        );
    }
    let peers = master_peers();
    assert_eq!(peers.len(), 2, "{peers:?}");
    let hosts = {
        let mut c = conn(&service).await;
        store::hosts_of_cluster(&mut c, site_a.id).await.unwrap()
    };
    assert_eq!(hosts.len(), 2, "both peers are hosts: {hosts:?}");
    for (name, uuid) in &peers {
        let h = hosts
            .iter()
            .find(|h| h.address == *name)
            .unwrap_or_else(|| panic!("host {name}: {hosts:?}"));
        assert_eq!(h.gluster_uuid.map(|u| u.into_uuid()), Some(*uuid), "{name}");
        assert_eq!(
            (h.connection.as_str(), h.status.as_str()),
            ("ssh", "connected")
        );
    }
    let master = volume_named(&service, &site_a, MASTER).await;
    assert_eq!((master.replica_count, master.brick_count), (2, 2));
    let bricks = {
        let mut c = conn(&service).await;
        store::bricks_of_volume(&mut c, master.id).await.unwrap()
    };
    for b in &bricks {
        let h = hosts
            .iter()
            .find(|h| Some(h.id) == b.host_id)
            .expect("brick's host");
        assert_eq!(h.address, b.server_name, "brick on its own peer: {b:?}");
        assert_eq!(h.gluster_uuid, b.host_uuid);
        assert_eq!(b.status, "online");
    }

    // --- 2. create with the slave cluster unmanaged ---
    let new = NewSession {
        master_volume_id: master.id.into_uuid(),
        slave_host: "node3".into(),
        slave_volume: SLAVE.into(),
        slave_user: None,
        force: false,
        start: false,
        ssh_port: None,
        no_verify: false,
        setup_slave: false,
        slave_group: None,
    };
    let host = |h: &str| HostName::parse(h).unwrap();
    let vol = |v: &str| VolumeName::parse(v).unwrap();
    let reasons = service
        .eligibility(&master, &host("node3"), &vol(SLAVE), None)
        .await
        .unwrap();
    assert!(
        reasons.is_empty(),
        "unknown slave: gluster verifies: {reasons:?}"
    );
    let t0 = Instant::now();
    let created = service
        .create_session("test", new)
        .await
        .expect("create (no force: an empty slave in another pool is eligible)");
    eprintln!(
        "timing: create push-pem over ssh: {} ms",
        t0.elapsed().as_millis()
    );
    let id = created.session.id;
    assert_eq!(created.session.status, S::Created);
    assert_eq!(created.session.slave_host_name, "node3");
    assert_eq!(
        created.session.slave_volume_id, None,
        "slave cluster not registered"
    );
    let view = shown(&service, &master, id).await;
    assert_eq!(
        (
            view.summary.slave_host_uuid,
            view.summary.slave_volume_id,
            view.summary.slave_host.as_str(),
            view.summary.slave_volume.as_str()
        ),
        (None, None, "node3", SLAVE),
        "unmanaged slave: shown by host name"
    );
    assert_eq!(view.bricks.len(), 2, "a worker per master brick");
    let doc = SessionDoc::detail(&view);
    assert_eq!(
        (
            doc.slave_host_name.as_str(),
            doc.slave_host_uuid,
            doc.slave_volume_id
        ),
        ("node3", None, None),
        "the REST document of an unmanaged slave"
    );
    // Debian's rsync 3.5 syncs empty files (see gluster-lab.sh): tarssh, set through georep
    service
        .set_option("test", id, "sync_method", "tarssh")
        .await
        .expect("config sync-method over ssh");
    service
        .session_action("test", id, A::Start, false, false)
        .await
        .expect("start over ssh");

    // --- 3. the slave cluster registered (by address, while gluster names the slave host
    // node3): the same session becomes managed ---
    let site_b = register(&service, "site-b", "10.77.0.3").await;
    let slave = volume_named(&service, &site_b, SLAVE).await;
    let node3 = {
        let mut c = conn(&service).await;
        store::hosts_of_cluster(&mut c, site_b.id).await.unwrap()
    };
    assert_eq!(node3.len(), 1, "node3 is a pool of its own: {node3:?}");
    service.sync_cluster(&site_a).await.unwrap();
    let view = shown(&service, &master, id).await;
    assert_eq!(
        view.summary.slave_volume_id,
        Some(slave.id.into_uuid()),
        "managed slave volume"
    );
    assert_eq!(
        view.summary.slave_host_uuid,
        node3[0].gluster_uuid.map(|u| u.into_uuid()),
        "managed slave host, by peer UUID"
    );
    assert!(node3[0].gluster_uuid.is_some());
    let reasons = service
        .eligibility(&master, &host("node3"), &vol(SLAVE), None)
        .await
        .unwrap();
    assert!(
        matches!(reasons.as_slice(), [Ineligibility::AlreadySlave { .. }]),
        "another cluster: only 'already a slave': {reasons:?}"
    );
    // the managed slave volume is found by the name gluster uses for its host, too
    let mut c = conn(&service).await;
    let found = store::volume_by_host_and_name(&mut c, "node3", SLAVE)
        .await
        .unwrap();
    assert_eq!(found.map(|v| v.id), Some(slave.id));
    drop(c);
    let reasons = service
        .eligibility(&master, &host("node2"), &vol(MASTER), None)
        .await
        .unwrap();
    assert!(reasons.contains(&Ineligibility::SameCluster), "{reasons:?}");

    // --- 4. one Active, one Passive: ACTIVE; the data crossed to the slave pool ---
    let view = wait_shown(
        &service,
        &master,
        id,
        Duration::from_secs(120),
        "Active + Passive",
        |v| {
            let w = workers(v);
            w.iter().filter(|(_, s)| *s == BrickStatus::Active).count() == 1
                && w.iter().filter(|(_, s)| *s == BrickStatus::Passive).count() == 1
        },
    )
    .await;
    assert_eq!(view.summary.status, S::Active, "{:?}", workers(&view));
    // the REST document: the status detail by master brick, the managed slave's ids
    let doc = SessionDoc::detail(&view);
    assert_eq!(doc.status, S::Active.as_api());
    assert_eq!(doc.slave_volume_id, Some(slave.id.into_uuid()));
    let mut rest: Vec<(String, String)> = doc
        .session_details
        .expect("details in the detail document")
        .details
        .into_iter()
        .map(|d| (d.brick.server_name.unwrap_or_default(), d.status))
        .collect();
    rest.sort();
    eprintln!("REST status detail: {rest:?}");
    let mut states: Vec<&str> = rest.iter().map(|(_, s)| s.as_str()).collect();
    states.sort();
    assert_eq!(states, ["active", "passive"], "{rest:?}");
    let seed = "/srv/georep-lab2/node3/c2slave/b1/lab-seed";
    let t0 = Instant::now();
    while std::fs::read_to_string(seed).ok().as_deref() != Some("georep two-cluster lab\n") {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{seed} did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!(
        "timing: seed on the slave brick: {} ms after Active",
        t0.elapsed().as_millis()
    );

    // --- 4b. a checkpoint at a given time, set through node1 whose zone is not UTC: gluster
    // holds that instant (its CLI reads the label in the CLI's local time) ---
    let zone = Command::new("ssh")
        .args(["-o", "BatchMode=yes", "root@node1", "date +%z"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&zone.stdout).trim(),
        "+0530",
        "the lab's master nodes are on Asia/Kolkata"
    );
    let secs = chrono::Utc::now().timestamp() - 3600;
    let at = chrono::DateTime::from_timestamp(secs, 0).unwrap();
    service
        .set_checkpoint("test", id, Checkpoint::At(at))
        .await
        .expect("checkpoint at a time over ssh");
    let slave_spec = format!("node3::{SLAVE}");
    let config = node_cli(
        "node1",
        &[
            "volume",
            "geo-replication",
            MASTER,
            &slave_spec,
            "config",
            "checkpoint",
        ],
    );
    assert_eq!(
        texts(&config, "checkpoint"),
        [secs.to_string()],
        "gluster's checkpoint is the instant asked for: {config}"
    );
    let view = wait_shown(
        &service,
        &master,
        id,
        Duration::from_secs(60),
        "the checkpoint shown",
        |v| v.summary.checkpoint_time.is_some(),
    )
    .await;
    assert_eq!(
        view.summary.checkpoint_time,
        Some(at),
        "as gluster's status shows it"
    );

    // --- 5. node2 down: its brick OFFLINE; the session as the replica-set rule says ---
    let _back2 = NodesBack(vec!["node2"]);
    lab2(&["node-stop", "node2"]);
    let view = wait_shown(
        &service,
        &master,
        id,
        Duration::from_secs(90),
        "node2's brick OFFLINE",
        |v| workers(v).contains(&("node2".into(), BrickStatus::Offline)),
    )
    .await;
    let statuses: Vec<BrickStatus> = view.bricks.iter().map(|b| b.status).collect();
    let rule = status::aggregate(
        &statuses,
        status::set_size(master.replica_count, master.disperse_count),
    );
    assert_eq!(
        view.summary.status.as_str(),
        rule.as_str(),
        "shown = the rule over {:?}",
        workers(&view)
    );
    eprintln!(
        "node2 down: {:?} -> {}",
        workers(&view),
        view.summary.status.as_str()
    );
    {
        let mut c = conn(&service).await;
        let hosts = store::hosts_of_cluster(&mut c, site_a.id).await.unwrap();
        let node2 = hosts.iter().find(|h| h.address == "node2").unwrap();
        assert_eq!(node2.status, "disconnected");
        let b2 = store::bricks_of_volume(&mut c, master.id)
            .await
            .unwrap()
            .into_iter()
            .find(|b| b.server_name == "node2")
            .unwrap();
        assert_eq!(b2.status, "offline");
    }
    // node1's worker was the Active one: the set still replicates, so PARTIAL_FAULTY
    let view = wait_shown(
        &service,
        &master,
        id,
        Duration::from_secs(60),
        "PARTIAL_FAULTY",
        |v| v.summary.status == S::PartialFaulty,
    )
    .await;
    assert_eq!(
        workers(&view),
        [
            ("node1".into(), BrickStatus::Active),
            ("node2".into(), BrickStatus::Offline)
        ]
    );

    lab2(&["node-start", "node2"]);
    wait_shown(
        &service,
        &master,
        id,
        Duration::from_secs(120),
        "node2 back: ACTIVE",
        |v| {
            v.summary.status == S::Active
                && workers(v)
                    .iter()
                    .all(|(_, s)| matches!(s, BrickStatus::Active | BrickStatus::Passive))
        },
    )
    .await;

    // --- 5b. node1 down, the host the cluster was registered by: georep reads the pool
    // through node2, node1's brick OFFLINE, node2's worker takes over ---
    let _back1 = NodesBack(vec!["node1"]);
    lab2(&["node-stop", "node1"]);
    let view = wait_shown(
        &service,
        &master,
        id,
        Duration::from_secs(120),
        "node1 down: node2 Active",
        |v| {
            workers(v)
                == [
                    ("node1".into(), BrickStatus::Offline),
                    ("node2".into(), BrickStatus::Active),
                ]
        },
    )
    .await;
    assert_eq!(view.summary.status, S::PartialFaulty);
    {
        let mut c = conn(&service).await;
        let cluster = store::get_cluster(&mut c, site_a.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cluster.sync_state, "ok", "read through node2: {cluster:?}");
        let hosts = store::hosts_of_cluster(&mut c, site_a.id).await.unwrap();
        assert_eq!(
            hosts.len(),
            2,
            "the same two hosts, by peer UUID: {hosts:?}"
        );
        let node1 = hosts.iter().find(|h| h.address == "node1").unwrap();
        assert_eq!(node1.status, "disconnected");
    }
    lab2(&["node-start", "node1"]);
    wait_shown(
        &service,
        &master,
        id,
        Duration::from_secs(120),
        "node1 back: ACTIVE",
        |v| {
            v.summary.status == S::Active
                && workers(v)
                    .iter()
                    .all(|(_, s)| matches!(s, BrickStatus::Active | BrickStatus::Passive))
        },
    )
    .await;

    // --- 5c. glusterd stopped on every node of the master pool: one cycle shows the session
    // UNKNOWN with the error on the cluster, deletes nothing, leaves the slave cluster alone;
    // the next cycle after the restart shows the real status again ---
    let before = inventory(&service, &[&site_a, &site_b]).await;
    lab2(&["node-stop", "node1"]);
    lab2(&["node-stop", "node2"]);
    // no glusterd answers for site-a
    let a = cycle(&service, "site-a", false).await;
    let view = shown(&service, &master, id).await;
    assert_eq!(view.summary.status, S::Unknown);
    assert!(workers(&view)
        .iter()
        .all(|(_, s)| *s == BrickStatus::Unknown));
    assert!(
        a.sync_error.as_deref().is_some_and(|e| !e.is_empty()),
        "the error is kept: {a:?}"
    );
    assert_eq!(
        inventory(&service, &[&site_a, &site_b]).await,
        before,
        "nothing deleted"
    );
    cycle(&service, "site-b", true).await;
    lab2(&["node-start", "node1"]);
    lab2(&["node-start", "node2"]);
    wait_shown(
        &service,
        &master,
        id,
        Duration::from_secs(120),
        "glusterd back: ACTIVE",
        |v| v.summary.status == S::Active,
    )
    .await;
    assert_eq!(cluster_named(&service, "site-a").await.sync_state, "ok");

    // --- 5d. ssh to node3 (site-b's only host) failing: site-b's data marked unknown with
    // the ssh error, site-a read as before; back when sshd is ---
    let _back3 = NodesBack(vec!["node3"]);
    lab2(&["sshd-stop", "node3"]);
    cycle(&service, "site-b", false).await;
    {
        let mut c = conn(&service).await;
        let hosts = store::hosts_of_cluster(&mut c, site_b.id).await.unwrap();
        assert!(hosts.iter().all(|h| h.status == "unknown"), "{hosts:?}");
        let slave = volume_named(&service, &site_b, SLAVE).await;
        let bricks = store::bricks_of_volume(&mut c, slave.id).await.unwrap();
        assert!(bricks.iter().all(|b| b.status == "unknown"), "{bricks:?}");
    }
    cycle(&service, "site-a", true).await;
    assert_eq!(
        inventory(&service, &[&site_a, &site_b]).await,
        before,
        "nothing deleted"
    );
    lab2(&["node-start", "node3"]);
    cycle(&service, "site-b", true).await;
    wait_shown(
        &service,
        &master,
        id,
        Duration::from_secs(180),
        "ssh back: ACTIVE",
        |v| v.summary.status == S::Active,
    )
    .await;

    // --- 5e. node3's ssh host key replaced: georep refuses the host (site-b in error with a
    // message naming node3 and both fingerprints, nothing deleted) until an admin accepts
    // the new key with the CLI, giving its fingerprint ---
    let key = std::path::Path::new(LAB2_KEYS).join("node3_host_ed25519");
    // site-b was registered by node3's address: that is the name georep reaches it by
    let node3 = {
        let mut c = conn(&service).await;
        store::hosts_of_cluster(&mut c, site_b.id).await.unwrap()[0]
            .address
            .clone()
    };
    assert_eq!(node3, "10.77.0.3");
    let old_fp = lab_fingerprint(&key);
    assert_eq!(
        known.fingerprints(&node3, 22),
        old_fp,
        "recorded when georep first reached node3 (registration)"
    );
    let restore = HostKeyBack::save(&key);
    lab2(&["sshd-stop", "node3"]);
    for f in [key.clone(), key.with_extension("pub")] {
        std::fs::remove_file(f).unwrap();
    }
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "node3", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    lab2(&["node-start", "node3"]);
    let new_fp = lab_fingerprint(&key);
    assert_ne!(old_fp, new_fp);
    let refused = cycle(&service, "site-b", false).await;
    let error = refused.sync_error.unwrap_or_default();
    assert!(
        error.contains(&node3) && error.contains(&old_fp) && error.contains(&new_fp),
        "{error}"
    );
    assert_eq!(
        inventory(&service, &[&site_a, &site_b]).await,
        before,
        "nothing deleted"
    );
    let accept = |fp: &str| {
        common::georep(&db)
            .args([
                "cluster",
                "accept-host-key",
                "--host",
                &node3,
                "--fingerprint",
                fp,
            ])
            .output()
            .unwrap()
    };
    // a fingerprint node3 does not offer (the old one) changes nothing
    let wrong = accept(&old_fp);
    assert!(!wrong.status.success(), "{wrong:?}");
    assert_eq!(known.fingerprints(&node3, 22), old_fp);
    cycle(&service, "site-b", false).await;
    let ok = accept(&new_fp);
    assert!(ok.status.success(), "{ok:?}");
    assert_eq!(known.fingerprints(&node3, 22), new_fp);
    cycle(&service, "site-b", true).await;
    let events = service
        .events(
            &app::domain::EventFilter::default(),
            app::domain::EventCursor::Newest,
            10,
        )
        .await
        .unwrap()
        .events;
    let accepted = events
        .iter()
        .find(|e| e.action == "host_key_accept" && e.result == "ok")
        .expect("the accept is audited");
    assert_eq!(
        accepted.message.as_deref(),
        Some(format!("ssh host key of {node3}: {old_fp} -> {new_fp}").as_str())
    );
    assert!(events
        .iter()
        .any(|e| e.action == "host_key_accept" && e.result == "refused"));
    // the lab's own key back, accepted again the same deliberate way
    drop(restore);
    service
        .accept_host_key("test", &node3, &old_fp)
        .await
        .expect("the lab's key accepted again");
    cycle(&service, "site-b", true).await;

    // --- 6. stop and delete through georep ---
    service
        .session_action("test", id, A::Stop, false, false)
        .await
        .expect("stop over ssh");
    service
        .session_action("test", id, A::Delete, false, true)
        .await
        .expect("delete over ssh");
    assert!(
        texts(
            &node_cli("node1", &["volume", "geo-replication", "status"]),
            "session_secondary"
        )
        .is_empty(),
        "no session left on the master pool"
    );
    eprintln!("timing: whole suite: {} s", t_all.elapsed().as_secs());
}
