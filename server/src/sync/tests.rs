//! Reconcile over real captured gluster answers, into a real SQLite file.
use app::domain::SessionStatus;
use chrono::{Duration, Utc};
use uuid::Uuid;

use super::reconcile::{reconcile, Change, Snapshot};
use crate::gluster::parse;
use crate::store::{self, ClusterRow, HostRow, Id, Store};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/gluster/", $name))
    };
}

const SESSION_KEY: &str =
    "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://vm::slavevol:a10873cc-0900-4522-9c17-2439b5ec9564";

struct Lab {
    _dir: tempfile::TempDir,
    store: Store,
    cluster: Id,
    host: Id,
}

async fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).await.unwrap();
    let cluster = Uuid::new_v4().into();
    let host = Uuid::new_v4().into();
    let mut c = store.conn().await.unwrap();
    store::insert_cluster(
        &mut c,
        &ClusterRow {
            id: cluster,
            name: "lab".into(),
            description: String::new(),
            created_at: Utc::now(),
            sync_state: "unknown".parse().unwrap(),
            sync_error: None,
            synced_at: None,
        },
    )
    .await
    .unwrap();
    store::insert_host(
        &mut c,
        &HostRow {
            id: host,
            cluster_id: cluster,
            address: "vm".into(),
            gluster_uuid: None,
            connection: "local".parse().unwrap(),
            ssh_user: "root".into(),
            ssh_port: 22,
            status: "unknown".parse().unwrap(),
            last_seen_at: None,
        },
    )
    .await
    .unwrap();
    Lab {
        _dir: dir,
        store,
        cluster,
        host,
    }
}

fn snapshot(lab: &Lab, georep: &str) -> Snapshot {
    let georep = parse::parse_georep_status(georep).unwrap();
    let mut configs = std::collections::HashMap::new();
    for (_, s) in georep.sessions() {
        configs.insert(
            s.session_key.clone(),
            parse::parse_georep_config(fixture!(
                "083-volume_geo-replication_mastervol_vm__slavevol_config@after-sets.xml"
            ))
            .unwrap(),
        );
    }
    Snapshot {
        queried_host: Some(lab.host),
        peers: parse::parse_pool_list(fixture!("003-pool_list.xml")).unwrap(),
        volumes: parse::parse_volume_info(fixture!("097-volume_info@georep-active.xml")).unwrap(),
        status: parse::parse_volume_status(fixture!("098-volume_status_all@georep-active.xml"))
            .unwrap(),
        georep,
        configs,
    }
}

/// The lab's session as gluster reported it while it replicated.
fn active(lab: &Lab) -> Snapshot {
    snapshot(
        lab,
        fixture!("045-volume_geo-replication_mastervol_vm__slavevol_status_detail@active.xml"),
    )
}

async fn apply(lab: &Lab, snap: &Snapshot, at: chrono::DateTime<Utc>) -> super::Report {
    let mut tx = lab.store.begin().await.unwrap();
    let r = reconcile(&mut tx, lab.cluster, snap, at).await.unwrap();
    tx.commit().await.unwrap();
    r
}

async fn the_session(lab: &Lab) -> Option<store::SessionRow> {
    let mut c = lab.store.conn().await.unwrap();
    store::sessions_of_cluster(&mut c, lab.cluster)
        .await
        .unwrap()
        .into_iter()
        .next()
}

