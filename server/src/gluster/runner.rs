//! Runs `gluster --mode=script --xml -- <args…>` as an argv, on this machine or on a remote
//! host through `ssh -o BatchMode=yes`, with a timeout on every call.
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Command;
use tracing::Instrument;

use super::error::GlusterError;
use super::error::BARE_GEOREP_FAILURE;
use super::known_hosts::{self, KnownHosts};
use super::parse::{self, ParseError};
use super::priority::Gates;

/// The zone every gluster (and node script) call runs in, locally and over ssh. The CLI reads a
/// checkpoint label (`config checkpoint "Y-m-d H:M:S"`) in its own local time (cli-cmd-parser.c:
/// strptime, then strftime `%s`), so a label georep writes in UTC lands hours off on a node
/// that is not on UTC. Nothing else the CLI prints is local time: the XML's times are the
/// `_utc` values.
const GLUSTER_TZ: &str = "UTC0";

/// Where a gluster command runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Local,
    Ssh {
        host: String,
        user: String,
        port: u16,
    },
}

/// `local`, or `ssh://user@host:port`: how a log line names where gluster was asked.
impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Local => f.write_str("local"),
            Target::Ssh { host, user, port } => write!(f, "ssh://{user}@{host}:{port}"),
        }
    }
}

/// What one call printed, for callers that must look at plain-text answers.
#[derive(Clone, Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

#[derive(Clone, Debug)]
pub struct Gluster {
    program: String,
    timeout: Duration,
    gates: Gates,
    /// georep's own host keys for ssh targets; None: ssh's defaults (root's known_hosts).
    known_hosts: Option<KnownHosts>,
    /// The argv that restarts glusterd on a node (`--glusterd-restart-command`).
    restart_command: std::sync::Arc<[String]>,
}

/// What restarts glusterd on a node where none was configured (glusterfs-server's unit).
pub const GLUSTERD_RESTART: &str = "systemctl restart glusterd";

impl Gluster {
    pub fn new(program: impl Into<String>, timeout: Duration) -> Self {
        Gluster {
            program: program.into(),
            timeout,
            gates: Gates::default(),
            known_hosts: None,
            restart_command: GLUSTERD_RESTART
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        }
    }

    /// glusterd restarted on a node by `command` (split at blanks into an argv).
    pub fn with_restart_command(mut self, command: &str) -> Self {
        self.restart_command = command.split_whitespace().map(str::to_owned).collect();
        self
    }

    pub fn restart_command(&self) -> &[String] {
        &self.restart_command
    }

    /// ssh checks every host against `known` (recorded at first contact, a change refused).
    pub fn with_known_hosts(mut self, known: KnownHosts) -> Self {
        self.known_hosts = Some(known);
        self
    }

