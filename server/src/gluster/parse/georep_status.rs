//! `volume geo-replication [MASTER [HOST::SLAVE]] status [detail] --xml`.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::common::{is_absent, malformed, opt_num, opt_text, req, snippet, uuid};
use super::envelope::ok_body;
use super::Result;
use crate::gluster::model::*;

/// `volume geo-replication [MASTER [HOST::SLAVE]] status [detail] --xml`.
///
/// `geoRep/volume*/{name, sessions/session*/{session_secondary|session_slave, pair*}}`.
/// An empty status (`<geoRep/>`, no `<geoRep>` at all, or volumes without sessions) gives an
/// empty [`GeorepStatus`] / empty session lists.
///
/// When there is no session at all gluster prints no XML, only the plain line
/// `geo-replication command failed` (exit 2): that is returned as
/// `Err(ParseError::NotXml("geo-replication command failed"))` so the caller decides whether it
/// means "no session" (it does for a status of a session that was just deleted, files 103/104)
/// or a real failure.
pub fn parse_georep_status(xml: &str) -> Result<GeorepStatus> {
    let doc: GeoStatusDoc = ok_body(xml, "geo-replication status")?;
    let volumes = doc.geo_rep.map(|g| g.volume).unwrap_or_default();
    let volumes = volumes
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let ctx = format!("geo-rep volume {}", i + 1);
            let name = req(v.name, &ctx, "name")?;
            let sessions = v
                .sessions
                .map(|s| s.session)
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(j, s)| convert_session(&format!("{ctx} ({name}) session {}", j + 1), s))
                .collect::<Result<Vec<_>>>()?;
            Ok(GeorepVolume { name, sessions })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(GeorepStatus {
        volumes: each_once(volumes),
    })
}

/// Every volume once, each session once: with two master volumes, glusterfs 10.3's `status`
/// (no volume named) lists the first one again after the second (the same sessions), and a
/// session listed twice would be stored twice.
fn each_once(volumes: Vec<GeorepVolume>) -> Vec<GeorepVolume> {
    let mut once: Vec<GeorepVolume> = Vec::with_capacity(volumes.len());
    for v in volumes {
        match once.iter_mut().find(|o| o.name == v.name) {
            None => once.push(v),
            Some(o) => {
                for s in v.sessions {
                    if !o.sessions.iter().any(|k| k.session_key == s.session_key) {
                        o.sessions.push(s);
                    }
                }
            }
        }
    }
    once
}

#[derive(Deserialize)]
struct GeoStatusDoc {
    #[serde(rename = "geoRep")]
    geo_rep: Option<RawGeoRep>,
}

#[derive(Deserialize)]
struct RawGeoRep {
    #[serde(default)]
    volume: Vec<RawGeoVolume>,
}

#[derive(Deserialize)]
struct RawGeoVolume {
    name: Option<String>,
    sessions: Option<RawSessions>,
}

#[derive(Deserialize)]
struct RawSessions {
    #[serde(default)]
    session: Vec<RawSession>,
}

#[derive(Deserialize)]
struct RawSession {
    #[serde(rename = "session_secondary", alias = "session_slave")]
    key: Option<String>,
    #[serde(default)]
    pair: Vec<RawPair>,
}

/// Element names of gluster ≥ 10, with the < 10 ones as aliases.
#[derive(Deserialize)]
struct RawPair {
    #[serde(rename = "primary_node", alias = "master_node")]
    master_node: Option<String>,
    #[serde(rename = "primary_brick", alias = "master_brick")]
    master_brick: Option<String>,
    #[serde(rename = "secondary_user", alias = "slave_user")]
    slave_user: Option<String>,
    #[serde(rename = "secondary", alias = "slave")]
    slave: Option<String>,
    #[serde(rename = "secondary_node", alias = "slave_node")]
    slave_node: Option<String>,
    status: Option<String>,
    crawl_status: Option<String>,
    entry: Option<String>,
    data: Option<String>,
    meta: Option<String>,
    failures: Option<String>,
    checkpoint_completed: Option<String>,
    #[serde(rename = "primary_node_uuid", alias = "master_node_uuid")]
    master_node_uuid: Option<String>,
    last_synced: Option<String>,
    checkpoint_time: Option<String>,
    checkpoint_completion_time: Option<String>,
}

