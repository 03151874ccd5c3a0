//! The session lifecycle against the real gluster lab (`scripts/gluster-lab.sh up`): a full
//! round trip on a fresh second slave volume, every refused transition, concurrent actions.
//! Everything runs in ONE test, serially (the lab is shared; the main session
//! mastervol -> HOST::slavevol is never touched). The sync loop runs in the background all
//! along, as in the server.
use std::time::{Duration, Instant};

use app::domain::{Checkpoint, Ineligibility, NewSession, SessionAction as A, SessionStatus as S};
use georep::gluster::Gluster;
use georep::service::{Service, ServiceError};
use georep::store;
use uuid::Uuid;

const SLAVE: &str = "slavevol2";

use crate::common;
use common::{host, lab_lock_async, lab_script, register_lab, session_option, Engine};

use common::gluster_xml as cli;

/// What gluster itself says about the test session: its workers' statuses (empty: no session).
fn gluster_statuses() -> Vec<String> {
    common::georep_statuses(SLAVE)
}

async fn stored(service: &Service, id: Uuid) -> Option<store::SessionRow> {
    let mut c = service.store().conn().await.unwrap();
    store::get_session(&mut c, id.into()).await.unwrap()
}

async fn status_of(service: &Service, id: Uuid) -> String {
    stored(service, id)
        .await
        .map(|s| s.status.as_str().to_owned())
        .unwrap_or_else(|| "(gone)".into())
}

