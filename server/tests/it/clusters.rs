//! Clusters registered, edited and removed through REST and the CLI, and the session lists
//! with their filters, on the real binary and the real single-machine lab
//! (`scripts/gluster-lab.sh up`): georep's gluster is a spy around the real CLI that notes
//! every call and then runs it, so a removal can be shown to call gluster not at all. What
//! georep lists is compared with what gluster itself says (`--xml volume geo-replication
//! status`), and after a forced removal gluster still has the session and its volumes. The
//! one fault the spy plays itself is a hung `pause` (real gluster cannot be made to hang).
//! Read-only on the lab, but under its lock: a test that changes the lab meanwhile would
//! change the statuses compared here. The CLI test works on a seeded database, no gluster.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use georep::api::docs::*;
use georep::store;
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use crate::common::{self, host, lab_lock_async, rest::Rest};

const ADMIN_PW: &str = "admin-secret-1";
const VIEWER_PW: &str = "viewer-secret-1";

/// Where the real `gluster` is (`command -v gluster`).
fn real_gluster() -> String {
    let out = std::process::Command::new("sh")
        .args(["-c", "command -v gluster"])
        .output()
        .unwrap();
    let path = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(
        out.status.success() && path.starts_with('/'),
        "no gluster CLI: run scripts/gluster-lab.sh up first"
    );
    path
}

/// A spy around the real gluster: appends its argv to `calls` (beside the script), then
/// runs the real CLI with it. The one fault it plays itself: with `hang` (a file beside
/// it) present, a `pause` sleeps and fails WITHOUT reaching gluster, as a hung gluster
/// would (real gluster cannot be made to hang, and the lab's session must not be paused).
fn spy_gluster() -> String {
    format!(
        r#"#!/bin/sh
here=$(dirname "$0")
echo "$*" >> "$here/calls"
case "$*" in
  *" pause"*) if [ -f "$here/hang" ]; then sleep 20; exit 1; fi ;;
esac
exec {} "$@"
"#,
        real_gluster()
    )
}

/// What gluster says about the lab's session `mastervol -> HOST::slavevol`: each worker's
/// status and `checkpoint_completed` (empty: no such session).
fn lab_workers() -> Vec<(String, String)> {
    let xml = common::gluster_xml(&[
        "volume",
        "geo-replication",
        "mastervol",
        &format!("{}::slavevol", host()),
        "status",
        "detail",
    ]);
    xml.split("<pair>")
        .skip(1)
        .map(|pair| {
            let tag = |t: &str| {
                pair.split(&format!("<{t}>"))
                    .nth(1)
                    .and_then(|v| v.split('<').next())
                    .unwrap_or_default()
                    .to_owned()
            };
            (tag("status"), tag("checkpoint_completed"))
        })
        .collect()
}

/// The geo-replication sessions gluster knows on the lab, as (master volume, slave volume).
fn lab_sessions() -> Vec<(String, String)> {
    let xml = common::gluster_xml(&["volume", "geo-replication", "status"]);
    let mut all = Vec::new();
    for volume in xml.split("<volume>").skip(1) {
        let master = volume
            .split("<name>")
            .nth(1)
            .and_then(|v| v.split('<').next())
            .unwrap_or_default();
        for session in volume.split("<session_secondary>").skip(1) {
            // UUID:ssh://HOST::SLAVE:UUID
            let id = session.split('<').next().unwrap_or_default();
            let slave = id
                .split("::")
                .nth(1)
                .and_then(|v| v.split(':').next())
                .unwrap_or_default();
            all.push((master.to_owned(), slave.to_owned()));
        }
    }
    all
}

