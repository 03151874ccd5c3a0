//! The REST API on the real binary (random port, real SQLite), without gluster: every route ×
//! {no auth, viewer, admin}; each document parsed by a real XML parser and compared with
//! SQLite, JSON the same data as XML; every fault. gluster is a fake script whose behaviour a
//! file picks (error / hang), so 502 and 504 are real answers of the runner.
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use georep::api::docs::*;
use georep::store;
use reqwest::{Method, StatusCode};
use uuid::Uuid;

pub(crate) const ADMIN_PW: &str = "admin-secret-1";
const VIEWER_PW: &str = "viewer-secret-1";

use crate::common;
use common::georep;

pub(crate) struct Server {
    pub(crate) served: common::Served,
    pub(crate) base: String,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) ids: Ids,
    token: String,
}

#[derive(Clone, Copy)]
pub(crate) struct Ids {
    pub(crate) cluster: Uuid,
    host: Uuid,
    pub(crate) master: Uuid,
    slave: Uuid,
    brick1: Uuid,
    brick2: Uuid,
    pub(crate) session: Uuid,
}

const FAKE_GLUSTER: &str = r#"#!/bin/sh
mode=$(cat "$(dirname "$0")/mode" 2>/dev/null)
case "$mode" in
  hang) sleep 30 ;;
  error) printf '%s\n' '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' \
    '<cliOutput><opRet>-1</opRet><opErrno>0</opErrno><opErrstr>Geo-replication session between mastervol and vm::slavevol does not exist.</opErrstr></cliOutput>' ;;
  *) echo "fake gluster: not reachable" >&2; exit 1 ;;
esac
"#;

/// A cluster `site-a` with a 2-brick master, a slave volume in the same cluster, and one
/// session (2 details, 2 options), written with the repository before the server starts
/// (backup.rs backs it up).
pub(crate) async fn seed(db: &std::path::Path) -> Ids {
    let store = common::open_store(db).await;
    let mut c = store.conn().await.unwrap();
    let now = Utc::now();
    let ids = Ids {
        cluster: Uuid::new_v4(),
        host: Uuid::new_v4(),
        master: Uuid::new_v4(),
        slave: Uuid::new_v4(),
        brick1: Uuid::new_v4(),
        brick2: Uuid::new_v4(),
        session: Uuid::new_v4(),
    };
    store::insert_cluster(
        &mut c,
        &store::ClusterRow {
            id: ids.cluster.into(),
            name: "site-a".into(),
            description: "first site".into(),
            created_at: now,
            sync_state: "ok".parse().unwrap(),
            sync_error: None,
            synced_at: Some(now),
        },
    )
    .await
    .unwrap();
    store::insert_host(
        &mut c,
        &store::HostRow {
            id: ids.host.into(),
            cluster_id: ids.cluster.into(),
            address: "vm".into(),
            gluster_uuid: Some(Uuid::new_v4().into()),
            connection: "local".parse().unwrap(),
            ssh_user: "root".into(),
            ssh_port: 22,
            status: "connected".parse().unwrap(),
            last_seen_at: Some(now),
        },
    )
    .await
    .unwrap();
    for (id, name, size) in [
        (ids.master, "mastervol", 2000),
        (ids.slave, "slavevol", 1000),
    ] {
        store::upsert_volume(
            &mut c,
            &store::VolumeRow {
                id: id.into(),
                cluster_id: ids.cluster.into(),
                name: name.into(),
                volume_type: "Distribute".into(),
                status: "Started".into(),
                brick_count: 2,
                replica_count: 1,
                disperse_count: 0,
                size_total: Some(size),
                size_free: Some(size),
                updated_at: now,
            },
        )
        .await
        .unwrap();
    }
    for (pos, id) in [(0, ids.brick1), (1, ids.brick2)] {
        store::upsert_brick(
            &mut c,
            &store::BrickRow {
                id: id.into(),
                volume_id: ids.master.into(),
                host_id: Some(ids.host.into()),
                host_uuid: None,
                server_name: "vm".into(),
                path: format!("/srv/gl/master/b{}", pos + 1),
                position: pos,
                status: "online".parse().unwrap(),
                size_total: Some(1000),
                size_free: Some(1000),
            },
        )
        .await
        .unwrap();
    }
    store::insert_session(
        &mut c,
        &store::SessionRow {
            session_id: ids.session.into(),
            master_volume_id: ids.master.into(),
            session_key: format!("{}:ssh://vm::slavevol:{}", Uuid::new_v4(), ids.slave),
            slave_host_uuid: None,
            slave_host_name: "vm".into(),
            slave_volume_id: Some(ids.slave.into()),
            slave_volume_name: "slavevol".into(),
            slave_user: "root".into(),
            status: "ACTIVE".parse().unwrap(),
            created_at: now,
            updated_at: now,
            stale_reason: None,
            stale_since: None,
        },
    )
    .await
    .unwrap();
    for (brick, status, files) in [
        (ids.brick1, "ACTIVE", Some(3)),
        (ids.brick2, "PASSIVE", None),
    ] {
        store::upsert_session_detail(
            &mut c,
            &store::SessionDetailRow {
                session_id: ids.session.into(),
                master_brick_id: brick.into(),
                slave_host_uuid: None,
                slave_host_name: Some("vm".into()),
                status: status.parse().unwrap(),
                checkpoint_status: Some("not_completed".into()),
                crawl_status: Some("changelog_crawl".into()),
                files_synced: None,
                files_pending: files,
                bytes_pending: None,
                deletes_pending: Some(0),
                files_skipped: Some(0),
                entry_pending: Some(0),
                data_pending: files,
                meta_pending: Some(0),
                failures: Some(0),
                last_synced_at: Some(now),
                checkpoint_time: None,
                checkpoint_completed_at: None,
                updated_at: now,
            },
        )
        .await
        .unwrap();
    }
    for (k, v) in [("sync_jobs", "3"), ("sync_method", "tarssh")] {
        store::upsert_config(
            &mut c,
            &store::ConfigRow {
                session_id: ids.session.into(),
                config_key: k.into(),
                config_value: v.into(),
                default_value: None,
                read_only: false,
            },
        )
        .await
        .unwrap();
    }
    ids
}

