//! The hostile-input corpus (`server/tests/corpus/`, format in its README) against the real
//! binary, the real SQLite file and the real gluster lab: every case gets a 4xx `<fault>` —
//! never a 5xx, a panic or a hang — and afterwards SQLite (but for the audit trail's
//! refusals) and gluster (`volume info`, the geo-replication sessions, the lab session's
//! config) are as they were before the first case.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use georep::api::docs::{Clusters, FaultDoc, Sessions, Volumes};
use reqwest::{Method, StatusCode};

use crate::common;
use common::{host, lab_lock_async};

const ADMIN_PW: &str = "corpus-admin-1";
const VIEWER_PW: &str = "corpus-viewer-1";

#[derive(Debug)]
struct Case {
    name: String,
    method: String,
    path: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    expect: Option<u16>,
}

/// The values the placeholders stand for.
struct Ids {
    cluster: String,
    volume: String,
    session: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// `{{repeat N TEXT}}` and `{{hex ..}}` expanded, into bytes.
fn expand_macros(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        out.extend_from_slice(&rest.as_bytes()[..at]);
        let end = rest[at..].find("}}").expect("unclosed {{") + at;
        // `{{repeat 3 }}}` is "}" three times
        let end = if rest[end + 2..].starts_with('}') {
            end + 1
        } else {
            end
        };
        let inner = &rest[at + 2..end];
        if let Some(r) = inner.strip_prefix("repeat ") {
            let (n, what) = r.split_once(' ').expect("repeat N TEXT");
            let n: usize = n.parse().expect("repeat count");
            out.extend_from_slice(what.repeat(n).as_bytes());
        } else if let Some(h) = inner.strip_prefix("hex ") {
            out.extend(
                h.split_whitespace()
                    .map(|b| u8::from_str_radix(b, 16).expect("hex byte")),
            );
        } else {
            panic!("unknown macro {{{{{inner}}}}}");
        }
        rest = &rest[end + 2..];
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

fn placeholders(text: &str, ids: &Ids) -> String {
    text.replace(
        "{V}",
        &format!(
            "/api/clusters/{}/glustervolumes/{}",
            ids.cluster, ids.volume
        ),
    )
    .replace(
        "{S}",
        &format!(
            "/api/clusters/{}/glustervolumes/{}/georeplication-sessions/{}",
            ids.cluster, ids.volume, ids.session
        ),
    )
    .replace("{C}", &ids.cluster)
    .replace("{VID}", &ids.volume)
    .replace("{SID}", &ids.session)
    .replace("{HOST}", &host())
    .replace("{UUID}", &uuid::Uuid::new_v4().to_string())
}

/// The `*.cases` files, in name order.
fn load_cases(ids: &Ids) -> Vec<Case> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cases"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        for chunk in text.split("\n=== ").map(|c| c.trim_start_matches("=== ")) {
            let mut lines = chunk.split('\n');
            let name = format!("{stem}: {}", lines.next().unwrap());
            let (method, path) = lines
                .next()
                .and_then(|l| l.split_once(' '))
                .unwrap_or_else(|| panic!("{name}: no METHOD PATH line"));
            let mut headers = Vec::new();
            let expect = loop {
                let line = lines
                    .next()
                    .unwrap_or_else(|| panic!("{name}: no expect line"));
                if let Some(e) = line.strip_prefix("expect ") {
                    break e.trim().parse::<u16>().ok();
                }
                let (k, v) = line.split_once(':').expect("Header: value");
                headers.push((
                    k.trim().to_owned(),
                    expand_macros(&placeholders(v.trim(), ids)),
                ));
            };
            let body = lines.collect::<Vec<_>>().join("\n");
            let body = body.trim_end_matches('\n');
            cases.push(Case {
                name,
                method: method.to_owned(),
                path: String::from_utf8(expand_macros(&placeholders(path, ids))).unwrap(),
                headers,
                body: expand_macros(&placeholders(body, ids)),
                expect,
            });
        }
    }
    cases
}