#[tokio::test]
async fn first_sync_stores_inventory_session_details_and_options() {
    let lab = lab().await;
    let snap = active(&lab);
    let r = apply(&lab, &snap, Utc::now()).await;
    assert!(
        matches!(&r.changes[..], [Change::SessionAppeared { session_key, .. }] if session_key == SESSION_KEY)
    );

    let mut c = lab.store.conn().await.unwrap();
    let hosts = store::hosts_of_cluster(&mut c, lab.cluster).await.unwrap();
    assert_eq!(hosts.len(), 1);
    assert_eq!(
        hosts[0].gluster_uuid.unwrap().to_string(),
        "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc"
    );
    assert_eq!(hosts[0].status, "connected");

    let vols = store::volumes_of_cluster(&mut c, lab.cluster)
        .await
        .unwrap();
    let names: Vec<_> = vols.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["mastervol", "slavevol"]);
    let bricks = store::bricks_of_cluster(&mut c, lab.cluster).await.unwrap();
    assert_eq!(bricks.len(), 3);
    assert!(
        bricks
            .iter()
            .all(|b| b.status == "online" && b.host_id == Some(lab.host)),
        "{bricks:?}"
    );

    let s = store::sessions_of_cluster(&mut c, lab.cluster)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(s.session_key, SESSION_KEY);
    assert_eq!(s.status, "ACTIVE");
    assert_eq!(
        (
            s.slave_host_name.as_str(),
            s.slave_volume_name.as_str(),
            s.slave_user.as_str()
        ),
        ("vm", "slavevol", "root")
    );
    // the slave volume is one georep knows: ids filled
    assert_eq!(
        s.slave_volume_id.unwrap().to_string(),
        "a10873cc-0900-4522-9c17-2439b5ec9564"
    );
    assert_eq!(
        s.slave_host_uuid.unwrap().to_string(),
        "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc"
    );

    let details = store::details_of_session(&mut c, s.session_id)
        .await
        .unwrap();
    assert_eq!(details.len(), 2);
    for d in &details {
        assert_eq!(d.status, "ACTIVE");
        assert_eq!(d.crawl_status.as_deref(), Some("changelog_crawl"));
        assert_eq!(
            (d.entry_pending, d.data_pending, d.meta_pending, d.failures),
            (Some(0), Some(0), Some(0), Some(0))
        );
        assert_eq!(
            (d.files_synced, d.bytes_pending),
            (None, None),
            "not reported by gluster: NULL"
        );
        assert!(d.last_synced_at.is_some());
    }
    let config = store::config_of_session(&mut c, s.session_id)
        .await
        .unwrap();
    let get = |k: &str| {
        config
            .iter()
            .find(|o| o.config_key == k)
            .map(|o| o.config_value.clone())
    };
    assert!(config.len() > 50, "all options stored: {}", config.len());
    assert_eq!(get("sync_method").as_deref(), Some("tarssh"));
}

#[tokio::test]
async fn an_idle_cycle_writes_nothing() {
    let lab = lab().await;
    let snap = active(&lab);
    let t0 = Utc::now();
    assert!(apply(&lab, &snap, t0).await.writes > 0);
    let before = the_session(&lab).await.unwrap();
    let r = apply(&lab, &snap, t0 + Duration::seconds(5)).await;
    assert_eq!((r.writes, r.changes.len()), (0, 0));
    assert_eq!(
        the_session(&lab).await.unwrap(),
        before,
        "updated_at kept: nothing changed"
    );
}

#[tokio::test]
async fn a_pause_from_the_cli_is_seen_and_reported() {
    let lab = lab().await;
    let t0 = Utc::now();
    apply(&lab, &active(&lab), t0).await;
    let id = the_session(&lab).await.unwrap().session_id;
    let r = apply(
        &lab,
        &snapshot(
            &lab,
            fixture!("053-volume_geo-replication_mastervol_vm__slavevol_status_detail@paused.xml"),
        ),
        t0 + Duration::seconds(5),
    )
    .await;
    let s = the_session(&lab).await.unwrap();
    assert_eq!(
        (s.session_id, s.status),
        (id, SessionStatus::Paused),
        "same session, new status"
    );
    assert!(r.changes.contains(&Change::SessionStatus {
        session_id: id.into_uuid(),
        name: "mastervol -> vm::slavevol".into(),
        from: SessionStatus::Active,
        to: SessionStatus::Paused
    }));
    assert_eq!(s.updated_at, t0 + Duration::seconds(5));
}

