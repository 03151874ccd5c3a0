//! The gsyncd worker processes of this machine: found by their command line, restarted one
//! at a time (SIGTERM, SIGKILL if that does not end it; the session's monitor respawns the
//! worker, whose history crawl then catches up on what it missed). This is how a stalled
//! worker is cured without stopping the session's other workers (glusterfs 10.3's changelog
//! stall, FINDINGS P10).
//!
//! The command line of a worker (gluster 10, Debian):
//! `python3 …/gsyncd.py worker MASTER [user@]HOST::SLAVE --feedback-fd N --local-path BRICK …`.
//! The parser is a pure function over the argv; only `restart_worker` touches processes.
use std::time::{Duration, Instant};

use super::GlusterError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerProc {
    pub pid: u32,
    pub master: String,
    /// As gluster passes it: `vm::slavevol`, `user@vm::slavevol`.
    pub slave: String,
    /// The master brick's path (`--local-path`).
    pub brick: String,
}

/// The worker a command line belongs to, if it is a gsyncd worker.
pub fn parse_worker(pid: u32, argv: &[String]) -> Option<WorkerProc> {
    let script = argv
        .iter()
        .position(|a| a.ends_with("/gsyncd.py") || a.ends_with("/gsyncd"))?;
    if argv.get(script + 1).map(String::as_str) != Some("worker") {
        return None;
    }
    let master = argv.get(script + 2)?.clone();
    let slave = argv.get(script + 3)?.clone();
    let at = argv.iter().position(|a| a == "--local-path")?;
    let brick = argv.get(at + 1)?.clone();
    Some(WorkerProc {
        pid,
        master,
        slave,
        brick,
    })
}

/// `/proc/PID/cmdline` (NUL separated) as words.
pub fn split_cmdline(raw: &[u8]) -> Vec<String> {
    raw.split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

/// Every gsyncd worker running on this machine.
pub fn local_workers() -> Vec<WorkerProc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter_map(|pid| {
            let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            parse_worker(pid, &split_cmdline(&raw))
        })
        .collect()
}

/// `restart_worker` off the async threads (it reads `/proc` and waits for the worker to end).
pub async fn restart_worker_blocking(
    master: &str,
    slave: &str,
    brick: &str,
) -> Result<Option<u32>, GlusterError> {
    let (m, s, b) = (master.to_owned(), slave.to_owned(), brick.to_owned());
    tokio::task::spawn_blocking(move || restart_worker(&m, &s, &b))
        .await
        .map_err(|e| GlusterError::Spawn {
            program: "kill".into(),
            message: format!("worker restart: {e}"),
        })?
}

/// How long a worker has to end on SIGTERM before it gets SIGKILL. gsyncd's SIGTERM handler is
/// Python's, run only when the main thread is back in Python: a worker hung inside
/// libgfchangelog (`history_scan`'s C loop, which sleeps and retries for ever when the history
/// consumer finished before the caller marked it started) never runs it. The session's monitor
/// restarts a worker that a signal ended, as it does after its own SIGKILL of a hung one.
const TERM_GRACE: Duration = Duration::from_secs(5);

/// Restarts the worker of `brick` in the session `master` → `slave` on this machine: SIGTERM
/// to its process (checked again right before the signal), SIGKILL when it still runs after
/// `TERM_GRACE`. Its pid, or None when this machine runs no such worker (then only a stop and
/// start of the session can restart it).
pub fn restart_worker(master: &str, slave: &str, brick: &str) -> Result<Option<u32>, GlusterError> {
    let Some(w) = local_workers()
        .into_iter()
        .find(|w| w.master == master && w.slave == slave && w.brick == brick)
    else {
        return Ok(None);
    };
    // the pid may have been reused since the scan: the command line must still match
    let runs = || {
        let raw = std::fs::read(format!("/proc/{}/cmdline", w.pid)).unwrap_or_default();
        parse_worker(w.pid, &split_cmdline(&raw)).as_ref() == Some(&w)
    };
    if !runs() {
        return Ok(None);
    }
    let signal = |sig: libc::c_int| {
        // SAFETY: kill(2) on one pid whose command line was just checked; no memory is touched.
        match unsafe { libc::kill(w.pid as i32, sig) } {
            0 => Ok(()),
            _ => Err(GlusterError::Spawn {
                program: "kill".into(),
                message: format!(
                    "worker {} of {brick}: {}",
                    w.pid,
                    std::io::Error::last_os_error()
                ),
            }),
        }
    };
    signal(libc::SIGTERM)?;
    let t0 = Instant::now();
    // a zombie's command line is empty: gone once it ended, reaped or not
    while runs() && t0.elapsed() < TERM_GRACE {
        std::thread::sleep(Duration::from_millis(100));
    }
    let ended_by = if runs() {
        signal(libc::SIGKILL)?;
        "SIGKILL"
    } else {
        "SIGTERM"
    };
    tracing::info!(
        pid = w.pid,
        master,
        slave,
        brick,
        ended_by,
        "restarted a geo-replication worker"
    );
    Ok(Some(w.pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<String> {
        split_cmdline(
            &std::fs::read(format!(
                "{}/tests/fixtures/proc/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        )
    }

    #[test]
    fn a_real_worker() {
        let w = parse_worker(7, &fixture("gsyncd-worker@cmdline.bin")).expect("a worker");
        assert_eq!(
            w,
            WorkerProc {
                pid: 7,
                master: "mastervol".into(),
                slave: "vm::slavevol".into(),
                brick: "/srv/georep-lab/mastervol/b1".into()
            }
        );
    }

    #[test]
    fn the_monitor_and_others_are_not_workers() {
        assert_eq!(
            parse_worker(1, &fixture("gsyncd-monitor@cmdline.bin")),
            None
        );
        let words = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            parse_worker(
                1,
                &words("python3 /x/gsyncd.py secondary mastervol vm::s --local-path /b")
            ),
            None
        );
        assert_eq!(
            parse_worker(1, &words("python3 /x/gsyncd.py worker mastervol")),
            None
        );
        assert_eq!(parse_worker(1, &words("bash -c worker")), None);
        assert_eq!(parse_worker(1, &[]), None);
    }
}
