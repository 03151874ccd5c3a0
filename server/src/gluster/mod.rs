//! Talking to gluster: the CLI runner (the only impure part) and the pure parsers of its
//! `--xml` answers.
mod error;
pub mod eventsapi;
pub mod keys;
pub mod known_hosts;
pub mod model;
pub mod mount;
pub mod nodes;
pub mod parse;
mod priority;
mod runner;
pub mod workers;

pub use error::{is_lock_conflict, GlusterError};
pub use known_hosts::KnownHosts;
pub use priority::{background, follow_up};
pub use runner::{Gluster, Target, GLUSTERD_RESTART};