/// Refreshes until `pred` holds on the stored session, within `budget`; how long it took.
async fn wait_for(
    service: &Service,
    id: Uuid,
    budget: Duration,
    what: &str,
    pred: impl Fn(&store::SessionRow) -> bool,
) -> Duration {
    let t0 = Instant::now();
    loop {
        let _ = service.refresh_session(id).await;
        if stored(service, id).await.as_ref().is_some_and(&pred) {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < budget,
            "{what}: not within {budget:?}; now {}",
            status_of(service, id).await
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
}

async fn checkpoint_done(service: &Service, id: Uuid) -> bool {
    let mut c = service.store().conn().await.unwrap();
    let d = store::details_of_session(&mut c, id.into()).await.unwrap();
    let pairs: Vec<_> = d
        .iter()
        .map(|d| {
            (
                d.status,
                d.checkpoint_status.as_deref().map(|c| c == "completed"),
            )
        })
        .collect();
    georep::service::status::checkpoint_completed(&pairs)
}

fn timed<T>(what: &str, t0: Instant, r: T) -> T {
    eprintln!("timing: {what}: {} ms", t0.elapsed().as_millis());
    r
}

on_both_engines!(
    session_lifecycle_round_trip,
    session_lifecycle_round_trip_on_postgres => lifecycle_round_trip
);

async fn lifecycle_round_trip(engine: Engine) {
    let _lab = lab_lock_async().await;
    let h = host();
    lab_script(&["volume", SLAVE, "--fresh"]);
    let _cleanup = common::DeleteVolume(SLAVE);

    let dir = tempfile::tempdir().unwrap();
    let store = common::open_store(&common::db_on(dir.path(), engine)).await;
    let service = Service::new(store, Gluster::new("gluster", Duration::from_secs(60)));
    register_lab(&service).await;
    service.sync_all().await;
    // the sync loop runs along, as in the server: actions must win over it
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let looped = tokio::spawn(service.sync_loop(Duration::from_secs(1), stop_rx));

    let master = {
        let mut c = service.store().conn().await.unwrap();
        let cluster = store::list_clusters(&mut c).await.unwrap().remove(0);
        let vols = store::volumes_of_cluster(&mut c, cluster.id).await.unwrap();
        assert!(vols.iter().any(|v| v.name == SLAVE), "{SLAVE} known");
        vols.into_iter()
            .find(|v| v.name == "mastervol")
            .expect("mastervol")
            .id
            .into_uuid()
    };
    let new = |force: bool| NewSession {
        master_volume_id: master,
        slave_host: h.clone(),
        slave_volume: SLAVE.into(),
        slave_user: None,
        force,
        start: false,
        ssh_port: None,
        no_verify: false,
        setup_slave: false,
        slave_group: None,
    };

    // --- create: bad names and ids are refused before gluster ---
    for (bad_host, bad_vol) in [("vm;id", SLAVE), (h.as_str(), "a b"), (h.as_str(), "-x")] {
        let e = service
            .create_session(
                "test",
                NewSession {
                    slave_host: bad_host.into(),
                    slave_volume: bad_vol.into(),
                    ..new(true)
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(e, ServiceError::Invalid(_)), "{e:?}");
    }
    let e = service
        .create_session(
            "test",
            NewSession {
                master_volume_id: Uuid::new_v4(),
                ..new(true)
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::NotFound(_)), "{e:?}");

    // --- eligibility: the lab's slave shares the master's pool and is smaller: refused ---
    let t0 = Instant::now();
    let e = timed(
        "create refused (not eligible)",
        t0,
        service
            .create_session("test", new(false))
            .await
            .unwrap_err(),
    );
    let ServiceError::NotEligible(reasons) = &e else {
        panic!("{e:?}")
    };
    assert!(reasons.contains(&Ineligibility::SameCluster), "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|r| matches!(r, Ineligibility::SlaveSmallerThanMaster { .. })),
        "{reasons:?}"
    );
    assert!(gluster_statuses().is_empty(), "nothing created on gluster");

    // --- create with force ---
    let t0 = Instant::now();
    let created = timed(
        "create push-pem force + refresh",
        t0,
        service
            .create_session("test", new(true))
            .await
            .expect("create"),
    );
    let id = created.session.id;
    assert_eq!(created.session.status, S::Created);
    assert!(
        !created.reasons.is_empty(),
        "reasons reported even when forced"
    );
    assert_eq!(status_of(&service, id).await, "CREATED");
    assert_eq!(gluster_statuses(), ["Created", "Created"]);
    let options = service.session_options(id).await.unwrap();
    let jobs = options
        .iter()
        .find(|o| o.key == "sync_jobs")
        .expect("options stored with the session");
    assert_eq!(
        (
            jobs.value.as_str(),
            jobs.default_value.as_deref(),
            jobs.read_only
        ),
        ("3", Some("3"), false)
    );
    assert!(options
        .iter()
        .find(|o| o.key == "log_file")
        .is_some_and(|o| o.read_only));
    assert_eq!(
        options
            .iter()
            .find(|o| o.key == "sync_method")
            .unwrap()
            .allowed_values,
        ["rsync", "tarssh"]
    );
    // a second create of the same session is refused before gluster is asked, force or not
    let e = service.create_session("test", new(true)).await;
    assert!(
        matches!(&e, Err(ServiceError::Conflict(m)) if m.contains("exists already")),
        "create again (force): {e:?}"
    );

    // Debian's rsync 3.5 syncs empty files (FINDINGS P8): tarssh, set through georep
    let t0 = Instant::now();
    let o = timed(
        "config set sync_method",
        t0,
        service
            .set_option("test", id, "sync-method", "tarssh")
            .await
            .unwrap(),
    );
    assert_eq!(o.value, "tarssh");
    assert_eq!(
        session_option(SLAVE, "sync_method").as_deref(),
        Some("tarssh")
    );

    // --- an option changed with the CLI is found by the sync and recorded ---
    cli(&[
        "volume",
        "geo-replication",
        "mastervol",
        &format!("{h}::{SLAVE}"),
        "config",
        "log-rsync-performance",
        "true",
    ]);
    let t0 = Instant::now();
    loop {
        let events = common::session_events(&service, id, 50).await;
        if events.iter().any(|e| {
            e.action == "option_changed"
                && e.target.ends_with(" log_rsync_performance")
                && e.actor == "sync"
        }) {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "CLI change not recorded: {events:#?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // --- refused transitions on a CREATED session: nothing reaches gluster ---
    for action in [A::Resume, A::Pause, A::Stop] {
        let e = service
            .session_action("test", id, action, false, false)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                ServiceError::WrongState {
                    status: S::Created,
                    ..
                }
            ),
            "{action:?}: {e:?}"
        );
        assert!(e.to_string().contains("created"), "{e}");
    }
    assert_eq!(gluster_statuses(), ["Created", "Created"]);

    // --- two concurrent starts: one runs, one is refused at once ---
    tokio::time::sleep(Duration::from_secs(3)).await; // push-pem's hook (FINDINGS P6)
    let t0 = Instant::now();
    let (a, b) = tokio::join!(
        service.session_action("test", id, A::Start, false, false),
        service.session_action("test", id, A::Start, false, false)
    );
    eprintln!("timing: start + refresh: {} ms", t0.elapsed().as_millis());
    let (ok, busy) = if a.is_ok() { (a, b) } else { (b, a) };
    let ok = ok.expect("one start succeeds");
    assert!(matches!(busy, Err(ServiceError::Busy(_))), "{busy:?}");
    // reflected at once: gluster still says Created for a few seconds after `start`
    let st = ok.session.unwrap().status;
    assert!(matches!(st, S::Initializing | S::Active), "{st:?}");
    let starts: Vec<_> = common::session_events(&service, id, 100)
        .await
        .into_iter()
        .filter(|e| e.action == "start")
        .collect();
    assert_eq!(
        starts.iter().filter(|e| e.result == "ok").count(),
        1,
        "{starts:#?}"
    );
    assert_eq!(
        starts.iter().filter(|e| e.result == "refused").count(),
        1,
        "{starts:#?}"
    );
    // the sync loop must not take it back to CREATED meanwhile
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_ne!(status_of(&service, id).await, "CREATED");
    }
    let took = wait_for(&service, id, Duration::from_secs(90), "ACTIVE", |s| {
        s.status == "ACTIVE"
    })
    .await;
    eprintln!("timing: start -> ACTIVE in SQLite: {took:?} after the start returned");

    // --- refused on an ACTIVE session: gluster and SQLite unchanged ---
    for action in [A::Start, A::Resume, A::Delete] {
        let e = service
            .session_action("test", id, action, false, false)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                ServiceError::WrongState {
                    status: S::Active,
                    ..
                }
            ),
            "{action:?}: {e:?}"
        );
    }
    assert!(
        gluster_statuses().iter().all(|s| s == "Active"),
        "{:?}",
        gluster_statuses()
    );
    assert_eq!(status_of(&service, id).await, "ACTIVE");

    // --- data flows: files written through a FUSE mount of the master reach the slave ---
    let mnt = std::path::Path::new("/mnt/georep-lab/mastervol");
    assert!(mnt.join(".").exists(), "the lab keeps the master mounted");
    let tag = format!("lifecycle-{}", Uuid::new_v4().simple());
    std::fs::create_dir(mnt.join(&tag)).unwrap();
    for i in 0..5 {
        std::fs::write(
            mnt.join(&tag).join(format!("f{i}")),
            format!("payload {i} {tag}\n"),
        )
        .unwrap();
    }
    let brick = std::path::Path::new("/srv/georep-lab")
        .join(SLAVE)
        .join("b1")
        .join(&tag);
    let arrived = |b: &std::path::Path| {
        (0..5).all(|i| {
            std::fs::read_to_string(b.join(format!("f{i}")))
                .is_ok_and(|s| s == format!("payload {i} {tag}\n"))
        })
    };
    let t0 = Instant::now();
    let mut restarted = false;
    while !arrived(&brick) {
        // glusterfs 10.3 sometimes starts a worker that never gets live changelogs (FINDINGS
        // P10): restart it once through georep (stop, start) and let the history crawl catch up
        if t0.elapsed() > Duration::from_secs(45) && !restarted {
            restart_p10(&service, id, "files not on the slave after 45 s").await;
            restarted = true;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(150),
            "files never reached the slave brick"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    eprintln!(
        "timing: 5 files master -> slave: {:?} (restarted: {restarted})",
        t0.elapsed()
    );

    // --- checkpoint now -> completed ---
    wait_for(&service, id, Duration::from_secs(90), "ACTIVE again", |s| {
        s.status == "ACTIVE"
    })
    .await;
    let t0 = Instant::now();
    timed(
        "checkpoint now",
        t0,
        service
            .set_checkpoint("test", id, Checkpoint::Now)
            .await
            .unwrap(),
    );
    // a directory lands on every brick of the distributed master, so every worker has a
    // changelog past the checkpoint (a file alone gives work to one worker only)
    std::fs::create_dir(mnt.join(&tag).join("after-checkpoint")).unwrap();
    std::fs::write(mnt.join(&tag).join("after-checkpoint").join("x"), "x").unwrap();
    let t0 = Instant::now();
    let mut kicked = false;
    loop {
        let _ = service.refresh_session(id).await;
        if checkpoint_done(&service, id).await {
            break;
        }
        // the same P10 as above: a worker that stopped seeing live changelogs never passes
        // the checkpoint; restart the session once through georep (the checkpoint stays)
        if t0.elapsed() > Duration::from_secs(45) && !kicked {
            restart_p10(&service, id, "checkpoint not complete after 45 s").await;
            // and a new directory: a change on every brick again, seen by the restarted workers
            std::fs::create_dir(mnt.join(&tag).join("after-restart")).unwrap();
            kicked = true;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(150),
            "checkpoint never completed: {}",
            cli(&[
                "volume",
                "geo-replication",
                "mastervol",
                &format!("{h}::{SLAVE}"),
                "status",
                "detail"
            ])
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    eprintln!("timing: checkpoint completed after {:?}", t0.elapsed());

    // --- options: set, refused values, reset ---
    let t0 = Instant::now();
    let o = timed(
        "config set sync_jobs 5",
        t0,
        service
            .set_option("test", id, "sync_jobs", "5")
            .await
            .unwrap(),
    );
    assert_eq!(o.value, "5");
    assert_eq!(session_option(SLAVE, "sync_jobs").as_deref(), Some("5"));
    for (key, value, want) in [
        ("sync_jobs", "500", "from 1 to 100"),
        ("sync-jobs", "many", "from 1 to 100"),
        ("sync_method", "scp", "rsync, tarssh"),
        ("no_such_option", "1", "unknown option"),
        ("log-file", "/tmp/x", "read-only"),
        ("a b", "1", "not an option"),
    ] {
        let e = service
            .set_option("test", id, key, value)
            .await
            .unwrap_err();
        assert!(
            matches!(e, ServiceError::Invalid(_)) && e.to_string().contains(want),
            "{key}={value}: {e}"
        );
    }
    assert!(matches!(
        service.reset_option("test", id, "pid-file").await,
        Err(ServiceError::Invalid(_))
    ));
    assert_eq!(
        session_option(SLAVE, "sync_jobs").as_deref(),
        Some("5"),
        "refusals changed nothing"
    );
    assert!(session_option(SLAVE, "log_file").is_some_and(|v| v != "/tmp/x"));
    let stored_jobs = service
        .session_options(id)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.key == "sync_jobs")
        .unwrap();
    assert_eq!(stored_jobs.value, "5");
    let t0 = Instant::now();
    let o = timed(
        "config reset sync_jobs",
        t0,
        service.reset_option("test", id, "sync-jobs").await.unwrap(),
    );
    assert_eq!(o.value, "3");
    assert_eq!(session_option(SLAVE, "sync_jobs").as_deref(), Some("3"));

    // --- pause, resume, stop: reflected at once ---
    wait_for(
        &service,
        id,
        Duration::from_secs(90),
        "ACTIVE before pause",
        |s| s.status == "ACTIVE" || s.status == "INITIALIZING",
    )
    .await;
    let t0 = Instant::now();
    let o = timed(
        "pause + refresh",
        t0,
        service
            .session_action("test", id, A::Pause, false, false)
            .await
            .unwrap(),
    );
    assert_eq!(o.session.unwrap().status, S::Paused);
    assert!(gluster_statuses().iter().all(|s| s == "Paused"));
    let e = service
        .session_action("test", id, A::Pause, false, false)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ServiceError::WrongState {
                status: S::Paused,
                ..
            }
        ),
        "{e:?}"
    );
    let t0 = Instant::now();
    let o = timed(
        "resume + refresh",
        t0,
        service
            .session_action("test", id, A::Resume, false, false)
            .await
            .unwrap(),
    );
    assert_ne!(o.session.unwrap().status, S::Paused);
    let t0 = Instant::now();
    let o = timed(
        "stop + refresh",
        t0,
        service
            .session_action("test", id, A::Stop, false, false)
            .await
            .unwrap(),
    );
    assert_eq!(o.session.unwrap().status, S::Stopped);
    assert!(gluster_statuses().iter().all(|s| s == "Stopped"));
    // a forced stop of a stopped session reaches gluster, which only notes it
    let o = service
        .session_action("test", id, A::Stop, true, false)
        .await
        .unwrap();
    eprintln!("forced stop of a stopped session: {:?}", o.message);

    // --- delete ---
    let t0 = Instant::now();
    let o = timed(
        "delete + refresh",
        t0,
        service
            .session_action("test", id, A::Delete, false, true)
            .await
            .unwrap(),
    );
    assert!(o.session.is_none());
    assert!(stored(&service, id).await.is_none(), "gone from SQLite");
    assert!(gluster_statuses().is_empty(), "gone from gluster");

    // --- unknown session id ---
    let ghost = Uuid::new_v4();
    assert!(matches!(
        service
            .session_action("test", ghost, A::Start, true, false)
            .await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        service.set_option("test", ghost, "sync_jobs", "4").await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        service.session_options(ghost).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        service.refresh_session(ghost).await,
        Err(ServiceError::NotFound(_))
    ));

    // --- the audit trail has every action, in order, and none of them as a discovery ---
    let events = common::session_events(&service, id, 200).await;
    let actions: Vec<_> = events
        .iter()
        .rev()
        .filter(|e| e.result == "ok")
        .map(|e| e.action.as_str())
        .collect();
    eprintln!("audit: {actions:?}");
    for want in [
        "create",
        "option_set",
        "start",
        "checkpoint",
        "option_reset",
        "pause",
        "resume",
        "stop",
        "delete",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    // every change here was georep's own: none is recorded as made outside georep
    assert!(
        !events.iter().any(|e| matches!(
            e.action.as_str(),
            "session_appeared" | "session_vanished" | "status_changed"
        )),
        "{events:#?}"
    );
    assert!(events
        .iter()
        .any(|e| e.result == "refused" && e.action == "resume"));
    assert!(events
        .iter()
        .all(|e| e.actor == "test" || e.actor == "sync"));

    stop_tx.send(true).unwrap();
    looped.await.unwrap();
}

/// glusterfs 10.3 sometimes starts a worker that never gets live changelogs (FINDINGS P10):
/// stop and start the session through georep, once, and let the history crawl catch up.
async fn restart_p10(service: &Service, id: Uuid, why: &str) {
    eprintln!("{why}: restarting the session (P10)");
    service
        .session_action("test", id, A::Stop, false, false)
        .await
        .unwrap();
    service
        .session_action("test", id, A::Start, false, false)
        .await
        .unwrap();
}
