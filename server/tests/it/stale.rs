//! Stale sessions (issue 21 item 6) on the real lab and the real binary. A session whose slave
//! volume is deleted (gluster allows it, even with the session running) goes on being listed
//! by gluster, Faulty; once started again gluster refuses its plain delete ("still active").
//! georep flags it stale with the reason, calls it faulty, records it, and its cleanup (stop
//! force, delete) removes it from gluster in either case; a session that is not stale is refused the cleanup. The other side:
//! a master volume deleted with its session stopped in it leaves gluster's configuration of
//! the session behind, so a new volume of that name cannot create the same session ("already
//! created") though gluster lists none: georep says why, and `force` creates it.
use std::time::{Duration, Instant};

use georep::api::docs::*;
use reqwest::Method;

use crate::common;
use common::rest::Rest;
use common::{gluster_ok as cli_ok, host, lab_lock_async, lab_script};

const MASTER: &str = "stalem";
const SLAVE: &str = "stales";
const PW: &str = "lab-admin-pw-stale";

/// gluster's configuration of sessions of MASTER left behind by a failed run (gluster lists
/// them nowhere, so no CLI call can remove them), gone before and after the test.
struct Leftovers;

impl Leftovers {
    fn remove() {
        if let Ok(dir) = std::fs::read_dir("/var/lib/glusterd/geo-replication") {
            for e in dir.flatten() {
                if e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{MASTER}_"))
                {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        Leftovers::remove();
    }
}

fn cli(words: &[&str]) -> (bool, String) {
    common::gluster(words)
}

/// What gluster lists of MASTER's sessions (its status XML's secondaries).
fn gluster_sessions_of_master() -> String {
    let (_, out) = cli(&["volume", "geo-replication", MASTER, "status", "--xml"]);
    out
}

/// The session MASTER -> SLAVE in REST once `pred` holds on it.
async fn session_when(
    api: &Rest,
    master: &str,
    what: &str,
    pred: impl Fn(&SessionDoc) -> bool,
) -> SessionDoc {
    let t0 = Instant::now();
    loop {
        let list: Sessions = api.get(&format!("{master}/georeplication-sessions")).await;
        if let Some(s) = list
            .sessions
            .into_iter()
            .find(|s| s.slavevolume == SLAVE && pred(s))
        {
            eprintln!("figure: {what} after {} ms", t0.elapsed().as_millis());
            return s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "{what}: not within 90 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_slave_is_gone_is_flagged_and_cleaned_up() {
    let _lab = lab_lock_async().await;
    let h = host();
    let slave = format!("{h}::{SLAVE}");
    Leftovers::remove();
    let _leftovers = Leftovers;
    let _master_gone = common::DeleteVolume(MASTER);
    let _slave_gone = common::DeleteVolume(SLAVE);
    lab_script(&["volume", MASTER, "--fresh"]);
    lab_script(&["volume", SLAVE, "--fresh"]);
    let lab = common::lab_server("2", PW).await;
    let (api, cluster) = (&lab.api, &lab.cluster);
    let master = common::volume_href(api, cluster, MASTER, None).await;
    common::volume_href(api, cluster, SLAVE, None).await;

    // --- a running session through georep ---
    let body = format!(
        "<georeplication-session><slave_host_name>{h}</slave_host_name><slavevolume>{SLAVE}</slavevolume><force>true</force></georeplication-session>"
    );
    let created = api
        .call(
            Method::POST,
            &format!("{master}/georeplication-sessions"),
            Some(&body),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let s = created.location.clone().expect("Location");
    let start = api.call(Method::POST, &format!("{s}/start"), None).await;
    assert_eq!(start.status, 200, "{}", start.text);
    let doc: SessionDoc = api.get(&s).await;
    assert_eq!(doc.stale, None, "a live slave");
    assert!(doc.actions.links.iter().all(|l| l.rel != "cleanup"));

    // --- the slave volume deleted with the CLI, the session running ---
    cli_ok(&["volume", "stop", SLAVE, "force"]);
    cli_ok(&["volume", "delete", SLAVE]);
    let stale = session_when(api, &master, "the session flagged stale", |s| {
        s.stale.is_some()
    })
    .await;
    let reason = stale.stale.as_ref().unwrap().reason.clone();
    assert!(
        reason.contains(&format!("the slave volume {SLAVE}")) && reason.contains("was deleted"),
        "{reason}"
    );
    assert!(stale.actions.links.iter().any(|l| l.rel == "cleanup"));
    // gluster still lists it
    assert!(gluster_sessions_of_master().contains(&format!("::{SLAVE}")));
    // faulty, and why
    let t0 = Instant::now();
    loop {
        let health: HealthDoc = api.get(&format!("{s}/health")).await;
        if health.state == "faulty" {
            assert!(health.reason.contains("stale"), "{}", health.reason);
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "{health:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // recorded once, as found by the sync
    let trail: Events = api.get("/api/events?action=session_stale").await;
    assert_eq!(trail.events.len(), 1, "{:?}", trail.events);
    assert_eq!(trail.events[0].result, "detected");
    // started again (gluster accepts it, its monitor cannot reach the slave): now gluster
    // refuses the plain delete, the case the cleanup exists for
    cli_ok(&["volume", "geo-replication", MASTER, &slave, "stop", "force"]);
    cli_ok(&["volume", "geo-replication", MASTER, &slave, "start"]);
    let (deleted, why) = cli(&["volume", "geo-replication", MASTER, &slave, "delete"]);
    assert!(!deleted && why.contains("still active"), "{why}");

    // --- the cleanup is for stale sessions only: the lab's own session is refused ---
    let lab_master = common::mastervol_href(&lab.served.base, PW, "slavevol").await;
    let listed: Sessions = api
        .get(&format!("{lab_master}/georeplication-sessions"))
        .await;
    let lab_session = listed
        .sessions
        .iter()
        .find(|x| x.slavevolume == "slavevol")
        .expect("the lab's session");
    let refused = api
        .call(Method::POST, &format!("{}/cleanup", lab_session.href), None)
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.text.contains("not stale"), "{}", refused.text);
    assert!(
        common::gluster_xml(&["volume", "geo-replication", "status"]).contains("::slavevol"),
        "the lab's session untouched"
    );

    // --- cleaned up: gone from gluster, then from georep ---
    let cleaned = api.call(Method::POST, &format!("{s}/cleanup"), None).await;
    assert_eq!(cleaned.status, 200, "{}", cleaned.text);
    let answer: ActionDoc = quick_xml::de::from_str(&cleaned.text).unwrap();
    assert_eq!(answer.session, None, "{}", cleaned.text);
    assert!(
        !gluster_sessions_of_master().contains(&format!("::{SLAVE}")),
        "gluster: {}",
        gluster_sessions_of_master()
    );
    let gone = api.call(Method::GET, &s, None).await;
    assert_eq!(gone.status, 404, "{}", gone.text);
    let ops: Operations = api.get("/api/operations?kind=cleanup").await;
    let op = ops
        .operations
        .iter()
        .find(|o| o.kind == "cleanup")
        .expect("the cleanup's operation");
    assert_eq!(
        (op.state.as_str(), op.step_count),
        ("succeeded", 2),
        "{op:?}"
    );

    // --- the master side: a volume of the old master's name cannot make the session again ---
    lab_script(&["volume", SLAVE, "--fresh"]);
    cli_ok(&[
        "volume",
        "geo-replication",
        MASTER,
        &slave,
        "create",
        "push-pem",
        "force",
    ]);
    cli_ok(&["volume", "stop", MASTER, "force"]);
    cli_ok(&["volume", "delete", MASTER]);
    lab_script(&["volume", MASTER, "--fresh"]);
    assert!(!gluster_sessions_of_master().contains(&format!("::{SLAVE}")));
    let new_master = common::volume_href(api, cluster, MASTER, Some(&master)).await;
    let again = api
        .call(
            Method::POST,
            &format!("{new_master}/georeplication-sessions"),
            Some(&body.replace("<force>true</force>", "")),
        )
        .await;
    // without force: here refused before gluster (this lab's slave is in the master's cluster;
    // on two clusters gluster's "already created" is explained); nothing is made
    assert_eq!(again.status, 409, "{}", again.text);
    assert!(!gluster_sessions_of_master().contains(&format!("::{SLAVE}")));
    let made = api
        .call(
            Method::POST,
            &format!("{new_master}/georeplication-sessions"),
            Some(&body),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert!(gluster_sessions_of_master().contains(&format!("::{SLAVE}")));
    drop(lab);
}
