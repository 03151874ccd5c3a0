//! georep against the real gluster lab of `scripts/gluster-lab.sh up` (started by
//! scripts/test.sh): discovery, out-of-band changes, and faults.
use std::time::{Duration, Instant};

use georep::gluster::Gluster;
use georep::service::Service;
use georep::store;
use georep::sync;

use crate::common;
use common::{host, lab_lock_async, lab_script, register_lab};

/// The raw gluster CLI, as an admin would type it (out of band for georep).
fn cli(args: &[&str]) -> String {
    let (ok, text) = common::gluster(args);
    assert!(ok, "gluster {args:?} failed: {text}");
    text
}

struct App {
    _dir: tempfile::TempDir,
    service: Service,
}

async fn app_with(gluster: Gluster) -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_store(&dir.path().join("georep.db")).await;
    let service = Service::new(store, gluster);
    App { _dir: dir, service }
}

fn real_gluster() -> Gluster {
    Gluster::new("gluster", Duration::from_secs(60))
}

async fn sync_once(app: &App) -> sync::Report {
    let mut results = app.service.sync_all().await;
    assert_eq!(results.len(), 1);
    results.remove(0).1.expect("sync with the lab")
}

async fn session_by_slave(app: &App, slave: &str) -> Option<store::SessionRow> {
    let mut c = app.service.store().conn().await.unwrap();
    let clusters = store::list_clusters(&mut c).await.unwrap();
    store::sessions_of_cluster(&mut c, clusters[0].id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.slave_volume_name == slave)
}

/// Syncs until `pred` holds for the session, at most `cycles` times; the cycles it took.
async fn until(
    app: &App,
    slave: &str,
    cycles: usize,
    pred: impl Fn(Option<&store::SessionRow>) -> bool,
) -> Option<usize> {
    for n in 1..=cycles {
        sync_once(app).await;
        if pred(session_by_slave(app, slave).await.as_ref()) {
            return Some(n);
        }
    }
    None
}

