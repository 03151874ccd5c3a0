//! Two georep processes on one PostgreSQL database and the real lab (issue 20), through the
//! REST API, each replica with its own folder, one session of the test's own
//! (`mastervol → HOST::slavevol9`), in one test so that the lab is set up once:
//! * exactly one replica leads (runs the sync, health and schedule loops), the other serves;
//! * an action through each replica reaches gluster (an option set through B, a DR sync
//!   through A), and a change made through one is read through the other at once; B's open
//!   page hears of a change made through A within 2 s (its live stream, `/rpc/live`);
//! * while the DR run A started holds the session, an action through B is refused (409,
//!   naming the run): the per-session lock is the database's;
//! * a token works on both, and once revoked (by the CLI, a third process) on neither,
//!   within 2 s; failed logins through A and B add up (429 on both past the limit);
//! * SIGKILL of the leader in the middle of the run: B leads within 15 s, takes the run over
//!   (its owner is dead) and completes it: the file written before is on the slave's brick,
//!   the session stopped as the run leaves it (gluster's status), nothing lost.
use std::time::{Duration, Instant};

use georep::api::docs::{OperationDoc, OptionDoc};
use reqwest::Method;

use crate::common;
use common::{host, lab_lock_async, lab_script, receiver, Served};

const PW: &str = "replicas-admin-1";
const SLAVE: &str = "slavevol9";

fn leads(s: &Served) -> bool {
    s.log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("leading: this georep runs"))
}

fn said(s: &Served, what: &str) -> bool {
    s.log.lock().unwrap().iter().any(|l| l.contains(what))
}

fn on_slave(name: &str) -> bool {
    (1..=4).any(|b| {
        std::path::Path::new(&format!("/srv/georep-lab/{SLAVE}/b{b}"))
            .join(name)
            .exists()
    })
}

