//! gluster's words for a geo-rep worker and its crawl, in georep's terms.
use app::domain::BrickStatus;

use crate::gluster::model::{CrawlStatus, GeorepPair, WorkerStatus};

/// The brick status a worker's status shows (gluster's unknown words are Unknown).
pub fn brick_status(w: &WorkerStatus) -> BrickStatus {
    match w {
        WorkerStatus::Created => BrickStatus::Created,
        WorkerStatus::Initializing => BrickStatus::Initializing,
        WorkerStatus::Active => BrickStatus::Active,
        WorkerStatus::Passive => BrickStatus::Passive,
        WorkerStatus::Paused => BrickStatus::Paused,
        WorkerStatus::Stopped => BrickStatus::Stopped,
        WorkerStatus::Faulty => BrickStatus::Faulty,
        WorkerStatus::Offline => BrickStatus::Offline,
        WorkerStatus::Unknown(_) => BrickStatus::Unknown,
    }
}

/// The stored crawl name (`changelog_crawl`…); None where gluster reports N/A.
pub fn crawl_status(c: &CrawlStatus) -> Option<String> {
    match c {
        CrawlStatus::Changelog => Some("changelog_crawl".into()),
        CrawlStatus::Hybrid => Some("hybrid_crawl".into()),
        CrawlStatus::History => Some("history_crawl".into()),
        CrawlStatus::NotAvailable => None,
        CrawlStatus::Other(s) => Some(s.to_ascii_lowercase().replace(' ', "_")),
    }
}

/// What changes in a worker's row while its crawl makes progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrawlMark {
    status: WorkerStatus,
    crawl: CrawlStatus,
    counters: [Option<u64>; 4],
    last_synced: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn crawl_mark(p: &GeorepPair) -> CrawlMark {
    CrawlMark {
        status: p.status.clone(),
        crawl: p.crawl_status.clone(),
        counters: [p.entry, p.data, p.meta, p.failures],
        last_synced: p.last_synced,
    }
}

/// Active in History Crawl with nothing pending: between two turns of the crawl (a turn
/// every ~15 s, then Changelog Crawl), or hung. glusterfs 10.3's history crawl sometimes
/// hangs after a batch: the worker says History Crawl for good and never gets to the
/// changelogs (seen by the DR test on CI; a worker restart cures it). A worker with
/// something pending may be syncing a large file, and is never taken for hung.
pub fn idle_history(p: &GeorepPair) -> bool {
    let nothing = |c: Option<u64>| c.unwrap_or(0) == 0;
    p.status == WorkerStatus::Active
        && p.crawl_status == CrawlStatus::History
        && nothing(p.entry)
        && nothing(p.data)
        && nothing(p.meta)
}

/// The master bricks of `pairs` whose history crawl is hung: idle, with the same row, for
/// `after` or longer at `now`, reported once per `after`. `seen` holds, per brick, the row and
/// when it was first seen or last reported (the caller's, kept between reads); a brick that
/// moved or settled is forgotten.
pub fn hung_history<'a>(
    seen: &mut std::collections::HashMap<String, (CrawlMark, std::time::Instant)>,
    pairs: &'a [GeorepPair],
    now: std::time::Instant,
    after: std::time::Duration,
) -> Vec<&'a GeorepPair> {
    seen.retain(|brick, _| {
        pairs
            .iter()
            .any(|p| &p.master_brick == brick && idle_history(p))
    });
    let mut hung = Vec::new();
    for p in pairs.iter().filter(|p| idle_history(p)) {
        let mark = crawl_mark(p);
        let entry = seen
            .entry(p.master_brick.clone())
            .or_insert_with(|| (mark.clone(), now));
        if entry.0 != mark {
            *entry = (mark, now);
        } else if now.duration_since(entry.1) >= after {
            // once reported, the clock starts again: a restarted worker's row stays as the
            // killed one left it until its monitor starts another (10 s and more), and that is
            // no new hang
            entry.1 = now;
            hung.push(p);
        }
    }
    hung
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::parse;
    use std::collections::HashMap;
    use std::time::{Duration, Instant};

    fn pairs(fixture: &str) -> Vec<GeorepPair> {
        let xml = std::fs::read_to_string(format!(
            "{}/tests/fixtures/gluster/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let st = parse::parse_georep_status(&xml).unwrap();
        st.sessions().flat_map(|(_, s)| s.pairs.clone()).collect()
    }

    const HISTORY: &str =
        "088-volume_geo-replication_mastervol_vm__slavevol_status_detail@history-crawl.xml";
    const ACTIVE: &str =
        "045-volume_geo-replication_mastervol_vm__slavevol_status_detail@active.xml";

    #[test]
    fn an_idle_history_crawl_is_hung_only_when_unchanged_long_enough() {
        let history = pairs(HISTORY);
        assert!(history.iter().all(idle_history));
        let (mut seen, t0, min) = (HashMap::new(), Instant::now(), Duration::from_secs(60));
        assert!(hung_history(&mut seen, &history, t0, min).is_empty());
        let later = hung_history(&mut seen, &history, t0 + Duration::from_secs(59), min);
        assert!(later.is_empty());
        let hung = hung_history(&mut seen, &history, t0 + min, min);
        assert_eq!(hung.len(), 2);
        // reported once: the same row a second later (a killed worker's, before its monitor
        // starts another) is no second hang
        let again = hung_history(&mut seen, &history, t0 + min + Duration::from_secs(1), min);
        assert!(again.is_empty());
        // a row that moved starts the minute again
        let mut moved = history.clone();
        moved[0].last_synced = moved[0]
            .last_synced
            .map(|t| t + chrono::Duration::seconds(1));
        let hung = hung_history(&mut seen, &moved, t0 + min * 2, min);
        assert_eq!(
            hung.iter().map(|p| &p.master_brick).collect::<Vec<_>>(),
            [&history[1].master_brick]
        );
    }

    #[test]
    fn settled_or_busy_workers_are_never_hung() {
        let active = pairs(ACTIVE);
        assert!(active.iter().all(|p| !idle_history(p)));
        let mut busy = pairs(HISTORY);
        busy[0].data = Some(1);
        assert!(!idle_history(&busy[0]));
        let (mut seen, t0) = (HashMap::new(), Instant::now());
        let min = Duration::from_secs(60);
        hung_history(&mut seen, &busy, t0, min);
        assert_eq!(hung_history(&mut seen, &busy, t0 + min, min).len(), 1);
        // settled meanwhile: forgotten
        assert!(hung_history(&mut seen, &active, t0 + min * 2, min).is_empty());
        assert!(seen.is_empty());
    }
}