#[tokio::test]
async fn discovery_and_out_of_band_changes() {
    let _lab = lab_lock_async().await;
    let app = app_with(real_gluster()).await;
    register_lab(&app.service).await;
    // a worker restarted by an earlier test is Faulty or Initializing for a while: wait for
    // gluster itself to say Active (bounded), then compare
    let mut active = false;
    for _ in 0..60 {
        sync_once(&app).await;
        if session_by_slave(&app, "slavevol")
            .await
            .is_some_and(|s| s.status == "ACTIVE")
        {
            active = true;
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert!(
        active,
        "the lab session never became ACTIVE: {:?}",
        session_by_slave(&app, "slavevol").await
    );
    let h = host();

    let mut c = app.service.store().conn().await.unwrap();
    let cluster = store::list_clusters(&mut c).await.unwrap().remove(0);
    assert_eq!(cluster.sync_state, "ok", "{:?}", cluster.sync_error);
    let vols = store::volumes_of_cluster(&mut c, cluster.id).await.unwrap();
    let master = vols
        .iter()
        .find(|v| v.name == "mastervol")
        .expect("mastervol");
    let slave = vols
        .iter()
        .find(|v| v.name == "slavevol")
        .expect("slavevol");
    let bricks = [
        store::bricks_of_volume(&mut c, master.id).await.unwrap(),
        store::bricks_of_volume(&mut c, slave.id).await.unwrap(),
    ];
    assert_eq!((bricks[0].len(), bricks[1].len()), (2, 1));
    assert!(bricks
        .iter()
        .flatten()
        .all(|b| b.status == "online" && b.size_total.is_some()));

    // the session as gluster names it
    let raw = cli(&[
        "--xml",
        "volume",
        "geo-replication",
        "mastervol",
        &format!("{h}::slavevol"),
        "status",
    ]);
    let s = session_by_slave(&app, "slavevol")
        .await
        .expect("the lab session");
    assert!(
        raw.contains(&format!(
            "<session_secondary>{}</session_secondary>",
            s.session_key
        )),
        "{raw}"
    );
    assert_eq!(s.master_volume_id, master.id);
    assert_eq!(
        s.slave_volume_id,
        Some(slave.id),
        "slave volume known to georep"
    );
    assert!(s.slave_host_uuid.is_some());
    assert_eq!(s.status, "ACTIVE");

    let details = store::details_of_session(&mut c, s.session_id)
        .await
        .unwrap();
    assert_eq!(details.len(), 2);
    for d in &details {
        assert_eq!(d.status, "ACTIVE", "{d:?}");
        assert!(
            d.entry_pending.is_some() && d.data_pending.is_some() && d.failures.is_some(),
            "{d:?}"
        );
        assert!(d.last_synced_at.is_some(), "{d:?}");
    }
    let options = store::config_of_session(&mut c, s.session_id)
        .await
        .unwrap();
    let sync_method = options
        .iter()
        .find(|o| o.config_key == "sync_method")
        .expect("sync_method");
    assert_eq!(sync_method.config_value, "tarssh");
    drop(c);

    // an idle cycle writes nothing... unless gluster's counters moved: allow a few cycles
    let mut idle = false;
    for _ in 0..5 {
        if sync_once(&app).await.writes == 0 {
            idle = true;
            break;
        }
    }
    assert!(idle, "no idle cycle in 5");

    // pause with the raw CLI: PAUSED within two cycles
    let slave_spec = format!("{h}::slavevol");
    cli(&[
        "volume",
        "geo-replication",
        "mastervol",
        &slave_spec,
        "pause",
    ]);
    let started = Instant::now();
    let paused = until(&app, "slavevol", 2, |s| {
        s.is_some_and(|s| s.status == "PAUSED")
    })
    .await;
    // resume before asserting: the lab must stay usable whatever happened
    cli(&[
        "volume",
        "geo-replication",
        "mastervol",
        &slave_spec,
        "resume",
    ]);
    let cycles = paused.expect("PAUSED within two sync cycles");
    eprintln!(
        "PAUSED seen after {cycles} cycle(s), {:?}",
        started.elapsed()
    );
    assert!(until(&app, "slavevol", 3, |s| s
        .is_some_and(|s| s.status != "PAUSED"))
    .await
    .is_some());

    // a session created by hand is discovered, and vanishes when deleted by hand
    lab_script(&["volume", "slavevol3", "--fresh"]);
    let spec3 = format!("{h}::slavevol3");
    cli(&[
        "volume",
        "geo-replication",
        "mastervol",
        &spec3,
        "create",
        "push-pem",
        "force",
    ]);
    let report = sync_once(&app).await;
    let s3 = session_by_slave(&app, "slavevol3")
        .await
        .expect("hand-made session discovered");
    assert!(report.changes.iter().any(|c| matches!(c, sync::Change::SessionAppeared { session_key, .. } if *session_key == s3.session_key)));
    assert_eq!(s3.status, "CREATED");
    cli(&["volume", "geo-replication", "mastervol", &spec3, "delete"]);
    assert!(
        until(&app, "slavevol3", 1, |s| s.is_none()).await.is_some(),
        "deleted by hand: gone"
    );
    lab_script(&["volume-delete", "slavevol3"]);
}

/// FAULT INJECTION with a fake `gluster` (real gluster cannot be made to hang or to print
/// garbage): the cluster's rows stay, shown UNKNOWN with the error recorded.
async fn fault(script: &str, timeout: Duration, expect_error: &str) {
    let _lab = lab_lock_async().await;
    // first the truth from the real lab
    let app = app_with(real_gluster()).await;
    register_lab(&app.service).await;
    sync_once(&app).await;
    let before = session_by_slave(&app, "slavevol")
        .await
        .expect("lab session");

    let fake = app._dir.path().join("fake-gluster");
    common::write_executable(
        &fake,
        &format!("#!/bin/sh\n# fake gluster for fault injection\n{script}\n"),
    );
    let faulty = Service::new(
        app.service.store().clone(),
        Gluster::new(fake.to_str().unwrap(), timeout),
    );

    let started = Instant::now();
    let results = faulty.sync_all().await;
    let err = results[0]
        .1
        .as_ref()
        .expect_err("the fake fails")
        .to_string();
    assert!(err.contains(expect_error), "{err}");
    assert!(
        started.elapsed() < timeout * 4 + Duration::from_secs(5),
        "bounded by the timeout"
    );

    let mut c = faulty.store().conn().await.unwrap();
    let cluster = store::list_clusters(&mut c).await.unwrap().remove(0);
    assert_eq!(cluster.sync_state, "error");
    assert!(cluster.sync_error.unwrap().contains(expect_error));
    let after = session_by_slave(&app, "slavevol")
        .await
        .expect("nothing deleted");
    assert_eq!(
        (after.session_id, after.status.as_str()),
        (before.session_id, "UNKNOWN")
    );
    let details = store::details_of_session(&mut c, after.session_id)
        .await
        .unwrap();
    assert_eq!(details.len(), 2);
    assert!(details.iter().all(|d| d.status == "UNKNOWN"));
    assert!(!store::config_of_session(&mut c, after.session_id)
        .await
        .unwrap()
        .is_empty());
    drop(c);

    // and back to the truth once gluster answers again
    sync_once(&app).await;
    let healed = session_by_slave(&app, "slavevol").await.unwrap();
    assert_ne!(healed.status, "UNKNOWN");
}

#[tokio::test]
async fn a_hanging_gluster_is_killed_at_the_timeout() {
    fault(
        "sleep 600",
        Duration::from_secs(2),
        "did not answer within 2 s",
    )
    .await;
}

#[tokio::test]
async fn garbage_from_gluster_is_an_error_not_a_panic() {
    fault(
        "echo '<cliOutput><opRet>0</opRet><peerStatus><peer><uuid>not-a-uuid'",
        Duration::from_secs(10),
        "unreadable answer",
    )
    .await;
}