async fn bearer(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/api"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_one_leader_nothing_lost() {
    if !common::pg_given("two_replicas_one_leader_nothing_lost") {
        return;
    }
    let _lab = lab_lock_async().await;
    lab_script(&["volume", SLAVE, "--fresh"]);
    let _cleanup = common::DeleteVolume(SLAVE);
    let (hook, _got) = receiver().await;
    // one database, two folders (site, probe mounts, state)
    let name = format!("{}.pg", uuid::Uuid::new_v4().simple());
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (db_a, db_b) = (dir_a.path().join(&name), dir_b.path().join(&name));
    common::georep_ok(
        &db_a,
        &["cluster", "add", "--name", "lab", "--host", &host()],
    );
    let mut a = common::serve_alerting(&db_a, &hook, PW);
    let t0 = Instant::now();
    while !leads(&a) {
        assert!(t0.elapsed() < Duration::from_secs(15), "A never leads");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let b = common::serve_alerting(&db_b, &hook, PW);
    let (api_a, api_b) = (
        common::rest::Rest::new(&a.base, PW),
        common::rest::Rest::new(&b.base, PW),
    );
    // B serves (the inventory A's sync wrote) but does not lead while A does
    let master = common::mastervol_href(&b.base, PW, SLAVE).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(!leads(&b), "two leaders");

    // --- a session created through A, its option set through B ---
    let (s, _) = common::create_lab_session(&api_a, &api_b, &master, SLAVE).await;
    common::set_tarssh(&api_b, &s).await;
    assert_eq!(
        common::session_option(SLAVE, "sync_method").as_deref(),
        Some("tarssh"),
        "gluster has the option set through B"
    );
    // read through A at once: no replica keeps a stale copy
    let through_a = api_a.call(Method::GET, &format!("{s}/options"), None).await;
    assert_eq!(through_a.status, 200, "{}", through_a.text);
    assert!(through_a.text.contains("tarssh"), "{}", through_a.text);

    // --- a change through A is on B's open page within 2 s: B's live stream (what the page
    // listens to, then re-reads) tells of it, and what B then reads is the change ---
    let cookie = crate::server::session_cookie(&b.base, "admin", PW).await;
    let mut live = crate::server::get_as(&cookie, format!("{}/rpc/live", b.base)).await;
    assert_eq!(live.status(), 200);
    common::set_option(&api_a, &s, "sync_jobs", "5").await;
    let t0 = Instant::now();
    loop {
        let left = Duration::from_secs(2).saturating_sub(t0.elapsed());
        let chunk = tokio::time::timeout(left, live.chunk())
            .await
            .expect("B's page heard of no change within 2 s of the one through A")
            .unwrap()
            .expect("B's live stream ended");
        if !String::from_utf8_lossy(&chunk).contains("event: change") {
            continue; // a keep-alive comment
        }
        let read: OptionDoc = api_b.get(&format!("{s}/options/sync_jobs")).await;
        if read.value == "5" {
            eprintln!(
                "timing: a change through A on B's page after {} ms",
                t0.elapsed().as_millis()
            );
            break;
        }
    }
    assert_eq!(
        common::session_option(SLAVE, "sync_jobs").as_deref(),
        Some("5")
    );

    // --- a token on both replicas; revoked by the CLI: refused by both within 2 s ---
    let token = common::georep_ok(&db_a, &["token", "add", "admin", "--name", "replicas"]);
    assert_eq!(bearer(&a.base, &token).await, 200);
    assert_eq!(bearer(&b.base, &token).await, 200);
    let listed = common::georep_ok(&db_a, &["token", "list"]);
    let id = listed
        .lines()
        .find(|l| l.contains("\treplicas"))
        .and_then(|l| l.split('\t').next())
        .unwrap()
        .to_owned();
    common::georep_ok(&db_b, &["token", "revoke", &id]);
    let t0 = Instant::now();
    while bearer(&a.base, &token).await != 401 || bearer(&b.base, &token).await != 401 {
        assert!(
            t0.elapsed() < Duration::from_secs(2),
            "a revoked token still works on a replica"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // --- failed logins count on both: guesses at one name through A and B in turn, then
    // both refuse that name from this client (429), even with a right password ---
    let guess = |base: &str, pw: &str| {
        reqwest::Client::new()
            .get(format!("{base}/api"))
            .basic_auth("replicas-guessed", Some(pw.to_owned()))
            .send()
    };
    for i in 0..georep::service::auth::PAIR_FAILURES {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        assert_eq!(guess(base, "wrong").await.unwrap().status(), 401);
    }
    common::add_user(&db_a, "replicas-guessed", "viewer", PW);
    for base in [&a.base, &b.base] {
        let r = guess(base, PW).await.unwrap();
        assert_eq!(r.status(), 429, "{}", r.text().await.unwrap());
    }

    // --- a DR sync through A (the leader), holding the session ---
    let schedule = api_a
        .call(
            Method::PUT,
            &format!("{s}/schedule"),
            Some("<schedule><enabled>false</enabled><every_seconds>60</every_seconds><timeout_seconds>240</timeout_seconds></schedule>"),
        )
        .await;
    assert_eq!(schedule.status, 200, "{}", schedule.text);
    std::fs::write(
        std::path::Path::new("/mnt/georep-lab/mastervol").join("replicas-before-kill"),
        "written before the leader is killed\n",
    )
    .expect("the lab's mount of mastervol");
    let accepted = api_a
        .call(Method::POST, &format!("{s}/sync-now"), None)
        .await;
    assert_eq!(accepted.status, 202, "{}", accepted.text);
    let href = accepted.location.expect("Location: the operation");
    let waiting: OperationDoc = api_b
        .wait_op(&href, Duration::from_secs(300), |o| {
            o.step >= 2 || o.finished_at.is_some()
        })
        .await;
    assert!(waiting.finished_at.is_none(), "{waiting:#?}");
    // an action through B on the session A's run holds: refused, naming the run
    let busy = api_b.call(Method::POST, &format!("{s}/pause"), None).await;
    assert_eq!(busy.status, 409, "{}", busy.text);
    assert!(busy.text.contains("scheduled_sync"), "{}", busy.text);

    // --- SIGKILL of the leader: B leads within 15 s and completes the run ---
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let killed = Instant::now();
    while !leads(&b) {
        assert!(
            killed.elapsed() < Duration::from_secs(15),
            "B did not lead within 15 s of the leader's death"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "timing: B leads {} ms after the leader's SIGKILL",
        killed.elapsed().as_millis()
    );
    let done = api_b
        .wait_op(&href, Duration::from_secs(300), |o| o.finished_at.is_some())
        .await;
    assert_eq!(done.state, "succeeded", "{done:#?}");
    assert!(done.recovery_point.is_some(), "{done:#?}");
    assert!(said(&b, "resuming a DR sync"), "B took the run over");
    assert!(
        on_slave("replicas-before-kill"),
        "the file reached the slave"
    );
    assert_eq!(
        common::georep_statuses(SLAVE).first().map(String::as_str),
        Some("Stopped"),
        "the run leaves the session stopped, as gluster shows"
    );
    drop(dir_a);
}