fn convert_session(ctx: &str, s: RawSession) -> Result<GeorepSession> {
    let session_key = req(s.key, ctx, "session_secondary")?;
    let key = parse_session_key(&session_key).map_err(|why| {
        malformed(format!(
            "{ctx}: session key {:?}: {why}",
            snippet(&session_key)
        ))
    })?;
    let pairs = s
        .pair
        .into_iter()
        .enumerate()
        .map(|(i, p)| convert_pair(&format!("{ctx} pair {}", i + 1), p))
        .collect::<Result<Vec<_>>>()?;
    let slave_user = pairs
        .first()
        .map(|p| p.slave_user.clone())
        .or(key.user)
        .unwrap_or_else(|| "root".to_string());
    Ok(GeorepSession {
        master_node_uuid: key.master_node_uuid,
        slave_user,
        slave_host: key.host,
        slave_volume: key.volume,
        slave_volume_uuid: key.volume_uuid,
        pairs,
        session_key,
    })
}

struct SessionKey {
    master_node_uuid: Uuid,
    user: Option<String>,
    host: String,
    volume: String,
    volume_uuid: Option<Uuid>,
}

/// `<master node uuid>:ssh://[user@]<host>::<volume>:<volume uuid>`.
fn parse_session_key(key: &str) -> std::result::Result<SessionKey, String> {
    let key = key.trim();
    let (node, rest) = key.split_once(':').ok_or("no ':' after the node uuid")?;
    let master_node_uuid =
        Uuid::parse_str(node.trim()).map_err(|e| format!("bad node uuid: {e}"))?;
    let rest = rest.strip_prefix("ssh://").unwrap_or(rest);
    // rsplit: the volume part never contains "::", an IPv6 host might.
    let (host_part, vol_part) = rest.rsplit_once("::").ok_or("no '::' before the volume")?;
    let (volume, volume_uuid) = match vol_part.rsplit_once(':') {
        Some((v, u)) => (
            v,
            Some(Uuid::parse_str(u).map_err(|e| format!("bad volume uuid: {e}"))?),
        ),
        None => (vol_part, None),
    };
    let (user, host) = match host_part.rsplit_once('@') {
        Some((u, h)) if !u.is_empty() => (Some(u.to_string()), h),
        Some((_, h)) => (None, h),
        None => (None, host_part),
    };
    if host.is_empty() {
        return Err("empty host".into());
    }
    if volume.is_empty() {
        return Err("empty volume".into());
    }
    Ok(SessionKey {
        master_node_uuid,
        user,
        host: host.to_string(),
        volume: volume.to_string(),
        volume_uuid,
    })
}

fn convert_pair(ctx: &str, p: RawPair) -> Result<GeorepPair> {
    Ok(GeorepPair {
        master_node: req(p.master_node, ctx, "primary_node")?,
        master_brick: req(p.master_brick, ctx, "primary_brick")?,
        slave_user: req(p.slave_user, ctx, "secondary_user")?,
        slave: req(p.slave, ctx, "secondary")?,
        slave_node: p.slave_node.and_then(|s| opt_text(Some(s))),
        status: worker_status(&req(p.status, ctx, "status")?),
        crawl_status: crawl_status(p.crawl_status.as_deref().unwrap_or("")),
        entry: opt_num(p.entry.as_deref(), ctx, "entry")?,
        data: opt_num(p.data.as_deref(), ctx, "data")?,
        meta: opt_num(p.meta.as_deref(), ctx, "meta")?,
        failures: opt_num(p.failures.as_deref(), ctx, "failures")?,
        checkpoint_completed: yes_no(p.checkpoint_completed.as_deref(), ctx)?,
        master_node_uuid: uuid(
            &req(p.master_node_uuid, ctx, "primary_node_uuid")?,
            ctx,
            "primary_node_uuid",
        )?,
        last_synced: opt_time(p.last_synced.as_deref(), ctx, "last_synced")?,
        checkpoint_time: opt_time(p.checkpoint_time.as_deref(), ctx, "checkpoint_time")?,
        checkpoint_completion_time: opt_time(
            p.checkpoint_completion_time.as_deref(),
            ctx,
            "checkpoint_completion_time",
        )?,
    })
}

