//! Health rules, pure: lag of a brick, the verdict of a session, when a stall clears, when a
//! probe is due. Table-tested below; `evaluate.rs` and the scheduler feed them from SQLite.
use app::domain::{BrickStatus as B, SessionStatus as S};
use app::health::{Health, ProbeResult};
use chrono::{DateTime, Duration, Utc};

/// What the rules need to know about one master brick (from the stored session details).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BrickView {
    /// `host:/path`
    pub brick: String,
    pub status: Option<B>,
    /// entry + data + meta; None when gluster does not report them.
    pub pending: Option<i64>,
    pub last_synced: Option<DateTime<Utc>>,
    pub checkpoint_time: Option<DateTime<Utc>>,
    /// Some(false): a checkpoint is set and not completed on this brick.
    pub checkpoint_done: Option<bool>,
    pub checkpoint_completed_at: Option<DateTime<Utc>>,
    /// When georep first saw pending counters on it (kept across evaluations).
    pub pending_since: Option<DateTime<Utc>>,
    /// When the probe found it stalled (the checkpoint time it did not complete).
    pub stalled_since: Option<DateTime<Utc>>,
}

impl BrickView {
    fn active(&self) -> bool {
        self.status == Some(B::Active)
    }
}

/// `pending_since` after this observation: kept while work is pending, set when it appears.
pub fn next_pending_since(
    prev: Option<DateTime<Utc>>,
    pending: Option<i64>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match pending {
        Some(p) if p > 0 => Some(prev.unwrap_or(now)),
        _ => None,
    }
}

/// A brick's lag: how long the oldest work known to be pending on it has been waiting, i.e.
/// now − the later of (when the work appeared, last synced). The work is the pending counters
/// (since georep first saw them) and an uncompleted checkpoint (since its time). 0 when
/// nothing is pending; None when the worker is not active.
///
/// Gluster's `last_synced` alone is no lag: it freezes while a session is idle (nothing to
/// sync), so `now − last_synced` grows on a perfectly healthy idle session.
pub fn brick_lag(b: &BrickView, now: DateTime<Utc>) -> Option<i64> {
    if !b.active() {
        return None;
    }
    let mut start: Option<DateTime<Utc>> = None;
    if b.pending.is_some_and(|p| p > 0) {
        start = Some(b.pending_since.unwrap_or(now));
    }
    if b.checkpoint_done == Some(false) {
        if let Some(t) = b.checkpoint_time {
            start = Some(start.map_or(t, |s| s.min(t)));
        }
    }
    let Some(start) = start else { return Some(0) };
    let from = match b.last_synced {
        Some(l) if l > start => l,
        _ => start,
    };
    Some((now - from).num_seconds().max(0))
}

/// The largest lag of the active bricks (None: no active brick).
pub fn session_lag(bricks: &[BrickView], now: DateTime<Utc>) -> Option<i64> {
    bricks.iter().filter_map(|b| brick_lag(b, now)).max()
}

/// Whether a stall mark on a brick is over: its worker completed the checkpoint after all
/// (late), or the worker is gone or restarted (stopped, faulty, starting, offline: the next
/// worker is a new one, to be judged by the next probe). Paused keeps it (same process).
pub fn stall_cleared(b: &BrickView) -> bool {
    let Some(since) = b.stalled_since else {
        return false;
    };
    match b.status {
        Some(B::Active) => {
            b.checkpoint_done == Some(true) && b.checkpoint_time.is_some_and(|t| t >= since)
        }
        Some(B::Paused) | Some(B::Unknown) | None => false,
        Some(_) => true,
    }
}

/// The last probe as the rules see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LastProbe {
    pub at: DateTime<Utc>,
    pub result: ProbeResult,
}

#[derive(Clone, Debug)]
pub struct Inputs<'a> {
    pub status: S,
    pub bricks: &'a [BrickView],
    pub now: DateTime<Utc>,
    pub lag_threshold: i64,
    pub probes_enabled: bool,
    pub last_probe: Option<LastProbe>,
    /// The cluster's last sync error (its rows are stale).
    pub sync_error: Option<&'a str>,
    /// Why the session replicates nowhere (its slave volume is gone).
    pub stale: Option<&'a str>,
}

