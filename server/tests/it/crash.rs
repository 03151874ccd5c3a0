//! Crash consistency on the real binary, the real SQLite file and the real lab: a session of
//! our own (`mastervol → HOST::slavevol7`), 100 concurrent API actions on it (option sets and
//! resets, checkpoints) while the sync writes every second, SIGKILL in the middle. After it:
//! `PRAGMA integrity_check` is ok and no foreign key dangles, the session is whole (its row,
//! one detail per master brick, its options: each action and each reconcile is one
//! transaction), and the restarted server's next sync converges to gluster's own values.
use std::time::{Duration, Instant};

use georep::api::docs::Sessions;
use reqwest::Method;

use crate::common;
use common::{host, lab_lock_async, lab_script, session_option};

const PW: &str = "crash-admin-1";
const SLAVE: &str = "slavevol7";

fn sqlite(db: &std::path::Path, sql: &str) -> String {
    let out = std::process::Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("sqlite3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

async fn call(base: &str, method: Method, path: &str, body: Option<String>) -> (u16, String) {
    let mut r = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .basic_auth("admin", Some(PW))
        .timeout(Duration::from_secs(120));
    if let Some(b) = body {
        r = r.header("content-type", "application/xml").body(b);
    }
    match r.send().await {
        Ok(resp) => (
            resp.status().as_u16(),
            resp.text().await.unwrap_or_default(),
        ),
        Err(_) => (0, String::new()), // the server died under it
    }
}

async fn get<T: serde::de::DeserializeOwned>(base: &str, path: &str) -> T {
    let (status, text) = call(base, Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {text}");
    quick_xml::de::from_str(&text).unwrap()
}

fn serve(db: &std::path::Path) -> common::Served {
    common::serve(
        db,
        &["--gluster-timeout", "60"],
        &["--sync-interval", "1", "--probe-interval", "0"],
        PW,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_actions_and_syncs_loses_nothing() {
    let _lab = lab_lock_async().await;
    lab_script(&["volume", SLAVE, "--fresh"]);
    let _cleanup = common::DeleteVolume(SLAVE);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    common::georep_ok(&db, &["cluster", "add", "--name", "lab", "--host", &host()]);
    let served = serve(&db);
    let base = served.base.clone();

    let master = common::mastervol_href(&base, PW, SLAVE).await;
    let (status, text) = call(
        &base,
        Method::POST,
        &format!("{master}/georeplication-sessions"),
        Some(format!(
            "<georeplication-session><slave_host_name>{}</slave_host_name><slavevolume>{SLAVE}</slavevolume><force>true</force></georeplication-session>",
            host()
        )),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let list: Sessions = get(&base, &format!("{master}/georeplication-sessions")).await;
    let session = list
        .sessions
        .iter()
        .find(|s| s.slavevolume == SLAVE)
        .unwrap()
        .href
        .clone();

    // 100 concurrent actions on the session (one runs at a time, the others are refused at
    // once: the lock), the sync writing every second; SIGKILL while they run
    let mut tasks = Vec::new();
    for i in 0..100u32 {
        let (base, s) = (base.clone(), session.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(u64::from(i) * 20)).await;
            match i % 4 {
                0 | 1 => {
                    let body = format!("<option><value>{}</value></option>", 1 + i % 9);
                    call(
                        &base,
                        Method::PUT,
                        &format!("{s}/options/sync_jobs"),
                        Some(body),
                    )
                    .await
                }
                2 => {
                    call(
                        &base,
                        Method::DELETE,
                        &format!("{s}/options/log_level"),
                        None,
                    )
                    .await
                }
                _ => call(&base, Method::POST, &format!("{s}/checkpoint"), None).await,
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut served = served;
    unsafe { libc::kill(served.child.id() as i32, libc::SIGKILL) };
    let _ = served.child.wait();
    let mut answered = std::collections::BTreeMap::new();
    for t in tasks {
        *answered.entry(t.await.unwrap().0).or_insert(0) += 1;
    }
    eprintln!("crash: answers by status before and after SIGKILL (0: none): {answered:?}");
    assert!(
        answered.get(&0).copied().unwrap_or(0) > 0,
        "the kill came after every action"
    );
    assert!(
        answered.keys().all(|s| [0, 200, 409].contains(s)),
        "{answered:?}"
    );

    // the file as the kill left it
    assert_eq!(sqlite(&db, "PRAGMA integrity_check"), "ok");
    assert_eq!(sqlite(&db, "PRAGMA foreign_key_check"), "");
    let key = format!("%::{SLAVE}:%");
    let whole = |db: &std::path::Path| {
        let sid = sqlite(
            db,
            &format!(
                "SELECT session_id FROM gluster_georep_session WHERE session_key LIKE '{key}'"
            ),
        );
        assert!(!sid.is_empty(), "the session row survived");
        let details = sqlite(
            db,
            &format!(
                "SELECT count(*) FROM gluster_georep_session_details WHERE session_id = '{sid}'"
            ),
        );
        let options = sqlite(
            db,
            &format!("SELECT count(*) FROM gluster_georep_config WHERE session_id = '{sid}'"),
        );
        assert_eq!(details, "2", "one detail per master brick");
        assert!(
            options.parse::<u32>().unwrap() > 10,
            "its options: {options}"
        );
        sid
    };
    let sid = whole(&db);

    // restarted: the next sync converges to gluster's values
    let served = serve(&db);
    let truth = session_option(SLAVE, "sync_jobs").expect("sync_jobs in gluster's config");
    let t0 = Instant::now();
    loop {
        let stored = sqlite(
            &db,
            &format!(
                "SELECT config_value FROM gluster_georep_config WHERE session_id = '{sid}' AND config_key = 'sync_jobs'"
            ),
        );
        if stored == truth {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "SQLite says sync_jobs={stored}, gluster {truth}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    whole(&db);
    assert_eq!(sqlite(&db, "PRAGMA integrity_check"), "ok");
    // and it works: one more action, answered and stored
    let (status, text) = call(
        &served.base,
        Method::PUT,
        &format!("{session}/options/sync_jobs"),
        Some("<option><value>7</value></option>".into()),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(session_option(SLAVE, "sync_jobs").as_deref(), Some("7"));
    let (status, text) = call(&served.base, Method::DELETE, &session, None).await;
    assert_eq!(status, 204, "{text}");
}
