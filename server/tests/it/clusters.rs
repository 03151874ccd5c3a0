//! Clusters registered, edited and removed through REST and the CLI, and the session lists
//! with their filters, on the real binary without the lab: gluster is a fake that answers
//! with real captured outputs (a 2-brick `mastervol` replicating to `slavevol`) and notes
//! every call, so a removal can be shown to call gluster not at all.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use georep::api::docs::*;
use georep::store::{self, Store};
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use crate::common::{self, rest::Rest};

const ADMIN_PW: &str = "admin-secret-1";
const VIEWER_PW: &str = "viewer-secret-1";

/// The real outputs of the lab while its session replicated; `hang` (a file beside the
/// script) makes a pause hang, as a slow gluster would.
fn fake_gluster() -> String {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gluster");
    format!(
        r#"#!/bin/sh
here=$(dirname "$0")
echo "$*" >> "$here/calls"
case "$*" in
  *" pause"*) [ -f "$here/hang" ] && sleep 30; f=052-volume_geo-replication_mastervol_vm__slavevol_pause.xml ;;
  *"pool list"*) f=003-pool_list.xml ;;
  *"volume info"*) f=097-volume_info@georep-active.xml ;;
  *"volume status"*) f=098-volume_status_all@georep-active.xml ;;
  *"geo-replication"*" config"*) f=083-volume_geo-replication_mastervol_vm__slavevol_config@after-sets.xml ;;
  *"geo-replication"*" status"*) f=045-volume_geo-replication_mastervol_vm__slavevol_status_detail@active.xml ;;
  *) echo "fake gluster: no answer for $*" >&2; exit 1 ;;
esac
cat "{fixtures}/$f"
"#
    )
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

    /// Waits until the sync has stored what the fake reports: the session of `cluster`.
    async fn synced(&self, cluster: &str) -> Vec<SessionDoc> {
        let t0 = Instant::now();
        loop {
            let list = self
                .sessions(&format!("{cluster}/georeplication-sessions"))
                .await;
            if !list.is_empty() {
                return list;
            }
            assert!(t0.elapsed() < Duration::from_secs(20), "never synced");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn spawn(sync_interval: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    Store::open(&db).await.unwrap();
    let fake = dir.path().join("gluster");
    common::write_executable(&fake, &fake_gluster());
    let served = common::serve_apart(
        &db,
        &[
            "--gluster-command",
            fake.to_str().unwrap(),
            "--gluster-timeout",
            "3",
        ],
        &["--sync-interval", sync_interval, "--probe-interval", "0"],
        ADMIN_PW,
    );
    common::add_user(&db, "viewer", "viewer", VIEWER_PW);
    let api = Rest::new(&served.base, ADMIN_PW);
    Server { served, api, dir }
}

fn cluster_body(fields: &str) -> String {
    format!("<cluster>{fields}</cluster>")
}

#[tokio::test]
async fn clusters_are_registered_edited_and_removed_over_rest() {
    let s = spawn("3600").await;
    let db = s.db();

    // a viewer may not; bad input is refused before gluster is asked
    let body = cluster_body("<name>site-a</name><host>vm</host>");
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
    let mut conn = Store::open(&db)
        .await
        .unwrap()
        .pool()
        .acquire()
        .await
        .unwrap();
    let stored = store::hosts_of_cluster(&mut conn, site_b.id.hyphenated())
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

    // the session lists and their filters, against what SQLite holds
    let a_sessions = s.synced(&site_a.href).await;
    assert_eq!(a_sessions.len(), 1);
    let mut conn = Store::open(&db)
        .await
        .unwrap()
        .pool()
        .acquire()
        .await
        .unwrap();
    let row = store::sessions_of_cluster(&mut conn, site_a.id.hyphenated())
        .await
        .unwrap()
        .remove(0);
    drop(conn);
    let one = &a_sessions[0];
    assert_eq!(
        (one.id, one.host, one.status.as_str()),
        (row.session_id.into_uuid(), site_a.id, "active")
    );
    // probes are off (--probe-interval 0): an active session with nothing pending is healthy
    assert_eq!(
        one.health.as_ref().map(|h| h.state.as_str()),
        Some("healthy")
    );
    let all = "/api/georeplication-sessions";
    let count = |q: String| {
        let s = &s;
        async move { s.sessions(&q).await.len() }
    };
    for (query, n) in [
        (String::new(), 1),
        ("?status=active".into(), 1),
        ("?status=paused".into(), 0),
        ("?health=healthy".into(), 1),
        ("?health=stalled".into(), 0),
        ("?master_volume=mastervol&slave_volume=slavevol".into(), 1),
        ("?master_volume=slavevol".into(), 0),
        ("?dr_role=normal".into(), 1),
        ("?dr_role=failed_over".into(), 0),
        (format!("?cluster={}", site_a.id), 1),
        (format!("?cluster={}", site_b.id), 0),
        (
            "?status=active&health=healthy&dr_role=normal&slave_volume=slavevol".into(),
            1,
        ),
    ] {
        assert_eq!(count(format!("{all}{query}")).await, n, "{query}");
    }
    assert_eq!(
        count(format!(
            "{}/georeplication-sessions?status=active",
            site_a.href
        ))
        .await,
        1
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
        detail.contains("1 geo-replication session") && detail.contains("force"),
        "{detail}"
    );
    assert_eq!(count(all.into()).await, 1, "nothing removed");
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
    let mut conn = Store::open(&db)
        .await
        .unwrap()
        .pool()
        .acquire()
        .await
        .unwrap();
    for table in [
        "hosts",
        "gluster_volumes",
        "gluster_georep_session",
        "gluster_georep_session_details",
        "gluster_georep_config",
    ] {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {table} WHERE {} ",
            match table {
                "hosts" | "gluster_volumes" => format!("cluster_id = '{}'", site_a.id),
                _ => "1".into(),
            }
        ))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    drop(conn);
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
    assert!(
        trail.contains(&("cluster_remove", "site-a", "ok")),
        "{trail:?}"
    );
    assert!(
        trail.contains(&("cluster_remove", "site-a", "refused")),
        "{trail:?}"
    );
    assert!(
        trail.contains(&("cluster_remove", "site-c", "ok")),
        "{trail:?}"
    );
    assert!(
        trail.contains(&("cluster_edit", "site-b", "ok")),
        "{trail:?}"
    );
    assert!(
        trail.contains(&("cluster_register", "site-x", "failed")),
        "{trail:?}"
    );
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
    let s = spawn("1").await;
    let a = s
        .api
        .call(
            Method::POST,
            "/api/clusters",
            Some(&cluster_body("<name>site-a</name><host>vm</host>")),
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
    // a call under way when it was removed may still end; none begins after
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let calls = s.calls();
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(s.calls(), calls, "the sync still asks gluster");
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
    let store = Store::open(&db).await.unwrap();
    let mut c = store.pool().acquire().await.unwrap();
    let events = store::list_events(&mut c, None, 20).await.unwrap();
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
