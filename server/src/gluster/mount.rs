//! The FUSE mount of a master volume that georep manages itself (for the health probe):
//! `mount -t glusterfs SERVER:/VOLUME DIR` as an argv with a timeout, on this machine.
//! Reading `/proc/mounts` is a pure function over its text.
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::GlusterError;

/// One line of `/proc/mounts` that is a glusterfs FUSE mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlusterMount {
    /// `server:/volume` as mounted.
    pub source: String,
    pub dir: String,
}

/// The glusterfs mounts in the text of `/proc/mounts` (octal escapes such as `\040` decoded).
pub fn parse_mounts(text: &str) -> Vec<GlusterMount> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (source, dir, fstype) = (f.next()?, f.next()?, f.next()?);
            (fstype == "fuse.glusterfs").then(|| GlusterMount {
                source: unescape(source),
                dir: unescape(dir),
            })
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `dir` holds a glusterfs mount of `volume` (from any server of its pool).
pub fn is_mounted(mounts: &[GlusterMount], dir: &str, volume: &str) -> bool {
    mounts
        .iter()
        .any(|m| m.dir == dir && m.source.rsplit_once(":/").is_some_and(|(_, v)| v == volume))
}

/// Makes sure `dir` is a live glusterfs mount of `server:/volume`: reuses a healthy one,
/// replaces a dead one (glusterfs client gone: "Transport endpoint is not connected").
pub async fn ensure_mount(
    server: &str,
    volume: &str,
    dir: &Path,
    timeout: Duration,
) -> Result<(), GlusterError> {
    let shown = dir.display().to_string();
    let mounts = parse_mounts(
        &tokio::fs::read_to_string("/proc/mounts")
            .await
            .unwrap_or_default(),
    );
    if is_mounted(&mounts, &shown, volume) {
        if tokio::time::timeout(timeout, tokio::fs::metadata(dir))
            .await
            .is_ok_and(|m| m.is_ok())
        {
            return Ok(());
        }
        tracing::warn!(dir = %shown, "probe mount is dead: remounting");
        run(&["umount", "-l", &shown], timeout).await?;
    }
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| GlusterError::Spawn {
            program: "mkdir".into(),
            message: format!("{shown}: {e}"),
        })?;
    run(
        &[
            "mount",
            "-t",
            "glusterfs",
            &format!("{server}:/{volume}"),
            &shown,
        ],
        timeout,
    )
    .await
}

/// Whether `path` lies on a FUSE file system (a glusterfs mount), by statfs(2): a mount
/// another georep swept away leaves its folder behind, and what is written there goes to the
/// local disk instead of gluster.
pub fn on_fuse(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    const FUSE_SUPER_MAGIC: i64 = 0x6573_5546;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statfs(2) with a NUL-terminated path and a zeroed struct this function owns.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::statfs(c.as_ptr(), &mut st) };
    r == 0 && st.f_type as i64 == FUSE_SUPER_MAGIC
}

/// Unmounts `dir` if it is a glusterfs mount (lazily: a probe may still hold it).
pub async fn unmount(dir: &Path, timeout: Duration) -> Result<(), GlusterError> {
    let shown = dir.display().to_string();
    let mounts = parse_mounts(
        &tokio::fs::read_to_string("/proc/mounts")
            .await
            .unwrap_or_default(),
    );
    if !mounts.iter().any(|m| m.dir == shown) {
        return Ok(());
    }
    run(&["umount", "-l", &shown], timeout).await
}

/// A filesystem call on a FUSE mount, bounded: a hung glusterfs client blocks every call on
/// its mount for ever, and a probe waiting on one would hold its slot for good. The blocked
/// call's thread stays blocked (the kernel decides), but the caller goes on.
pub async fn bounded<T>(
    timeout: Duration,
    what: &str,
    op: impl std::future::Future<Output = std::io::Result<T>>,
) -> std::io::Result<T> {
    tokio::time::timeout(timeout, op).await.unwrap_or_else(|_| {
        Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "{what}: no answer within {} s (hung mount?)",
                timeout.as_secs()
            ),
        ))
    })
}

/// The glusterfs mounts directly under `root` (georep's probe mounts), by `/proc/mounts`.
pub async fn mounts_under(root: &Path) -> Vec<std::path::PathBuf> {
    let mounts = parse_mounts(
        &tokio::fs::read_to_string("/proc/mounts")
            .await
            .unwrap_or_default(),
    );
    mounts
        .into_iter()
        .map(|m| std::path::PathBuf::from(m.dir))
        .filter(|d| d.parent() == Some(root))
        .collect()
}

/// This process's claim on a mount folder: an exclusive `flock` on `ROOT/.georep-owner`,
/// held while the value lives. Only the owner removes mounts it did not make (a georep
/// that was killed left them); a second georep given the same folder leaves them alone.
pub struct Owner(#[allow(dead_code)] std::fs::File);

pub fn claim(root: &Path) -> std::io::Result<Option<Owner>> {
    use std::os::fd::AsRawFd;
    std::fs::create_dir_all(root)?;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(root.join(".georep-owner"))?;
    // SAFETY: flock(2) on a descriptor this function owns; no memory is touched.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    Ok((r == 0).then_some(Owner(f)))
}

async fn run(argv: &[&str], timeout: Duration) -> Result<(), GlusterError> {
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| GlusterError::Spawn {
        program: argv[0].into(),
        message: e.to_string(),
    })?;
    let started = std::time::Instant::now();
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| GlusterError::Timeout(timeout))?
        .map_err(|e| GlusterError::Spawn {
            program: argv[0].into(),
            message: e.to_string(),
        })?;
    let code = out.status.code().unwrap_or(-1);
    tracing::debug!(
        ?argv,
        code,
        ms = started.elapsed().as_millis() as u64,
        "mount call"
    );
    if code != 0 {
        let err = String::from_utf8_lossy(&out.stderr);
        let message = err
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no output")
            .to_owned();
        return Err(GlusterError::Exit {
            code,
            message: format!("{}: {message}", argv.join(" ")),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_lab_mount() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/proc/mounts@lab.txt"
        ))
        .unwrap();
        let m = parse_mounts(&text);
        assert_eq!(
            m,
            [GlusterMount {
                source: "vm:/mastervol".into(),
                dir: "/mnt/georep-lab/mastervol".into()
            }]
        );
        assert!(is_mounted(&m, "/mnt/georep-lab/mastervol", "mastervol"));
        assert!(!is_mounted(&m, "/mnt/georep-lab/mastervol", "slavevol"));
        assert!(!is_mounted(&m, "/mnt/other", "mastervol"));
    }

    #[test]
    fn decodes_escapes() {
        let m = parse_mounts("vm:/v /mnt/a\\040b fuse.glusterfs rw 0 0\n/dev/sda1 / ext4 rw 0 0\n");
        assert_eq!(m[0].dir, "/mnt/a b");
        assert_eq!(m.len(), 1);
    }
}
