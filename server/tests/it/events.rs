//! The audit trail over REST, on the real binary without gluster (api.rs's server: one seeded
//! session, a fake gluster that fails): paging through more than a hundred events with the
//! cursor, each filter, the export as CSV and JSON (REST and the page's download), faults in
//! the route's format, and the retention.
use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use georep::api::docs::*;
use georep::store;
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use crate::api::{spawn, Server, Who, ADMIN_PW};
use crate::common;

/// The events the trail gets below: refused option sets (a value gluster never sees), refused
/// resumes of an active session, one schedule set (ok), and a second admin's refused sets.
const SETS: usize = 120;
const RESUMES: usize = 3;
const ALICE: usize = 2;
const ALL: usize = SETS + RESUMES + 1 + ALICE;

/// Sends `r`, which must answer `expect`.
async fn act(r: reqwest::RequestBuilder, expect: StatusCode) {
    let resp = r.send().await.unwrap();
    let status = resp.status();
    assert_eq!(status, expect, "{}", resp.text().await.unwrap());
}

/// The trail of `ALL` events, all of the seeded session (cluster `site-a`).
async fn trail(s: &Server) {
    let option = format!("{}/options/sync_jobs", s.s());
    let bad = "<option><value>0</value></option>";
    for _ in 0..SETS {
        let r = s
            .req(Who::Admin, Method::PUT, &option)
            .header("content-type", "application/xml")
            .body(bad);
        act(r, StatusCode::BAD_REQUEST).await;
    }
    for _ in 0..RESUMES {
        let r = s.req(Who::Admin, Method::POST, &format!("{}/resume", s.s()));
        act(r, StatusCode::CONFLICT).await;
    }
    let r = s
        .req(Who::Admin, Method::PUT, &format!("{}/schedule", s.s()))
        .header("content-type", "application/xml")
        .body("<schedule><every_seconds>3600</every_seconds></schedule>");
    act(r, StatusCode::OK).await;
    common::add_user(
        &s.dir.path().join("georep.db"),
        "alice",
        "admin",
        "alice-pw-1",
    );
    for _ in 0..ALICE {
        let r = reqwest::Client::new()
            .put(format!("{}{option}", s.base))
            .basic_auth("alice", Some("alice-pw-1"))
            .header("content-type", "application/xml")
            .body(bad);
        act(r, StatusCode::BAD_REQUEST).await;
    }
}

/// Every event `query` selects, page by page along the `next` links (checked XML against
/// JSON on each page): their ids, and how many pages.
async fn walk(s: &Server, query: &str) -> (Vec<i64>, usize) {
    let mut href = Some(format!("/api/events?{query}"));
    let (mut ids, mut pages) = (Vec::new(), 0);
    while let Some(h) = href {
        let page: Events = s.get_doc(&h).await;
        pages += 1;
        ids.extend(page.events.iter().map(|e| e.id));
        href = page
            .links
            .iter()
            .find(|l| l.rel == "next")
            .map(|l| l.href.clone());
        assert!(pages < 100, "the next links go round: {h}");
    }
    (ids, pages)
}

async fn count(s: &Server, query: &str) -> usize {
    walk(s, &format!("{query}&limit=1000")).await.0.len()
}

#[tokio::test]
async fn paging_through_the_trail_with_the_cursor() {
    let s = spawn().await;
    trail(&s).await;

    let (ids, pages) = walk(&s, "limit=50").await;
    assert_eq!((ids.len(), pages), (ALL, ALL.div_ceil(50)));
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    // the second page links back to the first (prev) and on to the third (next); both keep
    // the limit
    let first: Events = s.get_doc("/api/events?limit=50").await;
    assert!(
        !first.links.iter().any(|l| l.rel == "prev"),
        "nothing newer"
    );
    let next = &first.links.iter().find(|l| l.rel == "next").unwrap().href;
    assert_eq!(
        next,
        &format!("/api/events?limit=50&before={}", ids[49]),
        "the cursor is the last event shown"
    );
    let second: Events = s.get_doc(next).await;
    assert_eq!(second.events[0].id, ids[50]);
    let prev = &second.links.iter().find(|l| l.rel == "prev").unwrap().href;
    let back: Events = s.get_doc(prev).await;
    assert_eq!(
        back.events, first.events,
        "prev leads back to the same page"
    );

    // an event written meanwhile does not shift the pages already numbered
    let r = s.req(Who::Admin, Method::POST, &format!("{}/resume", s.s()));
    act(r, StatusCode::CONFLICT).await;
    let again: Events = s.get_doc(next).await;
    assert_eq!(again.events, second.events);
    let newest: Events = s.get_doc("/api/events?limit=1").await;
    assert!(newest.events[0].id > ids[0]);

    // the default page is 100, and the JSON form carries the links too
    let page: Events = s.get_doc("/api/events").await;
    assert_eq!(page.events.len(), 100);
    let (_, _, json) = s.get_text("/api/events", "application/json").await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["link"][0]["rel"], "next", "{json}");
}