fn worker_status(s: &str) -> WorkerStatus {
    // gluster prints "Initializing..." while a worker starts.
    let key = s.trim().trim_end_matches('.').trim();
    match key.to_ascii_lowercase().as_str() {
        "created" => WorkerStatus::Created,
        "initializing" => WorkerStatus::Initializing,
        "active" => WorkerStatus::Active,
        "passive" => WorkerStatus::Passive,
        "paused" => WorkerStatus::Paused,
        "stopped" => WorkerStatus::Stopped,
        "faulty" => WorkerStatus::Faulty,
        "offline" => WorkerStatus::Offline,
        _ => WorkerStatus::Unknown(s.trim().to_string()),
    }
}

fn crawl_status(s: &str) -> CrawlStatus {
    let s = s.trim();
    if is_absent(s) {
        return CrawlStatus::NotAvailable;
    }
    match s.to_ascii_lowercase().as_str() {
        "changelog crawl" => CrawlStatus::Changelog,
        "hybrid crawl" => CrawlStatus::Hybrid,
        "history crawl" => CrawlStatus::History,
        _ => CrawlStatus::Other(s.to_string()),
    }
}

fn yes_no(s: Option<&str>, ctx: &str) -> Result<Option<bool>> {
    match s.map(str::trim) {
        None => Ok(None),
        Some(s) if is_absent(s) => Ok(None),
        Some(s) if s.eq_ignore_ascii_case("yes") => Ok(Some(true)),
        Some(s) if s.eq_ignore_ascii_case("no") => Ok(Some(false)),
        Some(s) => Err(malformed(format!(
            "{ctx}: checkpoint_completed {:?} is not Yes/No/N/A",
            snippet(s)
        ))),
    }
}

