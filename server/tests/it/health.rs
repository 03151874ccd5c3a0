//! Session health against the real gluster lab (`scripts/gluster-lab.sh up`).
//!
//! * `healthy_session_probes_healthy` (CI, ~20 s): the lab's main session
//!   mastervol -> HOST::slavevol is probed for real (a checkpoint and a directory under
//!   `.georep-probe-<master volume id>`, both harmless) and is healthy; `/metrics` says so.
//! * `stall_is_found_and_cleared_by_the_guided_restart` (CI, ~2–4 min): a session of its own,
//!   mastervol -> HOST::slavevol5. A real stall is produced: the lab's mitigation of
//!   glusterfs 10.3's changelog race is undone on mastervol's bricks and the test session's
//!   workers are restarted until a probe finds one stalled (14 of 20 worker starts stall without
//!   the mitigation, FINDINGS P10 / gluster-lab.sh). The mitigation is then applied again (the
//!   lab's normal state) and self-healing is turned on for the session: the next probe finds
//!   the stall and georep itself runs the guided restart (the stalled worker alone, a
//!   re-probe) as an operation; the session is healthy. A webhook receiver on loopback gets
//!   both transitions.
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::domain::{BrickStatus, NewSession, SessionAction};
use app::health::{Health, ProbeResult};
use app::operations::{OperationKind, OperationState, StepState};
use georep::gluster::model::{CrawlStatus, WorkerStatus};
use georep::gluster::{workers, Gluster};
use georep::service::health::{probe_dir, HealthConfig, HEAL_ACTOR};
use georep::service::operations::OperationQuery;
use georep::service::Service;
use georep::store;
use uuid::Uuid;

use crate::common;
use common::{host, lab_lock_async, lab_script, lab_script_path, receiver, register_lab, Engine};

const SLAVE: &str = "slavevol5";
const MOUNTS: &str = "/run/georep/probe-test";