#[tokio::test]
async fn a_brick_missing_from_status_is_an_offline_row() {
    let lab = lab().await;
    // b2-stuck shows both pairs; drop the second pair to play a node that is down
    let mut snap = active(&lab);
    snap.georep.volumes[0].sessions[0].pairs.truncate(1);
    apply(&lab, &snap, Utc::now()).await;
    let s = the_session(&lab).await.unwrap();
    // distribute volume: the brick's data has no active worker
    assert_eq!(s.status, "FAULTY");
    let mut c = lab.store.conn().await.unwrap();
    let statuses: Vec<_> = store::details_of_session(&mut c, s.session_id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.status, d.data_pending))
        .collect();
    assert_eq!(
        statuses,
        [
            (app::domain::BrickStatus::Active, Some(0)),
            (app::domain::BrickStatus::Offline, None)
        ]
    );
}

#[tokio::test]
async fn a_session_deleted_outside_georep_vanishes_and_an_option_change_is_seen() {
    let lab = lab().await;
    let t0 = Utc::now();
    let mut snap = active(&lab);
    apply(&lab, &snap, t0).await;
    let id = the_session(&lab).await.unwrap().session_id;

    let opts = snap.configs.get_mut(SESSION_KEY).unwrap();
    let sj = opts.iter_mut().find(|(k, _)| k == "sync_jobs").unwrap();
    let old = sj.1.clone();
    sj.1 = "7".into();
    let r = apply(&lab, &snap, t0 + Duration::seconds(5)).await;
    assert_eq!(r.writes, 1);
    assert_eq!(
        r.changes,
        [Change::OptionChanged {
            session_id: id.into_uuid(),
            name: "mastervol -> vm::slavevol".into(),
            key: "sync_jobs".into(),
            from: old,
            to: "7".into()
        }]
    );

    let empty = snapshot(&lab, fixture!("hand-georep_status@empty.xml"));
    let r = apply(&lab, &empty, t0 + Duration::seconds(10)).await;
    assert!(
        matches!(&r.changes[..], [Change::SessionVanished { session_key, .. }] if session_key == SESSION_KEY)
    );
    assert!(the_session(&lab).await.is_none());
    let mut c = lab.store.conn().await.unwrap();
    assert!(
        store::config_of_session(&mut c, id)
            .await
            .unwrap()
            .is_empty(),
        "options went with it"
    );
    assert_eq!(
        store::volumes_of_cluster(&mut c, lab.cluster)
            .await
            .unwrap()
            .len(),
        2,
        "volumes stay"
    );
}

#[tokio::test]
async fn a_cluster_that_cannot_be_read_keeps_its_rows_as_unknown() {
    let lab = lab().await;
    apply(&lab, &active(&lab), Utc::now()).await;
    let mut c = lab.store.conn().await.unwrap();
    assert!(
        store::mark_cluster_unknown(&mut c, lab.cluster)
            .await
            .unwrap()
            > 0
    );
    assert_eq!(
        store::mark_cluster_unknown(&mut c, lab.cluster)
            .await
            .unwrap(),
        0,
        "second time writes nothing"
    );
    let s = store::sessions_of_cluster(&mut c, lab.cluster)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(s.status, "UNKNOWN");
    let details = store::details_of_session(&mut c, s.session_id)
        .await
        .unwrap();
    assert_eq!(details.len(), 2, "nothing deleted");
    assert!(details
        .iter()
        .all(|d| d.status == "UNKNOWN" && d.data_pending == Some(0)));
}