/// `\t \n \r \0 \\ \u{…}` in a names.list line.
fn unescape(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            other => panic!("bad escape \\{other:?} in {line}"),
        }
    }
    out
}

fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Each hostile name as the host, the volume and the user of a create, in XML and JSON.
fn name_cases(ids: &Ids) -> Vec<Case> {
    let text = std::fs::read_to_string(corpus_dir().join("names.list")).unwrap();
    let create = placeholders("{V}/georeplication-sessions", ids);
    let mut cases = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let name = String::from_utf8(expand_macros(&unescape(line))).unwrap();
        for field in ["slave_host_name", "slavevolume", "slave_user"] {
            let mut doc = vec![
                ("slave_host_name", host()),
                ("slavevolume", "corpusvol".to_owned()),
            ];
            match doc.iter_mut().find(|(k, _)| *k == field) {
                Some(slot) => slot.1 = name.clone(),
                None => doc.push((field, name.clone())),
            }
            let xml = format!(
                "<georeplication-session>{}</georeplication-session>",
                doc.iter()
                    .map(|(k, v)| format!("<{k}>{}</{k}>", xml_text(v)))
                    .collect::<String>()
            );
            let json = serde_json::to_string(
                &doc.iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::from(v.clone())))
                    .collect::<serde_json::Map<_, _>>(),
            )
            .unwrap();
            for (ct, body) in [("application/xml", xml), ("application/json", json)] {
                cases.push(Case {
                    name: format!("names: {line:?} as {field} ({ct})"),
                    method: "POST".into(),
                    path: create.clone(),
                    headers: vec![("Content-Type".into(), ct.as_bytes().to_vec())],
                    body: body.into_bytes(),
                    expect: Some(400),
                });
            }
        }
    }
    cases
}

/// Tables the corpus may change: the audit trail (refusals are recorded), the failed logins
/// it makes (the back-off's counts) and what the health scheduler writes on its own (its first
/// evaluation lands a few seconds after start).
const BACKGROUND: [&str; 5] = [
    "events",
    "login_failures",
    "session_health",
    "brick_health",
    "lag_samples",
];

/// A session's per-brick rows, by key only: their counters and times are gluster's live
/// readings, which a read of the cluster renews (creating on the slave of an existing session
/// re-reads the cluster before refusing, so that a session deleted with the CLI is not taken
/// for present). Which rows exist must not change.
const OBSERVED: &str = "INSERT INTO gluster_georep_session_details VALUES(";

/// Every table but those, as `sqlite3 .dump` writes it.
fn db_snapshot(db: &Path) -> String {
    let out = std::process::Command::new("sqlite3")
        .arg("-readonly")
        .arg(db)
        .arg(".dump")
        .output()
        .expect("sqlite3 (scripts/setup.sh installs it)");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            !BACKGROUND.iter().any(|t| {
                l.starts_with(&format!("INSERT INTO {t} "))
                    || l.starts_with(&format!("INSERT INTO sqlite_sequence VALUES('{t}'"))
            })
        })
        .map(|l| match l.strip_prefix(OBSERVED) {
            Some(values) => {
                let key: Vec<&str> = values.splitn(3, ',').take(2).collect();
                format!("{OBSERVED}{}, ...)", key.join(","))
            }
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the corpus must not change in gluster: the lab volumes' info, the sessions of the
/// master volume (who replicates to where, not their changing counters), the session's config.
fn gluster_snapshot() -> String {
    let (_, info) = common::gluster(&["volume", "info", "mastervol"]);
    let (_, slave) = common::gluster(&["volume", "info", "slavevol"]);
    let (_, status) = common::gluster(&["volume", "geo-replication", "mastervol", "status"]);
    let sessions: std::collections::BTreeSet<String> = status
        .lines()
        .filter(|l| l.contains("ssh://"))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            format!("{} {} {}", w[1], w[3], w[4])
        })
        .collect();
    let slave_spec = format!("{}::slavevol", host());
    let (_, config) = common::gluster(&[
        "volume",
        "geo-replication",
        "mastervol",
        &slave_spec,
        "config",
    ]);
    format!("{info}\n{slave}\n{sessions:?}\n{config}")
}