/// gluster prints these times as "YYYY-MM-DD HH:MM:SS" in the local time of the node that
/// answered, without a zone. The lab and the hosts this app manages run in UTC, so they are read
/// as UTC. (If a host ran in another zone, these would be off by its UTC offset.)
fn opt_time(s: Option<&str>, ctx: &str, what: &str) -> Result<Option<DateTime<Utc>>> {
    match s.map(str::trim) {
        None => Ok(None),
        Some(s) if is_absent(s) => Ok(None),
        Some(s) => NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .map(|t| Some(t.and_utc()))
            .map_err(|e| malformed(format!("{ctx}: {what} {:?}: {e}", snippet(s)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::parse::fixtures::*;
    use crate::gluster::parse::*;
    use chrono::TimeZone;

    // ----- geo-rep status ---------------------------------------------------------------------

    #[test]
    fn georep_created() {
        let st = status(ST_CREATED);
        let v = &st.volumes[0];
        assert_eq!(v.name, "mastervol");
        let s = &v.sessions[0];
        assert_eq!(
            s.session_key,
            "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://vm::slavevol:a10873cc-0900-4522-9c17-2439b5ec9564"
        );
        assert_eq!(s.master_node_uuid, u(NODE_A));
        assert_eq!(s.slave_user, "root");
        assert_eq!(s.slave_host, "vm");
        assert_eq!(s.slave_volume, "slavevol");
        assert_eq!(
            s.slave_volume_uuid,
            Some(u("a10873cc-0900-4522-9c17-2439b5ec9564"))
        );
        assert_eq!(s.pairs.len(), 2);
        assert_eq!(
            s.pairs[0],
            GeorepPair {
                master_node: "vm".into(),
                master_brick: "/srv/gl/master/b1".into(),
                slave_user: "root".into(),
                slave: "vm::slavevol".into(),
                slave_node: None,
                status: WorkerStatus::Created,
                crawl_status: CrawlStatus::NotAvailable,
                entry: None,
                data: None,
                meta: None,
                failures: None,
                checkpoint_completed: None,
                master_node_uuid: u(NODE_A),
                last_synced: None,
                checkpoint_time: None,
                checkpoint_completion_time: None,
            }
        );
        assert_eq!(s.pairs[1].master_brick, "/srv/gl/master/b2");
        assert_eq!(st.sessions().count(), 1);
    }

    #[test]
    fn georep_every_worker_status() {
        let cases = [
            (ST_CREATED, WorkerStatus::Created),
            (ST_INITIALIZING, WorkerStatus::Initializing),
            (ST_ACTIVE, WorkerStatus::Active),
            (ST_PAUSED, WorkerStatus::Paused),
            (ST_ALL_PAUSED, WorkerStatus::Paused),
            (ST_STOPPED, WorkerStatus::Stopped),
            (ST_FAULTY, WorkerStatus::Faulty),
            (ST_REPLICA_BOTH_ACTIVE, WorkerStatus::Active),
        ];
        for (xml, want) in cases {
            let p = pairs(xml);
            assert_eq!(p.len(), 2);
            assert!(p.iter().all(|p| p.status == want), "{want:?}");
        }
        let p = pairs(ST_ACTIVE_PASSIVE);
        assert_eq!(
            (p[0].status.clone(), p[1].status.clone()),
            (WorkerStatus::Active, WorkerStatus::Passive)
        );
        assert_eq!(worker_status("Offline"), WorkerStatus::Offline);
        assert_eq!(worker_status("Initializing"), WorkerStatus::Initializing);
        assert_eq!(
            worker_status("Config Corrupted"),
            WorkerStatus::Unknown("Config Corrupted".into())
        );
    }

    #[test]
    fn georep_every_crawl_status() {
        let cases = [
            (ST_ACTIVE, CrawlStatus::Changelog),
            (ST_HYBRID, CrawlStatus::Hybrid),
            (ST_HISTORY, CrawlStatus::History),
            (ST_STOPPED, CrawlStatus::NotAvailable),
        ];
        for (xml, want) in cases {
            assert!(
                pairs(xml).iter().all(|p| p.crawl_status == want),
                "{want:?}"
            );
        }
        let p = pairs(ST_ACTIVE_PASSIVE);
        assert_eq!(p[0].crawl_status, CrawlStatus::History);
        assert_eq!(p[1].crawl_status, CrawlStatus::NotAvailable);
        assert_eq!(
            crawl_status("Xsync Crawl"),
            CrawlStatus::Other("Xsync Crawl".into())
        );
    }

    #[test]
    fn georep_active_details() {
        let p = pairs(ST_ACTIVE);
        assert_eq!(p[0].slave_node, None); // <secondary_node/>
        assert_eq!(
            (p[0].entry, p[0].data, p[0].meta, p[0].failures),
            (Some(0), Some(0), Some(0), Some(0))
        );
        assert_eq!(p[0].last_synced, t("2026-11-24 08:44:35"));
        assert_eq!(p[1].last_synced, t("2026-11-24 08:44:36"));
        assert_eq!(p[0].checkpoint_completed, None);
        // Passive worker: counters N/A.
        let p = pairs(ST_ACTIVE_PASSIVE);
        assert_eq!((p[1].entry, p[1].data, p[1].failures), (None, None, None));
        assert_eq!(p[1].master_brick, "/srv/gl/m2/b2");
        assert_eq!(p[1].master_node_uuid, u(NODE_B));
    }

    #[test]
    fn georep_pending_counters() {
        let p = pairs(ST_COUNTERS);
        assert_eq!(
            (p[1].entry, p[1].data, p[1].meta, p[1].failures),
            (Some(0), Some(240), Some(0), Some(0))
        );
        assert_eq!(p[0].data, Some(0));
        assert!(matches!(
            parse_georep_status(G_HUGE),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn georep_checkpoints() {
        let p = pairs(ST_CHECKPOINT_SET);
        for q in &p {
            assert_eq!(q.checkpoint_completed, Some(false));
            assert_eq!(q.checkpoint_time, t("2026-11-24 08:52:06"));
            assert_eq!(q.checkpoint_completion_time, None);
        }
        assert_eq!(p[0].last_synced, t("2026-11-24 08:48:36"));
        assert_eq!(p[1].last_synced, t("2026-11-24 08:48:35"));

        let p = pairs(ST_CHECKPOINT_DONE);
        assert!(p.iter().all(|q| q.checkpoint_completed == Some(true)));
        assert_eq!(p[0].checkpoint_completion_time, t("2026-11-24 08:52:34"));
        assert_eq!(p[1].checkpoint_completion_time, t("2026-11-24 08:52:24"));
        assert_eq!(p[0].last_synced, t("2026-11-24 08:52:27"));
        assert_eq!(p[1].last_synced, t("2026-11-24 08:52:16"));
        assert_eq!(
            p[0].checkpoint_time.unwrap().timestamp(),
            Utc.with_ymd_and_hms(2026, 11, 24, 8, 52, 6)
                .unwrap()
                .timestamp()
        );
        let p = pairs(ST_HISTORY);
        assert_eq!(p[0].checkpoint_completed, Some(true));
        assert_eq!(p[1].last_synced, t("2026-11-24 08:53:45"));
    }

    #[test]
    fn georep_per_volume_and_all_sessions_same_values() {
        // `status detail` of the session, `status` of the volume, `status detail` of everything:
        // same values, except that the latter two say ssh://vm::slavevol in <secondary>.
        let mut one = pairs(ST_CHECKPOINT_DONE);
        for p in &mut one {
            p.slave = format!("ssh://{}", p.slave);
        }
        assert_eq!(pairs(ST_VOL_CHECKPOINT_DONE), one);
        assert_eq!(pairs(ST_ALL_CHECKPOINT_DONE), one);
        assert_eq!(pairs(ST_ALL_CREATED)[0].slave, "ssh://vm::slavevol");
    }

    #[test]
    fn georep_two_sessions() {
        for xml in [ST_TWO_SESSIONS_A, ST_TWO_SESSIONS_B] {
            let st = status(xml);
            let got: Vec<_> = st
                .sessions()
                .map(|(vol, s)| {
                    (
                        vol,
                        s.slave_host.as_str(),
                        s.slave_volume.as_str(),
                        s.slave_volume_uuid,
                        s.master_node_uuid,
                        s.pairs.len(),
                    )
                })
                .collect();
            assert_eq!(
                got,
                [
                    (
                        "mastervol",
                        "vm",
                        "slavevol",
                        Some(u("cdf8665f-ba13-402c-893e-70e2cb5f9e78")),
                        u(NODE_B),
                        2
                    ),
                    (
                        "mastervol2",
                        "vm",
                        "slavevol2",
                        Some(u("052c14d3-269c-49ac-ad1b-3b967a297250")),
                        u(NODE_B),
                        2
                    ),
                ]
            );
            assert_eq!(
                st.volumes[1].sessions[0].pairs[0].master_brick,
                "/srv/gl/m2/b1"
            );
            assert_eq!(
                st.volumes[1].sessions[0].pairs[0].slave,
                "ssh://vm::slavevol2"
            );
        }
        // 119: both workers of mastervol2 active; 124: active + passive.
        let a = status(ST_TWO_SESSIONS_A);
        let b = status(ST_TWO_SESSIONS_B);
        assert_eq!(a.volumes[0], b.volumes[0]);
        let sa: Vec<_> = a.volumes[1].sessions[0]
            .pairs
            .iter()
            .map(|p| p.status.clone())
            .collect();
        let sb: Vec<_> = b.volumes[1].sessions[0]
            .pairs
            .iter()
            .map(|p| p.status.clone())
            .collect();
        assert_eq!(sa, [WorkerStatus::Active, WorkerStatus::Active]);
        assert_eq!(sb, [WorkerStatus::Active, WorkerStatus::Passive]);
        assert_eq!(
            b.volumes[1].sessions[0].pairs[0].crawl_status,
            CrawlStatus::History
        );
    }

    #[test]
    fn georep_v9_naming_is_identical() {
        for (v10, v9) in V9 {
            assert!(v9.contains("<session_slave>") && !v9.contains("<primary_node>"));
            let a = status(v10);
            assert!(!a.volumes.is_empty());
            assert_eq!(status(v9), a);
        }
    }

    #[test]
    fn georep_non_root_user() {
        let st = status(ST_NON_ROOT);
        let s = &st.volumes[0].sessions[0];
        assert_eq!(s.slave_user, "geoaccount");
        assert_eq!(s.slave_host, "vm");
        assert_eq!(s.slave_volume, "slavevol");
        assert_eq!(s.pairs[0].slave, "geoaccount@vm::slavevol");
        assert_eq!(s.pairs[0].slave_user, "geoaccount");
    }

    #[test]
    fn georep_session_key() {
        let k = parse_session_key(
            "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://geo@fe80::1::slavevol:a10873cc-0900-4522-9c17-2439b5ec9564",
        )
        .unwrap();
        assert_eq!(
            (k.user.as_deref(), k.host.as_str(), k.volume.as_str()),
            (Some("geo"), "fe80::1", "slavevol")
        );
        let k = parse_session_key("10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://h::v").unwrap();
        assert_eq!(
            (k.host.as_str(), k.volume.as_str(), k.volume_uuid),
            ("h", "v", None)
        );
        for bad in [
            "",
            "ssh://vm::slavevol",
            "nope:ssh://vm::slavevol:a10873cc-0900-4522-9c17-2439b5ec9564",
            "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://vm:slavevol",
            "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://::slavevol",
            "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc:ssh://vm::slavevol:zz",
        ] {
            assert!(parse_session_key(bad).is_err(), "{bad}");
        }
        let bad = ST_ACTIVE.replace("ssh://vm::slavevol:", "ssh://vm:slavevol:");
        assert!(matches!(
            parse_georep_status(&bad),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn georep_empty_status() {
        assert_eq!(status(ST_EMPTY), GeorepStatus::default());
        assert_eq!(
            status("<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/></cliOutput>"),
            GeorepStatus::default()
        );
        let st = status(
            "<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><geoRep><volume><name>m</name><sessions/></volume></geoRep></cliOutput>",
        );
        assert_eq!(st.volumes[0].sessions, vec![]);
    }

    #[test]
    fn georep_no_session_is_not_xml() {
        for xml in [
            ST_NO_SESSION_ALL,
            ST_NO_SESSION,
            ST_ALL_AFTER_DELETE,
            ST_AFTER_DELETE,
        ] {
            assert_eq!(
                parse_georep_status(xml),
                Err(ParseError::NotXml("geo-replication command failed".into()))
            );
        }
    }

    #[test]
    fn georep_status_bad_values() {
        let bad = ST_CHECKPOINT_DONE.replacen(
            "<checkpoint_completed>Yes<",
            "<checkpoint_completed>Maybe<",
            1,
        );
        assert!(matches!(
            parse_georep_status(&bad),
            Err(ParseError::Malformed(_))
        ));
        let bad = ST_ACTIVE.replacen("2026-11-24 08:44:35", "yesterday", 1);
        assert!(matches!(
            parse_georep_status(&bad),
            Err(ParseError::Malformed(_))
        ));
        let bad = ST_ACTIVE.replacen("<status>Active</status>", "", 1);
        assert!(matches!(
            parse_georep_status(&bad),
            Err(ParseError::Malformed(_))
        ));
        let bad = ST_ACTIVE.replacen("<data>0</data>", "<data>-1</data>", 1);
        assert!(matches!(
            parse_georep_status(&bad),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn a_master_volume_listed_twice_is_one() {
        let st = parse_georep_status(STATUS_TWO_MASTERS_REPEATED).unwrap();
        let names: Vec<&str> = st.volumes.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["c2master", "c2master2"]);
        let keys: Vec<&str> = st.sessions().map(|(_, s)| s.session_key.as_str()).collect();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert!(keys[0].contains("ssh://geoaccount@node3::c2slave"));
        assert!(keys[1].contains("ssh://geoaccount2@node3::c2slave"));
    }
}