    pub fn known_hosts(&self) -> Option<&KnownHosts> {
        self.known_hosts.as_ref()
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs one call and parses its answer with `parse`. A call that printed nothing is an
    /// `Exit` error carrying stderr; otherwise the parser decides (opRet, shape).
    pub async fn xml<T>(
        &self,
        target: &Target,
        args: &[&str],
        parse: fn(&str) -> Result<T, ParseError>,
    ) -> Result<T, GlusterError> {
        self.xml_retrying(target, args, parse, GlusterError::is_busy)
            .await
    }

    /// [`Gluster::xml`], again while `busy` says glusterd did nothing because another
    /// command (ours, the CLI's, gsyncd's, another node's) held the volume or cluster lock; it
    /// is free again within a second or so.
    async fn xml_retrying<T>(
        &self,
        target: &Target,
        args: &[&str],
        parse: fn(&str) -> Result<T, ParseError>,
        busy: fn(&GlusterError) -> bool,
    ) -> Result<T, GlusterError> {
        let started = std::time::Instant::now();
        let mut attempt = 0u32;
        loop {
            let answer = self.xml_once(target, args, parse).await;
            match &answer {
                Err(e) if busy(e) && attempt < LOCK_RETRIES && started.elapsed() < self.timeout => {
                    attempt += 1;
                    tracing::debug!(
                        ?args,
                        attempt,
                        "glusterd busy with another transaction: retrying"
                    );
                    tokio::time::sleep(LOCK_BACKOFF * attempt).await;
                }
                _ => return answer,
            }
        }
    }

    /// One call in a `gluster` span (its target and words; then the exit code, the time and
    /// gluster's opRet): what is logged meanwhile, a retry or a timeout, says which call.
    async fn xml_once<T>(
        &self,
        target: &Target,
        args: &[&str],
        parse: fn(&str) -> Result<T, ParseError>,
    ) -> Result<T, GlusterError> {
        let span = tracing::info_span!(
            "gluster",
            target = %target,
            args = %args.join(" "),
            code = tracing::field::Empty,
            ms = tracing::field::Empty,
            op_ret = tracing::field::Empty,
        );
        async {
            let out = self.run(target, args).await?;
            if out.stdout.trim().is_empty() {
                return Err(exit_error(&out));
            }
            let parsed = parse(&out.stdout);
            match &parsed {
                Ok(_) => {
                    tracing::Span::current().record("op_ret", 0);
                }
                Err(ParseError::Command { op_ret, .. }) => {
                    tracing::Span::current().record("op_ret", op_ret);
                }
                Err(_) => {}
            }
            match parsed {
                Err(ParseError::NotXml(text)) if out.code != 0 => Err(GlusterError::Exit {
                    code: out.code,
                    message: first_line(&out.stderr).unwrap_or(text),
                }),
                other => Ok(other?),
            }
        }
        .instrument(span)
        .await
    }

    /// Runs `gluster --mode=script --xml -- <args…>` and returns what it printed, whatever the
    /// exit status. Only spawning failures and timeouts are errors here.
    pub async fn run(&self, target: &Target, args: &[&str]) -> Result<Output, GlusterError> {
        // `--` ends the CLI's own options (cli.c `parse_cmdline`): without it every later word
        // starting with `--` is taken as a CLI flag. glusterfs 10.3, `config rsync-options
        // --log-file=/tmp/x`: the CLI wrote its own log to /tmp/x, ran a plain *get* of
        // rsync-options and answered opRet 0; nothing was set
        let mut argv: Vec<String> = vec!["--mode=script".into(), "--xml".into(), "--".into()];
        argv.extend(args.iter().map(|a| a.to_string()));
        self.run_program(target, &self.program, &argv, args).await
    }

    /// Runs `sh -c SCRIPT georep ARGS…` where gluster runs (locally or over the same ssh),
    /// for what the gluster CLI cannot do on a node (the session's keys in authorized_keys).
    /// Only spawning failures and timeouts are errors.
    pub async fn run_script(
        &self,
        target: &Target,
        script: &str,
        args: &[&str],
    ) -> Result<Output, GlusterError> {
        let mut argv: Vec<String> = vec!["-c".into(), script.into(), "georep".into()];
        argv.extend(args.iter().map(|a| a.to_string()));
        self.run_program(target, "sh", &argv, args).await
    }

    pub(super) async fn run_program(
        &self,
        target: &Target,
        program: &str,
        argv: &[String],
        args: &[&str],
    ) -> Result<Output, GlusterError> {
        let mut cmd = match target {
            Target::Local => {
                let mut c = Command::new(program);
                c.args(argv).env("TZ", GLUSTER_TZ);
                c
            }
            Target::Ssh { host, user, port } => {
                // ssh hands the remote side one string for its shell: quote every word
                let mut remote = vec![format!("TZ={GLUSTER_TZ}"), quote(program)?];
                for a in argv {
                    remote.push(quote(a)?);
                }
                let mut c = Command::new("ssh");
                c.args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]);
                match &self.known_hosts {
                    Some(k) => c.args(k.ssh_options()),
                    None => c.args(["-o", "StrictHostKeyChecking=accept-new"]),
                };
                c.arg("-p")
                    .arg(port.to_string())
                    .arg("-l")
                    .arg(user)
                    .arg("--")
                    .arg(host)
                    .arg(remote.join(" "));
                c
            }
        };
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // its own process group, so that a timeout kills whatever it started too
            .process_group(0);

