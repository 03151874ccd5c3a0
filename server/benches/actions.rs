//! Each lifecycle action through georep's service against the raw `gluster` CLI doing the same
//! thing, in the same run, on the real lab (`scripts/gluster-lab.sh up`). Rounds alternate
//! CLI and georep on a fresh slave volume so that gluster's own drift hits both alike.
//!
//! georep's figure is the whole action as a caller sees it: validation, state check, lock,
//! the gluster command, the outcome written to SQLite and the audit event (the details are
//! re-read in the background). Goal: at most 1.1 × CLI + 20 ms. `create` is compared with
//! what it takes on the CLI to have the session listed with its details and options
//! (`create push-pem force`, `status detail`, `config`), which georep does before answering;
//! likewise a config set or reset with the `config` read that shows what gluster stored.
//!
//!     cargo bench -p georep --bench actions            # 5 rounds
//!     ROUNDS=9 cargo bench -p georep --bench actions
#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code)] // the integration tests' helpers: the bench uses a few
mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use app::domain::{Checkpoint, NewSession, SessionAction as A};
use common::{host, lab_lock, lab_script, lab_script_path, register_lab};
use georep::gluster::{is_lock_conflict, Gluster};
use georep::service::Service;
use georep::store::{self, Store};

const SLAVE: &str = "slavevol6";

struct Cleanup;
impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(lab_script_path())
            .args(["volume-delete", SLAVE])
            .output();
    }
}