/// Waits until every worker of the session is Active in Changelog Crawl.
async fn wait_changelog(slave: &str, budget: Duration) -> Duration {
    let t0 = Instant::now();
    loop {
        let p = common::cli_pairs(slave);
        if !p.is_empty()
            && p.iter().all(|p| {
                p.status == WorkerStatus::Active && p.crawl_status == CrawlStatus::Changelog
            })
        {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < budget,
            "not in Changelog Crawl within {budget:?}: {p:?}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn service_with(engine: Engine, config: HealthConfig) -> (Service, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_store(&common::db_on(dir.path(), engine)).await;
    let service = Service::with_health(
        store,
        Gluster::new("gluster", Duration::from_secs(60)),
        config,
    );
    register_lab(&service).await;
    service.sync_all().await;
    (service, dir)
}

async fn session_id(service: &Service, slave: &str) -> Uuid {
    let mut c = service.store().conn().await.unwrap();
    let cluster = store::list_clusters(&mut c).await.unwrap().remove(0);
    store::sessions_of_cluster(&mut c, cluster.id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.slave_volume_name == slave)
        .unwrap_or_else(|| panic!("session to {slave} stored"))
        .session_id
        .into_uuid()
}

fn config(timeout: u64, webhook: Option<String>) -> HealthConfig {
    HealthConfig {
        probe_timeout: Duration::from_secs(timeout),
        mount_dir: MOUNTS.into(),
        webhook,
        ..HealthConfig::default()
    }
}

fn unmount_all() {
    if let Ok(rd) = std::fs::read_dir(MOUNTS) {
        for e in rd.flatten() {
            let _ = Command::new("umount").arg("-l").arg(e.path()).output();
        }
    }
}

on_both_engines!(
    healthy_session_probes_healthy,
    healthy_session_probes_healthy_on_postgres => healthy_probe
);

async fn healthy_probe(engine: Engine) {
    let _lab = lab_lock_async().await;
    let (service, _db) = service_with(engine, config(60, None)).await;
    let id = session_id(&service, "slavevol").await;
    wait_changelog("slavevol", Duration::from_secs(120)).await;
    // what SQLite has now, not what the sync read before the workers settled (a session read
    // while Initializing or Faulty is judged by that status, not "not probed yet")
    service.sync_all().await;

    let before = service.session_health(id).await.unwrap();
    assert_eq!(before.health, Health::Unknown, "not probed yet: {before:?}");
    assert!(before.reason.contains("not probed"), "{}", before.reason);

    // the scheduler probes a never-probed active session at once, evaluates and samples lag
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(georep::service::health::run(service.clone(), stopped));
    let t0 = Instant::now();
    loop {
        let h = service.session_health(id).await.unwrap();
        if h.health == Health::Healthy {
            assert_eq!(
                h.last_probe.as_ref().map(|p| p.result),
                Some(ProbeResult::Passed)
            );
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "the scheduled probe did not make it healthy: {h:#?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    eprintln!("timing: scheduler start -> healthy: {:?}", t0.elapsed());
    let samples = service.lag_history(id, None).await.unwrap();
    assert!(
        samples.iter().any(|s| s.brick_id.is_none())
            && samples.iter().filter(|s| s.brick_id.is_some()).count() >= 2,
        "{samples:?}"
    );
    stop.send(true).unwrap();
    scheduler.await.unwrap();
    let events = common::session_events(&service, id, 50).await;
    assert!(
        !events.iter().any(|e| e.action == "probe"),
        "a scheduled probe is no audit event: {events:#?}"
    );

    // the master volume's id names the probe's folder and georep's mount of it
    let master = {
        let mut c = service.store().conn().await.unwrap();
        store::get_session(&mut c, id.into())
            .await
            .unwrap()
            .expect("the session")
            .master_volume_id
    };
    // what other probes (an interrupted one, another test's) may have left in the folder
    // (seen through the lab's own mount of the master volume, which is always there)
    let probe_dirs = || -> Vec<std::ffi::OsString> {
        let folder = std::path::Path::new("/mnt/georep-lab/mastervol").join(probe_dir(master));
        std::fs::read_dir(folder)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default()
    };
    let earlier = probe_dirs();
    let t0 = Instant::now();
    let r = service.probe_session("test", id).await.unwrap();
    eprintln!(
        "figure: probe of a healthy 2-brick session: {} ms ({:?})",
        r.duration_ms, r.message
    );
    eprintln!(
        "figure: per brick: {:?}",
        r.bricks
            .iter()
            .map(|b| (&b.brick, b.completed_after_ms))
            .collect::<Vec<_>>()
    );
    assert_eq!(r.result, ProbeResult::Passed, "{r:#?}");
    assert_eq!(r.bricks.len(), 2);
    assert!(
        r.bricks
            .iter()
            .all(|b| b.completed_after_ms.is_some() && !b.stalled),
        "{r:#?}"
    );
    assert!(r.checkpoint.is_some());
    assert!(t0.elapsed() < Duration::from_secs(70));

    let h = service.session_health(id).await.unwrap();
    assert_eq!(h.health, Health::Healthy, "{h:#?}");
    assert_eq!(h.lag_seconds, Some(0), "{h:#?}");
    assert!(h
        .bricks
        .iter()
        .all(|b| b.status == BrickStatus::Active && b.stalled_since.is_none()));
    assert_eq!(
        h.last_probe.as_ref().map(|p| p.result),
        Some(ProbeResult::Passed)
    );

    // the probe's directory is gone again; the hidden folder stays
    // the mount is named by the master volume's id (others may be in the folder)
    let mnt = std::path::Path::new(MOUNTS).join(master.to_string());
    assert!(mnt.join(probe_dir(master)).is_dir());
    let left: Vec<_> = probe_dirs()
        .into_iter()
        .filter(|d| !earlier.contains(d))
        .collect();
    assert!(left.is_empty(), "probe dirs left: {left:?}");

    // audited as an action; no option change recorded as a discovery
    let events = common::session_events(&service, id, 50).await;
    assert!(
        events
            .iter()
            .any(|e| e.action == "probe" && e.result == "ok" && e.actor == "test"),
        "{events:#?}"
    );
    assert!(
        !events.iter().any(|e| e.action == "option_changed"),
        "{events:#?}"
    );

    // /metrics text
    let text = georep::metrics::render(&service.health_views().await.unwrap());
    let line = format!("georep_session_health{{session_id=\"{id}\",master=\"mastervol\",slave=\"{}::slavevol\",state=\"healthy\"}} 1", host());
    assert!(text.contains(&line), "{line} not in:\n{text}");
    assert!(text.contains("georep_session_lag_seconds{"), "{text}");
    assert!(text.contains("georep_brick_pending{"), "{text}");
    assert!(
        text.contains("georep_probe_last_duration_seconds{"),
        "{text}"
    );
    unmount_all();
}

/// Deletes the test volume and restores the lab's stall mitigation, whatever happened.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(lab_script_path())
            .args(["stall-fix", "mastervol"])
            .output();
        let _ = Command::new("bash")
            .arg(lab_script_path())
            .args(["volume-delete", SLAVE])
            .output();
        unmount_all();
    }
}

async fn wait_hook(got: &Arc<Mutex<Vec<serde_json::Value>>>, to: &str) -> serde_json::Value {
    let t0 = Instant::now();
    loop {
        if let Some(v) = got.lock().unwrap().iter().find(|v| v["to"] == to).cloned() {
            return v;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "no webhook call to {to}: {:?}",
            got.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

on_both_engines!(
    stall_is_found_and_cleared_by_the_guided_restart,
    stall_is_found_and_cleared_by_the_guided_restart_on_postgres => stall_and_guided_restart
);

async fn stall_and_guided_restart(engine: Engine) {
    let _lab = lab_lock_async().await;
    let h = host();
    lab_script(&["volume", SLAVE, "--fresh"]);
    let _cleanup = Cleanup;
    let (url, got) = receiver().await;
    let (service, _db) = service_with(engine, config(30, Some(url))).await;

    // --- a session of our own, started and live (tarssh: FINDINGS P8) ---
    let master = {
        let mut c = service.store().conn().await.unwrap();
        let cluster = store::list_clusters(&mut c).await.unwrap().remove(0);
        let vols = store::volumes_of_cluster(&mut c, cluster.id).await.unwrap();
        vols.into_iter()
            .find(|v| v.name == "mastervol")
            .unwrap()
            .id
            .into_uuid()
    };
    let created = service
        .create_session(
            "test",
            NewSession {
                master_volume_id: master,
                slave_host: h.clone(),
                slave_volume: SLAVE.into(),
                slave_user: None,
                force: true,
                start: false,
                ssh_port: None,
                no_verify: false,
                setup_slave: false,
                slave_group: None,
            },
        )
        .await
        .expect("create");
    let id = created.session.id;
    service
        .set_option("test", id, "sync-method", "tarssh")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await; // push-pem's hook (FINDINGS P6)
    service
        .session_action("test", id, SessionAction::Start, false, false)
        .await
        .unwrap();
    let took = wait_changelog(SLAVE, Duration::from_secs(120)).await;
    eprintln!("timing: start -> Changelog Crawl: {took:?}");

    // --- produce a real stall: no mitigation, restart our workers until a probe finds one ---
    lab_script(&["stall-fix", "mastervol"]); // the lab's state, so the first start is judged fairly
    let undo = Command::new("bash")
        .arg(lab_script_path())
        .args(["stall-fix", "mastervol"])
        .env("LAB_STALL_FIX", "0")
        .output()
        .unwrap();
    assert!(
        undo.status.success(),
        "{}",
        String::from_utf8_lossy(&undo.stderr)
    );
    let slave = format!("{h}::{SLAVE}");
    let mut stalled_report = None;
    for attempt in 1..=5 {
        for b in [
            "/srv/georep-lab/mastervol/b1",
            "/srv/georep-lab/mastervol/b2",
        ] {
            workers::restart_worker("mastervol", &slave, b).unwrap();
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        let took = wait_changelog(SLAVE, Duration::from_secs(150)).await;
        service.sync_all().await;
        let r = service.probe_session("test", id).await.unwrap();
        eprintln!("stall attempt {attempt}: workers back in Changelog Crawl after {took:?}; probe {:?} in {} ms: {:?}", r.result, r.duration_ms, r.message);
        if r.result == ProbeResult::Stalled {
            eprintln!(
                "fixture: stalled status detail:\n{}",
                common::cli_raw(SLAVE)
            );
            stalled_report = Some(r);
            break;
        }
    }
    let r = stalled_report.expect("no stall in 5 worker restarts without the mitigation");
    eprintln!(
        "figure: probe that finds a stall: {} ms (timeout 30 s)",
        r.duration_ms
    );
    let stalled: Vec<_> = r
        .bricks
        .iter()
        .filter(|b| b.stalled)
        .map(|b| b.brick.clone())
        .collect();
    assert!(!stalled.is_empty());
    // gluster itself still says Active for the stalled worker
    assert!(
        common::cli_pairs(SLAVE)
            .iter()
            .all(|p| p.status == WorkerStatus::Active),
        "{:?}",
        common::cli_pairs(SLAVE)
    );

    let health = service.session_health(id).await.unwrap();
    assert_eq!(health.health, Health::Stalled, "{health:#?}");
    assert!(
        stalled.iter().all(|b| health.reason.contains(b.as_str())),
        "{}",
        health.reason
    );
    assert!(health.bricks.iter().any(|b| b.stalled_since.is_some()));
    assert!(health.since <= Utc::now());
    let hook = wait_hook(&got, "stalled").await;
    assert_eq!(hook["session_id"], id.to_string());
    assert_eq!(hook["event"], "health_transition");
    let events = common::session_events(&service, id, 100).await;
    assert!(
        events
            .iter()
            .any(|e| e.action == "health" && e.target.ends_with("-> stalled")),
        "{events:#?}"
    );

    // --- self-healing (on for this session): the next probe finds the stall and georep
    //     restarts the stalled worker alone, probes again, as the guided restart does ---
    lab_script(&["stall-fix", "mastervol"]);
    assert!(!service.self_heal_on(id).await.unwrap(), "off by default");
    service.set_self_heal("test", id, Some(true)).await.unwrap();
    let t0 = Instant::now();
    let again = service.probe_session("test", id).await.unwrap();
    assert_eq!(again.result, ProbeResult::Stalled, "{again:#?}");
    let healing = loop {
        let ops = service
            .operations(&OperationQuery {
                session: Some(id),
                kind: Some(OperationKind::RestartStalled),
                ..Default::default()
            })
            .await
            .unwrap();
        if let Some(op) = ops
            .into_iter()
            .find(|o| o.actor == HEAL_ACTOR && o.finished_at.is_some())
        {
            break op;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(400),
            "no self-healing restart"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    eprintln!(
        "figure: self-healing restart + re-probe: {:?}: {:?} {:?}",
        t0.elapsed(),
        healing.state,
        healing.message
    );
    assert_eq!(healing.state, OperationState::Succeeded, "{healing:#?}");
    let message = healing.message.clone().unwrap_or_default();
    assert!(message.starts_with("worker restart of"), "{message}");
    assert!(message.contains("stall cleared"), "{message}");
    // the restart's steps: the workers alone, then the probe's three; stop/start skipped
    assert_eq!(healing.steps[0].state, StepState::Succeeded, "{healing:#?}");
    assert!(
        healing.steps[1..4]
            .iter()
            .all(|s| s.state == StepState::Succeeded),
        "{healing:#?}"
    );
    assert!(
        healing.steps[4..]
            .iter()
            .all(|s| s.state == StepState::Skipped),
        "{healing:#?}"
    );
    for b in &stalled {
        assert!(message.contains(b.as_str()), "{message} names {b}");
    }
    let health = service.session_health(id).await.unwrap();
    assert_eq!(health.health, Health::Healthy, "{health:#?}");
    assert!(health.bricks.iter().all(|b| b.stalled_since.is_none()));
    let hook = wait_hook(&got, "healthy").await;
    assert_eq!(hook["from"], "stalled");
    let events = common::session_events(&service, id, 100).await;
    assert!(
        events.iter().any(|e| e.action == "restart_stalled"
            && e.result == "ok"
            && e.actor == HEAL_ACTOR
            && e.operation_id == Some(healing.id)),
        "{events:#?}"
    );

    // --- a restart with nothing stalled is refused ---
    assert!(service.restart_stalled("test", id).await.is_err());

    // --- leave: stop and delete the session (the volume goes in Cleanup) ---
    service
        .session_action("test", id, SessionAction::Stop, true, false)
        .await
        .unwrap();
    service
        .session_action("test", id, SessionAction::Delete, false, false)
        .await
        .unwrap();
}

use chrono::Utc;

// `/metrics` of the real binary, with its token: tests/security.rs `metrics_need_a_bearer_token`.

on_both_engines!(
    probe_mounts_are_bounded_and_cleaned_up,
    probe_mounts_are_bounded_and_cleaned_up_on_postgres => probe_mounts
);

/// georep's own probe mounts, on a folder of this test's: a hung glusterfs client (stopped
/// with SIGSTOP, as a client stuck on a dead server is) cannot hold a probe's file call for
/// ever; the mounts a killed georep left and those of a volume without a session are
/// unmounted by the scheduler (at start and on a tick), and every one at its stop.
async fn probe_mounts(engine: Engine) {
    const ROOT: &str = "/run/georep/probe-mounts-test";
    let _lab = lab_lock_async().await;
    let (service, _db) = service_with(
        engine,
        HealthConfig {
            // no probe of its own: the mounts below are the test's
            probe_interval: Duration::ZERO,
            mount_dir: ROOT.into(),
            ..HealthConfig::default()
        },
    )
    .await;
    let root = std::path::Path::new(ROOT);
    let mount = |name: &str| {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "glusterfs", &format!("{}:/mastervol", host())])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    };
    let mounted = || -> Vec<String> {
        std::fs::read_to_string("/proc/mounts")
            .unwrap()
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .filter(|d| d.starts_with(ROOT))
            .collect()
    };
    for d in mounted() {
        let _ = Command::new("umount").args(["-l", &d]).output();
    }

    // a hung client: the probe's change on its mount gives up after its timeout
    let hung = mount(&Uuid::new_v4().to_string());
    let pid = String::from_utf8(
        Command::new("pgrep")
            .args(["-f", &format!("glusterfs.*{}", hung.display())])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    assert!(!pid.is_empty(), "the mount's glusterfs client");
    assert!(Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap()
        .success());
    // kill returns before every thread of the client has stopped: one still running answered
    // the probe's first calls on a loaded machine (a CI rehearsal)
    stopped_all_threads(&pid);
    let base = hung.join(".georep-probe-hung-mount-test");
    let t0 = Instant::now();
    let r = georep::service::health::write_probe_dir(
        &base,
        &base.join("0-hung-mount-test"),
        Duration::from_secs(2),
    )
    .await;
    let waited = t0.elapsed();
    assert!(Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap()
        .success());
    let e = r.expect_err("a call on a hung mount cannot succeed");
    assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    let _ = std::fs::remove_dir(base.join("0-hung-mount-test"));
    // the probe tells its mount from the folder a swept mount leaves behind
    assert!(georep::gluster::mount::on_fuse(&hung));
    assert!(!georep::gluster::mount::on_fuse(hung.parent().unwrap()));

    // a mount left by a georep that was killed (no session's volume id): gone at start; the
    // main session's master volume keeps its mount
    let master = {
        let mut c = service.store().conn().await.unwrap();
        let cluster = store::list_clusters(&mut c).await.unwrap().remove(0);
        store::volumes_of_cluster(&mut c, cluster.id)
            .await
            .unwrap()
            .into_iter()
            .find(|v| v.name == "mastervol")
            .unwrap()
            .id
    };
    let kept = mount(&master.to_string());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(georep::service::health::run(service.clone(), stopped));
    let until_gone = |dir: std::path::PathBuf, budget: Duration| async move {
        let t0 = Instant::now();
        while mounted().contains(&dir.display().to_string()) {
            assert!(t0.elapsed() < budget, "{} still mounted", dir.display());
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    until_gone(hung.clone(), Duration::from_secs(10)).await;
    // a volume whose session went away (here: an id no session has) loses its mount on a tick
    let orphan = mount(&Uuid::new_v4().to_string());
    until_gone(orphan, Duration::from_secs(15)).await;
    assert!(
        mounted().contains(&kept.display().to_string()),
        "the mount of a volume with a session stays: {:?}",
        mounted()
    );
    // at its stop the scheduler unmounts the rest
    stop.send(true).unwrap();
    scheduler.await.unwrap();
    assert!(mounted().is_empty(), "{:?}", mounted());
}

/// Waits (up to 10 s) until every thread of process `pid` is stopped (`T` in its stat).
fn stopped_all_threads(pid: &str) {
    let t0 = Instant::now();
    loop {
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the process's threads");
        let all = tasks.filter_map(Result::ok).all(|t| {
            std::fs::read_to_string(t.path().join("stat"))
                // the state follows the command's closing parenthesis
                .map(|st| {
                    st.rsplit_once(") ")
                        .is_some_and(|(_, rest)| rest.starts_with('T'))
                })
                .unwrap_or(true)
        });
        if all {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "process {pid} did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
