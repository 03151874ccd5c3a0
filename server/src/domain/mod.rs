//! georep's pure rules, below `service` and `sync`: no I/O, no store access, no state. What
//! both the sync (turning gluster's answers into rows) and the service (deciding actions)
//! need, so that no arrow runs back up.
//! - `status`: a session's status and checkpoint roll-up from its bricks' workers;
//! - `hosts`: which host of a cluster is asked, and how (`Target`); how the CLI names a slave;
//! - `workers`: gluster's worker and crawl words in georep's terms;
//! - `options`: gluster's session options, and which of them are an admin's to set;
//! - `preflight`: a planned session's pre-flight checks judged from what its nodes said.
pub mod hosts;
pub mod options;
pub mod preflight;
pub mod status;
pub mod workers;
