//! georep's own ssh known_hosts: the host keys of the nodes it reaches over ssh, in a file
//! in georep's state folder (`--state-dir`, by default the database's) that only georep writes.
//!
//! A file, not SQLite: ssh itself must check the key during the handshake, and it reads
//! known_hosts files (`UserKnownHostsFile`); a copy in SQLite would be a second truth to keep
//! in step. Its own file, not root's `~/.ssh/known_hosts`: that one is shared with admins and
//! scripts that re-trust a changed key in passing (`ssh-keygen -R` + `accept-new`, as
//! `gluster-lab2.sh up` does), so a key there says nothing about what georep has seen.
//!
//! A host is recorded at registration: the host georep is given by its first call
//! (`StrictHostKeyChecking=accept-new` on this file), the peers its pool names by
//! [`KnownHosts::record_new`]; a peer that joins later at georep's first call to it. A key
//! that differs from
//! the recorded one is refused by ssh, reported with both fingerprints
//! ([`GlusterError::HostKeyChanged`]), and only [`KnownHosts::accept`] with the fingerprint
//! the admin expects replaces it.
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use sha2::{Digest, Sha256};
use tokio::process::Command;

use super::error::GlusterError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownHosts {
    path: PathBuf,
}

/// One key of a host as known_hosts holds it: `pattern keytype base64`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostKey {
    pub key_type: String,
    pub blob: String,
}

impl HostKey {
    /// OpenSSH's `SHA256:…` fingerprint (base64 of the blob's SHA-256, unpadded).
    pub fn fingerprint(&self) -> Option<String> {
        fingerprint(&self.blob)
    }
}

pub fn fingerprint(blob_b64: &str) -> Option<String> {
    let blob = base64::engine::general_purpose::STANDARD
        .decode(blob_b64)
        .ok()?;
    let digest = Sha256::digest(&blob);
    Some(format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    ))
}

/// How known_hosts names a host: `node3`, or `[node3]:2222` off port 22.
pub fn pattern(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    }
}

/// The keys `text` (known_hosts or ssh-keyscan output) holds for `pattern` (plain names
/// only: georep writes its file with `HashKnownHosts=no`).
pub fn keys_of(text: &str, pattern: &str) -> Vec<HostKey> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('@'))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (names, key_type, blob) = (w.next()?, w.next()?, w.next()?);
            names.split(',').any(|n| n == pattern).then(|| HostKey {
                key_type: key_type.to_owned(),
                blob: blob.to_owned(),
            })
        })
        .collect()
}

/// The fingerprint ssh says the host offered when it refused a changed key (OpenSSH: "The
/// fingerprint for the ED25519 key sent by the remote host is\nSHA256:….").
pub fn offered_fingerprint(ssh_stderr: &str) -> Option<String> {
    let after = ssh_stderr.split("sent by the remote host is").nth(1)?;
    let fp = after.split_whitespace().next()?;
    Some(fp.trim_end_matches('.').to_owned())
}

/// ssh refused the connection because the host's key is not the one on record.
pub fn is_changed_key(ssh_stderr: &str) -> bool {
    ssh_stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || ssh_stderr.contains("Host key for ") && ssh_stderr.contains("has changed")
}

