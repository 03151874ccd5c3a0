//! The scheduler's bulk evaluation against a real SQLite file: the same verdicts as one
//! session at a time, writes only for what changed, a probe's columns left alone.
use std::time::Duration;

use chrono::{TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::gluster::Gluster;
use crate::store::{ClusterRow, HostRow, Store};

fn id() -> Id {
    Uuid::new_v4().hyphenated()
}

/// One cluster, a 2-brick master volume and three sessions: idle, idle with its details
/// stored in reverse brick order, and one with data pending on both bricks.
async fn seeded() -> (tempfile::TempDir, Service, Vec<Uuid>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("georep.db")).await.unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap();
    let cluster = ClusterRow {
        id: id(),
        name: "site-a".into(),
        description: String::new(),
        created_at: now,
        sync_state: "ok".into(),
        sync_error: None,
        synced_at: Some(now),
    };
    let host = HostRow {
        id: id(),
        cluster_id: cluster.id,
        address: "vm".into(),
        gluster_uuid: Some(id()),
        connection: "local".into(),
        ssh_user: "root".into(),
        ssh_port: 22,
        status: "connected".into(),
        last_seen_at: Some(now),
    };
    let volume = VolumeRow {
        id: id(),
        cluster_id: cluster.id,
        name: "mastervol".into(),
        volume_type: "Distribute".into(),
        status: "Started".into(),
        brick_count: 2,
        replica_count: 1,
        disperse_count: 0,
        size_total: None,
        size_free: None,
        updated_at: now,
    };
    let bricks: Vec<BrickRow> = (0..2)
        .map(|i| BrickRow {
            id: id(),
            volume_id: volume.id,
            host_id: Some(host.id),
            host_uuid: host.gluster_uuid,
            server_name: "vm".into(),
            path: format!("/srv/gl/master/b{}", i + 1),
            position: i,
            status: "online".into(),
            size_total: None,
            size_free: None,
        })
        .collect();
    let mut tx = store.begin().await.unwrap();
    store::insert_cluster(&mut tx, &cluster).await.unwrap();
    store::insert_host(&mut tx, &host).await.unwrap();
    store::upsert_volume(&mut tx, &volume).await.unwrap();
    for b in &bricks {
        store::upsert_brick(&mut tx, b).await.unwrap();
    }
    let mut ids = Vec::new();
    for (i, (pending, reversed)) in [(0, false), (0, true), (240, false)].into_iter().enumerate() {
        let session = SessionRow {
            session_id: id(),
            master_volume_id: volume.id,
            session_key: format!("{i}:ssh://vm::slavevol{i}"),
            slave_host_uuid: None,
            slave_host_name: "vm".into(),
            slave_volume_id: None,
            slave_volume_name: format!("slavevol{i}"),
            slave_user: "root".into(),
            status: "ACTIVE".into(),
            created_at: now,
            updated_at: now,
        };
        store::insert_session(&mut tx, &session).await.unwrap();
        let mut order: Vec<&BrickRow> = bricks.iter().collect();
        if reversed {
            order.reverse();
        }
        for b in order {
            let detail = SessionDetailRow {
                session_id: session.session_id,
                master_brick_id: b.id,
                slave_host_uuid: None,
                slave_host_name: Some("vm".into()),
                status: if b.position == 0 { "ACTIVE" } else { "PASSIVE" }.into(),
                checkpoint_status: None,
                crawl_status: Some("changelog_crawl".into()),
                files_synced: None,
                files_pending: None,
                bytes_pending: None,
                deletes_pending: None,
                files_skipped: None,
                entry_pending: Some(0),
                data_pending: Some(pending),
                meta_pending: Some(0),
                failures: Some(0),
                last_synced_at: Some(now),
                checkpoint_time: None,
                checkpoint_completed_at: None,
                updated_at: now,
            };
            store::upsert_session_detail(&mut tx, &detail).await.unwrap();
        }
        ids.push(session.session_id.into_uuid());
    }
    tx.commit().await.unwrap();
    let service = Service::with_health(
        store,
        Gluster::new("/bin/false", Duration::from_secs(5)),
        HealthConfig::default(),
    );
    (dir, service, ids)
}