/// Waits (bounded) until gluster says every worker of the lab's session is Active: a worker
/// restarted by an earlier lab test is Faulty or Initializing for a while.
async fn lab_active() -> Vec<(String, String)> {
    let t0 = Instant::now();
    loop {
        let workers = tokio::task::spawn_blocking(lab_workers).await.unwrap();
        if !workers.is_empty() && workers.iter().all(|(s, _)| s == "Active") {
            return workers;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "the lab's session mastervol -> {}::slavevol is not Active: {workers:?} \
             (scripts/gluster-lab.sh up)",
            host()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

struct Server {
    served: common::Served,
    api: Rest,
    dir: tempfile::TempDir,
}

impl Server {
    fn db(&self) -> PathBuf {
        self.dir.path().join("georep.db")
    }

    /// How many times gluster was called so far.
    fn calls(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("calls"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    fn as_viewer(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, format!("{}{path}", self.api.base))
            .basic_auth("viewer", Some(VIEWER_PW))
    }

    /// `<fault>`'s status and detail.
    async fn fault(&self, method: Method, path: &str, body: Option<&str>) -> (u16, String) {
        let a = self.api.call(method, path, body).await;
        let f: FaultDoc = quick_xml::de::from_str(&a.text)
            .unwrap_or_else(|e| panic!("{path} {}: not a fault ({e}): {}", a.status, a.text));
        (a.status, f.detail)
    }

    async fn sessions(&self, path: &str) -> Vec<SessionDoc> {
        self.api.get::<Sessions>(path).await.sessions
    }

    /// Waits until the sync has stored the lab's session `mastervol -> slavevol` on
    /// `cluster`: the cluster's sessions then.
    async fn synced(&self, cluster: &str) -> Vec<SessionDoc> {
        let t0 = Instant::now();
        loop {
            let list = self
                .sessions(&format!("{cluster}/georeplication-sessions"))
                .await;
            if list.iter().any(is_lab_session) {
                return list;
            }
            assert!(t0.elapsed() < Duration::from_secs(60), "never synced");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn spawn(sync_interval: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    common::open_store(&db).await;
    let spy = dir.path().join("gluster");
    common::write_executable(&spy, &spy_gluster());
    // the hung pause must time out well before the spy's sleep ends; real calls stay far
    // below this
    let served = common::serve_apart(
        &db,
        &[
            "--gluster-command",
            spy.to_str().unwrap(),
            "--gluster-timeout",
            "8",
        ],
        &["--sync-interval", sync_interval, "--probe-interval", "0"],
        ADMIN_PW,
    );
    common::add_user(&db, "viewer", "viewer", VIEWER_PW);
    let api = Rest::new(&served.base, ADMIN_PW);
    Server { served, api, dir }
}

/// The lab's own session, `mastervol -> slavevol`.
fn is_lab_session(s: &SessionDoc) -> bool {
    (s.master_volume.name.as_str(), s.slavevolume.as_str()) == ("mastervol", "slavevol")
}

fn cluster_body(fields: &str) -> String {
    format!("<cluster>{fields}</cluster>")
}

#[tokio::test]
async fn clusters_are_registered_edited_and_removed_over_rest() {
    let _lab = lab_lock_async().await;
    let workers = lab_active().await;
    let s = spawn("3600").await;
    let db = s.db();

    // a viewer may not; bad input is refused before gluster is asked
    let body = cluster_body(&format!("<name>site-a</name><host>{}</host>", host()));
    let r = s
        .as_viewer(Method::POST, "/api/clusters")
        .header("content-type", "application/xml")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let before = s.calls();
    for bad in [
        "<name>site a</name><host>vm</host>",
        "<name>site-a</name><host>vm;id</host>",
        "<name>site-a</name><host>vm</host><connection>telnet</connection>",
        "<name>site-a</name><host>vm</host><connection>ssh</connection><ssh_port>0</ssh_port>",
        "<name>site-a</name><host>vm</host><connection>ssh</connection><ssh_port>70000</ssh_port>",
        "<name>site-a</name><host>vm</host><connection>ssh</connection><ssh_port>x</ssh_port>",
        "<name>site-a</name><host>vm</host><connection>ssh</connection><ssh_user>Root</ssh_user>",
        "<name>site-a</name><host>vm</host><ssh_user>geo</ssh_user>",
        "<name>site-a</name><host>vm</host><colour>red</colour>",
        "<host>vm</host>",
    ] {
        let (status, detail) = s
            .fault(Method::POST, "/api/clusters", Some(&cluster_body(bad)))
            .await;
        assert_eq!(status, 400, "{bad}: {detail}");
    }
    assert_eq!(s.calls(), before, "no gluster call for bad input");
    // gluster does not answer there (nothing listens on port 1): 502, nothing stored
    let (status, detail) = s
        .fault(
            Method::POST,
            "/api/clusters",
            Some(&cluster_body(
                "<name>site-x</name><host>127.0.0.1</host><connection>ssh</connection><ssh_port>1</ssh_port>",
            )),
        )
        .await;
    assert_eq!(status, 502, "{detail}");
    assert!(s
        .api
        .get::<Clusters>("/api/clusters")
        .await
        .clusters
        .is_empty());

    // registered: 201, Location, the document; gluster was asked on the host
    let a = s.api.call(Method::POST, "/api/clusters", Some(&body)).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let site_a: ClusterDoc = quick_xml::de::from_str(&a.text).unwrap();
    assert_eq!(a.location.as_deref(), Some(site_a.href.as_str()));
    assert_eq!(
        (
            site_a.name.as_str(),
            site_a.connection.as_str(),
            &site_a.ssh_user
        ),
        ("site-a", "local", &None)
    );
    assert!(s.calls() > before, "gluster was asked first");
    let (status, detail) = s.fault(Method::POST, "/api/clusters", Some(&body)).await;
    assert_eq!(
        (status, detail.contains("already exists")),
        (409, true),
        "{detail}"
    );

    // a cluster georep cannot reach now, over ssh as geo on 2222, without asking gluster
    let a = s
        .api
        .call(
            Method::POST,
            "/api/clusters",
            Some(&cluster_body(
                "<name>site-b</name><description>DR</description><host>192.0.2.10</host>\
                 <connection>ssh</connection><ssh_user>geo</ssh_user><ssh_port>2222</ssh_port>\
                 <verify>false</verify>",
            )),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let site_b: ClusterDoc = quick_xml::de::from_str(&a.text).unwrap();
    assert_eq!(
        (site_b.ssh_user.as_deref(), site_b.ssh_port),
        (Some("geo"), Some(2222))
    );
    let rels: Vec<_> = site_b.links.iter().map(|l| l.rel.as_str()).collect();
    assert_eq!(rels, ["glustervolumes", "hosts", "georeplication-sessions"]);

    // edited: name, ssh port; what is not given stays
    let b = &site_b.href;
    let edited: ClusterDoc = {
        let a = s
            .api
            .call(
                Method::PUT,
                b,
                Some(&cluster_body(
                    "<name>site-c</name><ssh_port>2200</ssh_port><verify>false</verify>",
                )),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        quick_xml::de::from_str(&a.text).unwrap()
    };
    assert_eq!(
        (
            edited.name.as_str(),
            edited.description.as_str(),
            edited.ssh_user.as_deref(),
            edited.ssh_port
        ),
        ("site-c", "DR", Some("geo"), Some(2200))
    );
    let hosts: Hosts = s.api.get(&format!("{b}/hosts")).await;
    let h = &hosts.hosts[0];
    assert_eq!(
        (h.address.as_str(), h.connection.as_str()),
        ("192.0.2.10", "ssh")
    );
    assert_eq!(
        h.ssh_host_keys.as_ref().map(|k| k.fingerprints.len()),
        Some(0),
        "no key recorded: georep never reached it"
    );
    let mut conn = common::open_store(&db).await.conn().await.unwrap();
    let stored = store::hosts_of_cluster(&mut conn, site_b.id.into())
        .await
        .unwrap();
    assert_eq!(
        (stored[0].ssh_user.as_str(), stored[0].ssh_port),
        ("geo", 2200)
    );
    drop(conn);
    for (path, bad, status) in [
        (b.as_str(), "<ssh_port>0</ssh_port>", 400),
        (b.as_str(), "", 400),
        (b.as_str(), "<connection>local</connection>", 400),
        (b.as_str(), "<name>site-a</name>", 409),
        (
            b.as_str(),
            "<host_key><host>node9</host><fingerprint>SHA256:abc</fingerprint></host_key>",
            404,
        ),
        (
            b.as_str(),
            "<host_key><host>192.0.2.10</host><fingerprint>MD5:ab</fingerprint></host_key>",
            400,
        ),
        (site_a.href.as_str(), "<ssh_user>geo</ssh_user>", 400),
    ] {
        let (got, detail) = s.fault(Method::PUT, path, Some(&cluster_body(bad))).await;
        assert_eq!(got, status, "{bad}: {detail}");
    }
    let (status, _) = s
        .fault(
            Method::PUT,
            &format!("/api/clusters/{}", Uuid::new_v4()),
            Some(&cluster_body("<name>x</name>")),
        )
        .await;
    assert_eq!(status, 404);
    let r = s
        .as_viewer(Method::PUT, b)
        .header("content-type", "application/xml")
        .body(cluster_body("<name>v</name>"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // the session lists and their filters, against what gluster and SQLite hold
    let a_sessions = s.synced(&site_a.href).await;
    let gluster_sessions = tokio::task::spawn_blocking(lab_sessions).await.unwrap();
    let mut listed: Vec<_> = a_sessions
        .iter()
        .map(|s| (s.master_volume.name.clone(), s.slavevolume.clone()))
        .collect();
    let mut known = gluster_sessions.clone();
    listed.sort();
    known.sort();
    assert_eq!(listed, known, "georep lists the sessions gluster has");
    let mut conn = common::open_store(&db).await.conn().await.unwrap();
    let row = store::sessions_of_cluster(&mut conn, site_a.id.into())
        .await
        .unwrap();
    drop(conn);
    let one = a_sessions.iter().find(|s| is_lab_session(s)).unwrap();
    let row = row
        .into_iter()
        .find(|r| {
            r.master_volume_id.into_uuid() == one.master_volume.id
                && r.slave_volume_name == "slavevol"
        })
        .expect("the lab's session stored");
    // every worker of the session was Active (gluster, before registering; the lab lock
    // keeps it so): the session is active
    assert_eq!(
        (one.id, one.host, one.status.as_str()),
        (row.session_id.into_uuid(), site_a.id, "active")
    );
    // probes are off (--probe-interval 0): an active session whose checkpoints gluster
    // reports completed (or that has none) has no lag, so it is healthy
    let state = one
        .health
        .as_ref()
        .map(|h| h.state.clone())
        .unwrap_or_default();
    if workers.iter().all(|(_, done)| done != "No") {
        assert_eq!(state, "healthy", "{workers:?}");
    }
    let all = "/api/georeplication-sessions";
    let count = |q: String| {
        let s = &s;
        async move { s.sessions(&q).await.len() }
    };
    // counts as derived from the unfiltered list (all of them the lab's cluster's) and from
    // gluster: the filters must agree with both
    let n = gluster_sessions.len();
    let with = |f: &dyn Fn(&SessionDoc) -> bool| a_sessions.iter().filter(|s| f(s)).count();
    let health_of = |s: &SessionDoc| s.health.as_ref().map(|h| h.state.clone());
    let of_master = gluster_sessions
        .iter()
        .filter(|(m, _)| m == "mastervol")
        .count();
    let to_slave = gluster_sessions
        .iter()
        .filter(|(_, v)| v == "slavevol")
        .count();
    let normal = with(&|s| s.dr_role.is_none());
    assert!(normal >= 1, "the lab's session has the normal role");
    for (query, n) in [
        (String::new(), n),
        ("?status=active".into(), with(&|s| s.status == "active")),
        ("?status=paused".into(), with(&|s| s.status == "paused")),
        (
            format!("?health={state}"),
            with(&|s| health_of(s).as_deref() == Some(&state)),
        ),
        (
            "?health=stalled".into(),
            with(&|s| health_of(s).as_deref() == Some("stalled")),
        ),
        ("?master_volume=mastervol".into(), of_master),
        ("?slave_volume=slavevol".into(), to_slave),
        ("?master_volume=mastervol&slave_volume=slavevol".into(), 1),
        (
            "?master_volume=slavevol".into(),
            gluster_sessions
                .iter()
                .filter(|(m, _)| m == "slavevol")
                .count(),
        ),
        ("?dr_role=normal".into(), normal),
        (
            "?dr_role=failed_over".into(),
            with(&|s| s.dr_role.as_deref() == Some("failed_over")),
        ),
        (format!("?cluster={}", site_a.id), n),
        (format!("?cluster={}", site_b.id), 0),
        (
            format!("?status=active&health={state}&dr_role=normal&slave_volume=slavevol"),
            with(&|s| {
                s.status == "active"
                    && health_of(s).as_deref() == Some(&state)
                    && s.dr_role.is_none()
                    && s.slavevolume == "slavevol"
            }),
        ),
    ] {
        assert_eq!(count(format!("{all}{query}")).await, n, "{query}");
    }
    let lab_listed = |q: &'static str| {
        let s = &s;
        let id = one.id;
        async move { s.sessions(q).await.iter().any(|x| x.id == id) }
    };
    assert!(lab_listed("/api/georeplication-sessions?status=active").await);
    assert!(!lab_listed("/api/georeplication-sessions?status=paused").await);
    // the sessions page's URL (its form sends every field, the empty ones too) lists the same
    assert!(
        lab_listed("/api/georeplication-sessions?health=&status=active&cluster=&master_volume=mastervol&slave_volume=&dr_role=")
            .await
    );
    assert!(
        lab_listed("/api/georeplication-sessions?master_volume=mastervol&slave_volume=slavevol")
            .await
    );
    assert_eq!(
        count(format!(
            "{}/georeplication-sessions?status=active",
            site_a.href
        ))
        .await,
        with(&|s| s.status == "active")
    );
    assert_eq!(count(format!("{b}/georeplication-sessions")).await, 0);
    for query in [
        "status=ACTIVE",
        "status=bogus",
        "health=green",
        "dr_role=primary",
        "cluster=not-a-uuid",
        "colour=red",
        "master_volume=a/b",
    ] {
        let (status, detail) = s.fault(Method::GET, &format!("{all}?{query}"), None).await;
        assert_eq!(status, 400, "{query}: {detail}");
    }
    let (status, _) = s
        .fault(
            Method::GET,
            &format!("{b}/georeplication-sessions?cluster={}", site_a.id),
            None,
        )
        .await;
    assert_eq!(status, 400, "the path names the cluster");
    let (status, _) = s
        .fault(
            Method::GET,
            &format!("/api/clusters/{}/georeplication-sessions", Uuid::new_v4()),
            None,
        )
        .await;
    assert_eq!(status, 404);
    // JSON holds the same list
    let json: serde_json::Value = reqwest::Client::new()
        .get(format!("{}{all}?status=active", s.api.base))
        .basic_auth("viewer", Some(VIEWER_PW))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["georeplication-session"][0]["id"], one.id.to_string());

    // removal: refused while an action runs on its session, then asks about the session,
    // then forgets it all without a gluster call
    let se = &one.href;
    // the pause is the spy's one played fault: it hangs and never reaches gluster (real
    // gluster cannot be made to hang, and the lab's session stays as it is)
    std::fs::write(s.dir.path().join("hang"), "").unwrap();
    let pause = tokio::spawn({
        let (base, se) = (s.api.base.clone(), se.clone());
        async move {
            Rest::new(&base, ADMIN_PW)
                .call(Method::POST, &format!("{se}/pause"), None)
                .await
                .status
        }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (status, detail) = s
        .fault(Method::DELETE, &format!("{}?force=true", site_a.href), None)
        .await;
    assert_eq!(status, 409, "{detail}");
    assert!(detail.contains("pause by admin"), "{detail}");
    assert_eq!(pause.await.unwrap(), 504, "the hung pause timed out");
    std::fs::remove_file(s.dir.path().join("hang")).unwrap();
    let r = s
        .as_viewer(Method::DELETE, &site_a.href)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, detail) = s.fault(Method::DELETE, &site_a.href, None).await;
    assert_eq!(status, 409);
    assert!(
        detail.contains(&format!("{n} geo-replication session(s)")) && detail.contains("force"),
        "{detail}"
    );
    assert_eq!(count(all.into()).await, n, "nothing removed");
    let before = s.calls();
    let a = s
        .api
        .call(Method::DELETE, &format!("{}?force=true", site_a.href), None)
        .await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert_eq!(s.calls(), before, "removing called gluster");
    let (status, _) = s.fault(Method::GET, &site_a.href, None).await;
    assert_eq!(status, 404);
    assert_eq!(count(all.into()).await, 0);
    let mut conn = common::open_store(&db).await.conn().await.unwrap();
    for table in [
        "hosts",
        "gluster_volumes",
        "gluster_georep_session",
        "gluster_georep_session_details",
        "gluster_georep_config",
    ] {
        let n: i64 = georep::on!(conn => |db| sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {table} WHERE {} ",
            match table {
                "hosts" | "gluster_volumes" => format!("cluster_id = '{}'", site_a.id),
                _ => "1".into(),
            }
        ))
        .fetch_one(db).await)
        .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    drop(conn);
    // georep forgot; gluster keeps the session and its volumes
    let (volumes, after) = tokio::task::spawn_blocking(|| {
        (
            common::gluster(&["volume", "list"]).1,
            (lab_sessions(), lab_workers()),
        )
    })
    .await
    .unwrap();
    let volumes: Vec<_> = volumes.lines().map(str::trim).collect();
    assert!(
        volumes.contains(&"mastervol") && volumes.contains(&"slavevol"),
        "{volumes:?}"
    );
    assert!(
        after.0.contains(&("mastervol".into(), "slavevol".into())),
        "{after:?}"
    );
    assert_eq!(
        after.1.len(),
        workers.len(),
        "the session's workers: {after:?}"
    );
    // a cluster without sessions goes without force
    let a = s.api.call(Method::DELETE, b, None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert!(s
        .api
        .get::<Clusters>("/api/clusters")
        .await
        .clusters
        .is_empty());

    // the audit trail: who registered, edited and removed what
    let events: Events = s.api.get("/api/events?limit=100").await;
    let trail: Vec<_> = events
        .events
        .iter()
        .filter(|e| e.action.starts_with("cluster_"))
        .map(|e| (e.action.as_str(), e.target.as_str(), e.result.as_str()))
        .collect();
    for expected in [
        ("cluster_remove", "site-a", "ok"),
        ("cluster_remove", "site-a", "refused"),
        ("cluster_remove", "site-c", "ok"),
        ("cluster_edit", "site-b", "ok"),
        ("cluster_register", "site-x", "failed"),
    ] {
        assert!(trail.contains(&expected), "{expected:?} in {trail:?}");
    }
    assert!(events
        .events
        .iter()
        .filter(|e| e.action.starts_with("cluster_"))
        .all(|e| e.actor == "admin"));
    assert!(s
        .served
        .log
        .lock()
        .unwrap()
        .iter()
        .all(|l| !l.contains("panicked")));
}

/// The sync loop reads the cluster every second; removing it in the middle of that ends its
/// reads at once, and nothing about it is logged as a warning or an error.
#[tokio::test]
async fn the_sync_loop_forgets_a_removed_cluster() {
    let _lab = lab_lock_async().await;
    let s = spawn("1").await;
    let a = s
        .api
        .call(
            Method::POST,
            "/api/clusters",
            Some(&cluster_body(&format!(
                "<name>site-a</name><host>{}</host>",
                host()
            ))),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let href = a.location.unwrap();
    s.synced(&href).await;
    // a few cycles, then the removal lands somewhere in one
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let log_from = s.served.log.lock().unwrap().len();
    let a = s
        .api
        .call(Method::DELETE, &format!("{href}?force=true"), None)
        .await;
    assert_eq!(a.status, 204, "{}", a.text);
    // a cycle under way when it was removed may finish its reads (slowly on a loaded
    // machine); then none begins: no call for 3 s, with a cycle every second before
    let t0 = Instant::now();
    let mut calls = s.calls();
    loop {
        tokio::time::sleep(Duration::from_millis(3000)).await;
        let now = s.calls();
        if now == calls {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the sync still asks gluster: {} calls in 3 s",
            now - calls
        );
        calls = now;
    }
    let log = s.served.log.lock().unwrap();
    let bad: Vec<_> = log[log_from..]
        .iter()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(
        log[log_from..]
            .iter()
            .any(|l| l.contains("cluster removed")),
        "{:#?}",
        &log[log_from..]
    );
}

/// `georep cluster add|edit|remove` on the database, as an admin at a shell.
#[tokio::test]
async fn the_cli_adds_edits_and_removes_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    let seeded = crate::api::seed(&db).await;
    let fails = |args: &[&str]| {
        let out = common::georep(&db).args(args).output().unwrap();
        assert!(!out.status.success(), "georep {args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let add = [
        "cluster",
        "add",
        "--name",
        "site-b",
        "--host",
        "192.0.2.10",
        "--connection",
        "ssh",
        "--ssh-user",
        "geo",
        "--ssh-port",
        "2222",
        "--no-verify",
    ];
    let err = fails(&[&add[..11], &["70000", "--no-verify"]].concat());
    assert!(err.contains("ssh port 70000"), "{err}");
    let out = common::georep_ok(&db, &add);
    let id: Uuid = out.split('\t').next().unwrap().parse().unwrap();
    assert!(fails(&add).contains("already exists"));
    let out = common::georep_ok(
        &db,
        &[
            "cluster",
            "edit",
            "site-b",
            "--name",
            "site-c",
            "--ssh-port",
            "2200",
            "--no-verify",
        ],
    );
    assert_eq!(out, format!("{id}\tsite-c\tssh\tgeo\t2200"));
    let err = fails(&["cluster", "edit", "site-a", "--ssh-user", "geo"]);
    assert!(err.contains("connection local"), "{err}");
    assert!(fails(&["cluster", "edit", "nowhere", "--name", "x"]).contains("no cluster"));
    let list = common::georep_ok(&db, &["cluster", "list"]);
    assert!(
        list.contains("\tsite-c\t") && list.contains("\tsite-a\t"),
        "{list}"
    );

    // by id; no sessions: no force needed
    let out = common::georep_ok(&db, &["cluster", "remove", &id.to_string()]);
    assert_eq!(
        out,
        format!("{id}\tsite-c\tremoved\t1 hosts\t0 volumes\t0 sessions")
    );
    // with sessions: only with --force
    let err = fails(&["cluster", "remove", "site-a"]);
    assert!(
        err.contains("1 geo-replication session") && err.contains("force"),
        "{err}"
    );
    let out = common::georep_ok(&db, &["cluster", "remove", "site-a", "--force"]);
    assert_eq!(
        out,
        format!(
            "{}\tsite-a\tremoved\t1 hosts\t2 volumes\t1 sessions",
            seeded.cluster
        )
    );
    assert_eq!(common::georep_ok(&db, &["cluster", "list"]), "");
    let store = common::open_store(&db).await;
    let mut c = store.conn().await.unwrap();
    let events = store::list_events(&mut c, &Default::default(), Default::default(), 20)
        .await
        .unwrap();
    let removals: Vec<_> = events
        .iter()
        .filter(|e| e.action == "cluster_remove")
        .map(|e| {
            (
                e.target.as_str(),
                e.result.as_str(),
                e.actor.starts_with("cli:"),
            )
        })
        .collect();
    assert_eq!(
        removals,
        [
            ("site-a", "ok", true),
            ("site-a", "refused", true),
            ("site-c", "ok", true)
        ]
    );
    assert!(Path::new(&db).exists());
}