impl KnownHosts {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        KnownHosts { path: path.into() }
    }

    /// `known_hosts` in georep's state folder (`--state-dir`).
    pub fn in_folder(dir: &Path) -> Self {
        KnownHosts::new(dir.join("known_hosts"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// ssh's options for a call checked against this file.
    pub fn ssh_options(&self) -> Vec<String> {
        vec![
            "-o".into(),
            format!("UserKnownHostsFile={}", self.path.display()),
            "-o".into(),
            "GlobalKnownHostsFile=/dev/null".into(),
            "-o".into(),
            "HashKnownHosts=no".into(),
            "-o".into(),
            "StrictHostKeyChecking=accept-new".into(),
        ]
    }

    /// The keys on record for `host:port` (none when the file or the host is missing).
    pub fn keys(&self, host: &str, port: u16) -> Vec<HostKey> {
        std::fs::read_to_string(&self.path)
            .map(|t| keys_of(&t, &pattern(host, port)))
            .unwrap_or_default()
    }

    /// The recorded fingerprints of `host:port`, for messages ("none" when there is none).
    pub fn fingerprints(&self, host: &str, port: u16) -> String {
        let fps: Vec<String> = self
            .keys(host, port)
            .iter()
            .filter_map(HostKey::fingerprint)
            .collect();
        if fps.is_empty() {
            "none".into()
        } else {
            fps.join(", ")
        }
    }

    /// Records the keys `host` offers now (`ssh-keyscan`) when none is on record: the peers a
    /// registered pool names, at registration, before georep first needs them. A host on
    /// record is left as it is. Returns the fingerprints recorded.
    pub async fn record_new(
        &self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<Vec<String>, GlusterError> {
        if !self.keys(host, port).is_empty() {
            return Ok(Vec::new());
        }
        let keys = scan(host, port, timeout).await?;
        let p = pattern(host, port);
        let lines: String = keys
            .iter()
            .map(|k| format!("{p} {} {}\n", k.key_type, k.blob))
            .collect();
        use std::io::Write;
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(lines.as_bytes()))
            .map_err(|e| GlusterError::Spawn {
                program: "known_hosts".into(),
                message: format!("{}: {e}", self.path.display()),
            })?;
        Ok(keys.iter().filter_map(HostKey::fingerprint).collect())
    }

    /// Replaces what the file holds for `host:port` by the key `host` offers now whose
    /// fingerprint is `expected` (asked with `ssh-keyscan`); refused when none matches.
    /// Returns the fingerprints on record before and the one recorded.
    pub async fn accept(
        &self,
        host: &str,
        port: u16,
        expected: &str,
        timeout: Duration,
    ) -> Result<(String, String), GlusterError> {
        let offered = scan(host, port, timeout).await?;
        let key = offered
            .iter()
            .find(|k| k.fingerprint().as_deref() == Some(expected))
            .ok_or_else(|| GlusterError::KeyNotOffered {
                host: host.to_owned(),
                expected: expected.to_owned(),
                offered: offered
                    .iter()
                    .filter_map(HostKey::fingerprint)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let before = self.fingerprints(host, port);
        let p = pattern(host, port);
        let old = std::fs::read_to_string(&self.path).unwrap_or_default();
        let mut text: String = old
            .lines()
            .filter(|l| keys_of(l, &p).is_empty())
            .map(|l| format!("{l}\n"))
            .collect();
        text.push_str(&format!("{p} {} {}\n", key.key_type, key.blob));
        // written whole, then renamed: ssh never reads half a file
        let tmp = self.path.with_extension("new");
        let io = |e: std::io::Error| GlusterError::Spawn {
            program: "known_hosts".into(),
            message: format!("{}: {e}", self.path.display()),
        };
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        Ok((before, expected.to_owned()))
    }
}

/// The keys `host` offers now (`ssh-keyscan`), with a timeout.
async fn scan(host: &str, port: u16, timeout: Duration) -> Result<Vec<HostKey>, GlusterError> {
    let mut cmd = Command::new("ssh-keyscan");
    cmd.args(["-T", "10", "-p"])
        .arg(port.to_string())
        .arg("--")
        .arg(host)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| GlusterError::Spawn {
        program: "ssh-keyscan".into(),
        message: e.to_string(),
    })?;
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| GlusterError::Timeout(timeout))?
        .map_err(|e| GlusterError::Spawn {
            program: "ssh-keyscan".into(),
            message: e.to_string(),
        })?;
    let keys = keys_of(&String::from_utf8_lossy(&out.stdout), &pattern(host, port));
    if keys.is_empty() {
        return Err(GlusterError::Exit {
            code: out.status.code().unwrap_or(-1),
            message: format!("ssh-keyscan got no host key from {host}:{port}"),
        });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    // OpenSSH 9.2's own words (lab2: node3's key replaced), and `ssh-keygen -lf` of that key
    const CHANGED: &str = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Someone could be eavesdropping on you right now (man-in-the-middle attack)!
It is also possible that a host key has just been changed.
The fingerprint for the ED25519 key sent by the remote host is
SHA256:sA55ynBTDWueQFaCi2JETzYdhAD5FM5Kkr9kvFvYxKg.
Please contact your system administrator.
Add correct host key in /tmp/kh-test.bad to get rid of this message.
Offending ED25519 key in /tmp/kh-test.bad:1
  remove with:
  ssh-keygen -f \"/tmp/kh-test.bad\" -R \"node3\"
Host key for node3 has changed and you have requested strict checking.
Host key verification failed.
";

    #[test]
    fn a_changed_key_is_told_with_the_fingerprint_offered() {
        assert!(is_changed_key(CHANGED));
        assert_eq!(
            offered_fingerprint(CHANGED).as_deref(),
            Some("SHA256:sA55ynBTDWueQFaCi2JETzYdhAD5FM5Kkr9kvFvYxKg")
        );
        assert!(!is_changed_key(
            "ssh: connect to host node3 port 22: Connection refused"
        ));
    }

    #[test]
    fn fingerprints_are_openssh_ones() {
        let file = "node3 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJmmPU1q1eimUFVNoQ0ub1cktN4LvWR20kiDwpOeyHIv\n\
                    [node3]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJmmPU1q1eimUFVNoQ0ub1cktN4LvWR20kiDwpOeyHIv\n\
                    # node1 ssh-ed25519 AAAA\n";
        let keys = keys_of(file, "node3");
        assert_eq!(keys.len(), 1);
        assert_eq!(
            keys[0].fingerprint().as_deref(),
            Some("SHA256:sA55ynBTDWueQFaCi2JETzYdhAD5FM5Kkr9kvFvYxKg")
        );
        assert_eq!(keys_of(file, &pattern("node3", 2222)).len(), 1);
        assert!(keys_of(file, "node1").is_empty());
    }
}
