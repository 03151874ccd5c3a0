//! The audit trail's reads against both engines: pages, every filter, the retention.
use app::domain::{EventCursor as C, EventFilter, EventResult};
use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::store::tests::id;
use crate::store::Store;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap()
}

/// 30 events a minute apart (the ids 1..=30 in time order): sessions a (even) and b (odd) of
/// cluster x, except every tenth, of no session in cluster y; actor admin, every third `sync`;
/// action pause, every fifth option_set; result ok, every fourth refused.
async fn trail(store: &Store) -> (Id, Id, Id, Id) {
    let (a, b, x, y) = (id(), id(), id(), id());
    let mut c = store.conn().await.unwrap();
    for n in 1..=30i64 {
        let tenth = n % 10 == 0;
        let row = EventRow {
            id: 0,
            at: t0() + Duration::minutes(n),
            actor: if n % 3 == 0 { "sync" } else { "admin" }.into(),
            action: if n % 5 == 0 { "option_set" } else { "pause" }.into(),
            cluster_id: Some(if tenth { y } else { x }),
            session_id: (!tenth).then_some(if n % 2 == 0 { a } else { b }),
            target: format!("mastervol -> vm::slavevol #{n}"),
            result: if n % 4 == 0 {
                EventResult::Refused
            } else {
                EventResult::Ok
            },
            message: None,
            operation_id: None,
        };
        assert_eq!(insert_event(&mut c, &row).await.unwrap(), n);
    }
    (a, b, x, y)
}

async fn ids(store: &Store, f: &EventFilter, cursor: C, limit: i64) -> Vec<i64> {
    let mut c = store.conn().await.unwrap();
    list_events(&mut c, f, cursor, limit)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect()
}

async fn pages_are_newest_first_on_either_side_of_a_cursor(store: Store) {
    trail(&store).await;
    let all = EventFilter::default();
    assert_eq!(ids(&store, &all, C::Newest, 3).await, [30, 29, 28]);
    assert_eq!(ids(&store, &all, C::Before(28), 3).await, [27, 26, 25]);
    assert_eq!(ids(&store, &all, C::Before(2), 3).await, [1]);
    assert!(ids(&store, &all, C::Before(1), 3).await.is_empty());
    // the page just newer than a cursor, still newest first
    assert_eq!(ids(&store, &all, C::After(25), 3).await, [28, 27, 26]);
    assert_eq!(ids(&store, &all, C::After(28), 3).await, [30, 29]);
    let mut c = store.conn().await.unwrap();
    assert!(any_events(&mut c, &all, C::Before(2)).await.unwrap());
    assert!(!any_events(&mut c, &all, C::Before(1)).await.unwrap());
    assert!(!any_events(&mut c, &all, C::After(30)).await.unwrap());
}

async fn every_filter_narrows_and_they_combine(store: Store) {
    let (a, _b, x, y) = trail(&store).await;
    let session = EventFilter {
        session: Some(a.into_uuid()),
        ..Default::default()
    };
    assert_eq!(
        ids(&store, &session, C::Newest, 100).await,
        [28, 26, 24, 22, 18, 16, 14, 12, 8, 6, 4, 2]
    );
    let cluster = EventFilter {
        cluster: Some(y.into_uuid()),
        ..Default::default()
    };
    assert_eq!(ids(&store, &cluster, C::Newest, 100).await, [30, 20, 10]);
    let other = EventFilter {
        cluster: Some(x.into_uuid()),
        ..Default::default()
    };
    assert_eq!(ids(&store, &other, C::Newest, 100).await.len(), 27);
    let actor = EventFilter {
        actor: Some("sync".into()),
        ..Default::default()
    };
    assert_eq!(
        ids(&store, &actor, C::Newest, 100).await,
        [30, 27, 24, 21, 18, 15, 12, 9, 6, 3]
    );
    let action = EventFilter {
        action: Some("option_set".into()),
        ..Default::default()
    };
    assert_eq!(
        ids(&store, &action, C::Newest, 100).await,
        [30, 25, 20, 15, 10, 5]
    );
    let result = EventFilter {
        result: Some(EventResult::Refused),
        ..Default::default()
    };
    assert_eq!(
        ids(&store, &result, C::Newest, 100).await,
        [28, 24, 20, 16, 12, 8, 4]
    );
    // from is inclusive, to exclusive: minutes 5 to 7
    let range = EventFilter {
        from: Some(t0() + Duration::minutes(5)),
        to: Some(t0() + Duration::minutes(8)),
        ..Default::default()
    };
    assert_eq!(ids(&store, &range, C::Newest, 100).await, [7, 6, 5]);
    // a time between two events, to the nanosecond
    let between = EventFilter {
        from: Some(t0() + Duration::minutes(29) + Duration::nanoseconds(1)),
        ..Default::default()
    };
    assert_eq!(ids(&store, &between, C::Newest, 100).await, [30]);
    let all_of_them = EventFilter {
        session: Some(a.into_uuid()),
        actor: Some("admin".into()),
        result: Some(EventResult::Refused),
        to: Some(t0() + Duration::minutes(20)),
        ..Default::default()
    };
    assert_eq!(ids(&store, &all_of_them, C::Newest, 100).await, [16, 8, 4]);
    // paging within a filter
    assert_eq!(ids(&store, &all_of_them, C::Before(16), 1).await, [8]);
    assert_eq!(ids(&store, &all_of_them, C::After(4), 1).await, [8]);
    let nobody = EventFilter {
        session: Some(Uuid::new_v4()),
        ..Default::default()
    };
    assert!(ids(&store, &nobody, C::Newest, 100).await.is_empty());
    // values are bound, never spliced into the statement
    let quote = EventFilter {
        actor: Some("x' OR '1'='1".into()),
        ..Default::default()
    };
    assert!(ids(&store, &quote, C::Newest, 100).await.is_empty());
}

async fn the_retention_deletes_older_events_only(store: Store) {
    trail(&store).await;
    let mut c = store.conn().await.unwrap();
    let cut = t0() + Duration::minutes(10);
    assert_eq!(prune_events(&mut c, cut).await.unwrap(), 9);
    assert_eq!(prune_events(&mut c, cut).await.unwrap(), 0, "done already");
    let left = list_events(&mut c, &EventFilter::default(), C::Newest, 100)
        .await
        .unwrap();
    assert_eq!(left.len(), 21);
    assert!(left.iter().all(|e| e.at >= cut));
}

async fn an_event_reads_back_as_written(store: Store) {
    let mut c = store.conn().await.unwrap();
    let row = EventRow {
        id: 0,
        at: t0() + Duration::milliseconds(1500),
        actor: "admin".into(),
        action: "option_set".into(),
        cluster_id: Some(id()),
        session_id: Some(id()),
        target: "mastervol -> vm::slavevol sync_jobs=4".into(),
        result: EventResult::Failed,
        message: Some("gluster said \"no\",\nthen more".into()),
        operation_id: Some(id()),
    };
    let n = insert_event(&mut c, &row).await.unwrap();
    let back = list_events(&mut c, &EventFilter::default(), C::Newest, 1)
        .await
        .unwrap();
    assert_eq!(back, [EventRow { id: n, ..row }]);
}

crate::store::tests::on_both_engines!(
    pages_are_newest_first_on_either_side_of_a_cursor,
    every_filter_narrows_and_they_combine,
    the_retention_deletes_older_events_only,
    an_event_reads_back_as_written,
);