#[tokio::test]
async fn a_snapshot_that_fails_half_way_is_rolled_back_and_the_cluster_marked_unknown() {
    let lab = lab().await;
    let t0 = Utc::now();
    apply(&lab, &active(&lab), t0).await;
    let mut c = lab.store.conn().await.unwrap();
    // the last write of a cycle (the cluster's "synced ok") fails, after the session's new
    // status was written in the same transaction: a full disk or a lock would do the same
    crate::exec!(c => |db| sqlx::query(
        "CREATE TRIGGER fail_sync_ok BEFORE UPDATE OF sync_state ON clusters
         WHEN NEW.sync_state = 'ok' BEGIN SELECT RAISE(ABORT, 'injected write failure'); END",
    )
    )
    .unwrap();
    let cluster = store::get_cluster(&mut c, lab.cluster)
        .await
        .unwrap()
        .unwrap();
    let details_before =
        store::details_of_session(&mut c, the_session(&lab).await.unwrap().session_id)
            .await
            .unwrap();
    let paused = snapshot(
        &lab,
        fixture!("053-volume_geo-replication_mastervol_vm__slavevol_status_detail@paused.xml"),
    );
    let syncer = super::Syncer {
        store: lab.store.clone(),
        gluster: crate::gluster::Gluster::new("gluster", std::time::Duration::from_secs(1)),
        coord: super::Coordinator::default(),
        instance: uuid::Uuid::new_v4().to_string(),
    };
    let r = syncer
        .store_read(
            &cluster,
            Ok(paused),
            &super::Guard::default(),
            &super::Quiet::default(),
            t0 + Duration::seconds(5),
        )
        .await;
    assert!(
        r.as_ref()
            .is_err_and(|e| e.to_string().contains("injected write failure")),
        "{r:?}"
    );
    let s = the_session(&lab).await.unwrap();
    assert_eq!(s.status, "UNKNOWN", "not PAUSED from the rolled-back write");
    assert_eq!(
        s.updated_at, t0,
        "the session row of the rolled-back cycle is gone"
    );
    let details = store::details_of_session(&mut c, s.session_id)
        .await
        .unwrap();
    assert_eq!(details.len(), details_before.len(), "nothing deleted");
    assert!(details.iter().all(|d| d.status == "UNKNOWN"));
    let cluster = store::get_cluster(&mut c, lab.cluster)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cluster.sync_state, "error");
    assert!(cluster
        .sync_error
        .as_deref()
        .is_some_and(|e| e.contains("injected write failure")));
}