/// The parts of a view that do not depend on the instant it was computed at.
fn verdict(v: &HealthView) -> String {
    let h = &v.health;
    format!(
        "{} {:?} {} {:?} {:?} {:?} {:?} {}/{} {:?}",
        h.session_id,
        h.health,
        h.reason,
        h.lag_seconds,
        h.bricks,
        v.views,
        v.counters,
        v.master,
        v.slave,
        v.cluster_id
    )
}

#[tokio::test]
async fn the_bulk_read_gives_each_session_what_its_own_read_gives() {
    let (_dir, service, ids) = seeded().await;
    for _ in 0..2 {
        let bulk = service.health_views().await.unwrap();
        assert_eq!(bulk.len(), ids.len());
        for id in &ids {
            let one = service.health_view(*id).await.unwrap();
            let b = bulk
                .iter()
                .find(|v| v.health.session_id == *id)
                .expect("every session in the bulk read");
            assert_eq!(verdict(b), verdict(&one));
            assert_eq!(b.stored, one.stored);
        }
        // the reversed session's bricks come in brick order, as details_of_session gives them
        let names: Vec<_> = bulk[1].views.iter().map(|v| v.brick.clone()).collect();
        assert_eq!(names, ["vm:/srv/gl/master/b1", "vm:/srv/gl/master/b2"]);
        // a second round reads the verdicts and marks the first one stored
        service
            .store_evaluations(&service.health_views().await.unwrap())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_tick_writes_what_changed_and_nothing_when_nothing_did() {
    let (_dir, service, ids) = seeded().await;
    let views = service.health_views().await.unwrap();
    let first: Vec<Writes> = views
        .iter()
        .map(|v| evaluation_writes(v, Utc::now()))
        .collect();
    assert!(first.iter().all(|w| w.verdict.is_some()), "no verdict stored yet");
    assert!(first[0].marks.is_empty() && first[1].marks.is_empty());
    assert_eq!(first[2].marks.len(), 2, "pending on both bricks: marked");
    service.store_evaluations(&views).await.unwrap();

    let mut c = service.store().pool().acquire().await.unwrap();
    for id in &ids {
        let row = store::get_health(&mut c, id.hyphenated()).await.unwrap();
        assert!(row.is_some(), "verdict of {id} stored");
    }
    let marks = store::list_brick_health(&mut c).await.unwrap();
    assert_eq!(marks.len(), 2);
    assert!(marks
        .iter()
        .all(|m| m.session_id == ids[2].hyphenated() && m.pending_since.is_some()));
    drop(c);

    let again = service.health_views().await.unwrap();
    let second: Vec<Writes> = again
        .iter()
        .map(|v| evaluation_writes(v, Utc::now()))
        .collect();
    assert!(second[0].is_empty() && second[1].is_empty(), "idle: no write");
    // the pending session's marks stay (its lag may have moved on by a second)
    assert!(second[2].marks.is_empty());
}

#[tokio::test]
async fn a_verdict_leaves_the_probe_columns_alone() {
    let (_dir, service, ids) = seeded().await;
    let sid = ids[0].hyphenated();
    let now = Utc::now();
    let probed = HealthRow {
        session_id: sid,
        health: "healthy".into(),
        reason: "probe passed".into(),
        since: now,
        lag_seconds: Some(0),
        last_probe_at: Some(now),
        last_probe_result: Some("passed".into()),
        last_probe_ms: Some(1234),
        last_probe_message: Some("checkpoint completed".into()),
        updated_at: now,
    };
    let mut c = service.store().pool().acquire().await.unwrap();
    store::upsert_health(&mut c, &probed).await.unwrap();
    // a verdict computed before the probe was stored
    let verdict = HealthRow {
        health: "lagging".into(),
        reason: "lag".into(),
        last_probe_at: None,
        last_probe_result: None,
        last_probe_ms: None,
        last_probe_message: None,
        ..probed.clone()
    };
    store::put_verdict(&mut c, &verdict).await.unwrap();
    let row = store::get_health(&mut c, sid).await.unwrap().unwrap();
    assert_eq!(row.health, "lagging");
    assert_eq!(row.last_probe_result.as_deref(), Some("passed"));
    assert_eq!(row.last_probe_ms, Some(1234));
    assert_eq!(row.last_probe_message.as_deref(), Some("checkpoint completed"));
}
