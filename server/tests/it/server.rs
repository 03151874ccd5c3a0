//! The real `georep` binary on a random port with a temporary database.
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::common::{self, georep};

/// The server (killed when dropped), its base URL, and its folder (the database in it).
struct Server {
    served: common::Served,
    base: String,
    _dir: tempfile::TempDir,
}

const ADMIN_PW: &str = "test-admin-pw";

/// GET as the first admin (the REST API wants a login).
async fn get_api(url: String) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .basic_auth("admin", Some(ADMIN_PW))
        .send()
        .await
        .unwrap()
}

/// Starts the server on port 0 and reads the address it logs.
fn spawn_server() -> Server {
    spawn_server_in(tempfile::tempdir().unwrap(), &[], &[])
}

/// The same in `dir`, with more global and `serve` arguments.
fn spawn_server_in(dir: tempfile::TempDir, global: &[&str], serve: &[&str]) -> Server {
    let served = common::serve_apart(&dir.path().join("georep.db"), global, serve, ADMIN_PW);
    Server {
        base: served.base.clone(),
        served,
        _dir: dir,
    }
}

#[tokio::test]
async fn healthz_answers_ok() {
    let s = spawn_server();
    let resp = reqwest::get(format!("{}/healthz", s.base)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok\n");
}

#[derive(Debug, Deserialize)]
struct Api {
    link: Vec<Link>,
    product_info: ProductInfo,
}
#[derive(Debug, Deserialize)]
struct Link {
    #[serde(rename = "@rel")]
    rel: String,
    #[serde(rename = "@href")]
    href: String,
}
#[derive(Debug, Deserialize)]
struct ProductInfo {
    name: String,
}

#[tokio::test]
async fn api_entry_point_is_xml_linking_the_clusters() {
    let s = spawn_server();
    let resp = get_api(format!("{}/api", s.base)).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/xml"));
    let api: Api = quick_xml::de::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(api.product_info.name, "georep");
    let clusters = api
        .link
        .iter()
        .find(|l| l.rel == "clusters")
        .expect("a clusters link");
    assert_eq!(clusters.href, "/api/clusters");

    // the link leads somewhere: an empty clusters collection
    let resp = get_api(format!("{}{}", s.base, clusters.href)).await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(body.contains("<clusters"), "{body}");
}

#[tokio::test]
async fn unknown_api_route_is_a_404_fault() {
    let s = spawn_server();
    let resp = get_api(format!("{}/api/nothing-here", s.base)).await;
    assert_eq!(resp.status(), 404);
    #[derive(Deserialize)]
    struct Fault {
        reason: String,
    }
    let f: Fault = quick_xml::de::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(f.reason, "Not found");
}

/// Logs in through the server function (as the app does: JSON, no redirect): the cookie.
async fn login(base: &str, user: &str, password: &str) -> reqwest::Result<reqwest::Response> {
    reqwest::Client::new()
        .post(format!("{base}/rpc/login"))
        .header("accept", "application/json")
        .form(&[("name", user), ("password", password)])
        .send()
        .await
}

pub(crate) async fn session_cookie(base: &str, user: &str, password: &str) -> String {
    let r = login(base, user, password).await.unwrap();
    assert_eq!(r.status(), 200, "login as {user}");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
        "{set}"
    );
    set.split(';').next().unwrap().to_owned()
}

/// A GET with the login cookie (no redirects followed).
pub(crate) async fn get_as(cookie: &str, url: String) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn ssr_page_renders_the_clusters_from_sqlite() {
    let s = spawn_server();
    let cookie = session_cookie(&s.base, "admin", ADMIN_PW).await;
    let body = get_as(&cookie, format!("{}/", s.base))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("<h1>Clusters</h1>"), "{body}");
    assert!(
        body.contains("No clusters yet."),
        "empty state rendered on the server: {body}"
    );
    // `georep.js`, or `georep.<hash>.js` when a hash file is beside the test binary
    assert!(
        body.split("href=\"/pkg/georep").skip(1).any(|rest| rest
            .split('"')
            .next()
            .unwrap_or("")
            .ends_with("js")),
        "hydration script linked: {body}"
    );

    // a cluster registered through the CLI shows on the next render
    let db = s._dir.path().join("georep.db");
    let out = georep(&db)
        .args([
            "cluster",
            "add",
            "--name",
            "site-b",
            "--host",
            "gluster1.example.com",
            "--no-verify",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = get_as(&cookie, format!("{}/", s.base))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("site-b"), "{body}");
    assert!(!body.contains("No clusters yet."));

    let resp = get_as(&cookie, format!("{}/no/such/page", s.base)).await;
    assert_eq!(resp.status(), 404);
}

