//! What a non-root session needs of the nodes, read and set up with fixed `sh` scripts over
//! the same ssh as the CLI (issue 19): the master node that runs `create` (its ssh to the
//! slave, its gluster version, its clock, its root key) and each slave node (gluster's
//! mountbroker: `/etc/glusterfs/glusterd.vol`'s `mountbroker-root`,
//! `geo-replication-log-group` and `mountbroker-geo-replication.USER`, the user and group,
//! glusterd's start against the file's change, the bricks' emptiness). The set-up runs
//! gluster's own tools (`gluster-mountbroker`, `set_geo_rep_pem_keys.sh`) and the configured
//! command that restarts glusterd.
use std::time::Duration;

use super::parse::nodes::{parse_master_facts, parse_slave_facts, MasterFacts, SlaveFacts};
use super::runner::{exit_error, Gluster, Output, Target};
use super::GlusterError;

/// `sh -c` with `USER SLAVE_HOST SSH_PORT` on the node that runs `create`: its clock, gluster
/// version and root keys, and whether it reaches `USER@SLAVE_HOST` as gverify.sh tries it.
const MASTER_SCRIPT: &str = r#"
u=$1 h=$2 p=$3
echo "now_ms=$(date +%s%3N)"
echo "version=$(gluster --version 2>/dev/null | head -1 | cut -f2 -d' ')"
for f in "$HOME"/.ssh/id_*.pub; do [ -f "$f" ] && echo "pubkey=$(cut -d' ' -f1,2 "$f")"; done
if out=$(timeout 20 ssh -p "$p" -oBatchMode=yes -oNumberOfPasswordPrompts=0 \
    -oStrictHostKeyChecking=no -oConnectTimeout=5 "$u@$h" "echo Testing_Passwordless_SSH" 2>&1)
then echo "ssh=ok"
else echo "ssh=$(printf '%s' "$out" | grep -v '^Warning: Permanently added' | tail -1)"
fi
"#;

/// `sh -c` with `USER KEY BRICK…` on a slave node: its clock and gluster version, the
/// mountbroker's options and what they name, glusterd's start, the user, whether KEY (a
/// public key's type and base64) is in the user's authorized_keys (found as sshd finds it),
/// and the entries at the top of each brick of the slave volume on this node.
const SLAVE_SCRIPT: &str = r#"
u=$1 key=$2; shift 2
vf=/etc/glusterfs/glusterd.vol
now=$(date +%s)
echo "now_ms=$(date +%s%3N)"
echo "version=$(gluster --version 2>/dev/null | head -1 | cut -f2 -d' ')"
opt() { [ -r "$vf" ] && awk -v k="$1" '$1=="option" && $2==k {v=$3} END {print v}' "$vf"; }
echo "volfile_mtime=$(stat -c %Y "$vf" 2>/dev/null)"
started=
for f in /run/glusterd.pid /run/gluster/glusterd.pid; do
  [ -s "$f" ] || continue
  e=$(ps -o etimes= -p "$(cat "$f")" 2>/dev/null | tr -d ' ')
  [ -n "$e" ] && { started=$((now - e)); break; }
done
# elsewhere (another pid file): glusterd's own log of its last start, in UTC
if [ -z "$started" ]; then
  l=$(grep -h 'glusterd: Started running' /var/log/glusterfs/glusterd.log 2>/dev/null | tail -1 | cut -c2-20)
  [ -n "$l" ] && started=$(date -u -d "$l" +%s 2>/dev/null)
fi
echo "glusterd_started=$started"
r=$(opt mountbroker-root); echo "mountbroker_root=$r"
[ -n "$r" ] && [ -d "$r" ] && echo "mountbroker_root_stat=$(stat -c '%u %a' "$r")"
g=$(opt geo-replication-log-group); echo "group=$g"
[ -n "$g" ] && getent group "$g" >/dev/null && echo "group_exists=1"
echo "user_volumes=$(opt "mountbroker-geo-replication.$u")"
hd=$(getent passwd "$u" | cut -d: -f6); echo "home=$hd"
if [ -n "$hd" ]; then
  [ -n "$g" ] && id -nG "$u" | tr ' ' '\n' | grep -qxF "$g" && echo "user_in_group=1"
  case $(getent shadow "$u" | cut -d: -f2) in '!'*) echo "locked=1" ;; esac
  su -s /bin/sh -c '. /etc/profile >/dev/null 2>&1; command -v gluster' "$u" >/dev/null 2>&1 \
    && echo "gluster_on_path=1"
  ak=$(grep -e '^AuthorizedKeysFile' /etc/ssh/sshd_config 2>/dev/null | awk '{print $2}' | tail -1)
  case $ak in ''|.ssh/authorized_keys) ak=%h/.ssh/authorized_keys ;; esac
  ak=$(printf '%s' "$ak" | sed "s|%u|$u|g; s|%h|$hd|g")
  [ -n "$key" ] && [ -f "$ak" ] && grep -qF -- "$key" "$ak" && echo "key_authorized=1"
