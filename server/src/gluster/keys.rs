//! A session's ssh keys on a slave node: the lines push-pem's hook appended to the slave
//! user's authorized_keys (gluster's `add_secret_pub`, from
//! `/var/lib/glusterd/geo-replication/<master>_<slave>_common_secret.pem.pub`, copied to every
//! slave node). Without them the master's workers cannot reach the slave (their ssh runs
//! `/nonexistent/gsyncd`, which only the keys' `command=` turns into gsyncd): the fence of a
//! failed-over session, whose master would otherwise copy its older files over the slave's
//! new writes when it comes back (its glusterd restarts the workers, whose history crawl
//! replays changelogs already synced).
use super::runner::{exit_error, Gluster, Target};
use super::GlusterError;

/// What a node holds: the session's key lines in its pub file, and how many of them are in
/// the user's authorized_keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyLines {
    pub in_file: u32,
    pub authorized: u32,
}

/// What `Gluster::session_keys` does on a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyMode {
    Check,
    Fence,
}

/// `sh -c` with `MODE USER MASTERVOL SLAVEVOL`: prints `IN_FILE AUTHORIZED`; `fence` first
/// removes the file's lines from authorized_keys (rewritten in place: owner, mode and
/// SELinux label stay). The file is found as sshd and gluster's `add_secret_pub` find it.
const SCRIPT: &str = r#"
mode=$1 u=$2 f=/var/lib/glusterd/geo-replication/$3_$4_common_secret.pem.pub
h=$(getent passwd "$u" | cut -d: -f6)
[ -n "$h" ] || { echo "no user $u on this node" >&2; exit 3; }
ak=$(grep -e '^AuthorizedKeysFile' /etc/ssh/sshd_config 2>/dev/null | awk '{print $2}' | tail -1)
case $ak in ''|.ssh/authorized_keys) ak=%h/.ssh/authorized_keys ;; esac
ak=$(printf '%s' "$ak" | sed "s|%u|$u|g; s|%h|$h|g")
[ -f "$f" ] || { echo "0 0"; exit 0; }
n=$(grep -c . "$f")
[ -f "$ak" ] || { echo "$n 0"; exit 0; }
if [ "$mode" = fence ]; then
  t=$(mktemp "$ak.georep.XXXXXX") || exit 4
  grep -vxFf "$f" "$ak" > "$t"
  cat "$t" > "$ak" || { rm -f "$t"; exit 4; }
  rm -f "$t"
fi
echo "$n $(grep -cxFf "$f" "$ak")"
"#;

/// `IN_FILE AUTHORIZED` as the script prints it.
fn parse_key_lines(stdout: &str) -> Option<KeyLines> {
    let mut words = stdout.split_whitespace().map(str::parse::<u32>);
    match (words.next(), words.next(), words.next()) {
        (Some(Ok(in_file)), Some(Ok(authorized)), None) => Some(KeyLines {
            in_file,
            authorized,
        }),
        _ => None,
    }
}

impl Gluster {
    /// The session's key lines on node `t`: read (`KeyMode::Check`), or first removed from
    /// `user`'s authorized_keys (`KeyMode::Fence`: `authorized` 0 when fenced).
    pub async fn session_keys(
        &self,
        t: &Target,
        mode: KeyMode,
        user: &str,
        master_vol: &str,
        slave_vol: &str,
    ) -> Result<KeyLines, GlusterError> {
        let mode = match mode {
            KeyMode::Check => "check",
            KeyMode::Fence => "fence",
        };
        let out = self
            .run_script(t, SCRIPT, &[mode, user, master_vol, slave_vol])
            .await?;
        if out.code != 0 {
            return Err(exit_error(&out));
        }
        parse_key_lines(&out.stdout).ok_or_else(|| GlusterError::Exit {
            code: out.code,
            message: format!(
                "unexpected answer about the session's keys: {:?}",
                out.stdout
            ),
        })
    }

    /// `system:: execute add_secret_pub USER geo-replication/<m>_<s>_common_secret.pem.pub`:
    /// gluster puts the session's keys back on every node of `t`'s cluster (only lines
    /// missing are added).
    pub async fn add_session_keys(
        &self,
        t: &Target,
        user: &str,
        master_vol: &str,
        slave_vol: &str,
    ) -> Result<(), GlusterError> {
        let file = format!("geo-replication/{master_vol}_{slave_vol}_common_secret.pem.pub");
        let out = self
            .run(t, &["system::", "execute", "add_secret_pub", user, &file])
            .await?;
        if out.code != 0 {
            return Err(exit_error(&out));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_two_counts() {
        assert_eq!(
            parse_key_lines("4 0\n"),
            Some(KeyLines {
                in_file: 4,
                authorized: 0
            })
        );
        assert_eq!(parse_key_lines("4"), None);
        assert_eq!(parse_key_lines("4 x"), None);
        assert_eq!(parse_key_lines("1 2 3"), None);
        assert_eq!(parse_key_lines(""), None);
    }
}