#[test]
fn unwritable_database_path_exits_with_one_clear_line() {
    let out = georep(std::path::Path::new("/proc/georep/nope.db"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().last().unwrap();
    assert!(
        line.starts_with("georep: cannot create the database folder /proc/georep"),
        "{err}"
    );
}

#[test]
fn port_in_use_exits_with_one_clear_line() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = georep(&dir.path().join("g.db"))
        .args(["serve", "--listen", &addr])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .last()
            .unwrap()
            .starts_with(&format!("georep: cannot listen on {addr}:")),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn bad_cluster_names_are_refused_by_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let out = georep(&dir.path().join("g.db"))
        .args(["cluster", "add", "--name", "x;reboot", "--host", "vm"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cluster name"));
}

/// The UI's server functions over HTTP, at their stable URLs: answers from SQLite, and an
/// unknown session is a readable "not found" that reaches no gluster.
#[tokio::test]
async fn server_functions_answer_at_stable_urls() {
    let server = spawn_server();
    let cookie = session_cookie(&server.base, "admin", ADMIN_PW).await;
    let http = reqwest::Client::new();
    let post = |f: &str, form: &[(&str, &str)]| {
        http.post(format!("{}/rpc/{f}", server.base))
            .header("cookie", &cookie)
            .form(form)
            .send()
    };
    let r = post("list_events", &[]).await.unwrap();
    assert_eq!(r.status(), 200);
    let page: app::domain::EventPage = r.json().await.unwrap();
    assert_eq!(page, app::domain::EventPage::default());
    let r = post("list_clusters", &[]).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<Vec<serde_json::Value>>().await.unwrap().is_empty());
    // the sessions overview (its filter and sort as the page's URL gives them) and the
    // title's count; a filter naming a volume gluster could not have is refused
    let r = post(
        "session_overview",
        &[
            ("filter[health]", "stalled"),
            ("filter[status]", "partial_faulty"),
            ("sort", "recovery_point"),
            ("order", "desc"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let overview: app::views::SessionOverview = r.json().await.unwrap();
    assert_eq!((overview.rows.len(), overview.total), (0, 0));
    let r = post("not_healthy", &[]).await.unwrap();
    assert_eq!(r.json::<Option<usize>>().await.unwrap(), Some(0));
    let r = post("session_overview", &[("filter[master_volume]", "a/b")])
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let ghost = uuid::Uuid::new_v4().to_string();
    let r = post(
        "session_action",
        &[
            ("id", &ghost),
            ("action", "start"),
            ("force", "false"),
            ("reset_sync_time", "false"),
        ],
    )
    .await
    .unwrap();
    // the status says what it is (leptos's own answer would be 500 for every error)
    assert_eq!(r.status(), 404);
    // the typed error, as the UI decodes it (AppError::NotFound)
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["NotFound"]
            .as_str()
            .is_some_and(|m| m.contains(&ghost)),
        "{body}"
    );
    let r = post(
        "set_session_option",
        &[("id", &ghost), ("key", "sync_jobs"), ("value", "5")],
    )
    .await
    .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["NotFound"].is_string(), "{body}");
    // a malformed id is refused by the server function's own decoding
    let r = post("session_options", &[("id", "not-a-uuid")])
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

/// The browser's door: pages send a stranger to the login page, server functions answer 401;
/// a viewer reads but changes nothing (403, no gluster reached); logout ends the session.
#[tokio::test]
async fn pages_and_server_functions_need_a_login() {
    let s = spawn_server();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let r = http
        .get(format!("{}/sessions?x=1", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=%2Fsessions%3Fx%3D1");
    let login_page = http.get(format!("{}/login", s.base)).send().await.unwrap();
    assert_eq!(login_page.status(), 200);
    assert!(login_page
        .text()
        .await
        .unwrap()
        .contains("Log in to georep"));
    let r = http
        .post(format!("{}/rpc/list_clusters", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.json::<serde_json::Value>().await.unwrap()["Unauthorized"].is_string());

    // a wrong password is refused with a readable error and no cookie
    let r = login(&s.base, "admin", "wrong").await.unwrap();
    assert!(!r.status().is_success());
    assert!(r.headers().get("set-cookie").is_none());
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("wrong user name or password"));

    // a viewer
    let mut add = georep(&s._dir.path().join("georep.db"))
        .args([
            "user",
            "add",
            "vera",
            "--role",
            "viewer",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(b"viewer-pw-1\n")
        .unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let viewer = session_cookie(&s.base, "vera", "viewer-pw-1").await;
    let post = |cookie: String, f: &'static str, form: Vec<(&'static str, String)>| {
        let http = http.clone();
        let url = format!("{}/rpc/{f}", s.base);
        async move {
            http.post(url)
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let r = post(viewer.clone(), "whoami", vec![]).await;
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"name": "vera", "role": "viewer"})
    );
    assert_eq!(
        post(viewer.clone(), "list_sessions", vec![]).await.status(),
        200
    );
    let ghost = uuid::Uuid::new_v4().to_string();
    let r = post(
        viewer.clone(),
        "session_action",
        vec![
            ("id", ghost.clone()),
            ("action", "start".into()),
            ("force", "false".into()),
            ("reset_sync_time", "false".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert!(r.json::<serde_json::Value>().await.unwrap()["Forbidden"]
        .as_str()
        .unwrap()
        .contains("vera"));

    // the live stream is an event stream for anyone logged in
    let r = get_as(&viewer, format!("{}/rpc/live", s.base)).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    drop(r);

    // logout: the cookie is cleared and no longer works
    let r = post(viewer.clone(), "logout", vec![]).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(post(viewer, "list_sessions", vec![]).await.status(), 401);
}

/// The plain login form (no JavaScript: form-encoded, `Accept: text/html`) is redirected to
/// `next` only when that is a path of this site; anything else goes to `/`, and a control
/// character is no panic (a header value cannot hold it).
#[tokio::test]
async fn plain_login_form_redirects_only_to_local_paths() {
    let s = spawn_server();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (next, want) in [
        ("/sessions?x=1", "/sessions?x=1"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\r\nSet-Cookie: x=1", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/%09/evil.example", "/"),
        ("/%5C%5Cevil.example", "/"),
        ("https://evil.example/", "/"),
    ] {
        let r = http
            .post(format!("{}/rpc/login", s.base))
            .header("accept", "text/html")
            .form(&[("name", "admin"), ("password", ADMIN_PW), ("next", next)])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{next:?}: {e}"));
        assert_eq!(r.status(), 302, "{next:?}");
        assert_eq!(r.headers()["location"], want, "{next:?}");
        assert!(
            r.headers().get("set-cookie").is_some(),
            "{next:?}: logged in"
        );
    }
}

/// SIGTERM while a page is open (its live stream) and two gluster calls run: the stream ends,
/// the call that finishes within the grace is answered, the hung one is not waited for, and
/// the process exits (before this, an open page held it until the browser closed).
// several threads: the test waits for the fake gluster's note while its requests run
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_live_streams_and_exits_within_ten_seconds() {
    let dir = tempfile::tempdir().unwrap();
    // a fake gluster: notes each call, then takes as long as the file `delay` says
    let fake = dir.path().join("gluster");
    let (calls, delay) = (dir.path().join("calls"), dir.path().join("delay"));
    common::write_executable(
        &fake,
        &format!(
            "#!/bin/sh\nd=$(cat {delay})\necho call >> {calls}\nsleep $d\necho 'fake: no pool' >&2\nexit 1\n",
            delay = delay.display(),
            calls = calls.display()
        ),
    );
    let mut s = spawn_server_in(
        dir,
        &[
            "--gluster-command",
            fake.to_str().unwrap(),
            "--gluster-timeout",
            "300",
        ],
        &["--probe-interval", "0"],
    );
    let cookie = session_cookie(&s.base, "admin", ADMIN_PW).await;
    let mut live = get_as(&cookie, format!("{}/rpc/live", s.base)).await;
    assert_eq!(live.status(), 200);
    let live = tokio::spawn(async move {
        while live.chunk().await?.is_some() {}
        Ok::<_, reqwest::Error>(())
    });
    let add_cluster = |name: &'static str, delay_secs: &'static str| {
        std::fs::write(&delay, delay_secs).unwrap();
        let before = std::fs::read_to_string(&calls)
            .unwrap_or_default()
            .lines()
            .count();
        let answer = tokio::spawn(
            reqwest::Client::new()
                .post(format!("{}/rpc/add_cluster", s.base))
                .header("cookie", &cookie)
                .form(&[
                    ("name", name),
                    ("host", "gluster1.example"),
                    ("connection", "local"),
                ])
                .send(),
        );
        // the call has reached gluster (the fake noted it)
        while std::fs::read_to_string(&calls)
            .unwrap_or_default()
            .lines()
            .count()
            == before
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        answer
    };
    let quick = add_cluster("quick", "3");
    let hung = add_cluster("hung", "30");

    let stopped_at = Instant::now();
    assert_eq!(
        unsafe { libc::kill(s.served.child.id() as i32, libc::SIGTERM) },
        0
    );
    let status = loop {
        if let Some(status) = s.served.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopped_at.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status}");
    live.await
        .unwrap()
        .expect("the live stream ended, not broken");
    // the quick call finished and was answered: gluster's error (502), not a dropped connection
    let r = quick.await.unwrap().expect("answered");
    assert_eq!(r.status(), 502);
    assert!(r.text().await.unwrap().contains("fake: no pool"));
    // the hung one was cut at the grace: no answer
    assert!(hung.await.unwrap().is_err());
}