fi
for b in "$@"; do
  [ -d "$b" ] || { echo "brick=- $b"; continue; }
  n=$(find "$b" -mindepth 1 -maxdepth 1 ! -name .glusterfs ! -name .trashcan | head -100 | wc -l)
  echo "brick=$n $b"
done
"#;

/// `sh -c` with `USER GROUP`: the group, then the user in it (a home for its ssh keys, no
/// password, not locked: useradd's `!` makes sshd without PAM refuse the user), made where
/// missing; an existing user joins the group. gluster's create runs `gluster` as the user
/// after `source /etc/profile`, whose PATH lacks /usr/sbin on Debian: a link in
/// /usr/local/bin where it is not found. Prints the user's groups.
const USER_SCRIPT: &str = r#"
u=$1 g=$2
getent group "$g" >/dev/null || groupadd "$g" || exit 4
if getent passwd "$u" >/dev/null; then
  id -nG "$u" | tr ' ' '\n' | grep -qxF "$g" || usermod -aG "$g" "$u" || exit 4
else
  useradd -m -p '*' -G "$g" "$u" || exit 4
fi
if ! su -s /bin/sh -c '. /etc/profile >/dev/null 2>&1; command -v gluster' "$u" >/dev/null 2>&1; then
  gl=$(command -v gluster) && [ ! -e /usr/local/bin/gluster ] && ln -s "$gl" /usr/local/bin/gluster
fi
id -nG "$u"
"#;

/// `sh -c` with `USER KEYLINE`: KEYLINE added to the user's authorized_keys unless there,
/// `~/.ssh` made with the modes sshd wants, owned by the user.
const AUTHORIZE_SCRIPT: &str = r#"
u=$1 line=$2
hd=$(getent passwd "$u" | cut -d: -f6)
[ -n "$hd" ] || { echo "no user $u on this node" >&2; exit 3; }
gid=$(id -g "$u")
install -d -m 700 -o "$u" -g "$gid" "$hd/.ssh" || exit 4
ak=$hd/.ssh/authorized_keys
[ -f "$ak" ] || install -m 600 -o "$u" -g "$gid" /dev/null "$ak" || exit 4
k=$(printf '%s' "$line" | cut -d' ' -f1,2)
grep -qF -- "$k" "$ak" || printf '%s\n' "$line" >> "$ak" || exit 4
"#;