        let _turn = self.gates.enter(target, self.timeout).await;
        let started = Instant::now();
        let child = cmd.spawn().map_err(|e| GlusterError::Spawn {
            program: match target {
                Target::Local => program.to_owned(),
                Target::Ssh { .. } => "ssh".into(),
            },
            message: e.to_string(),
        })?;
        let pid = child.id();
        let result = tokio::time::timeout(self.timeout, child.wait_with_output()).await;
        let elapsed = started.elapsed();
        match result {
            Err(_) => {
                if let Some(pid) = pid {
                    // SAFETY: kill(2) on the process group we created; no memory is touched.
                    unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
                }
                tracing::warn!(
                    ?args,
                    ?target,
                    ms = elapsed.as_millis() as u64,
                    "gluster call timed out"
                );
                Err(GlusterError::Timeout(self.timeout))
            }
            Ok(Err(e)) => Err(GlusterError::Spawn {
                program: program.to_owned(),
                message: e.to_string(),
            }),
            Ok(Ok(out)) => {
                let code = out.status.code().unwrap_or(-1);
                tracing::Span::current()
                    .record("code", code)
                    .record("ms", elapsed.as_millis() as u64);
                if let Target::Ssh { host, port, .. } = target {
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    if code == 255 && known_hosts::is_changed_key(&stderr) {
                        let known = self.known_hosts.as_ref().map_or_else(
                            || "a key in root's known_hosts".into(),
                            |k| k.fingerprints(host, *port),
                        );
                        let e = GlusterError::HostKeyChanged {
                            host: host.clone(),
                            known,
                            offered: known_hosts::offered_fingerprint(&stderr)
                                .unwrap_or_else(|| "another key".into()),
                        };
                        tracing::error!(error = %e, "ssh host key changed");
                        return Err(e);
                    }
                }
                tracing::debug!(
                    ?args,
                    ?target,
                    code,
                    ms = elapsed.as_millis() as u64,
                    "gluster call"
                );
                Ok(Output {
                    code,
                    stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                })
            }
        }
    }

    pub async fn pool_list(&self, t: &Target) -> Result<Vec<super::model::Peer>, GlusterError> {
        self.xml(t, &["pool", "list"], parse::parse_pool_list).await
    }

    pub async fn volume_info(
        &self,
        t: &Target,
    ) -> Result<Vec<super::model::VolumeInfo>, GlusterError> {
        self.xml(t, &["volume", "info"], parse::parse_volume_info)
            .await
    }

    pub async fn volume_status_detail(
        &self,
        t: &Target,
    ) -> Result<Vec<super::model::VolumeStatus>, GlusterError> {
        self.xml(
            t,
            &["volume", "status", "all", "detail"],
            parse::parse_volume_status,
        )
        .await
    }

    /// Every geo-replication session the node knows, in one call. "No session at all" is a
    /// plain line with exit 2 (not XML): that is an empty answer, not an error.
    pub async fn georep_status_all(
        &self,
        t: &Target,
    ) -> Result<super::model::GeorepStatus, GlusterError> {
        let out = self
            .run(t, &["volume", "geo-replication", "status", "detail"])
            .await?;
        if out.stdout.trim() == BARE_GEOREP_FAILURE && out.code == 2 {
            return Ok(super::model::GeorepStatus::default());
        }
        if out.stdout.trim().is_empty() {
            return Err(exit_error(&out));
        }
        Ok(parse::parse_georep_status(&out.stdout)?)
    }

    /// One session's status (`volume geo-replication MASTER SLAVE status detail`): the health
    /// probe polls it for the checkpoint of every worker.
    pub async fn georep_session_status(
        &self,
        t: &Target,
        master: &str,
        slave: &str,
    ) -> Result<super::model::GeorepStatus, GlusterError> {
        let args = [
            "volume",
            "geo-replication",
            master,
            slave,
            "status",
            "detail",
        ];
        // While another command holds the master volume's lock, glusterd answers a session's
        // status with the bare line it also gives for "no such session": worth a retry.
        let busy = |e: &GlusterError| e.is_busy() || e.is_bare_georep_failure();
        match self
            .xml_retrying(t, &args, parse::parse_georep_status, busy)
            .await
        {
            Err(e) if e.is_bare_georep_failure() => Err(GlusterError::Exit {
                code: 2,
                message: format!(
                    "gluster could not report the session {master} → {slave} \
                     (no such session, or glusterd stayed busy with another command on {master})"
                ),
            }),
            other => other,
        }
    }

    pub async fn georep_config(
        &self,
        t: &Target,
        master: &str,
        slave: &str,
    ) -> Result<Vec<(String, String)>, GlusterError> {
        self.xml(
            t,
            &["volume", "geo-replication", master, slave, "config"],
            parse::parse_georep_config,
        )
        .await
    }

    /// `volume geo-replication MASTER SLAVE <words…>`: create/start/stop/pause/resume/delete
    /// and config set/reset. opRet ≠ 0 is a `Command` error with gluster's message; a success
    /// may carry a note or warning (`ActionAnswer::message`).
    pub async fn georep_action(
        &self,
        t: &Target,
        master: &str,
        slave: &str,
        words: &[&str],
    ) -> Result<super::model::ActionAnswer, GlusterError> {
        let mut args = vec!["volume", "geo-replication", master, slave];
        args.extend_from_slice(words);
        self.xml(t, &args, parse::parse_action).await
    }

    /// `volume get VOLUME KEY`: the option's value as the volume has it (or gluster's default).
    pub async fn volume_get(
        &self,
        t: &Target,
        volume: &str,
        key: &str,
    ) -> Result<super::model::VolumeOption, GlusterError> {
        let mut opts = self
            .xml(t, &["volume", "get", volume, key], parse::parse_volume_get)
            .await?;
        match opts.len() {
            1 => Ok(opts.remove(0)),
            n => Err(GlusterError::Unreadable(format!(
                "volume get {volume} {key}: {n} options in the answer"
            ))),
        }
    }

    /// `volume set VOLUME KEY VALUE`.
    pub async fn volume_set(
        &self,
        t: &Target,
        volume: &str,
        key: &str,
        value: &str,
    ) -> Result<super::model::ActionAnswer, GlusterError> {
        self.xml(
            t,
            &["volume", "set", volume, key, value],
            parse::parse_action,
        )
        .await
    }

    /// `volume reset VOLUME KEY`: back to gluster's default.
    pub async fn volume_reset(
        &self,
        t: &Target,
        volume: &str,
        key: &str,
    ) -> Result<super::model::ActionAnswer, GlusterError> {
        self.xml(t, &["volume", "reset", volume, key], parse::parse_action)
            .await
    }

    /// `system:: execute gsec_create`: the common secret pem keys on this node (plain text even
    /// with `--xml`; idempotent, about 0.1 s once the keys exist).
    pub async fn gsec_create(&self, t: &Target) -> Result<(), GlusterError> {
        let out = self.run(t, &["system::", "execute", "gsec_create"]).await?;
        if out.code != 0 {
            let message = first_line(&out.stderr)
                .or_else(|| first_line(&out.stdout))
                .unwrap_or_else(|| "no output".into());
            return Err(GlusterError::Exit {
                code: out.code,
                message,
            });
        }
        Ok(())
    }
}

const LOCK_RETRIES: u32 = 8;
const LOCK_BACKOFF: Duration = Duration::from_millis(100);

fn quote(word: &str) -> Result<String, GlusterError> {
    shlex::try_quote(word)
        .map(|q| q.into_owned())
        .map_err(|_| GlusterError::Spawn {
            program: "ssh".into(),
            message: format!("argument {word:?} cannot be quoted"),
        })
}

fn first_line(s: &str) -> Option<String> {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

pub(super) fn exit_error(out: &Output) -> GlusterError {
    GlusterError::Exit {
        code: out.code,
        message: first_line(&out.stderr).unwrap_or_else(|| "no output".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn gluster_runs_in_utc_whatever_georep_runs_in() {
        // what the CLI's strptime/strftime("%s") of a checkpoint label does, in the zone the
        // call gets (the two-cluster lab's master nodes are on Asia/Kolkata: its test)
        let g = Gluster::new("gluster", Duration::from_secs(10));
        let out = g
            .run_script(
                &Target::Local,
                r#"printf '%s %s' "$TZ" "$(date -d '2026-12-01 12:00:00' +%s)""#,
                &[],
            )
            .await
            .unwrap();
        assert_eq!(out.stdout, "UTC0 1796126400", "{out:?}");
    }
}