/// Equal, or a failure that shows the lines that differ.
fn assert_same(what: &str, before: &str, after: &str) {
    let old: std::collections::BTreeSet<&str> = before.lines().collect();
    let new: std::collections::BTreeSet<&str> = after.lines().collect();
    let gone: Vec<_> = old.difference(&new).collect();
    let added: Vec<_> = new.difference(&old).collect();
    assert!(
        before == after,
        "{what} changed:\n- {gone:#?}\n+ {added:#?}"
    );
}

async fn get<T: serde::de::DeserializeOwned>(base: &str, path: &str) -> T {
    let text = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .basic_auth("admin", Some(ADMIN_PW))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    quick_xml::de::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_corpus_gets_faults_and_changes_nothing() {
    let _lab = lab_lock_async().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    let store = georep::store::Store::open(&db).await.unwrap();
    let service = georep::service::Service::new(
        store.clone(),
        georep::gluster::Gluster::new("gluster", Duration::from_secs(30)),
    );
    common::register_lab(&service).await;
    use georep::service::auth::Role;
    for (name, role, pw) in [
        ("admin", Role::Admin, ADMIN_PW),
        ("viewer", Role::Viewer, VIEWER_PW),
    ] {
        service.add_user(name, role, Some(pw.into())).await.unwrap();
    }
    drop(service);
    store.close().await;
    // no background work during the corpus: one sync at start, then none for an hour
    let served = common::serve(
        &db,
        &[],
        &[
            "--sync-interval",
            "3600",
            "--probe-interval",
            "0",
            "--lag-sample-interval",
            "3600",
        ],
        ADMIN_PW,
    );
    let base = served.base.clone();
    let clusters: Clusters = get(&base, "/api/clusters").await;
    let cluster = clusters
        .clusters
        .first()
        .unwrap_or_else(|| panic!("no cluster: {:?}", served.log.lock().unwrap()))
        .id
        .to_string();
    // the start-up sync reads the lab
    let mut volume = None;
    for _ in 0..120 {
        let volumes: Volumes = get(&base, &format!("/api/clusters/{cluster}/glustervolumes")).await;
        volume = volumes
            .volumes
            .iter()
            .find(|v| v.name == "mastervol")
            .map(|v| v.id.to_string());
        if volume.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let volume = volume.expect("the lab's mastervol");
    let sessions: Sessions = get(
        &base,
        &format!("/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions"),
    )
    .await;
    let session = sessions
        .sessions
        .iter()
        .find(|s| s.slavevolume == "slavevol")
        .expect("the lab session mastervol -> slavevol");
    // the state cases need a session that cannot be started, resumed or deleted
    assert!(
        [
            "active",
            "passive",
            "initializing",
            "partial_faulty",
            "faulty",
            "paused"
        ]
        .contains(&session.status.as_str()),
        "the lab session is {}; run scripts/gluster-lab.sh up",
        session.status
    );
    let ids = Ids {
        cluster,
        volume,
        session: session.id.to_string(),
    };
    let mut cases = load_cases(&ids);
    cases.extend(name_cases(&ids));
    assert!(cases.len() >= 200, "{} cases", cases.len());

    // the browser logins the /rpc cases use (made before the "before" snapshot: they are rows)
    let login = |name: &'static str, pw: &'static str| {
        let base = base.clone();
        async move {
            let resp = reqwest::Client::new()
                .post(format!("{base}/rpc/login"))
                .form(&[("name", name), ("password", pw)])
                .send()
                .await
                .unwrap();
            assert!(
                resp.status().is_success(),
                "login {name}: {}",
                resp.status()
            );
            let cookie = resp
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|v| v.split(';').next().filter(|c| c.contains('=')))
                .expect("a session cookie")
                .to_owned();
            cookie
        }
    };
    let admin_cookie = login("admin", ADMIN_PW).await;
    let viewer_cookie = login("viewer", VIEWER_PW).await;

    // settled: the start-up sync has written everything it will
    let mut before = db_snapshot(&db);
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = db_snapshot(&db);
        if now == before {
            break;
        }
        before = now;
    }
    let gluster_before = gluster_snapshot();
    let sqlite = |sql: &str| {
        let out = std::process::Command::new("sqlite3")
            .arg("-readonly")
            .arg(&db)
            .arg(sql)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let last_event = sqlite("SELECT coalesce(max(id), 0) FROM events");

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    for case in &cases {
        let method = Method::from_bytes(case.method.as_bytes()).unwrap();
        let mut req = http.request(method, format!("{base}{}", case.path));
        let mut auth = "admin";
        for (k, v) in &case.headers {
            if k == "X-Corpus-Auth" {
                auth = match v.as_slice() {
                    b"viewer" => "viewer",
                    b"admin" => "admin",
                    b"cookie" => "cookie",
                    b"cookie-viewer" => "cookie-viewer",
                    _ => "none",
                };
                continue;
            }
            req = req.header(
                k.as_str(),
                reqwest::header::HeaderValue::from_bytes(v).unwrap(),
            );
        }
        req = match auth {
            "admin" => req.basic_auth("admin", Some(ADMIN_PW)),
            "viewer" => req.basic_auth("viewer", Some(VIEWER_PW)),
            "cookie" => req.header("cookie", &admin_cookie),
            "cookie-viewer" => req.header("cookie", &viewer_cookie),
            _ => req,
        };
        if !case.body.is_empty() {
            req = req.body(case.body.clone());
        }
        let t0 = Instant::now();
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: no answer: {e}", case.name));
                continue;
            }
        };
        let status = resp.status();
        let json = resp
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let text = resp.text().await.unwrap_or_default();
        if t0.elapsed() > slowest.0 {
            slowest = (t0.elapsed(), case.name.clone());
        }
        // a server function's error is the JSON `AppError` its client decodes
        let is_fault = if case.path.starts_with("/rpc/") {
            serde_json::from_str::<app::error::AppError>(&text).is_ok()
        } else if json {
            serde_json::from_str::<serde_json::Value>(&text)
                .is_ok_and(|v| v["reason"].is_string() && v["detail"].is_string())
        } else {
            quick_xml::de::from_str::<FaultDoc>(&text).is_ok()
        };
        let expected = case
            .expect
            .map_or(status.is_client_error(), |e| status.as_u16() == e);
        if !(status.is_client_error() && expected && is_fault) {
            failures.push(format!(
                "{}: {status} (expected {}): {}",
                case.name,
                case.expect.map_or("4xx".into(), |e| e.to_string()),
                text.chars().take(300).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} hostile cases: all 4xx faults; slowest {:?} ({})",
        cases.len(),
        slowest.0,
        slowest.1
    );

    // nothing changed but the audit trail's refusals
    assert_same("SQLite", &before, &db_snapshot(&db));
    assert_same("gluster", &gluster_before, &gluster_snapshot());
    let results = sqlite(&format!(
        "SELECT result, action, count(*) FROM events WHERE id > {last_event} GROUP BY 1, 2"
    ));
    // refusals, and the health scheduler's own findings; no action ran
    assert!(
        results
            .lines()
            .all(|l| l.starts_with("refused|") || l.starts_with("detected|health|")),
        "events other than refusals: {results}"
    );
    let panicked = served
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("panicked"));
    assert!(!panicked, "a panic");
    assert_eq!(
        reqwest::get(format!("{base}/healthz"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