/// `sh -c` with `USER MASTERVOL SLAVEVOL`: gluster's `set_geo_rep_pem_keys.sh`, wherever the
/// distribution put gluster's helpers.
const PEM_KEYS_SCRIPT: &str = r#"
for d in /usr/libexec/glusterfs /usr/lib/*/glusterfs /usr/lib/glusterfs; do
  [ -x "$d/set_geo_rep_pem_keys.sh" ] && exec "$d/set_geo_rep_pem_keys.sh" "$@"
done
echo "set_geo_rep_pem_keys.sh not found" >&2; exit 127
"#;

/// How long a restarted glusterd may take to answer again.
const GLUSTERD_BACK: Duration = Duration::from_secs(60);

fn checked(out: Output) -> Result<Output, GlusterError> {
    match out.code {
        0 => Ok(out),
        _ => Err(exit_error(&out)),
    }
}

impl Gluster {
    /// The facts of the node that runs `create` (`t`), for a session to `user@host`.
    pub async fn master_facts(
        &self,
        t: &Target,
        user: &str,
        host: &str,
        ssh_port: u16,
    ) -> Result<MasterFacts, GlusterError> {
        let port = ssh_port.to_string();
        let out = checked(
            self.run_script(t, MASTER_SCRIPT, &[user, host, &port])
                .await?,
        )?;
        Ok(parse_master_facts(&out.stdout))
    }

    /// The facts of slave node `t` for `user` (`key`: the master node's public key, type and
    /// base64; `bricks`: the slave volume's brick paths on this node).
    pub async fn slave_facts(
        &self,
        t: &Target,
        user: &str,
        key: &str,
        bricks: &[&str],
    ) -> Result<SlaveFacts, GlusterError> {
        let mut args = vec![user, key];
        args.extend_from_slice(bricks);
        let out = checked(self.run_script(t, SLAVE_SCRIPT, &args).await?)?;
        Ok(parse_slave_facts(&out.stdout))
    }

    /// `user` and `group` on node `t` (made where missing): the user's groups after.
    pub async fn ensure_user(
        &self,
        t: &Target,
        user: &str,
        group: &str,
    ) -> Result<String, GlusterError> {
        Ok(checked(self.run_script(t, USER_SCRIPT, &[user, group]).await?)?.stdout)
    }

    /// `gluster-mountbroker setup ROOT GROUP` (on every node of `t`'s pool, by gluster).
    pub async fn mountbroker_setup(
        &self,
        t: &Target,
        root: &str,
        group: &str,
    ) -> Result<String, GlusterError> {
        self.mountbroker(t, &["setup", root, group]).await
    }

    /// `gluster-mountbroker add VOLUME USER` (on every node of `t`'s pool, by gluster).
    pub async fn mountbroker_add(
        &self,
        t: &Target,
        volume: &str,
        user: &str,
    ) -> Result<String, GlusterError> {
        self.mountbroker(t, &["add", volume, user]).await
    }

    /// gluster-mountbroker's table says per node OK or `NOT OK: why`; its exit status is 0
    /// either way.
    async fn mountbroker(&self, t: &Target, args: &[&str]) -> Result<String, GlusterError> {
        let argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let out = checked(
            self.run_program(t, "gluster-mountbroker", &argv, args)
                .await?,
        )?;
        if let Some(line) = out.stdout.lines().find(|l| l.contains("NOT OK")) {
            return Err(GlusterError::Exit {
                code: out.code,
                message: line
                    .trim_matches(|c: char| c == '|' || c.is_whitespace())
                    .into(),
            });
        }
        Ok(out.stdout)
    }

    /// `line` (a public key) in `user`'s authorized_keys on node `t`.
    pub async fn authorize_key(
        &self,
        t: &Target,
        user: &str,
        line: &str,
    ) -> Result<(), GlusterError> {
        checked(self.run_script(t, AUTHORIZE_SCRIPT, &[user, line]).await?).map(|_| ())
    }

    /// `set_geo_rep_pem_keys.sh USER MASTERVOL SLAVEVOL` on slave node `t`: the session's keys
    /// from the user's home into every slave node's authorized_keys (and gluster sets the
    /// slave volume read-only).
    pub async fn set_pem_keys(
        &self,
        t: &Target,
        user: &str,
        master_vol: &str,
        slave_vol: &str,
    ) -> Result<String, GlusterError> {
        let out = self
            .run_script(t, PEM_KEYS_SCRIPT, &[user, master_vol, slave_vol])
            .await?;
        match out.code {
            0 => Ok(out.stdout),
            // the script explains itself on stdout
            code => Err(GlusterError::Exit {
                code,
                message: out
                    .stdout
                    .lines()
                    .chain(out.stderr.lines())
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("no output")
                    .to_owned(),
            }),
        }
    }

    /// Restarts glusterd on node `t` with the configured command (`--glusterd-restart-command`),
    /// then waits until it answers `pool list` again.
    pub async fn restart_glusterd(&self, t: &Target) -> Result<(), GlusterError> {
        let (program, args) = self
            .restart_command()
            .split_first()
            .ok_or_else(|| GlusterError::Unreadable("no glusterd restart command".into()))?;
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        checked(self.run_program(t, program, args, &words).await?)?;
        let until = tokio::time::Instant::now() + GLUSTERD_BACK;
        loop {
            match self.pool_list(t).await {
                Ok(_) => return Ok(()),
                Err(e) if tokio::time::Instant::now() >= until => {
                    return Err(GlusterError::Unreadable(format!(
                        "glusterd does not answer {}s after its restart: {e}",
                        GLUSTERD_BACK.as_secs()
                    )))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }
}