#[tokio::test]
async fn each_filter_narrows_the_trail() {
    let s = spawn().await;
    let start = Utc::now() - chrono::Duration::seconds(1);
    trail(&s).await;
    let (session, cluster) = (s.ids.session, s.ids.cluster);
    let other = Uuid::new_v4();
    let time = |t: chrono::DateTime<Utc>| {
        form_urlencoded::byte_serialize(t.to_rfc3339().as_bytes()).collect::<String>()
    };
    let later = Utc::now() + chrono::Duration::minutes(1);
    for (query, want) in [
        (format!("session={session}"), ALL),
        (format!("session={other}"), 0),
        (format!("cluster={cluster}"), ALL),
        (format!("cluster={other}"), 0),
        ("actor=alice".into(), ALICE),
        ("actor=admin".into(), ALL - ALICE),
        ("actor=".into(), ALL),
        ("action=resume".into(), RESUMES),
        ("action=option_set".into(), SETS + ALICE),
        ("result=ok".into(), 1),
        ("result=refused".into(), ALL - 1),
        ("result=detected".into(), 0),
        (format!("from={}", time(start)), ALL),
        (format!("from={}", time(later)), 0),
        (format!("to={}", time(start)), 0),
        (format!("from={}&to={}", time(start), time(later)), ALL),
        (
            format!("session={session}&actor=admin&action=option_set&result=refused"),
            SETS,
        ),
    ] {
        assert_eq!(count(&s, &query).await, want, "{query}");
    }
    // the pages of a filter keep it
    let (ids, pages) = walk(&s, "action=option_set&limit=50").await;
    assert_eq!((ids.len(), pages), (SETS + ALICE, 3));
    let first: Events = s.get_doc("/api/events?actor=alice&limit=1").await;
    assert_eq!(first.events[0].actor, "alice");
    let next = &first.links.iter().find(|l| l.rel == "next").unwrap().href;
    assert!(
        next.starts_with("/api/events?actor=alice&limit=1&before="),
        "{next}"
    );
    let second: Events = s.get_doc(next).await;
    assert_eq!(
        (second.events.len(), second.events[0].actor.as_str()),
        (1, "alice")
    );
    assert!(
        !second.links.iter().any(|l| l.rel == "next"),
        "the last one"
    );
}

