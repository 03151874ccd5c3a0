//! gluster's events pushed to georep, on the real lab (glustereventsd runs beside glusterd)
//! and the real binary, whose sync loop is slowed to once an hour: after its first cycle only
//! a pushed event can bring a change. Turned on over REST (gluster's webhook list holds the
//! URL, every node's checks pass), then a session made and driven with the gluster CLI alone —
//! created, started, paused, resumed — shows in REST each time, and the pause is in the audit
//! trail as made outside georep. A push without the token, with another one or for another
//! cluster is refused. Turned off: gluster's list no longer has it.
use std::time::{Duration, Instant};

use georep::api::docs::*;
use reqwest::Method;

use crate::common;
use common::rest::Rest;
use common::{gluster_ok as cli, host, lab_lock_async, lab_script};

const SLAVE: &str = "slavevol9";
const PW: &str = "lab-admin-pw-ev";

/// gluster's list of webhooks (`/var/lib/glusterd/events/webhooks.json`, what
/// `gluster-eventsapi` copies to every peer): URL → bearer token.
fn gluster_webhooks() -> serde_json::Map<String, serde_json::Value> {
    let text =
        std::fs::read_to_string("/var/lib/glusterd/events/webhooks.json").unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

/// Removes the webhook from gluster whatever happened (a dead georep's URL would stay).
struct WebhookGone(String);

impl Drop for WebhookGone {
    fn drop(&mut self) {
        if gluster_webhooks().contains_key(&self.0) {
            let _ = std::process::Command::new("gluster-eventsapi")
                .args(["webhook-del", &self.0])
                .output();
        }
    }
}

/// Polls the session list of `master` until `pred` holds on the session to SLAVE (or its
/// absence); the time it took.
async fn until<F: Fn(Option<&SessionDoc>) -> bool>(
    api: &Rest,
    master: &str,
    what: &str,
    pred: F,
) -> Duration {
    let t0 = Instant::now();
    loop {
        let list: Sessions = api.get(&format!("{master}/georeplication-sessions")).await;
        let s = list.sessions.iter().find(|s| s.slavevolume == SLAVE);
        if pred(s) {
            let took = t0.elapsed();
            eprintln!("figure: {what} shown after {} ms", took.as_millis());
            return took;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{what}: not shown within 60 s (the sync loop runs once an hour): {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gluster_pushes_what_the_cli_did() {
    let _lab = lab_lock_async().await;
    let h = host();
    let slave = format!("{h}::{SLAVE}");
    lab_script(&["volume", SLAVE, "--fresh"]);
    let _cleanup = common::DeleteVolume(SLAVE);
    let lab = common::lab_server("3600", PW).await;
    let (api, served) = (&lab.api, &lab.served);
    let master = common::mastervol_href(&served.base, PW, SLAVE).await;
    let cluster_href = lab.cluster.clone();
    let cluster: ClusterDoc = api.get(&cluster_href).await;
    assert_eq!(cluster.gluster_events, None, "off until asked");
    let url = format!("{}/hooks/gluster/{}", served.base, cluster.id);
    let _gone = WebhookGone(url.clone());

    // --- on: gluster lists the webhook, every node's checks pass ---
    let on = api
        .call(
            Method::POST,
            &format!("{cluster_href}/gluster-events"),
            None,
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.text);
    let setup: GlusterEventsSetupDoc = quick_xml::de::from_str(&on.text).unwrap();
    let checks: Vec<(&str, bool)> = setup
        .node_checks
        .iter()
        .map(|c| (c.check.as_str(), c.ok))
        .collect();
    assert_eq!(
        checks,
        [
            ("webhook copied", true),
            ("glustereventsd", true),
            ("georep reached", true)
        ],
        "{:?}",
        setup.node_checks
    );
    let hooks = gluster_webhooks();
    let token = hooks
        .get(&url)
        .and_then(|w| w.get("token"))
        .and_then(|t| t.as_str())
        .unwrap_or_else(|| panic!("gluster's webhooks: {hooks:?}"))
        .to_owned();
    assert_eq!(token.len(), 64, "georep's token in gluster's list");
    let doc: ClusterDoc = api.get(&cluster_href).await;
    let events = doc.gluster_events.expect("on");
    assert_eq!(events.url, url);
    // each node's test post arrived with the token
    assert_eq!(events.last_event.as_deref(), Some("webhook-test"));
    assert!(events.events_received >= 1);

    // --- the CLI alone: each change shown without a sync cycle ---
    cli(&[
        "volume",
        "geo-replication",
        "mastervol",
        &slave,
        "create",
        "push-pem",
        "force",
    ]);
    until(api, &master, "a session created with the CLI", |s| {
        s.is_some()
    })
    .await;
    // Debian's rsync (see the lab script): tarssh, as every lab session
    cli(&[
        "volume",
        "geo-replication",
        "mastervol",
        &slave,
        "config",
        "sync-method",
        "tarssh",
    ]);
    cli(&["volume", "geo-replication", "mastervol", &slave, "start"]);
    until(api, &master, "a start with the CLI", |s| {
        s.is_some_and(|s| s.status != "created")
    })
    .await;
    // a pause needs running workers
    until(api, &master, "workers running", |s| {
        s.is_some_and(|s| matches!(s.status.as_str(), "active" | "passive"))
    })
    .await;
    cli(&["volume", "geo-replication", "mastervol", &slave, "pause"]);
    let paused = until(api, &master, "a pause with the CLI", |s| {
        s.is_some_and(|s| s.status == "paused")
    })
    .await;
    assert_eq!(common::georep_statuses(SLAVE), ["Paused", "Paused"]);
    cli(&["volume", "geo-replication", "mastervol", &slave, "resume"]);
    until(api, &master, "a resume with the CLI", |s| {
        s.is_some_and(|s| s.status != "paused")
    })
    .await;
    eprintln!(
        "figure: CLI pause to REST, pushed: {} ms",
        paused.as_millis()
    );
    // the trail names what was done outside georep
    let trail: Events = api.get("/api/events?action=status_changed").await;
    assert!(
        trail.events.iter().any(|e| e
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("paused outside georep"))),
        "{:?}",
        trail.events
    );
    let doc: ClusterDoc = api.get(&cluster_href).await;
    let events = doc.gluster_events.expect("on");
    assert!(events.events_received > 3, "{events:?}");
    assert!(
        events
            .last_event
            .as_deref()
            .is_some_and(|e| e != "webhook-test"),
        "{events:?}"
    );

    // --- refused: no token, another token, another cluster, not an event ---
    let base = served.base.clone();
    let post = |path: String, bearer: Option<String>, body: &'static str| {
        let base = base.clone();
        async move {
            let mut r = reqwest::Client::new()
                .post(format!("{base}{path}"))
                .body(body);
            if let Some(b) = bearer {
                r = r.bearer_auth(b);
            }
            r.send().await.unwrap().status().as_u16()
        }
    };
    let path = format!("/hooks/gluster/{}", cluster.id);
    let other = format!("/hooks/gluster/{}", uuid::Uuid::new_v4());
    assert_eq!(post(path.clone(), None, "").await, 401);
    assert_eq!(post(path.clone(), Some("0".repeat(64)), "").await, 401);
    assert_eq!(post(other, Some(token.clone()), "").await, 401);
    assert_eq!(
        post("/hooks/gluster/x".into(), Some(token.clone()), "").await,
        401
    );
    assert_eq!(
        post(path.clone(), Some(token.clone()), "{not json").await,
        400
    );
    assert_eq!(post(path, Some(token.clone()), "").await, 200);

    // --- off: gluster's list no longer has it ---
    let off = api
        .call(
            Method::DELETE,
            &format!("{cluster_href}/gluster-events"),
            None,
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    assert!(!gluster_webhooks().contains_key(&url));
    let doc: ClusterDoc = api.get(&cluster_href).await;
    assert_eq!(doc.gluster_events, None);
    let again = api
        .call(
            Method::DELETE,
            &format!("{cluster_href}/gluster-events"),
            None,
        )
        .await;
    assert_eq!(again.status, 404, "{}", again.text);
    drop(lab);
}