fn cli(args: &[&str]) -> Duration {
    let slave = format!("{}::{SLAVE}", host());
    let mut argv = vec![
        "--mode=script",
        "--xml",
        "volume",
        "geo-replication",
        "mastervol",
        &slave,
    ];
    argv.extend_from_slice(args);
    // the lab is shared (the sync loop reads it too): a command glusterd refused as busy is
    // tried again, as an admin would, and only the attempt that did the work is timed
    for _ in 0..20 {
        let t0 = Instant::now();
        let out = Command::new("gluster")
            .args(&argv)
            .output()
            .expect("gluster CLI");
        let took = t0.elapsed();
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("<opRet>0</opRet>") {
            return took;
        }
        let busy = text
            .split("<opErrstr>")
            .nth(1)
            .and_then(|e| e.split('<').next())
            .is_some_and(is_lock_conflict);
        assert!(busy, "gluster {args:?}: {text}");
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("gluster {args:?}: glusterd busy 20 times in a row")
}

/// Every worker of the bench session in one of `want` (gluster's words), within 120 s.
fn wait_workers(want: &[&str]) {
    let t0 = Instant::now();
    loop {
        let slave = format!("{}::{SLAVE}", host());
        let out = Command::new("gluster")
            .args([
                "--mode=script",
                "--xml",
                "volume",
                "geo-replication",
                "mastervol",
                &slave,
                "status",
            ])
            .output()
            .unwrap();
        let xml = String::from_utf8_lossy(&out.stdout);
        let st: Vec<_> = xml
            .split("<status>")
            .skip(1)
            .filter_map(|s| s.split("</status>").next())
            .collect();
        if !st.is_empty() && st.iter().all(|s| want.contains(s)) {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "workers {st:?}, want {want:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

type Times = BTreeMap<&'static str, Vec<Duration>>;

/// Between two timed actions, in both rounds: an admin's clicks are seconds apart, and
/// georep's background refresh of the previous action (or the CLI's own echo) is over.
const BETWEEN: Duration = Duration::from_millis(2500);

fn cli_round(t: &mut Times) {
    let mut add = |k, d| {
        t.entry(k).or_default().push(d);
        std::thread::sleep(BETWEEN);
    };
    add(
        "create",
        cli(&["create", "push-pem", "force"]) + cli(&["status", "detail"]) + cli(&["config"]),
    );
    cli(&["config", "sync-method", "tarssh"]);
    std::thread::sleep(Duration::from_secs(3)); // push-pem's hook (FINDINGS P6)
    add("start", cli(&["start"]));
    wait_workers(&["Active", "Passive"]);
    add("pause", cli(&["pause"]));
    add("resume", cli(&["resume"]));
    // georep answers what gluster's config reads back after a set or reset (never what it
    // sent): the CLI's equivalent is the command and a `config` to see what it stored
    add(
        "config set",
        cli(&["config", "sync-jobs", "5"]) + cli(&["config"]),
    );
    add(
        "config reset",
        cli(&["config", "!sync-jobs"]) + cli(&["config"]),
    );
    add("checkpoint", cli(&["config", "checkpoint", "now"]));
    add("stop", cli(&["stop"]));
    add("delete", cli(&["delete", "reset-sync-time"]));
}

async fn georep_round(service: &Service, master: uuid::Uuid, t: &mut Times) {
    let mut add = |k, d| t.entry(k).or_default().push(d);
    let new = NewSession {
        master_volume_id: master,
        slave_host: host(),
        slave_volume: SLAVE.into(),
        slave_user: None,
        force: true,
        start: false,
        ..NewSession::default()
    };
    let t0 = Instant::now();
    let id = service
        .create_session("bench", new)
        .await
        .expect("create")
        .session
        .id;
    add("create", t0.elapsed());
    tokio::time::sleep(BETWEEN).await;
    service
        .set_option("bench", id, "sync_method", "tarssh")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    macro_rules! timed {
        ($k:expr, $e:expr) => {{
            let t0 = Instant::now();
            $e.await.expect($k);
            add($k, t0.elapsed());
            tokio::time::sleep(BETWEEN).await;
        }};
    }
    timed!(
        "start",
        service.session_action("bench", id, A::Start, false, false)
    );
    tokio::task::block_in_place(|| wait_workers(&["Active", "Passive"]));
    // the stored state must have caught up too, or the state machine refuses the pause
    let t_sync = Instant::now();
    while !matches!(
        service.refresh_session(id).await.map(|s| s.status),
        Ok(app::domain::SessionStatus::Active)
    ) {
        assert!(
            t_sync.elapsed() < Duration::from_secs(60),
            "never ACTIVE in SQLite"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    timed!(
        "pause",
        service.session_action("bench", id, A::Pause, false, false)
    );
    timed!(
        "resume",
        service.session_action("bench", id, A::Resume, false, false)
    );
    timed!(
        "config set",
        service.set_option("bench", id, "sync_jobs", "5")
    );
    timed!(
        "config reset",
        service.reset_option("bench", id, "sync_jobs")
    );
    timed!(
        "checkpoint",
        service.set_checkpoint("bench", id, Checkpoint::Now)
    );
    timed!(
        "stop",
        service.session_action("bench", id, A::Stop, false, false)
    );
    timed!(
        "delete",
        service.session_action("bench", id, A::Delete, false, true)
    );
}

/// Until the app's loop has seen the CLI round's delete: georep's create is then timed as an
/// admin meets it (a create over a row SQLite still has re-reads the cluster first).
async fn wait_forgotten(service: &Service) {
    let t0 = Instant::now();
    loop {
        let mut c = service.store().conn().await.unwrap();
        let left = store::sessions_with_slave(&mut c, None, &host(), SLAVE)
            .await
            .unwrap();
        if left.is_empty() {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "still stored: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    // RUST_LOG=georep::gluster=debug shows every call, its retries and waits
    if std::env::var_os("RUST_LOG").is_some() {
        georep::telemetry::init();
    }
    let _lab = lab_lock();
    lab_script(&["volume", SLAVE, "--fresh"]);
    let _cleanup = Cleanup;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut cli_t, mut georep_t) = (Times::new(), Times::new());
    rt.block_on(async {
        let store = Store::open(&dir.path().join("georep.db")).await.unwrap();
        let service = Service::new(store, Gluster::new("gluster", Duration::from_secs(60)));
        register_lab(&service).await;
        service.sync_all().await;
        // the server's sync loop runs along, at its default interval
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let looped = tokio::spawn(service.sync_loop(Duration::from_secs(5), stop_rx));
        let master = {
            let mut c = service.store().conn().await.unwrap();
            let cluster = store::list_clusters(&mut c).await.unwrap().remove(0);
            let vols = store::volumes_of_cluster(&mut c, cluster.id).await.unwrap();
            vols.into_iter()
                .find(|v| v.name == "mastervol")
                .expect("mastervol")
                .id
                .into_uuid()
        };
        for round in 0..rounds {
            eprintln!("round {}/{rounds}", round + 1);
            tokio::task::block_in_place(|| cli_round(&mut cli_t));
            tokio::time::sleep(Duration::from_secs(2)).await;
            wait_forgotten(&service).await;
            georep_round(&service, master, &mut georep_t).await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        stop_tx.send(true).unwrap();
        looped.await.unwrap();
    });
    println!("| action | gluster CLI (median) | georep (median) | georep / CLI | goal 1.1 × CLI + 20 ms |");
    println!("|---|---:|---:|---:|---|");
    for (k, c) in &cli_t {
        let (c, g) = (median(c), median(&georep_t[k]));
        let goal = c.mul_f64(1.1) + Duration::from_millis(20);
        println!(
            "| {k} | {} ms | {} ms | {:.2} | {} |",
            c.as_millis(),
            g.as_millis(),
            g.as_secs_f64() / c.as_secs_f64(),
            if g <= goal { "met" } else { "missed" }
        );
    }
}
