//! gluster's events API: the tables `gluster-eventsapi` prints (it has no XML, and its
//! `--json` fails on python 3: `dict_keys is not JSON serializable`, 10.3) and the events
//! glustereventsd pushes to a webhook (JSON, `utils.py` `publish`).

/// One row of a `gluster-eventsapi` table: the node, whether glusterd sees it (`UP`), and the
/// outcome there (`OK`, or `NOT OK: why`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeOutcome {
    pub node: String,
    pub up: bool,
    pub outcome: String,
}

impl NodeOutcome {
    pub fn ok(&self) -> bool {
        self.up && self.outcome == "OK"
    }
}

/// The rows of every `| NODE | NODE STATUS | … |` table in `text` (header and rules skipped).
pub fn parse_node_table(text: &str) -> Vec<NodeOutcome> {
    text.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l
                .trim()
                .strip_prefix('|')?
                .strip_suffix('|')?
                .split('|')
                .map(str::trim)
                .collect();
            match cells.as_slice() {
                [node, _, _] if *node == "NODE" => None,
                [node, status, outcome] => Some(NodeOutcome {
                    node: (*node).to_owned(),
                    up: *status == "UP",
                    outcome: (*outcome).to_owned(),
                }),
                _ => None,
            }
        })
        .collect()
}

/// The webhook URLs `gluster-eventsapi status` lists (`Webhooks: None`, or one per line after
/// `Webhooks:` up to the blank line before the node table).
pub fn parse_webhooks(status: &str) -> Vec<String> {
    let mut lines = status.lines().skip_while(|l| !l.starts_with("Webhooks:"));
    let Some(first) = lines.next() else {
        return Vec::new();
    };
    let mut urls: Vec<String> = Vec::new();
    let inline = first.trim_start_matches("Webhooks:").trim();
    if !inline.is_empty() && inline != "None" {
        urls.push(inline.to_owned());
    }
    urls.extend(
        lines
            .take_while(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_owned()),
    );
    urls
}

/// What a pushed event is about, as far as georep refreshes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventSubject {
    /// A geo-rep session: its master volume and slave as gluster names it
    /// (`[user@]host::volume`). Lifecycle and config events say `primary`/`secondary`, a
    /// worker's (`GEOREP_ACTIVE`, `_FAULTY`, `_CHECKPOINT_COMPLETED`, …) `primary_volume`,
    /// `secondary_host`, `secondary_volume`.
    Session { master: String, slave: String },
    /// A volume by name (`VOLUME_*`, `BRICK_*`: `name` or `volume`).
    Volume(String),
    /// The pool (`PEER_*`).
    Pool,
    /// Nothing georep shows (client connections, quota, …).
    Other,
}

/// One event as glustereventsd pushes it: `{"nodeid", "ts", "event", "message"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushedEvent {
    /// `GEOREP_PAUSE`, `VOLUME_SET`, …
    pub kind: String,
    /// The gluster peer UUID of the node it happened on.
    pub node: Option<uuid::Uuid>,
    /// Unix seconds, the node's clock.
    pub ts: i64,
    pub subject: EventSubject,
}