fn names<'a>(bricks: impl Iterator<Item = &'a BrickView>) -> String {
    bricks
        .map(|b| b.brick.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The session's health and why. The order matters: a stalled or faulty session is never
/// healthy, whatever else holds.
pub fn evaluate(i: &Inputs) -> (Health, String) {
    if let Some(e) = i.sync_error {
        return (Health::Unknown, format!("gluster cannot be read: {e}"));
    }
    if let Some(why) = i.stale {
        return (
            Health::Faulty,
            format!("stale: {why}; clean the session up"),
        );
    }
    match i.status {
        S::Unknown => {
            return (
                Health::Unknown,
                "gluster reports no usable worker status".into(),
            )
        }
        S::Faulty | S::PartialFaulty => {
            let down = names(
                i.bricks
                    .iter()
                    .filter(|b| matches!(b.status, Some(B::Faulty | B::Offline))),
            );
            let what = if i.status == S::Faulty {
                "faulty"
            } else {
                "partially faulty"
            };
            return (
                Health::Faulty,
                format!("the session is {what} (workers of {down})"),
            );
        }
        _ => {}
    }
    let stalled: Vec<&BrickView> = i
        .bricks
        .iter()
        .filter(|b| b.stalled_since.is_some() && !stall_cleared(b))
        .collect();
    if let Some(first) = stalled.iter().filter_map(|b| b.stalled_since).min() {
        return (
            Health::Stalled,
            format!(
                "the worker of {} says Active but did not complete the probe's checkpoint of {}",
                names(stalled.into_iter()),
                first.format("%Y-%m-%d %H:%M:%S")
            ),
        );
    }
    match i.status {
        S::Active | S::Passive => {}
        S::Initializing => return (Health::Unknown, "the workers are starting".into()),
        other => {
            return (
                Health::Unknown,
                format!("the session is {}: nothing replicates", other.as_api()),
            )
        }
    }
    let worst = i
        .bricks
        .iter()
        .filter_map(|b| brick_lag(b, i.now).map(|l| (l, b)))
        .max_by_key(|(l, _)| *l);
    if let Some((lag, b)) = worst.filter(|(l, _)| *l > i.lag_threshold) {
        return (
            Health::Lagging,
            format!(
                "{} is {lag} s behind (threshold {} s)",
                b.brick, i.lag_threshold
            ),
        );
    }
    if !i.probes_enabled {
        return (
            Health::Healthy,
            "no lag (probes are off: a stalled worker would not show)".into(),
        );
    }
    match i.last_probe {
        None => (Health::Unknown, "not probed yet".into()),
        Some(LastProbe { at, result: ProbeResult::Passed }) => {
            (Health::Healthy, format!("no lag; the probe of {} passed", at.format("%Y-%m-%d %H:%M:%S")))
        }
        Some(LastProbe { result: ProbeResult::Stalled, .. }) => {
            (Health::Unknown, "the stall the last probe found is over (worker restarted or caught up); not probed since".into())
        }
        Some(LastProbe { result, .. }) => (Health::Unknown, format!("the last probe was {}", result.as_str())),
    }
}

/// When the health is `health` now after `prev` (health, since): the same since when the
/// health did not change; for a stall the time the probe found it; when there was no verdict
/// yet, the time georep first knew the session (`known`: every read before the first stored
/// verdict says the same, not the time of the read); else now.
pub fn since(
    prev: Option<(Health, DateTime<Utc>)>,
    health: Health,
    bricks: &[BrickView],
    known: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    match prev {
        Some((h, t)) if h == health => t,
        _ if health == Health::Stalled => bricks
            .iter()
            .filter_map(|b| b.stalled_since)
            .min()
            .unwrap_or(now),
        None => known.min(now),
        Some(_) => now,
    }
}

/// Whether a session's workers replicate (what a probe can judge).
pub fn replicating(status: S) -> bool {
    matches!(status, S::Active | S::Passive | S::PartialFaulty)
}

/// Whether a scheduled probe is due: only for replicating sessions, every `interval`, and
/// sooner (after `retry`) when the last probe could not judge or its stall is over.
pub fn probe_due(
    status: S,
    last: Option<LastProbe>,
    stalled_now: bool,
    interval: Duration,
    retry: Duration,
    now: DateTime<Utc>,
) -> bool {
    if interval <= Duration::zero() || !replicating(status) {
        return false;
    }
    let Some(last) = last else { return true };
    let age = now - last.at;
    if age >= interval {
        return true;
    }
    let unsettled = match last.result {
        ProbeResult::Passed => false,
        ProbeResult::Stalled => !stalled_now,
        ProbeResult::Inconclusive | ProbeResult::Failed => true,
    };
    unsettled && age >= retry.min(interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        format!("2026-11-24T{s}Z").parse().unwrap()
    }

    fn active() -> BrickView {
        BrickView {
            brick: "vm:/b1".into(),
            status: Some(B::Active),
            pending: Some(0),
            ..Default::default()
        }
    }

    #[test]
    fn lag_table() {
        let now = t("12:00:00");
        let cases: Vec<(BrickView, Option<i64>)> = vec![
            // idle: last_synced frozen an hour ago is no lag
            (
                BrickView {
                    last_synced: Some(t("11:00:00")),
                    ..active()
                },
                Some(0),
            ),
            (
                BrickView {
                    status: Some(B::Stopped),
                    ..active()
                },
                None,
            ),
            (
                BrickView {
                    status: None,
                    ..active()
                },
                None,
            ),
            // pending counters since 11:59:00, last synced long before
            (
                BrickView {
                    pending: Some(4),
                    pending_since: Some(t("11:59:00")),
                    last_synced: Some(t("11:00:00")),
                    ..active()
                },
                Some(60),
            ),
            // pending, but syncing progressed after the work appeared
            (
                BrickView {
                    pending: Some(4),
                    pending_since: Some(t("11:59:00")),
                    last_synced: Some(t("11:59:50")),
                    ..active()
                },
                Some(10),
            ),
            // pending first seen now
            (
                BrickView {
                    pending: Some(1),
                    ..active()
                },
                Some(0),
            ),
            // an uncompleted checkpoint (a stall): since the checkpoint
            (
                BrickView {
                    checkpoint_done: Some(false),
                    checkpoint_time: Some(t("11:50:00")),
                    last_synced: Some(t("09:00:00")),
                    ..active()
                },
                Some(600),
            ),
            // both: the older start counts
            (
                BrickView {
                    checkpoint_done: Some(false),
                    checkpoint_time: Some(t("11:58:00")),
                    pending: Some(3),
                    pending_since: Some(t("11:55:00")),
                    ..active()
                },
                Some(300),
            ),
            (
                BrickView {
                    checkpoint_done: Some(true),
                    checkpoint_time: Some(t("11:50:00")),
                    ..active()
                },
                Some(0),
            ),
        ];
        for (b, want) in cases {
            assert_eq!(brick_lag(&b, now), want, "{b:?}");
        }
        assert_eq!(
            session_lag(
                &[
                    active(),
                    BrickView {
                        pending: Some(1),
                        pending_since: Some(t("11:59:30")),
                        ..active()
                    }
                ],
                now
            ),
            Some(30)
        );
        assert_eq!(
            session_lag(
                &[BrickView {
                    status: Some(B::Paused),
                    ..active()
                }],
                now
            ),
            None
        );
    }

    #[test]
    fn pending_since_is_kept_while_pending() {
        let now = t("12:00:00");
        assert_eq!(next_pending_since(None, Some(3), now), Some(now));
        assert_eq!(
            next_pending_since(Some(t("11:00:00")), Some(3), now),
            Some(t("11:00:00"))
        );
        assert_eq!(next_pending_since(Some(t("11:00:00")), Some(0), now), None);
        assert_eq!(next_pending_since(Some(t("11:00:00")), None, now), None);
    }

    #[test]
    fn stall_clears_on_late_completion_or_a_new_worker() {
        let stalled = BrickView {
            stalled_since: Some(t("11:00:00")),
            checkpoint_done: Some(false),
            checkpoint_time: Some(t("11:00:00")),
            ..active()
        };
        assert!(!stall_cleared(&stalled));
        assert!(stall_cleared(&BrickView {
            checkpoint_done: Some(true),
            ..stalled.clone()
        }));
        // an older checkpoint completed is not this one
        assert!(!stall_cleared(&BrickView {
            checkpoint_done: Some(true),
            checkpoint_time: Some(t("10:00:00")),
            ..stalled.clone()
        }));
        for (s, cleared) in [
            (B::Faulty, true),
            (B::Stopped, true),
            (B::Initializing, true),
            (B::Offline, true),
            (B::Paused, false),
            (B::Unknown, false),
        ] {
            assert_eq!(
                stall_cleared(&BrickView {
                    status: Some(s),
                    ..stalled.clone()
                }),
                cleared,
                "{s:?}"
            );
        }
        assert!(!stall_cleared(&active()));
    }

    #[test]
    fn health_table() {
        let now = t("12:00:00");
        let passed = Some(LastProbe {
            at: t("11:55:00"),
            result: ProbeResult::Passed,
        });
        let stalled = BrickView {
            brick: "vm:/b2".into(),
            stalled_since: Some(t("11:55:00")),
            checkpoint_done: Some(false),
            checkpoint_time: Some(t("11:55:00")),
            ..active()
        };
        let faulty = BrickView {
            status: Some(B::Faulty),
            ..active()
        };
        let lagging = BrickView {
            pending: Some(9),
            pending_since: Some(t("11:50:00")),
            ..active()
        };
        let check = |status: S,
                     bricks: &[BrickView],
                     tweak: &dyn Fn(&mut Inputs),
                     want: Health,
                     why: &str| {
            let mut i = Inputs {
                status,
                bricks,
                now,
                lag_threshold: 300,
                probes_enabled: true,
                last_probe: passed,
                sync_error: None,
                stale: None,
            };
            tweak(&mut i);
            let (h, reason) = evaluate(&i);
            assert_eq!(h, want, "{i:?}: {reason}");
            assert!(reason.contains(why), "{reason:?} should say {why:?}");
        };
        let same = |_: &mut Inputs| {};
        check(
            S::Active,
            &[active(), active()],
            &same,
            Health::Healthy,
            "passed",
        );
        // a stalled worker looks Active to gluster: never healthy, even with a passed probe before
        check(
            S::Active,
            &[active(), stalled.clone()],
            &same,
            Health::Stalled,
            "vm:/b2",
        );
        check(
            S::PartialFaulty,
            &[active(), faulty.clone()],
            &same,
            Health::Faulty,
            "partially",
        );
        check(
            S::Faulty,
            &[faulty.clone(), stalled.clone()],
            &same,
            Health::Faulty,
            "faulty",
        );
        check(
            S::Active,
            &[active(), lagging.clone()],
            &same,
            Health::Lagging,
            "600 s behind",
        );
        check(
            S::Active,
            &[lagging.clone(), stalled.clone()],
            &same,
            Health::Stalled,
            "probe",
        );
        check(
            S::Active,
            std::slice::from_ref(&lagging),
            &|i| i.lag_threshold = 1000,
            Health::Healthy,
            "passed",
        );
        check(S::Stopped, &[], &same, Health::Unknown, "stopped");
        check(S::Paused, &[], &same, Health::Unknown, "paused");
        check(S::Initializing, &[], &same, Health::Unknown, "starting");
        check(S::Unknown, &[], &same, Health::Unknown, "no usable");
        check(
            S::Active,
            std::slice::from_ref(&stalled),
            &|i| i.sync_error = Some("timeout"),
            Health::Unknown,
            "timeout",
        );
        // a healthy-looking session whose slave volume is gone replicates nowhere
        check(
            S::Active,
            &[active()],
            &|i| i.stale = Some("the slave volume sts no longer exists on cluster b"),
            Health::Faulty,
            "clean the session up",
        );
        check(
            S::Active,
            &[active()],
            &|i| i.last_probe = None,
            Health::Unknown,
            "not probed",
        );
        check(
            S::Active,
            &[active()],
            &|i| {
                i.last_probe = None;
                i.probes_enabled = false
            },
            Health::Healthy,
            "probes are off",
        );
        let old = |r| {
            Some(LastProbe {
                at: t("11:00:00"),
                result: r,
            })
        };
        check(
            S::Active,
            &[active()],
            &|i| i.last_probe = old(ProbeResult::Stalled),
            Health::Unknown,
            "over",
        );
        check(
            S::Active,
            &[active()],
            &|i| i.last_probe = old(ProbeResult::Inconclusive),
            Health::Unknown,
            "inconclusive",
        );
    }

    /// A real stall, captured on the lab: both workers say Active / Changelog Crawl with no
    /// pending counters; only the uncompleted checkpoint on b1 tells. Without a probe's stall
    /// mark it is not "stalled" (gluster cannot tell), but its lag grows from the checkpoint.
    #[test]
    fn a_real_stall_looks_active() {
        let xml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/gluster/lab-volume_geo-replication_mastervol_vm__slavevol5_status_detail@stalled.xml"
        ))
        .unwrap();
        let st = crate::gluster::parse::parse_georep_status(&xml).unwrap();
        let views: Vec<BrickView> = st
            .sessions()
            .flat_map(|(_, s)| s.pairs.iter())
            .map(|p| {
                assert_eq!(p.status, crate::gluster::model::WorkerStatus::Active);
                assert_eq!(
                    p.crawl_status,
                    crate::gluster::model::CrawlStatus::Changelog
                );
                BrickView {
                    brick: p.master_brick.clone(),
                    status: Some(B::Active),
                    pending: Some(
                        (p.entry.unwrap_or(0) + p.data.unwrap_or(0) + p.meta.unwrap_or(0)) as i64,
                    ),
                    last_synced: p.last_synced,
                    checkpoint_time: p.checkpoint_time,
                    checkpoint_done: p.checkpoint_completed,
                    ..Default::default()
                }
            })
            .collect();
        let now = t("14:53:38");
        assert_eq!(
            views.iter().map(|v| brick_lag(v, now)).collect::<Vec<_>>(),
            [Some(60), Some(0)]
        );
        let i = Inputs {
            status: S::Active,
            bricks: &views,
            now,
            lag_threshold: 300,
            probes_enabled: true,
            last_probe: None,
            sync_error: None,
            stale: None,
        };
        assert_ne!(evaluate(&i).0, Health::Stalled);
        let marked: Vec<BrickView> = views
            .iter()
            .map(|v| BrickView {
                stalled_since: v.checkpoint_done.filter(|d| !d).and(v.checkpoint_time),
                ..v.clone()
            })
            .collect();
        let (h, reason) = evaluate(&Inputs {
            bricks: &marked,
            ..i
        });
        assert_eq!(h, Health::Stalled);
        assert!(
            reason.contains("/srv/georep-lab/mastervol/b1") && !reason.contains("b2"),
            "{reason}"
        );
    }

    #[test]
    fn since_keeps_the_start() {
        let now = t("12:00:00");
        let stalled = BrickView {
            stalled_since: Some(t("11:55:00")),
            ..active()
        };
        assert_eq!(
            since(
                Some((Health::Healthy, t("10:00:00"))),
                Health::Healthy,
                &[],
                t("09:00:00"),
                now
            ),
            t("10:00:00")
        );
        assert_eq!(
            since(
                Some((Health::Healthy, t("10:00:00"))),
                Health::Lagging,
                &[],
                t("09:00:00"),
                now
            ),
            now
        );
        assert_eq!(
            since(None, Health::Stalled, &[stalled], t("09:00:00"), now),
            t("11:55:00")
        );
        // no verdict yet: every read says the time georep first knew the session
        assert_eq!(
            since(None, Health::Unknown, &[], t("09:00:00"), now),
            t("09:00:00")
        );
    }

    #[test]
    fn probe_schedule() {
        let now = t("12:00:00");
        let ten = Duration::minutes(10);
        let minute = Duration::minutes(1);
        let at = |m: &str, r| {
            Some(LastProbe {
                at: t(m),
                result: r,
            })
        };
        assert!(probe_due(S::Active, None, false, ten, minute, now));
        assert!(!probe_due(S::Stopped, None, false, ten, minute, now));
        assert!(!probe_due(S::Paused, None, false, ten, minute, now));
        assert!(
            !probe_due(S::Active, None, false, Duration::zero(), minute, now),
            "off"
        );
        assert!(!probe_due(
            S::Active,
            at("11:55:00", ProbeResult::Passed),
            false,
            ten,
            minute,
            now
        ));
        assert!(probe_due(
            S::Active,
            at("11:50:00", ProbeResult::Passed),
            false,
            ten,
            minute,
            now
        ));
        assert!(probe_due(
            S::Active,
            at("11:58:00", ProbeResult::Inconclusive),
            false,
            ten,
            minute,
            now
        ));
        assert!(!probe_due(
            S::Active,
            at("11:59:30", ProbeResult::Failed),
            false,
            ten,
            minute,
            now
        ));
        // a stall is not re-probed before the interval; once it is over, soon
        assert!(!probe_due(
            S::Active,
            at("11:55:00", ProbeResult::Stalled),
            true,
            ten,
            minute,
            now
        ));
        assert!(probe_due(
            S::Active,
            at("11:55:00", ProbeResult::Stalled),
            false,
            ten,
            minute,
            now
        ));
    }
}
