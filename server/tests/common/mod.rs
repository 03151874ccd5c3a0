//! What the lab tests share: the lab host, the raw CLI, the lab script, and a lock.
#![allow(dead_code)] // each test crate uses a part
use std::fs::File;
use std::process::Command;

pub fn host() -> String {
    std::env::var("LAB_HOST").unwrap_or_else(|_| {
        String::from_utf8(Command::new("hostname").output().unwrap().stdout).unwrap().trim().to_owned()
    })
}

/// `bash scripts/gluster-lab.sh ARGS…`, asserted to succeed.
pub fn lab_script(args: &[&str]) {
    let out = Command::new("bash").arg(lab_script_path()).args(args).output().unwrap();
    assert!(out.status.success(), "gluster-lab.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

pub fn lab_script_path() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/gluster-lab.sh")
}

/// The lab is one glusterd for the whole machine: every test that changes it holds this
/// lock (across test binaries and processes, so parallel runs cannot trip over each other's
/// geo-rep transactions). Blocking: take it from `spawn_blocking` or before the runtime.
pub struct LabLock(File);

pub fn lab_lock() -> LabLock {
    std::fs::create_dir_all("/var/lib/georep-lab").unwrap();
    let f = File::create("/var/lib/georep-lab/tests.lock").unwrap();
    f.lock().expect("lab test lock");
    LabLock(f)
}

pub async fn lab_lock_async() -> LabLock {
    tokio::task::spawn_blocking(lab_lock).await.unwrap()
}