/// A pushed event; `Ok(None)` for the empty body of `gluster-eventsapi webhook-test`.
pub fn parse_pushed_event(body: &[u8]) -> Result<Option<PushedEvent>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let kind = v
        .get("event")
        .and_then(|e| e.as_str())
        .filter(|e| !e.is_empty() && e.len() <= 64)
        .ok_or("no \"event\" name")?
        .to_owned();
    let ts = v.get("ts").and_then(|t| t.as_i64()).ok_or("no \"ts\"")?;
    let node = v
        .get("nodeid")
        .and_then(|n| n.as_str())
        .and_then(|n| n.parse().ok());
    let m = v.get("message");
    let text = |k: &str| {
        m.and_then(|m| m.get(k))
            .and_then(|x| x.as_str())
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
    };
    let subject = if kind.starts_with("GEOREP_") {
        let lifecycle = text("primary").zip(text("secondary"));
        let worker = || {
            let (host, vol) = text("secondary_host").zip(text("secondary_volume"))?;
            Some((text("primary_volume")?, format!("{host}::{vol}")))
        };
        match lifecycle.or_else(worker) {
            Some((master, slave)) => EventSubject::Session { master, slave },
            None => EventSubject::Other,
        }
    } else if kind.starts_with("VOLUME_") || kind.starts_with("BRICK_") {
        text("name")
            .or_else(|| text("volume"))
            .map_or(EventSubject::Other, EventSubject::Volume)
    } else if kind.starts_with("PEER_") {
        EventSubject::Pool
    } else {
        EventSubject::Other
    };
    Ok(Some(PushedEvent {
        kind,
        node,
        ts,
        subject,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fx {
        ($name:literal) => {
            include_str!(concat!("../../../tests/fixtures/gluster/", $name))
        };
    }

    #[test]
    fn node_tables() {
        let rows = parse_node_table(fx!("eventsapi-webhook-add.txt"));
        assert_eq!(
            rows,
            [NodeOutcome {
                node: "localhost".into(),
                up: true,
                outcome: "OK".into()
            }]
        );
        assert!(rows[0].ok());
        let refused = parse_node_table(fx!("eventsapi-webhook-test@refused.txt"));
        assert_eq!(refused.len(), 1);
        assert!(!refused[0].ok());
        assert!(
            refused[0].outcome.starts_with("NOT OK: HTTPConnectionPool"),
            "{refused:?}"
        );
        assert!(refused[0].outcome.contains("Connection refused"));
        // a refusal before any table
        assert_eq!(
            parse_node_table(fx!("eventsapi-webhook-add@exists.txt")),
            []
        );
        let status = parse_node_table(fx!("eventsapi-status@webhook.txt"));
        assert_eq!(status.len(), 1);
        assert!(status[0].ok());
    }

    #[test]
    fn webhooks_listed() {
        assert_eq!(
            parse_webhooks(fx!("eventsapi-status@webhook.txt")),
            ["http://127.0.0.1:18099/hook"]
        );
        assert!(parse_webhooks(fx!("eventsapi-status@none.txt")).is_empty());
        assert!(parse_webhooks("").is_empty());
    }

    #[test]
    fn pushed_events_name_what_changed() {
        let mut seen = std::collections::BTreeMap::new();
        for line in fx!("events-pushed.jsonl").lines() {
            let e = parse_pushed_event(line.as_bytes()).unwrap().unwrap();
            assert_eq!(
                e.node,
                Some("e5f44bf1-99ed-46ca-a947-646719ce7b0a".parse().unwrap())
            );
            assert!(e.ts > 1_796_000_000, "{e:?}");
            seen.insert(e.kind.clone(), e.subject);
        }
        let session = EventSubject::Session {
            master: "mastervol".into(),
            slave: "vm::slavevol8".into(),
        };
        // a lifecycle event and a worker's name the same session
        assert_eq!(seen["GEOREP_STOP"], session);
        assert_eq!(seen["GEOREP_ACTIVE"], session);
        assert_eq!(seen["GEOREP_FAULTY"], session);
        assert_eq!(seen["GEOREP_CHECKPOINT_COMPLETED"], session);
        assert_eq!(seen["GEOREP_CONFIG_SET"], session);
        assert_eq!(
            seen["GEOREP_CREATE"],
            EventSubject::Session {
                master: "mastervol".into(),
                slave: "vm::slavevol5".into()
            }
        );
        assert_eq!(seen["VOLUME_SET"], EventSubject::Volume("evtest".into()));
        assert_eq!(
            seen["BRICK_CONNECTED"],
            EventSubject::Volume("slavevol8".into())
        );
        assert_eq!(seen["CLIENT_CONNECT"], EventSubject::Other);
    }

    #[test]
    fn webhook_test_and_garbage() {
        assert_eq!(parse_pushed_event(b""), Ok(None));
        assert_eq!(parse_pushed_event(b" \n"), Ok(None));
        assert!(parse_pushed_event(b"{").is_err());
        assert!(parse_pushed_event(b"[]").is_err());
        assert!(parse_pushed_event(br#"{"event":"X"}"#).is_err());
        let peer = parse_pushed_event(br#"{"event":"PEER_ATTACH","ts":1,"message":{"host":"n2"}}"#)
            .unwrap()
            .unwrap();
        assert_eq!((peer.subject, peer.node), (EventSubject::Pool, None));
        // a georep event without the names is about nothing georep can refresh by name
        let bare = parse_pushed_event(br#"{"event":"GEOREP_PAUSE","ts":1,"message":{}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(bare.subject, EventSubject::Other);
    }
}
