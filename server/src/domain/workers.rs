//! gluster's words for a geo-rep worker and its crawl, in georep's terms.
use app::domain::BrickStatus;

use crate::gluster::model::{CrawlStatus, WorkerStatus};

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