#[tokio::test]
async fn bad_values_are_400_faults_and_the_export_only_reads() {
    let s = spawn().await;
    for query in [
        "session=x",
        "session=x'%20OR%201=1",
        "cluster=42",
        "result=maybe",
        "from=yesterday",
        "to=2026-13-01T00:00:00Z",
        "from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z",
        "limit=0",
        "limit=1001",
        "limit=many",
        "before=x",
        "before=10&after=5",
    ] {
        let (status, fault) = s
            .fault(
                Who::Token,
                Method::GET,
                &format!("/api/events?{query}"),
                None,
                "",
            )
            .await;
        assert_eq!(status, 400, "{query}: {fault:?}");
        assert!(!fault.detail.is_empty(), "{query}");
    }
    let resp = s
        .req(Who::Token, Method::GET, "/api/events?result=maybe")
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let fault: serde_json::Value = resp.json().await.unwrap();
    assert!(
        fault["detail"].as_str().unwrap().contains("maybe"),
        "{fault}"
    );
    // the export is read only: another method is a 405 fault like any route's
    let (status, fault) = s
        .fault(Who::Admin, Method::POST, "/api/events/export", None, "")
        .await;
    assert_eq!(
        (status, fault.reason.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
    );
    for query in ["format=xml", "result=maybe", "from=now"] {
        let (status, _) = s
            .fault(
                Who::Token,
                Method::GET,
                &format!("/api/events/export?{query}"),
                None,
                "",
            )
            .await;
        assert_eq!(status, 400, "{query}");
    }
}

#[tokio::test]
async fn the_export_holds_every_event_the_filter_selects() {
    let s = spawn().await;
    trail(&s).await;
    let resp = s
        .req(
            Who::Viewer,
            Method::GET,
            "/api/events/export?action=option_set",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "text/csv; charset=utf-8");
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let text = resp.text().await.unwrap();
    let mut csv = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        head[..6],
        ["id", "at", "actor", "action", "target", "result"]
    );
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), SETS + ALICE);
    let row = &rows[0];
    assert_eq!(&row[3], "option_set");
    assert_eq!(&row[5], "refused");
    assert_eq!(&row[4], "mastervol -> vm::slavevol sync_jobs");
    assert!(row[6].contains("an integer from 1 to 100"), "{row:?}");
    assert_eq!(&row[7], s.ids.session.to_string());
    // the same events as the pages
    let ids: Vec<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(ids, walk(&s, "action=option_set&limit=1000").await.0);

    // JSON: the documents of /api/events, in one array; more than a page's worth
    let resp = s
        .req(Who::Token, Method::GET, "/api/events/export?format=json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let doc: serde_json::Value = resp.json().await.unwrap();
    let events = doc["event"].as_array().unwrap();
    assert_eq!(events.len(), ALL);
    let unique: HashSet<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(unique.len(), ALL);
    let empty = s
        .req(
            Who::Token,
            Method::GET,
            &format!("/api/events/export?format=json&session={}", Uuid::new_v4()),
        )
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = empty.json().await.unwrap();
    assert_eq!(doc, serde_json::json!({ "event": [] }));

    // the page's download: the same file behind the login gate
    let url = format!("{}/events/export?actor=alice", s.base);
    let stranger = crate::server::get_as("", url.clone()).await;
    assert_eq!(stranger.status(), StatusCode::SEE_OTHER);
    let cookie = crate::server::session_cookie(&s.base, "admin", ADMIN_PW).await;
    let resp = crate::server::get_as(&cookie, url).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert_eq!(
        csv::Reader::from_reader(text.as_bytes()).records().count(),
        ALICE
    );
}

/// `--event-retention-days 1`: an event two days old is deleted shortly after the start, a
/// new one stays.
#[tokio::test]
async fn events_past_the_retention_are_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    let ids = crate::api::seed(&db).await;
    let store = common::open_store(&db).await;
    let mut c = store.conn().await.unwrap();
    for (days, action) in [(2, "old"), (0, "new")] {
        store::insert_event(
            &mut c,
            &store::EventRow {
                id: 0,
                at: Utc::now() - chrono::Duration::days(days),
                actor: "admin".into(),
                action: action.into(),
                cluster_id: Some(ids.cluster.into()),
                session_id: None,
                target: "x".into(),
                result: app::domain::EventResult::Ok,
                message: None,
                operation_id: None,
            },
        )
        .await
        .unwrap();
    }
    drop(c);
    store.close().await;
    drop(store);
    let served = common::serve_apart(
        &db,
        &["--gluster-command", "/bin/false"],
        &["--sync-interval", "3600", "--event-retention-days", "1"],
        ADMIN_PW,
    );
    let t0 = std::time::Instant::now();
    loop {
        let page: Events = reqwest::Client::new()
            .get(format!("{}/api/events", served.base))
            .basic_auth("admin", Some(ADMIN_PW))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .map(|t| quick_xml::de::from_str(&t).unwrap())
            .unwrap();
        let actions: Vec<&str> = page.events.iter().map(|e| e.action.as_str()).collect();
        if actions == ["new"] {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "still there: {actions:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(served
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("events past the retention deleted")));
}