pub(crate) async fn spawn() -> Server {
    spawn_log(None).await
}

/// `spawn` with the server's own log filter.
async fn spawn_log(log: Option<&str>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    let ids = seed(&db).await;
    let fake = dir.path().join("gluster");
    common::write_executable(&fake, FAKE_GLUSTER);
    // the users: the first admin from GEOREP_ADMIN_PASSWORD, a viewer and a token from the CLI
    let served = common::serve_apart_log(
        &db,
        &[
            "--gluster-command",
            fake.to_str().unwrap(),
            "--gluster-timeout",
            "2",
        ],
        &["--sync-interval", "3600"],
        ADMIN_PW,
        log,
    );
    let base = served.base.clone();
    // the first sync cycle (it fails: the fake gluster) has marked what it could not read,
    // so no document changes under the tests' reads
    let store = common::open_store(&db).await;
    let t0 = std::time::Instant::now();
    loop {
        let mut c = store.conn().await.unwrap();
        let cluster = store::get_cluster(&mut c, ids.cluster.into())
            .await
            .unwrap();
        if cluster.is_some_and(|c| c.sync_state.as_str() != "ok") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no first sync cycle"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    store.close().await;
    common::add_user(&db, "viewer", "viewer", VIEWER_PW);
    let token = common::georep_ok(&db, &["token", "add", "admin", "--name", "tests"]);
    assert!(token.starts_with("grp_") && token.len() > 40, "{token}");
    Server {
        served,
        base,
        dir,
        ids,
        token,
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Who {
    Nobody,
    Viewer,
    Admin,
    Token,
}

impl Server {
    fn set_mode(&self, mode: &str) {
        std::fs::write(self.dir.path().join("mode"), mode).unwrap();
    }

    fn v(&self) -> String {
        format!(
            "/api/clusters/{}/glustervolumes/{}",
            self.ids.cluster, self.ids.master
        )
    }

    pub(crate) fn s(&self) -> String {
        format!("{}/georeplication-sessions/{}", self.v(), self.ids.session)
    }

    pub(crate) fn req(&self, who: Who, method: Method, path: &str) -> reqwest::RequestBuilder {
        let r = reqwest::Client::new().request(method, format!("{}{path}", self.base));
        match who {
            Who::Nobody => r,
            Who::Viewer => r.basic_auth("viewer", Some(VIEWER_PW)),
            Who::Admin => r.basic_auth("admin", Some(ADMIN_PW)),
            Who::Token => r.bearer_auth(&self.token),
        }
    }

    pub(crate) async fn get_text(&self, path: &str, accept: &str) -> (StatusCode, String, String) {
        let resp = self
            .req(Who::Token, Method::GET, path)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, ct, resp.text().await.unwrap())
    }

    /// GET as XML, parsed; the same GET as JSON must hold the same data. The two are two
    /// reads: a value the server changed in between (a session's health re-evaluated by the
    /// scheduler) is read again, up to three times; a rendering that differs differs each time.
    pub(crate) async fn get_doc<T: serde::de::DeserializeOwned + serde::Serialize>(
        &self,
        path: &str,
    ) -> T {
        for attempt in 1.. {
            let (status, ct, xml) = self.get_text(path, "application/xml").await;
            assert_eq!(status, 200, "{path}: {xml}");
            assert!(ct.starts_with("application/xml"), "{path}: {ct}");
            let doc: T =
                quick_xml::de::from_str(&xml).unwrap_or_else(|e| panic!("{path}: {e}\n{xml}"));
            let (status, ct, json) = self.get_text(path, "application/json").await;
            assert_eq!(status, 200);
            assert_eq!(ct, "application/json", "{path}");
            let json: serde_json::Value = serde_json::from_str(&json).unwrap();
            let from_xml: serde_json::Value =
                serde_json::from_slice(&georep::api::repr::to_json(&doc).unwrap()).unwrap();
            if json == from_xml || attempt == 3 {
                assert_eq!(json, from_xml, "{path}: JSON and XML differ");
                return doc;
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        unreachable!()
    }

    pub(crate) async fn fault(
        &self,
        who: Who,
        method: Method,
        path: &str,
        ct: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, FaultDoc) {
        let mut r = self.req(who, method, path).body(body);
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let f = quick_xml::de::from_str(&text)
            .unwrap_or_else(|e| panic!("{path} {status}: not a fault ({e}): {text}"));
        (status, f)
    }
}

#[tokio::test]
async fn documents_match_sqlite_and_json_matches_xml() {
    let s = spawn().await;
    let ids = s.ids;

    let api: EntryPoint = s.get_doc("/api").await;
    assert!(api
        .links
        .iter()
        .any(|l| l.rel == "clusters" && l.href == "/api/clusters"));

    let cs: Clusters = s.get_doc("/api/clusters").await;
    assert_eq!(cs.clusters.len(), 1);
    let c = &cs.clusters[0];
    assert_eq!(
        (c.id, c.id_attr, c.name.as_str(), c.description.as_str()),
        (ids.cluster, ids.cluster, "site-a", "first site")
    );
    assert_eq!(c.href, format!("/api/clusters/{}", ids.cluster));
    let one: ClusterDoc = s.get_doc(&c.href).await;
    let rels: Vec<_> = one.links.iter().map(|l| l.rel.as_str()).collect();
    assert_eq!(rels, ["glustervolumes", "hosts", "georeplication-sessions"]);
    assert_eq!(
        (one.connection.as_str(), &one.ssh_user),
        ("local", &None),
        "ssh settings only for a cluster reached over ssh"
    );

    let hosts: Hosts = s.get_doc(&format!("{}/hosts", c.href)).await;
    assert_eq!(hosts.hosts.len(), 1);
    // the fake gluster fails, so the first sync marked what it could not read unknown:
    // compare with SQLite as it is now
    let store = common::open_store(&s.dir.path().join("georep.db")).await;
    let mut db = store.conn().await.unwrap();
    let host_row = store::hosts_of_cluster(&mut db, ids.cluster.into())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (
            hosts.hosts[0].id,
            hosts.hosts[0].address.as_str(),
            hosts.hosts[0].status.as_str()
        ),
        (ids.host, "vm", host_row.status.as_str())
    );
    let _: HostDoc = s.get_doc(&hosts.hosts[0].href).await;

    let vols: Volumes = s.get_doc(&format!("{}/glustervolumes", c.href)).await;
    let names: Vec<_> = vols.volumes.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["mastervol", "slavevol"]);
    let m = &vols.volumes[0];
    assert_eq!(
        (m.id, m.volume_type.as_str(), m.status.as_str()),
        (ids.master, "distribute", "started")
    );
    let dirs: Vec<_> = m
        .bricks
        .bricks
        .iter()
        .map(|b| (b.id, b.brick_dir.as_str(), b.status.as_str()))
        .collect();
    let bricks = store::bricks_of_volume(&mut db, ids.master.into())
        .await
        .unwrap();
    let stored: Vec<_> = bricks
        .iter()
        .map(|b| (b.id.into_uuid(), b.path.as_str(), b.status.as_str()))
        .collect();
    assert_eq!(dirs, stored);
    assert_eq!(dirs[0].1, "/srv/gl/master/b1");
    let one: VolumeDoc = s.get_doc(&m.href).await;
    assert_eq!(one.href, s.v());
    let b: BrickDoc = s.get_doc(&m.bricks.bricks[1].href).await;
    assert_eq!(b.brick_dir, "/srv/gl/master/b2");

    let list: Sessions = s
        .get_doc(&format!("{}/georeplication-sessions", s.v()))
        .await;
    assert_eq!(list.sessions.len(), 1);
    let l = &list.sessions[0];
    let row = store::get_session(&mut db, ids.session.into())
        .await
        .unwrap()
        .unwrap();
    let stored_status = row.status.as_api();
    assert_eq!(
        (l.id, l.host, l.slavevolume.as_str(), l.status.as_str()),
        (ids.session, ids.cluster, "slavevol", stored_status.as_str())
    );
    assert_eq!(
        (l.session_key.as_str(), l.updated.as_str()),
        (
            row.session_key.as_str(),
            &*row.updated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        )
    );
    assert_eq!(
        (l.master_volume.id, l.master_volume.name.as_str()),
        (ids.master, "mastervol")
    );
    assert_eq!(l.slave_volume_id, Some(ids.slave));
    assert_eq!(
        l.slave_host_uuid, None,
        "an empty element, not an invented value"
    );
    assert!(l.session_details.is_none(), "the list has no details");
    let actions: Vec<_> = l.actions.links.iter().map(|a| a.rel.as_str()).collect();
    assert_eq!(
        actions,
        [
            "start",
            "stop",
            "pause",
            "resume",
            "checkpoint",
            "refresh",
            "probe",
            "restart-stalled",
            "sync-now",
            "failover",
            "failback"
        ]
    );
    // georep's verdict beside gluster's status: never probed, so not healthy
    let h = l.health.as_ref().expect("the list shows health");
    assert_eq!(h.state, "unknown", "{h:?}");
    assert!(h.last_probe.is_none(), "{h:?}");

    let d: SessionDoc = s.get_doc(&l.href).await;
    // the health resource is the detail's verdict, one brick per master brick
    let health: HealthDoc = s.get_doc(&format!("{}/health", l.href)).await;
    assert_eq!(d.health.as_ref(), Some(&health));
    assert_eq!(health.state, "unknown");
    assert!(!health.reason.is_empty());
    // never a verdict but unknown: since georep first knew the session, whichever read (or
    // the scheduler's stored verdict) answers, not the time of the read
    assert_eq!(
        health.since,
        row.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    assert_eq!(health.bricks.bricks.len(), 2, "{health:?}");
    assert!(health
        .bricks
        .bricks
        .iter()
        .all(|b| b.stalled_since.is_none() && b.href.contains("/bricks/")));
    // no samples yet (the scheduler samples active sessions only); a bad `since` is a 400
    let lag: LagSamples = s.get_doc(&format!("{}/lag", l.href)).await;
    assert!(lag.samples.is_empty(), "{lag:?}");
    let lag: LagSamples = s
        .get_doc(&format!("{}/lag?since=2026-01-01T00:00:00Z", l.href))
        .await;
    assert!(lag.samples.is_empty(), "{lag:?}");
    let details = d.session_details.expect("details").details;
    assert_eq!(details.len(), 2);
    assert_eq!(
        (details[0].brick.id, details[0].brick.brick_dir.as_deref()),
        (ids.brick1, Some("/srv/gl/master/b1"))
    );
    let rows = store::details_of_session(&mut db, ids.session.into())
        .await
        .unwrap();
    for (doc, row) in details.iter().zip(&rows) {
        assert_eq!(doc.brick.id, row.master_brick_id.into_uuid());
        assert_eq!(doc.status, row.status.as_str().to_ascii_lowercase());
        assert_eq!(
            (doc.files_pending, doc.deletes_pending, doc.failures),
            (row.files_pending, row.deletes_pending, row.failures)
        );
    }
    assert_eq!(details[0].files_pending, Some(3));
    assert_eq!(details[1].files_pending, None, "NULL stays empty");
    assert_eq!(details[0].files_synced, None);
    assert_eq!(details[0].slave_node.as_deref(), Some("vm"));
    assert_eq!(
        (
            details[0].crawl_status.as_str(),
            details[0].checkpoint_status.as_str()
        ),
        ("changelog_crawl", "not_completed")
    );
    let (_, _, xml) = s.get_text(&l.href, "*/*").await;
    assert!(
        xml.contains("<filesSynced/>") && xml.contains("<slaveNode>vm</slaveNode>"),
        "{xml}"
    );
    let (_, _, json) = s.get_text(&l.href, "application/json").await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["id"],
        ids.session.to_string(),
        "attributes are plain fields"
    );
    assert_eq!(
        json["session_details"]["session_detail"][0]["filesSynced"],
        serde_json::Value::Null
    );

    let opts: Options = s.get_doc(&format!("{}/options", s.s())).await;
    let kv: Vec<_> = opts
        .options
        .iter()
        .map(|o| (o.key.as_str(), o.value.as_str(), o.id.as_str()))
        .collect();
    assert_eq!(
        kv,
        [
            ("sync_jobs", "3", "sync_jobs"),
            ("sync_method", "tarssh", "sync_method")
        ]
    );
    let one: OptionDoc = s.get_doc(&opts.options[0].href).await;
    assert_eq!(
        (
            one.key.as_str(),
            one.default_value.as_deref(),
            one.read_only
        ),
        ("sync_jobs", Some("3"), false)
    );

    let events: Events = s.get_doc("/api/events?limit=5").await;
    assert!(events.events.is_empty());
}

/// Every route × {no auth, viewer, admin, token}: 401 (with WWW-Authenticate), 403 for a
/// viewer's writes, never 401/403 otherwise.
#[tokio::test]
async fn route_table_by_role() {
    let s = spawn().await;
    let (v, se) = (s.v(), s.s());
    let c = format!("/api/clusters/{}", s.ids.cluster);
    let routes: Vec<(Method, String)> = vec![
        (Method::GET, "/api".into()),
        (Method::GET, "/api/clusters".into()),
        (Method::POST, "/api/clusters".into()),
        (Method::GET, c.clone()),
        (Method::PUT, c.clone()),
        // the cluster has a session: refused without force, so it stays for the next routes
        (Method::DELETE, c.clone()),
        (Method::GET, format!("{c}/georeplication-sessions")),
        (Method::GET, "/api/georeplication-sessions".into()),
        (Method::GET, format!("{c}/hosts")),
        (Method::GET, format!("{c}/hosts/{}", s.ids.host)),
        (Method::GET, format!("{c}/glustervolumes")),
        (Method::GET, v.clone()),
        (Method::GET, format!("{v}/bricks/{}", s.ids.brick1)),
        (Method::GET, format!("{v}/georeplication-sessions")),
        (Method::POST, format!("{v}/georeplication-sessions")),
        (Method::GET, se.clone()),
        (Method::DELETE, se.clone()),
        (Method::POST, format!("{se}/start")),
        (Method::POST, format!("{se}/stop")),
        (Method::POST, format!("{se}/pause")),
        (Method::POST, format!("{se}/resume")),
        (Method::POST, format!("{se}/checkpoint")),
        (Method::POST, format!("{se}/refresh")),
        // not stale: refused (409)
        (Method::POST, format!("{se}/cleanup")),
        // no --events-url: refused (409); not on: 404
        (Method::POST, format!("{c}/gluster-events")),
        (Method::DELETE, format!("{c}/gluster-events")),
        (Method::GET, format!("{se}/options")),
        (Method::GET, format!("{se}/options/sync_jobs")),
        (Method::PUT, format!("{se}/options/sync_jobs")),
        (Method::DELETE, format!("{se}/options/sync_jobs")),
        (Method::GET, "/api/events".into()),
        (Method::GET, "/api/events/export".into()),
        (Method::GET, format!("{se}/recovery")),
        (Method::GET, format!("{se}/schedule")),
        (Method::PUT, format!("{se}/schedule")),
        (Method::DELETE, format!("{se}/schedule")),
        (Method::PUT, format!("{se}/self-healing")),
        (Method::POST, format!("{se}/sync-now")),
        (Method::GET, format!("{se}/failover")),
        (Method::POST, format!("{se}/failover")),
        (Method::POST, format!("{se}/failback")),
        (Method::GET, "/api/operations".into()),
        (
            Method::GET,
            format!("/api/operations/{}", uuid::Uuid::nil()),
        ),
        (
            Method::POST,
            format!("/api/operations/{}/cancel", uuid::Uuid::nil()),
        ),
        (
            Method::POST,
            format!("/api/operations/{}/confirm", uuid::Uuid::nil()),
        ),
    ];
    for (method, path) in &routes {
        for who in [Who::Nobody, Who::Viewer, Who::Admin, Who::Token] {
            // writes by an admin reach the (failing) fake gluster or the state machine; the
            // create body names a slave in the master's cluster: refused as not eligible
            let body = match (method.as_str(), path.ends_with("sessions")) {
                ("POST", true) => "<georeplication-session><slave_host_name>vm</slave_host_name><slavevolume>slavevol</slavevolume></georeplication-session>",
                ("PUT", _) if path.ends_with("/schedule") => {
                    "<schedule><every_seconds>3600</every_seconds></schedule>"
                }
                ("PUT", _) if path.ends_with("/self-healing") => {
                    "<self_healing><enabled>true</enabled></self_healing>"
                }
                ("PUT", _) => "<option><value>4</value></option>",
                _ => "",
            };
            let resp = s
                .req(who, method.clone(), path)
                .header("content-type", "application/xml")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let www = resp
                .headers()
                .get("www-authenticate")
                .map(|h| h.to_str().unwrap().to_owned());
            let text = resp.text().await.unwrap();
            match who {
                Who::Nobody => {
                    assert_eq!(status, 401, "{method} {path}");
                    assert_eq!(www.as_deref(), Some("Basic realm=\"georep\""));
                }
                Who::Viewer if method != Method::GET => {
                    assert_eq!(status, 403, "{method} {path}: {text}")
                }
                _ => assert!(
                    status != 401 && status != 403 && status != 500,
                    "{who:?} {method} {path}: {status} {text}"
                ),
            }
        }
    }
    // wrong password, unknown token, unknown scheme: 401
    for r in [
        s.req(Who::Nobody, Method::GET, "/api")
            .basic_auth("admin", Some("wrong")),
        s.req(Who::Nobody, Method::GET, "/api")
            .basic_auth("nobody", Some("x")),
        s.req(Who::Nobody, Method::GET, "/api")
            .bearer_auth("grp_not-a-token"),
        s.req(Who::Nobody, Method::GET, "/api")
            .header("authorization", "Digest x"),
        s.req(Who::Nobody, Method::GET, "/api")
            .header("authorization", "Basic !!!"),
    ] {
        assert_eq!(r.send().await.unwrap().status(), 401);
    }
    // the machine-readable description names every route
    let spec: serde_json::Value = reqwest::get(format!("{}/api/openapi.json", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = spec["paths"].as_object().unwrap();
    let operations: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(operations, 39, "{:?}", paths.keys().collect::<Vec<_>>());
    let session = &spec["components"]["schemas"]["SessionDoc"]["properties"];
    assert_eq!(session["href"]["xml"]["attribute"], true, "{session}");
    // command options are told in the option documents and their refusal is described
    let option = &spec["components"]["schemas"]["OptionDoc"]["properties"];
    for field in ["command_option", "refused_reason"] {
        assert!(option[field].is_object(), "{field}: {option}");
    }
    let put = paths
        .iter()
        .find(|(p, _)| p.ends_with("/options/{key}"))
        .map(|(_, ops)| &ops["put"])
        .unwrap();
    assert!(
        put["responses"]["403"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("allow-command-options")),
        "{put}"
    );
}

#[tokio::test]
async fn faults() {
    let s = spawn().await;
    let (v, se) = (s.v(), s.s());
    let xml = Some("application/xml");
    let create = format!("{v}/georeplication-sessions");
    let post = |path: &str, ct: Option<&'static str>, body: String| {
        let path = path.to_owned();
        let s = &s;
        async move { s.fault(Who::Admin, Method::POST, &path, ct, body).await }
    };

    // 400: not XML, wrong root, unknown field, bad JSON, DTD / entities (XXE, billion laughs)
    for (ct, body) in [
        (xml, "<georeplication-session><slavevolume>x".to_owned()),
        (xml, "<session><slavevolume>x</slavevolume></session>".into()),
        (xml, "<georeplication-session><slave_host_name>vm</slave_host_name><slavevolume>x</slavevolume><color>red</color></georeplication-session>".into()),
        (Some("application/json"), "{\"slavevolume\": 5".into()),
        (Some("application/json"), "{\"slave_host_name\":\"vm\",\"slavevolume\":\"x\",\"bogus\":1}".into()),
        (xml, "<?xml version=\"1.0\"?><!DOCTYPE g [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><georeplication-session><slave_host_name>&x;</slave_host_name><slavevolume>x</slavevolume></georeplication-session>".into()),
        (xml, "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]><georeplication-session><slave_host_name>&lol2;</slave_host_name><slavevolume>x</slavevolume></georeplication-session>".into()),
        (xml, "<georeplication-session><slave_host_name>&lol;</slave_host_name><slavevolume>x</slavevolume></georeplication-session>".into()),
        (xml, String::new()),
    ] {
        let (status, f) = post(&create, ct, body.clone()).await;
        assert_eq!(status, 400, "{body}: {f:?}");
    }
    let (status, f) = post(
        &format!("{se}/checkpoint"),
        xml,
        "<action><time>yesterday</time></action>".into(),
    )
    .await;
    assert_eq!(status, 400, "{f:?}");
    let (status, _) = s
        .fault(Who::Admin, Method::GET, "/api/events?limit=many", None, "")
        .await;
    assert_eq!(status, 400);
    let (status, _) = s
        .fault(
            Who::Admin,
            Method::GET,
            &format!("{v}/georeplication-sessions/not-a-uuid"),
            None,
            "",
        )
        .await;
    assert_eq!(status, 400);
    // names are checked before gluster
    let (status, f) = post(&create, xml, "<georeplication-session><slave_host_name>vm;id</slave_host_name><slavevolume>x</slavevolume><force>true</force></georeplication-session>".into()).await;
    assert_eq!(status, 400, "{f:?}");

    // 413, 415
    let (status, _) = post(
        &create,
        xml,
        format!(
            "<georeplication-session>{}</georeplication-session>",
            " ".repeat(1 << 20)
        ),
    )
    .await;
    assert_eq!(status, 413);
    let (status, f) = post(&create, Some("text/plain"), "slavevolume=x".into()).await;
    assert_eq!(status, 415, "{f:?}");

    // 404: unknown ids, a session under another volume, unknown route, unknown option
    let other = format!(
        "/api/clusters/{}/glustervolumes/{}/georeplication-sessions/{}",
        s.ids.cluster, s.ids.slave, s.ids.session
    );
    for path in [
        format!("/api/clusters/{}", Uuid::new_v4()),
        format!("{v}/georeplication-sessions/{}", Uuid::new_v4()),
        other.clone(),
        format!("{other}/options"),
        format!("{se}/options/no_such_option"),
        "/api/nothing-here".into(),
    ] {
        let (status, f) = s.fault(Who::Admin, Method::GET, &path, None, "").await;
        assert_eq!(
            (status, f.reason.as_str()),
            (StatusCode::NOT_FOUND, "Not found"),
            "{path}"
        );
    }
    let (status, _) = post(&format!("{other}/stop"), None, String::new()).await;
    assert_eq!(status, 404, "an action on a session under the wrong volume");
    let (status, _) = post(&format!("{se}/explode"), None, String::new()).await;
    assert_eq!(status, 404);

    // 405
    let (status, f) = s.fault(Who::Admin, Method::PATCH, &se, None, "").await;
    assert_eq!(
        (status, f.reason.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
    );

    // 409: refused transition names the state; a slave in the master's cluster is not eligible
    let (status, f) = post(&format!("{se}/resume"), None, String::new()).await;
    assert_eq!(status, 409, "{f:?}");
    assert!(
        f.detail.starts_with("cannot resume a session that is "),
        "names the state: {f:?}"
    );
    let (status, f) = post(&create, xml, "<georeplication-session><slave_host_name>vm</slave_host_name><slavevolume>slavevol</slavevolume></georeplication-session>".into()).await;
    assert_eq!(
        (status, f.reason.as_str()),
        (StatusCode::CONFLICT, "Not eligible")
    );
    assert!(
        f.detail.contains("already the slave") && f.detail.contains("master's cluster"),
        "every reason: {f:?}"
    );

    // 502 with gluster's own message; 504 when it hangs; 409 for a second action meanwhile
    s.set_mode("error");
    let (status, f) = post(
        &format!("{se}/pause"),
        xml,
        "<action><force>true</force></action>".into(),
    )
    .await;
    assert_eq!(status, 502, "{f:?}");
    assert_eq!(
        f.detail,
        "Geo-replication session between mastervol and vm::slavevol does not exist."
    );
    s.set_mode("");
    let (status, _) = post(
        &format!("{se}/pause"),
        Some("application/json"),
        "{\"force\": true}".into(),
    )
    .await;
    assert_eq!(status, 502);
    // a CLI that hangs (only a fake can show it): 504 at --gluster-timeout (2 s), and
    // the session's lock is released with it
    s.set_mode("hang");
    let hung_at = std::time::Instant::now();
    let first = tokio::spawn({
        let url = format!("{}{se}/pause", s.base);
        let token = s.token.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/xml")
                .body("<action><force>true</force></action>")
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, f) = post(
        &format!("{se}/stop"),
        xml,
        "<action><force>true</force></action>".into(),
    )
    .await;
    assert_eq!(
        (status, f.reason.as_str()),
        (StatusCode::CONFLICT, "Action in progress")
    );
    assert_eq!(first.await.unwrap(), 504);
    let waited = hung_at.elapsed();
    eprintln!("hang: 504 after {waited:?} (--gluster-timeout 2)");
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(6),
        "{waited:?}"
    );
    // the timeout's log line names its request and its gluster call (their spans)
    let timed_out = s
        .served
        .log
        .lock()
        .unwrap()
        .iter()
        .find(|l| l.contains("gluster call timed out"))
        .cloned()
        .unwrap_or_default();
    assert!(
        timed_out.contains("request{method=POST uri=/api/")
            && timed_out.contains("gluster{target=local args=volume geo-replication"),
        "{timed_out}"
    );
    s.set_mode("error");
    let (status, f) = post(
        &format!("{se}/stop"),
        xml,
        "<action><force>true</force></action>".into(),
    )
    .await;
    assert_eq!(status, 502, "the next action reaches gluster: {f:?}");
    s.set_mode("");

    // faults follow Accept too
    let resp = s
        .req(Who::Admin, Method::GET, "/api/nothing")
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let f: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(f["reason"], "Not found");

    // the audit trail names the authenticated user
    let events: Events = s
        .get_doc(&format!("/api/events?session={}", s.ids.session))
        .await;
    assert!(
        events
            .events
            .iter()
            .any(|e| e.actor == "admin" && e.action == "pause" && e.result == "failed"),
        "{events:?}"
    );
    assert!(events
        .events
        .iter()
        .any(|e| e.actor == "admin" && e.action == "resume" && e.result == "refused"));
    assert!(s
        .served
        .log
        .lock()
        .unwrap()
        .iter()
        .all(|l| !l.contains("panicked")));
}

#[tokio::test]
async fn first_admin_password_is_written_to_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    let mut child = georep(&db)
        .args(["serve", "--listen", "127.0.0.1:0", "--site-root"])
        .arg(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = Vec::new();
    let mut base = None;
    for line in BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        if let Some(at) = line.find("listening on http://") {
            base = Some(line[at + "listening on ".len()..].trim().to_owned());
            break;
        }
        log.push(line);
    }
    let base = base.unwrap();
    // the drawn password is in a file only its owner reads, and in no log line
    let file = dir.path().join("initial-admin-password");
    let password = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        log.iter().any(|l| l.contains(&file.display().to_string())),
        "{log:?}"
    );
    assert!(log.iter().all(|l| !l.contains(&password)), "{log:?}");
    assert_eq!(password.len(), 24);
    let get = |pw: &str| {
        reqwest::Client::new()
            .get(format!("{base}/api"))
            .basic_auth("admin", Some(pw))
            .send()
    };
    assert_eq!(get(&password).await.unwrap().status(), 200);
    assert_eq!(
        get(&password).await.unwrap().status(),
        200,
        "the cached login"
    );
    assert_eq!(get("nope").await.unwrap().status(), 401);
    let _ = child.kill();
    let _ = child.wait();
    // a second start with users present adds nobody
    let out = georep(&db).args(["user", "list"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "admin\tadmin\n");
    let out = georep(&db)
        .args(["user", "add", "bad name"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[tokio::test]
async fn tokens_are_listed_and_revoked_users_removed_the_last_admin_kept() {
    let s = spawn().await;
    let db = s.dir.path().join("georep.db");
    let bearer = |token: String| {
        let url = format!("{}/api", s.base);
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // a second token, then both listed by id, user and label; no secret is shown
    let second = common::georep_ok(&db, &["token", "add", "viewer", "--name", "ci"]);
    let list = common::georep_ok(&db, &["token", "list"]);
    let rows: Vec<Vec<&str>> = list.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{list}");
    assert_eq!((rows[0][1], rows[0][2]), ("admin", "tests"));
    assert_eq!((rows[1][1], rows[1][2]), ("viewer", "ci"));
    assert!(!list.contains("grp_"), "{list}");
    assert_eq!(bearer(second.clone()).await, 200);

    // revoked: refused once the server's 10 s memory of it has passed
    common::georep_ok(&db, &["token", "revoke", rows[1][0]]);
    assert_eq!(
        common::georep_ok(&db, &["token", "list"]).lines().count(),
        1
    );
    let t0 = std::time::Instant::now();
    while bearer(second.clone()).await != 401 {
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "revoked token still accepted"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        bearer(s.token.clone()).await,
        200,
        "the other token still works"
    );
    let again = georep(&db)
        .args(["token", "revoke", rows[1][0]])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no token"));

    // the last admin is never removed; a viewer is, with its tokens
    let last = georep(&db)
        .args(["user", "remove", "admin"])
        .output()
        .unwrap();
    assert!(!last.status.success());
    assert!(String::from_utf8_lossy(&last.stderr).contains("last admin"));
    common::georep_ok(&db, &["token", "add", "viewer", "--name", "again"]);
    common::georep_ok(&db, &["user", "remove", "viewer"]);
    let users = common::georep_ok(&db, &["user", "list"]);
    assert!(!users.contains("viewer"), "{users}");
    assert_eq!(
        common::georep_ok(&db, &["token", "list"]).lines().count(),
        1
    );
}

/// What a GET answered: status, headers but `date`, body.
async fn answer(r: reqwest::RequestBuilder) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let resp = r.send().await.unwrap();
    let status = resp.status();
    let mut headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(n, _)| *n != "date")
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    headers.sort();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

/// A GET of a document the cache holds, with a bearer token verified before, is answered before
/// the router: no request span (tower_http's "started processing request", logged at debug for
/// every request the router takes, is not there for it), and the same status, headers and bytes
/// as the whole way gave (gzipped for a client that accepts it, as the whole way's). What the
/// fast path must not take goes the whole way: Basic auth, an unknown token (a 401 counted as the
/// whole way counts it), and the first GET after a commit (which then shows the change).
#[tokio::test]
async fn a_held_document_is_answered_before_the_router_as_the_whole_way_answered_it() {
    let s = spawn_log(Some("info,sqlx=warn,tower_http=debug")).await;
    let path = s.s();
    let spans = |log: &common::Served, what: &str| {
        log.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("started processing request") && l.contains(what))
            .count()
    };
    // the lines of the requests up to the one marked by `mark` (a request the router takes)
    let settle = |mark: &str| {
        let t0 = std::time::Instant::now();
        while spans(&s.served, mark) == 0 {
            assert!(t0.elapsed() < Duration::from_secs(10), "no span for {mark}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // a commit of the test's own: the session's schedule
    let schedule = format!("{path}/schedule");
    let put = |every: u32| {
        s.req(Who::Admin, Method::PUT, &schedule)
            .header("content-type", "application/xml")
            .body(format!("<schedule><enabled>false</enabled><every_seconds>{every}</every_seconds></schedule>"))
            .send()
    };
    for accept in ["application/xml", "application/json"] {
        let get = || {
            s.req(Who::Token, Method::GET, &path)
                .header("accept", accept)
        };
        // a commit of the server's own between the reads (the health scheduler's) sends the
        // next GET the whole way again: read again, up to five times, each time after a commit
        // of the test's own (else the retry's first GET finds the document still held)
        for attempt in 1.. {
            if attempt > 1 {
                let put = put(3600 + attempt).await.unwrap();
                assert_eq!(put.status(), StatusCode::OK);
            }
            let before = spans(&s.served, &path);
            let whole = answer(get()).await;
            assert_eq!(whole.0, StatusCode::OK, "{accept}");
            let fast = answer(get()).await;
            let again = answer(get()).await;
            // a request of the router's own after them: its line comes after theirs
            let mark = format!("/api/clusters/{}?mark={attempt}-{accept}", s.ids.cluster);
            assert_eq!(
                answer(s.req(Who::Token, Method::GET, &mark)).await.0,
                StatusCode::OK
            );
            settle(&mark);
            let whole_way = spans(&s.served, &path) - before;
            if whole_way != 1 && attempt < 5 {
                continue;
            }
            assert_eq!(whole_way, 1, "{accept}: only the first went the whole way");
            assert!(
                fast == whole,
                "{accept}: the held answer is the whole way's"
            );
            assert!(again == whole, "{accept}");
            assert!(whole
                .1
                .iter()
                .any(|(n, v)| n == "x-content-type-options" && v == "nosniff"));
            assert!(whole.1.iter().any(|(n, _)| n == "content-security-policy"));
            break;
        }
    }
    let xml = |p: &str| {
        s.req(Who::Token, Method::GET, p)
            .header("accept", "application/xml")
    };
    // Basic: the same document (read again when the server changed it in between: its health
    // re-evaluated), and always the whole way (a remembered login is still checked against the
    // client's back-off)
    let basic = || {
        s.req(Who::Viewer, Method::GET, &path)
            .header("accept", "application/xml")
    };
    for attempt in 1..=3 {
        let held = answer(xml(&path)).await;
        let by_basic = answer(basic()).await;
        if by_basic.2 == held.2 || attempt == 3 {
            assert!(by_basic.2 == held.2, "Basic: the same document");
            break;
        }
    }
    let before = spans(&s.served, &path);
    assert_eq!(answer(basic()).await.0, StatusCode::OK);
    // an unknown token: refused the whole way
    let stranger = reqwest::Client::new()
        .get(format!("{}{path}", s.base))
        .bearer_auth("grp_not-a-token-of-this-server-0000000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    let mark = format!("/api/clusters/{}?mark=ways", s.ids.cluster);
    answer(s.req(Who::Token, Method::GET, &mark)).await;
    settle(&mark);
    assert_eq!(spans(&s.served, &path), before + 2, "Basic, the stranger");
    // gzip asked: the held document, encoded by the compression layer as the whole way's is
    // (the stranger's failure was a commit: the document is read again first; a commit of the
    // server's own in between sends the gzip GET the whole way: up to three tries)
    for attempt in 1..=3 {
        let now = answer(xml(&path)).await;
        let mark = format!("/api/clusters/{}?mark=read-again-{attempt}", s.ids.cluster);
        answer(s.req(Who::Token, Method::GET, &mark)).await;
        settle(&mark);
        let before = spans(&s.served, &path);
        let gz = xml(&path)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(gz.headers().get("content-encoding").unwrap(), "gzip");
        let zipped = gz.bytes().await.unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&zipped[..]), &mut plain)
            .unwrap();
        let mark = format!("/api/clusters/{}?mark=gzip-{attempt}", s.ids.cluster);
        answer(s.req(Who::Token, Method::GET, &mark)).await;
        settle(&mark);
        let held = spans(&s.served, &path) == before;
        if held || attempt == 3 {
            assert!(held, "gzip: held");
            assert!(plain == now.2, "the same document, gzipped");
            break;
        }
    }
    // a commit: the next GET goes the whole way and shows it (the session's schedule)
    assert_eq!(put(3600).await.unwrap().status(), StatusCode::OK);
    let first = answer(xml(&schedule)).await;
    assert_eq!(first.0, StatusCode::OK);
    assert!(answer(xml(&schedule)).await == first, "held");
    assert_eq!(put(7200).await.unwrap().status(), StatusCode::OK);
    let changed = answer(xml(&schedule)).await;
    let text = String::from_utf8_lossy(&changed.2);
    assert!(text.contains("7200"), "the commit shows: {text}");
    let mark = format!("/api/clusters/{}?mark=commit", s.ids.cluster);
    answer(s.req(Who::Token, Method::GET, &mark)).await;
    settle(&mark);
    // the two PUTs and the first GET after each; the held one between too only when a commit
    // of the server's own came between (the first part shows a held answer is taken)
    let whole_way = spans(&s.served, &schedule);
    assert!((4..=5).contains(&whole_way), "{whole_way}");
}
