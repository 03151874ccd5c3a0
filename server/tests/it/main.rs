//! georep's integration tests: ONE test binary (`cargo test -p georep --test it`), so the
//! whole app is linked once for all of them instead of once per file. Each file below was a
//! test binary of its own; a test's name is now `FILE::TEST` (`cargo test -p georep --test it
//! lab::` runs lab.rs's tests, `-- --exact lab::discovery_and_out_of_band_changes` one).
//!
//! The tests run on parallel threads of this one process, so nothing here may rely on being
//! alone in a process: no `std::env::set_var`, no `set_current_dir`. The single-machine lab
//! is behind `common::lab_lock` (a `flock`: it excludes the other threads of this process as
//! well as other processes), the two-cluster lab behind `common::lab2_lock_async`; servers
//! that never reach gluster keep their probe mount folder to themselves
//! (`common::serve_apart`).
//! Data files stay where the unit tests read them too: `server/tests/fixtures/`,
//! `server/tests/corpus/`.

#[macro_use]
mod common;

mod api;
mod api_lab;
mod assets;
mod backup;
mod clusters;
mod clusters2;
mod crash;
mod dr;
mod events;
mod failover;
mod fuzz;
mod gluster_events;
mod health;
mod hostile;
mod install;
mod lab;
mod lifecycle;
mod nonroot;
mod preflight;
mod replicas;
mod security;
mod server;
mod stale;
