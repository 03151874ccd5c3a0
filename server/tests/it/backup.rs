//! `georep backup` and `georep restore` on the real binary: a copy taken while a server serves
//! the database, a restore refused while it does, and a server on the restored copy answering
//! with the same users, browser login, session and audit trail (no gluster: `/bin/false`).
use std::path::Path;

use chrono::Utc;
use georep::store::{self, Store};

use crate::common::{self, georep};

const ADMIN_PW: &str = "backup-admin-pw";
const ALICE_PW: &str = "backup-alice-pw";

/// `georep ARGS…` on `db`: success and stdout + stderr.
fn run(db: &Path, args: &[&str]) -> (bool, String) {
    let out = georep(db).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn serve(db: &Path) -> common::Served {
    common::serve_apart(db, &["--gluster-command", "/bin/false"], &[], ADMIN_PW)
}

/// GET as `user` with HTTP Basic: status and body.
async fn get(base: &str, path: &str, user: &str, pw: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .basic_auth(user, Some(pw))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The browser login's cookie (a `web_sessions` row).
async fn login(base: &str, user: &str, pw: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{base}/rpc/login"))
        .header("accept", "application/json")
        .form(&[("name", user), ("password", pw)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login as {user}");
    let set = r.headers()["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// The page `/` with `cookie`: 200 when the login is known, a redirect to /login otherwise.
async fn page_status(base: &str, cookie: &str) -> u16 {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn backup_while_serving_and_restore_serves_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    // the inventory with one geo-replication session, two events, two users
    let ids = crate::api::seed(&db).await;
    let store = Store::open(&db).await.unwrap();
    let mut c = store.conn().await.unwrap();
    for (action, target) in [("create", "mastervol -> vm::slavevol"), ("pause", "x")] {
        store::insert_event(
            &mut c,
            &store::EventRow {
                id: 0,
                at: Utc::now(),
                actor: "alice".into(),
                action: action.into(),
                cluster_id: Some(ids.cluster.into()),
                session_id: Some(ids.session.into()),
                target: target.into(),
                result: app::domain::EventResult::Ok,
                message: Some(format!("{action} before the backup")),
                operation_id: None,
            },
        )
        .await
        .unwrap();
    }
    drop(c);
    store.close().await;
    drop(store);
    common::add_user(&db, "admin", "admin", ADMIN_PW);
    common::add_user(&db, "alice", "viewer", ALICE_PW);

    let first = serve(&db);
    let cookie = login(&first.base, "alice", ALICE_PW).await;
    assert_eq!(page_status(&first.base, &cookie).await, 200);
    let (status, events) = get(&first.base, "/api/events", "admin", ADMIN_PW).await;
    assert_eq!(status, 200, "{events}");
    assert!(events.contains("pause before the backup"), "{events}");
    let sessions = format!(
        "/api/clusters/{}/glustervolumes/{}/georeplication-sessions",
        ids.cluster, ids.master
    );

    // a copy while the server serves (and holds the database open)
    let copies = tempfile::tempdir().unwrap();
    let copy = copies.path().join("georep-backup.db");
    let copy_arg = copy.to_str().unwrap();
    let (ok, out) = run(&db, &["backup", copy_arg]);
    assert!(ok, "{out}");
    assert!(out.contains("bytes") && out.contains("migration"), "{out}");
    // never over an existing file, the copy left as it was
    let before = std::fs::read(&copy).unwrap();
    let (ok, out) = run(&db, &["backup", copy_arg]);
    assert!(!ok && out.contains("exists"), "{out}");
    assert_eq!(std::fs::read(&copy).unwrap(), before);

    // no restore under a running server
    let (ok, out) = run(&db, &["restore", copy_arg]);
    assert!(
        !ok && out.contains("refused: a georep process uses"),
        "{out}"
    );
    assert_eq!(
        get(&first.base, "/api/events", "admin", ADMIN_PW).await.1,
        events,
        "the served database is untouched"
    );

    // what is not a georep database is refused before anything is replaced
    let fresh = tempfile::tempdir().unwrap();
    let restored = fresh.path().join("georep.db");
    let junk = copies.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let (ok, out) = run(&restored, &["restore", junk.to_str().unwrap()]);
    assert!(!ok && out.contains("is not a georep database"), "{out}");
    assert!(!restored.exists());

    // into a fresh path: a server there answers as the first one did
    let (ok, out) = run(&restored, &["restore", copy_arg]);
    assert!(ok && out.contains("restored from"), "{out}");
    let second = serve(&restored);
    let (status, again) = get(&second.base, "/api/events", "admin", ADMIN_PW).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, events, "the same audit trail");
    let (status, listed) = get(&second.base, &sessions, "alice", ALICE_PW).await;
    assert_eq!(status, 200, "alice's password came along: {listed}");
    assert!(listed.contains(&ids.session.to_string()), "{listed}");
    assert_eq!(
        page_status(&second.base, &cookie).await,
        200,
        "alice's browser login came along"
    );
    drop(first);
    drop(second);

    // over an existing database once no server uses it (its journals go with it)
    let (ok, out) = run(&db, &["restore", copy_arg]);
    assert!(ok, "{out}");
    let third = serve(&db);
    assert_eq!(
        get(&third.base, "/api/events", "admin", ADMIN_PW).await.1,
        events
    );
}
