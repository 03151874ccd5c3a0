//! The seed's flow through HTTP only, on the real binary and the real lab: list → create
//! (201 + Location) → detail with two session_detail rows → options → set `sync_jobs` →
//! command options refused, then (server restarted allowing them) a `--` value set and reset →
//! start → pause → resume → stop → delete, each answer compared with what gluster says. On
//! its own fresh slave volume (`slavevol4`); the lab's main session is never touched.
use std::process::Command;
use std::time::{Duration, Instant};

use georep::api::docs::*;
use reqwest::{Method, StatusCode};

use crate::common;
use common::{georep, host, lab_lock_async, lab_script, session_option};

const SLAVE: &str = "slavevol4";
const PW: &str = "lab-admin-pw-1";

use common::gluster_xml as cli;

/// Every `<tag>` value of gluster's status detail for the test session, in order.
fn gluster_values(tag: &str) -> Vec<String> {
    let xml = cli(&[
        "volume",
        "geo-replication",
        "mastervol",
        &format!("{}::{SLAVE}", host()),
        "status",
        "detail",
    ]);
    let open = format!("<{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(str::to_owned)
        .collect()
}

/// `SELECT count(*) …` on the database file, read with the sqlite3 CLI (the server may be gone).
fn sqlite_count(db: &std::path::Path, sql: &str) -> i64 {
    let out = Command::new("sqlite3")
        .arg("-readonly")
        .arg(db)
        .arg(sql)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// `georep serve` over `db` for this test (the lab's CLI can be slow: a 60 s timeout), with
/// `serve_args` after `--sync-interval 2`, and its API.
fn serve(db: &std::path::Path, serve_args: &[&str]) -> (common::Served, Api) {
    let mut args = vec!["--sync-interval", "2"];
    args.extend_from_slice(serve_args);
    let served = common::serve(db, &["--gluster-timeout", "60"], &args, PW);
    let api = Api {
        base: served.base.clone(),
    };
    (served, api)
}

struct Api {
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let mut r = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .basic_auth("admin", Some(PW));
        if let Some(b) = body {
            r = r
                .header("content-type", "application/xml")
                .body(b.to_owned());
        }
        let resp = r.send().await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        (status, headers, resp.text().await.unwrap())
    }

    /// `PUT S/options/KEY` with `<option><value>VALUE</value></option>`.
    async fn put_option(
        &self,
        s: &str,
        key: &str,
        value: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        self.call(
            Method::PUT,
            &format!("{s}/options/{key}"),
            Some(&format!("<option><value>{value}</value></option>")),
        )
        .await
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let (status, _, text) = self.call(Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {text}");
        quick_xml::de::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
    }

    async fn action(&self, s: &str, action: &str) -> ActionDoc {
        let t0 = Instant::now();
        let (status, _, text) = self
            .call(Method::POST, &format!("{s}/{action}"), None)
            .await;
        eprintln!("timing: POST {action}: {} ms", t0.elapsed().as_millis());
        assert_eq!(status, 200, "{action}: {text}");
        let doc: ActionDoc = quick_xml::de::from_str(&text).unwrap();
        assert_eq!(doc.status, "complete");
        doc
    }

    /// A page as the admin's browser gets it (logged in through the login server function).
    async fn page(&self, path: &str) -> String {
        let client = reqwest::Client::new();
        let login = client
            .post(format!("{}/rpc/login", self.base))
            .header("accept", "application/json")
            .form(&[("name", "admin"), ("password", PW)])
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200, "login");
        let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
        let resp = client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie.split(';').next().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.text().await.unwrap()
    }

    /// Refreshes until the session's status is one of `want`.
    async fn wait_status(&self, s: &str, want: &[&str], budget: Duration) -> SessionDoc {
        let t0 = Instant::now();
        loop {
            let _ = self.call(Method::POST, &format!("{s}/refresh"), None).await;
            let doc: SessionDoc = self.get(s).await;
            if want.contains(&doc.status.as_str()) {
                return doc;
            }
            assert!(
                t0.elapsed() < budget,
                "not {want:?} within {budget:?}: {}",
                doc.status
            );
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_flow_through_http() {
    let _lab = lab_lock_async().await;
    let h = host();
    lab_script(&["volume", SLAVE, "--fresh"]);
    let _cleanup = common::DeleteVolume(SLAVE);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    let out = georep(&db)
        .args(["cluster", "add", "--name", "lab", "--host", &h])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // no scheduled probes here either: this server would probe the lab's main session, and
    // killed (restarted below) after the probe set its checkpoint but before it recorded it,
    // the next server would find a checkpoint "changed outside georep"
    let (served, api) = serve(&db, &["--probe-interval", "0"]);

    // the first sync brings the lab's volumes
    let clusters: Clusters = api.get("/api/clusters").await;
    let cluster = clusters
        .clusters
        .into_iter()
        .find(|c| c.name == "lab")
        .expect("lab");
    let t0 = Instant::now();
    let (master, slave) = loop {
        let vols: Volumes = api.get(&format!("{}/glustervolumes", cluster.href)).await;
        let find = |n: &str| {
            vols.volumes
                .iter()
                .find(|v| v.name == n)
                .map(|v| (v.href.clone(), v.bricks.bricks.len()))
        };
        if let (Some(m), Some(s)) = (find("mastervol"), find(SLAVE)) {
            break (m, s);
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "volumes not synced");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!((master.1, slave.1), (2, 1), "bricks as gluster has them");
    let list: Sessions = api
        .get(&format!("{}/georeplication-sessions", master.0))
        .await;
    assert!(
        list.sessions.iter().any(|s| s.slavevolume == "slavevol"),
        "the lab's session is listed"
    );
    assert!(list.sessions.iter().all(|s| s.slavevolume != SLAVE));

    // create (forced: the lab's slave shares the master's pool and is smaller) → 201 + Location
    let body = format!(
        "<georeplication-session><slave_host_name>{h}</slave_host_name><slavevolume>{SLAVE}</slavevolume><force>true</force></georeplication-session>"
    );
    let t0 = Instant::now();
    let (status, headers, text) = api
        .call(
            Method::POST,
            &format!("{}/georeplication-sessions", master.0),
            Some(&body),
        )
        .await;
    eprintln!("timing: POST create: {} ms", t0.elapsed().as_millis());
    assert_eq!(status, 201, "{text}");
    let created: SessionDoc = quick_xml::de::from_str(&text).unwrap();
    let s = headers["location"].to_str().unwrap().to_owned();
    assert_eq!(s, created.href);
    assert_eq!(
        (created.status.as_str(), created.slavevolume.as_str()),
        ("created", SLAVE)
    );

    // the detail: one row per master brick, as gluster reports them
    let detail: SessionDoc = api.get(&s).await;
    let rows = detail.session_details.expect("details").details;
    assert_eq!(rows.len(), 2);
    let dirs: Vec<_> = rows
        .iter()
        .map(|r| r.brick.brick_dir.clone().unwrap())
        .collect();
    let mut gluster_dirs = gluster_values("primary_brick");
    gluster_dirs.sort();
    let mut sorted = dirs.clone();
    sorted.sort();
    assert_eq!(sorted, gluster_dirs);
    assert!(rows.iter().all(|r| r.status == "created"), "{rows:?}");
    assert_eq!(gluster_values("status"), ["Created", "Created"]);
    assert!(
        detail.session_key.contains(&format!("::{SLAVE}:")),
        "{}",
        detail.session_key
    );

    // options, then sync_method tarssh (Debian's rsync, see the lab script) and sync_jobs 5
    let options: Options = api.get(&format!("{s}/options")).await;
    let jobs = options
        .options
        .iter()
        .find(|o| o.key == "sync_jobs")
        .expect("sync_jobs");
    assert_eq!(
        Some(jobs.value.clone()),
        session_option(SLAVE, "sync_jobs"),
        "{}",
        cli(&[
            "volume",
            "geo-replication",
            "mastervol",
            &format!("{}::{SLAVE}", host()),
            "config"
        ])
    );
    for (key, value) in [("sync_method", "tarssh"), ("sync_jobs", "5")] {
        let (status, _, text) = api.put_option(&s, key, value).await;
        assert_eq!(status, 200, "{text}");
        let o: OptionDoc = quick_xml::de::from_str(&text).unwrap();
        assert_eq!(o.value, value);
        assert_eq!(session_option(SLAVE, key).as_deref(), Some(value));
    }
    let o: OptionDoc = api.get(&format!("{s}/options/sync_jobs")).await;
    assert_eq!(o.value, "5");
    assert!(!o.command_option && o.refused_reason.is_none(), "{o:?}");

    // command options (what gsyncd runs as root) are refused without the server's setting:
    // a 403 that names it, and gluster's own value unchanged
    for (key, value) in [
        ("ssh_options", "-oProxyCommand=/tmp/x"),
        // gluster itself only checks that it is an executable
        ("ssh_command", "/usr/bin/env"),
        ("rsync_options", "--rsh=/tmp/x"),
    ] {
        let before = session_option(SLAVE, key);
        let (status, _, text) = api.put_option(&s, key, value).await;
        assert_eq!(status, 403, "{key}: {text}");
        assert!(
            text.contains(key) && text.contains("--allow-command-options"),
            "{text}"
        );
        assert_eq!(session_option(SLAVE, key), before, "gluster's {key}");
        let o: OptionDoc = api.get(&format!("{s}/options/{key}")).await;
        assert!(o.command_option && o.refused_reason.is_some(), "{o:?}");
        assert_eq!(Some(o.value), before.or(Some(String::new())));
    }
    // the session page marks them and shows them disabled with the reason (server-rendered)
    let page = api.page(&format!("/sessions/{}", created.id)).await;
    let row = |key: &str| {
        let at = page
            .find(&format!("data-key=\"{key}\""))
            .unwrap_or_else(|| panic!("{key} row on the page"));
        page[at..at + page[at..].find("</tr>").unwrap()].to_owned()
    };
    let ssh = row("ssh_command");
    assert!(
        ssh.contains("data-testid=\"command-option\"")
            && ssh.contains("disabled")
            && ssh.contains("data-testid=\"option-refused\"")
            && ssh.contains("--allow-command-options"),
        "{ssh}"
    );
    let jobs = row("sync_jobs");
    assert!(
        !jobs.contains("command-option") && !jobs.contains("disabled"),
        "{jobs}"
    );
    let events: Events = api.get("/api/events?limit=20").await;
    assert!(
        events.events.iter().any(|e| e.action == "option_set"
            && e.result == "refused"
            && e.target.contains("ssh_options=-oProxyCommand=/tmp/x")),
        "the refusal is audited"
    );

    // the same server allowing command options: a value that starts with `--` is the
    // option's value, not a flag of the gluster CLI (which once took `--log-file` as its own
    // and answered 0 with nothing set); georep answers what gluster's config reads
    drop(served);
    // (no scheduled probes: the probe below is the API's, and a scheduled one meanwhile would
    // make it busy)
    let (served, api) = serve(&db, &["--allow-command-options", "--probe-interval", "0"]);
    let cli_log = dir.path().join("cli.log");
    let value = format!("--log-file={}", cli_log.display());
    let (status, _, text) = api.put_option(&s, "rsync_options", &value).await;
    assert_eq!(status, 200, "{text}");
    let o: OptionDoc = quick_xml::de::from_str(&text).unwrap();
    assert_eq!(
        session_option(SLAVE, "rsync_options").as_deref(),
        Some(value.as_str())
    );
    assert_eq!(o.value, value);
    assert!(o.command_option && o.refused_reason.is_none(), "{o:?}");
    assert!(
        !cli_log.exists(),
        "the gluster CLI took the value as its --log-file"
    );
    let events: Events = api.get("/api/events?limit=5").await;
    let set = events
        .events
        .iter()
        .find(|e| e.action == "option_set" && e.result == "ok")
        .expect("the set is audited");
    let audited = format!("command option rsync_options: \"\" -> {value:?}");
    assert!(
        set.message
            .as_deref()
            .is_some_and(|m| m.starts_with(&audited)),
        "old and new value: {:?}",
        set.message
    );
    let (status, _, text) = api
        .call(Method::DELETE, &format!("{s}/options/rsync_options"), None)
        .await;
    assert_eq!(status, 200, "{text}");
    let o: OptionDoc = quick_xml::de::from_str(&text).unwrap();
    assert_eq!(
        Some(o.value),
        session_option(SLAVE, "rsync_options").or(Some(String::new()))
    );
    assert_ne!(
        session_option(SLAVE, "rsync_options").as_deref(),
        Some(value.as_str())
    );

    // a client that goes away while its option set runs (a closed tab, a client's timeout):
    // the set still ends on gluster, georep stores it and audits it as the admin's, and the
    // sync does not report it as a change made outside georep
    let sets = |events: &Events| {
        events
            .events
            .iter()
            .filter(|e| e.actor == "admin" && e.action == "option_set" && e.result == "ok")
            .count()
    };
    let sets_before = sets(&api.get("/api/events?limit=50").await);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let gone = impatient
        .put(format!("{}{s}/options/sync_jobs", api.base))
        .basic_auth("admin", Some(PW))
        .header("content-type", "application/xml")
        .body("<option><value>4</value></option>")
        .send()
        .await;
    assert!(gone.is_err(), "the client left before the answer: {gone:?}");
    let t0 = Instant::now();
    loop {
        let events: Events = api.get("/api/events?limit=50").await;
        let audited = sets(&events) == sets_before + 1;
        if audited && session_option(SLAVE, "sync_jobs").as_deref() == Some("4") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the abandoned set did not finish: gluster has {:?}, events {:?}",
            session_option(SLAVE, "sync_jobs"),
            events.events
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let o: OptionDoc = api.get(&format!("{s}/options/sync_jobs")).await;
    assert_eq!(o.value, "4", "stored as gluster has it");
    // two sync cycles later, still no "changed outside georep"
    tokio::time::sleep(Duration::from_secs(5)).await;
    let events: Events = api.get("/api/events?limit=50").await;
    assert!(
        !events
            .events
            .iter()
            .any(|e| e.actor == "sync" && e.action == "option_changed"),
        "{:?}",
        events.events
    );

    // start (push-pem's hook needs a few seconds first), then active as gluster says
    tokio::time::sleep(Duration::from_secs(3)).await;
    let started = api.action(&s, "start").await;
    let st = started.session.expect("session").status;
    assert!(st == "initializing" || st == "active", "{st}");
    let t0 = Instant::now();
    api.wait_status(&s, &["active"], Duration::from_secs(90))
        .await;
    eprintln!("timing: start -> active: {:?}", t0.elapsed());
    assert!(gluster_values("status").contains(&"Active".to_owned()));

    // georep's verdict through REST: a probe (a real checkpoint on gluster, then a change on
    // the master) answers its report, and the session's health holds it as its last probe
    let probed = api.action(&s, "probe").await;
    let report = probed.probe.expect("the probe's report");
    assert!(
        ["passed", "inconclusive"].contains(&report.result.as_str()),
        "a new session is not stalled: {report:?}"
    );
    if report.checkpoint.is_some() {
        assert!(
            gluster_values("checkpoint_time")
                .iter()
                .any(|t| !t.is_empty() && t != "N/A"),
            "the probe's checkpoint is on gluster"
        );
    }
    let health: HealthDoc = api.get(&format!("{s}/health")).await;
    assert_eq!(
        health.last_probe.as_ref().map(|p| p.result.as_str()),
        Some(report.result.as_str()),
        "{health:?}"
    );
    if report.result == "passed" {
        assert_eq!(health.state, "healthy", "{health:?}");
    } else {
        assert_ne!(
            health.state, "healthy",
            "only a passed probe makes it healthy: {health:?}"
        );
    }
    let detail: SessionDoc = api.get(&s).await;
    assert_eq!(detail.health.as_ref(), Some(&health));

    let paused = api.action(&s, "pause").await;
    assert_eq!(paused.session.unwrap().status, "paused");
    assert!(gluster_values("status").iter().all(|x| x == "Paused"));
    let (status, _, text) = api.call(Method::POST, &format!("{s}/pause"), None).await;
    assert_eq!(status, 409, "pausing a paused session: {text}");
    let resumed = api.action(&s, "resume").await;
    assert_ne!(resumed.session.unwrap().status, "paused");
    let stopped = api.action(&s, "stop").await;
    assert_eq!(stopped.session.unwrap().status, "stopped");
    assert!(gluster_values("status").iter().all(|x| x == "Stopped"));

    // SIGTERM right after a client left its option set: the server ends the set on gluster
    // and records it before it exits, and exits within 10 s (a server of its own without
    // scheduled probes: a probe's checkpoint would hold glusterd's lock meanwhile)
    drop(served);
    let (served, api) = serve(&db, &["--probe-interval", "0"]);
    // (its login checked once: argon2 in a debug build takes longer than the client waits)
    let o: OptionDoc = api.get(&format!("{s}/options/sync_jobs")).await;
    assert_eq!(o.value, "4");
    let events_before = sqlite_count(
        &db,
        "SELECT count(*) FROM events WHERE action = 'option_set' AND result = 'ok'",
    );
    let gone = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
        .put(format!("{}{s}/options/sync_jobs", api.base))
        .basic_auth("admin", Some(PW))
        .header("content-type", "application/xml")
        .body("<option><value>2</value></option>")
        .send()
        .await;
    assert!(gone.is_err(), "the client left before the answer: {gone:?}");
    let mut served = served;
    let t0 = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let exit = loop {
        if let Some(st) = served.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM: {:?}",
            served.log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!(
        "timing: SIGTERM with an action under way -> exit: {:?}",
        t0.elapsed()
    );
    let log = served.log.lock().unwrap().join("\n");
    assert!(exit.success(), "{exit:?}: {log}");
    assert_eq!(
        session_option(SLAVE, "sync_jobs").as_deref(),
        Some("2"),
        "{log}"
    );
    assert_eq!(
        sqlite_count(
            &db,
            "SELECT count(*) FROM events WHERE action = 'option_set' AND result = 'ok'"
        ),
        events_before + 1,
        "the set is audited before the exit"
    );
    drop(served);
    let (_served, api) = serve(&db, &[]);

    let (status, _, text) = api.call(Method::DELETE, &s, None).await;
    assert_eq!(status, 204, "{text}");
    let (status, _, _) = api.call(Method::GET, &s, None).await;
    assert_eq!(status, 404);
    assert!(gluster_values("status").is_empty(), "gone from gluster");

    let events: Events = api.get("/api/events?limit=50").await;
    let mine: Vec<_> = events
        .events
        .iter()
        .filter(|e| e.actor == "admin" && e.result == "ok")
        .map(|e| e.action.as_str())
        .collect();
    for a in [
        "create",
        "option_set",
        "start",
        "pause",
        "resume",
        "stop",
        "delete",
    ] {
        assert!(mine.contains(&a), "{a} audited as admin: {mine:?}");
    }
}
