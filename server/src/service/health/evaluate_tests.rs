//! The scheduler's bulk evaluation against a real SQLite file: the same verdicts as one
//! session at a time, writes only for what changed, a probe's columns left alone.
use std::time::Duration;

use chrono::Utc;

use super::*;
use crate::gluster::Gluster;
use crate::service::health::HealthConfig;
use crate::store::tests::{detail, id, open, seed};

/// The store's fixture (a cluster, a 2-brick master volume, a session with data pending on
/// both bricks) and two more sessions: one idle, one idle with its details stored in reverse
/// brick order. Their ids: idle, reversed, pending.
async fn seeded() -> (tempfile::TempDir, Service, Vec<Uuid>) {
    let (dir, store) = open().await;
    let f = seed(&store).await;
    let now = f.session.created_at;
    let mut tx = store.begin().await.unwrap();
    let mut ids = Vec::new();
    for (i, reversed) in [false, true].into_iter().enumerate() {
        let session = SessionRow {
            session_id: id(),
            session_key: format!("{i}:ssh://vm::idle{i}"),
            slave_volume_name: format!("idle{i}"),
            ..f.session.clone()
        };
        store::insert_session(&mut tx, &session).await.unwrap();
        let mut order: Vec<&BrickRow> = f.bricks.iter().collect();
        if reversed {
            order.reverse();
        }
        for b in order {
            let idle = SessionDetailRow {
                status: if b.position == 0 { "ACTIVE" } else { "PASSIVE" }
                    .parse()
                    .unwrap(),
                data_pending: Some(0),
                files_pending: Some(0),
                ..detail(session.session_id, b.id, now)
            };
            store::upsert_session_detail(&mut tx, &idle).await.unwrap();
        }
        ids.push(session.session_id.into_uuid());
    }
    tx.commit().await.unwrap();
    ids.push(f.session.session_id.into_uuid());
    let service = Service::with_health(
        store,
        Gluster::new("/bin/false", Duration::from_secs(5)),
        HealthConfig::default(),
    );
    (dir, service, ids)
}

/// The view of session `id` among `views`.
fn of(views: &[HealthView], id: Uuid) -> &HealthView {
    views
        .iter()
        .find(|v| v.health.session_id == id)
        .expect("every session in the bulk read")
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
            let b = of(&bulk, *id);
            assert_eq!(verdict(b), verdict(&one));
            assert_eq!(b.stored, one.stored);
        }
        // the reversed session's bricks come in brick order, as details_of_session gives them
        let names: Vec<_> = of(&bulk, ids[1])
            .views
            .iter()
            .map(|v| v.brick.clone())
            .collect();
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
    let first: Vec<Writes> = ids
        .iter()
        .map(|id| evaluation_writes(of(&views, *id), Utc::now()))
        .collect();
    assert!(
        first.iter().all(|w| w.verdict.is_some()),
        "no verdict stored yet"
    );
    assert!(first[0].marks.is_empty() && first[1].marks.is_empty());
    assert_eq!(first[2].marks.len(), 2, "pending on both bricks: marked");
    service.store_evaluations(&views).await.unwrap();

    let mut c = service.store().conn().await.unwrap();
    for id in &ids {
        let row = store::get_health(&mut c, id.into()).await.unwrap();
        assert!(row.is_some(), "verdict of {id} stored");
    }
    let marks = store::list_brick_health(&mut c).await.unwrap();
    assert_eq!(marks.len(), 2);
    assert!(marks
        .iter()
        .all(|m| m.session_id == ids[2].into() && m.pending_since.is_some()));
    drop(c);

    let again = service.health_views().await.unwrap();
    let second: Vec<Writes> = ids
        .iter()
        .map(|id| evaluation_writes(of(&again, *id), Utc::now()))
        .collect();
    assert!(
        second[0].is_empty() && second[1].is_empty(),
        "idle: no write"
    );
    // the pending session's marks stay (its lag may have moved on by a second)
    assert!(second[2].marks.is_empty());
}

#[tokio::test]
async fn a_verdict_leaves_the_probe_columns_alone() {
    let (_dir, service, ids) = seeded().await;
    let sid = ids[0].into();
    let now = Utc::now();
    let probed = HealthRow {
        session_id: sid,
        health: Health::Healthy,
        reason: "probe passed".into(),
        since: now,
        lag_seconds: Some(0),
        last_probe_at: Some(now),
        last_probe_result: Some("passed".into()),
        last_probe_ms: Some(1234),
        last_probe_message: Some("checkpoint completed".into()),
        updated_at: now,
    };
    let mut c = service.store().conn().await.unwrap();
    store::upsert_health(&mut c, &probed).await.unwrap();
    // a verdict computed before the probe was stored
    let verdict = HealthRow {
        health: Health::Lagging,
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
    assert_eq!(
        row.last_probe_message.as_deref(),
        Some("checkpoint completed")
    );
}