#[tokio::test]
async fn a_cluster_removed_before_or_while_it_is_read_is_forgotten_without_an_error() {
    let lab = lab().await;
    apply(&lab, &active(&lab), Utc::now()).await;
    let mut c = lab.store.conn().await.unwrap();
    let cluster = store::get_cluster(&mut c, lab.cluster)
        .await
        .unwrap()
        .unwrap();
    let syncer = super::Syncer {
        store: lab.store.clone(),
        // a call would fail: a cycle of a removed cluster must not get that far
        gluster: crate::gluster::Gluster::new(
            "/nonexistent/gluster",
            std::time::Duration::from_secs(1),
        ),
        coord: super::Coordinator::default(),
        instance: uuid::Uuid::new_v4().to_string(),
    };
    assert!(store::remove_cluster(&mut c, lab.cluster).await.unwrap());
    // removed while its snapshot was being read: nothing of it is written
    let r = syncer
        .store_read(
            &cluster,
            Ok(active(&lab)),
            &super::Guard::default(),
            &super::Quiet::default(),
            Utc::now(),
        )
        .await;
    assert_eq!(r.unwrap(), super::Report::default());
    // removed before the cycle began (the cycle's list was older)
    assert_eq!(
        syncer.cluster(&cluster).await.unwrap(),
        super::Report::default()
    );
    for table in [
        "clusters",
        "hosts",
        "gluster_volumes",
        "gluster_georep_session",
    ] {
        let n: i64 =
            crate::on!(c => |db| sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(db).await)
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    assert!(
        syncer.all().await.is_empty(),
        "the next cycle does not list it"
    );
}

#[test]
fn free_space_settles_within_its_tolerance() {
    use super::reconcile::settle;
    let gib = 1i64 << 30;
    let total = Some(1000 * gib);
    assert_eq!(
        settle(Some(500 * gib), Some(500 * gib + 100), total),
        Some(500 * gib)
    );
    assert_eq!(
        settle(Some(500 * gib), Some(504 * gib), total),
        Some(500 * gib),
        "0.4 % moved: kept"
    );
    assert_eq!(
        settle(Some(500 * gib), Some(506 * gib), total),
        Some(506 * gib),
        "0.6 % moved: written"
    );
    assert_eq!(
        settle(Some(gib), Some(gib + (200 << 20)), Some(2 * gib)),
        Some(gib),
        "small bricks: 256 MiB floor"
    );
    assert_eq!(settle(None, Some(gib), total), Some(gib));
    assert_eq!(
        settle(Some(gib), None, total),
        None,
        "not reported any more: NULL"
    );
}

/// `snap` with every session's options as the config fixture `config` lists them.
fn with_config(mut snap: Snapshot, config: &str) -> Snapshot {
    let options = parse::parse_georep_config(config).unwrap();
    for v in snap.configs.values_mut() {
        *v = options.clone();
    }
    snap
}

fn option_keys(r: &super::Report) -> Vec<&str> {
    r.changes
        .iter()
        .filter_map(|c| match c {
            Change::OptionChanged { key, .. } => Some(key.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn what_gluster_fills_in_when_a_session_starts_is_no_option_change() {
    let lab = lab().await;
    let t0 = Utc::now();
    let created = fixture!("037-volume_geo-replication_mastervol_vm__slavevol_config@created.xml");
    apply(&lab, &with_config(active(&lab), created), t0).await;
    // after the start gluster lists stime_xattr_prefix and primary_distribution_count filled
    // in; the lab's admin had also set a checkpoint and sync_method tarssh with the CLI
    let started = fixture!("lab-volume_geo-replication_mastervol_vm__slavevol_config@active.xml");
    let r = apply(
        &lab,
        &with_config(active(&lab), started),
        t0 + Duration::seconds(5),
    )
    .await;
    assert_eq!(option_keys(&r), ["checkpoint", "sync_method"]);
    assert_eq!(r.writes, 4, "gluster's own values are stored all the same");
}

#[tokio::test]
async fn a_sessions_first_options_are_no_change_even_a_cycle_late() {
    let lab = lab().await;
    let t0 = Utc::now();
    // the cycle that found the session could not read its options
    let mut unread = active(&lab);
    unread.configs.clear();
    let r = apply(&lab, &unread, t0).await;
    assert!(matches!(&r.changes[..], [Change::SessionAppeared { .. }]));
    let r = apply(&lab, &active(&lab), t0 + Duration::seconds(5)).await;
    assert!(r.writes > 50, "every option stored: {}", r.writes);
    assert!(r.changes.is_empty(), "{:?}", r.changes);
}

/// The sync as the loop runs it over `lab`: the rows and the events of one read.
fn syncer(lab: &Lab) -> super::Syncer {
    super::Syncer {
        store: lab.store.clone(),
        gluster: crate::gluster::Gluster::new("gluster", std::time::Duration::from_secs(1)),
        coord: super::Coordinator::default(),
        instance: uuid::Uuid::new_v4().to_string(),
    }
}

async fn store_read(lab: &Lab, syncer: &super::Syncer, snap: Snapshot, at: chrono::DateTime<Utc>) {
    let mut c = lab.store.conn().await.unwrap();
    let cluster = store::get_cluster(&mut c, lab.cluster)
        .await
        .unwrap()
        .unwrap();
    syncer
        .store_read(
            &cluster,
            Ok(snap),
            &super::Guard::default(),
            &super::Quiet::default(),
            at,
        )
        .await
        .unwrap();
}

async fn events(lab: &Lab) -> Vec<store::EventRow> {
    let mut c = lab.store.conn().await.unwrap();
    let all = app::domain::EventFilter::default();
    store::list_events(&mut c, &all, app::domain::EventCursor::Newest, 100)
        .await
        .unwrap()
}

#[tokio::test]
async fn changes_made_outside_georep_are_events_naming_the_session() {
    let lab = lab().await;
    let sync = syncer(&lab);
    let t0 = Utc::now();
    store_read(&lab, &sync, active(&lab), t0).await;
    let paused = snapshot(
        &lab,
        fixture!("053-volume_geo-replication_mastervol_vm__slavevol_status_detail@paused.xml"),
    );
    store_read(&lab, &sync, paused, t0 + Duration::seconds(5)).await;
    let mut changed = active(&lab);
    let sj = changed.configs.get_mut(SESSION_KEY).unwrap();
    sj.iter_mut().find(|(k, _)| k == "sync_jobs").unwrap().1 = "7".into();
    store_read(&lab, &sync, changed, t0 + Duration::seconds(10)).await;
    let empty = snapshot(&lab, fixture!("hand-georep_status@empty.xml"));
    store_read(&lab, &sync, empty, t0 + Duration::seconds(15)).await;

    let got: Vec<_> = events(&lab)
        .await
        .into_iter()
        .rev()
        .map(|e| {
            assert_eq!(
                (e.actor.as_str(), e.result),
                ("sync", app::domain::EventResult::Detected)
            );
            (e.action, e.target, e.message.unwrap_or_default())
        })
        .collect();
    let s = "mastervol -> vm::slavevol";
    let want = [
        ("session_appeared", s.to_owned(), "created outside georep"),
        (
            "status_changed",
            s.into(),
            "paused outside georep (active -> paused)",
        ),
        (
            "status_changed",
            s.into(),
            "resumed outside georep (paused -> active)",
        ),
        (
            "option_changed",
            format!("{s} sync_jobs"),
            "sync_jobs: \"4\" -> \"7\", set outside georep",
        ),
        ("session_vanished", s.into(), "deleted outside georep"),
    ];
    let got: Vec<(&str, &str, &str)> = got
        .iter()
        .map(|(a, t, m)| (a.as_str(), t.as_str(), m.as_str()))
        .collect();
    let want: Vec<(&str, &str, &str)> = want.iter().map(|(a, t, m)| (*a, t.as_str(), *m)).collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn a_status_georeps_own_action_caused_is_no_event() {
    let lab = lab().await;
    let sync = syncer(&lab);
    let t0 = Utc::now();
    store_read(&lab, &sync, active(&lab), t0).await;
    let id = the_session(&lab).await.unwrap().session_id.into_uuid();
    let paused = snapshot(
        &lab,
        fixture!("053-volume_geo-replication_mastervol_vm__slavevol_status_detail@paused.xml"),
    );
    // a pause by georep: its operation quiets what it causes while it runs
    let acting = sync.coord.quiet_while(super::Quiet::session(id, &[]));
    store_read(&lab, &sync, paused.clone(), t0 + Duration::seconds(5)).await;
    drop(acting);
    // nor is the resume georep did after it
    let acting = sync.coord.quiet_while(super::Quiet::session(id, &[]));
    store_read(&lab, &sync, active(&lab), t0 + Duration::seconds(10)).await;
    drop(acting);
    let actions: Vec<String> = events(&lab).await.into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["session_appeared"], "only the discovery itself");
    assert_eq!(
        the_session(&lab).await.unwrap().status,
        SessionStatus::Active
    );
}

#[tokio::test]
async fn a_session_whose_slave_volume_goes_is_stale_for_good() {
    let lab = lab().await;
    let t0 = Utc::now();
    let snap = active(&lab);
    apply(&lab, &snap, t0).await;
    let before = the_session(&lab).await.unwrap();
    assert!(before.slave_volume_id.is_some() && before.stale_reason.is_none());

    // the slave volume deleted (gluster still lists the session on its master)
    let mut gone = snap.clone();
    gone.volumes.retain(|v| v.name != "slavevol");
    let r = apply(&lab, &gone, t0 + Duration::seconds(5)).await;
    let stale: Vec<_> = r
        .changes
        .iter()
        .filter(|c| matches!(c, Change::SessionStale { .. }))
        .collect();
    assert_eq!(stale.len(), 1, "{:?}", r.changes);
    let after = the_session(&lab).await.unwrap();
    let reason = after.stale_reason.clone().unwrap();
    assert!(
        reason.starts_with("the slave volume slavevol (")
            && reason.ends_with("deleted from cluster lab"),
        "{reason}"
    );
    assert_eq!(after.stale_since, Some(t0 + Duration::seconds(5)));
    assert_eq!(after.slave_volume_id, None);

    // the next cycles keep it, write nothing and report nothing more
    let r = apply(&lab, &gone, t0 + Duration::seconds(10)).await;
    assert_eq!((r.writes, r.changes.len()), (0, 0), "{:?}", r.changes);
    assert_eq!(the_session(&lab).await.unwrap().stale_reason, Some(reason));
}
