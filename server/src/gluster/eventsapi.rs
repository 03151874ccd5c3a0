//! gluster's events API on a cluster: georep's webhook registered with `gluster-eventsapi`
//! (which copies the webhook list to every peer) and each node's glustereventsd told to load
//! it.
use super::parse::events::{parse_node_table, parse_webhooks, NodeOutcome};
use super::runner::{Gluster, Output, Target};
use super::GlusterError;

const EVENTSAPI: &str = "gluster-eventsapi";
/// `gluster-eventsapi` exit codes (eventsapiconf.py).
const WEBHOOK_EXISTS: i32 = 5;
const WEBHOOK_MISSING: i32 = 6;

/// `sh -c`: sends SIGUSR2 (reload webhooks) to the glustereventsd of this node — the one in
/// the shell's own network and mount namespaces, not its webhook child — and prints how many
/// it signalled. glustereventsd 10.3 removes its pid file a second after its start, so
/// `gluster-eventsapi`'s own reload (by that pid file) never reaches it and a new webhook
/// stays unused until glustereventsd restarts.
const RELOAD: &str = r#"
me="$(readlink /proc/self/ns/net) $(readlink /proc/self/ns/mnt)"
n=0
for p in $(pgrep -x glustereventsd); do
  [ "$(readlink /proc/$p/ns/net) $(readlink /proc/$p/ns/mnt)" = "$me" ] || continue
  pp=$(cut -d' ' -f4 /proc/$p/stat 2>/dev/null)
  [ "$(cat /proc/$pp/comm 2>/dev/null)" = glustereventsd ] && continue
  kill -USR2 "$p" && n=$((n+1))
done
echo "$n"
"#;

impl Gluster {
    async fn eventsapi(
        &self,
        t: &Target,
        argv: &[&str],
        logged: &[&str],
    ) -> Result<Output, GlusterError> {
        let argv: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
        self.run_program(t, EVENTSAPI, &argv, logged).await
    }

    /// Registers `url` (or gives it the new `token` when gluster has it already) on every node
    /// of `t`'s cluster; what each node said of the copy.
    pub async fn set_webhook(
        &self,
        t: &Target,
        url: &str,
        token: &str,
    ) -> Result<Vec<NodeOutcome>, GlusterError> {
        let logged = ["webhook-add", url, "--bearer_token", "(token)"];
        let mut out = self
            .eventsapi(t, &["webhook-add", url, "--bearer_token", token], &logged)
            .await?;
        if out.code == WEBHOOK_EXISTS {
            let logged = ["webhook-mod", url, "--bearer_token", "(token)"];
            out = self
                .eventsapi(t, &["webhook-mod", url, "--bearer_token", token], &logged)
                .await?;
        }
        table_or_error(&out)
    }

    /// Removes `url` from the cluster's webhooks (none there is no error).
    pub async fn remove_webhook(
        &self,
        t: &Target,
        url: &str,
    ) -> Result<Vec<NodeOutcome>, GlusterError> {
        let out = self
            .eventsapi(t, &["webhook-del", url], &["webhook-del", url])
            .await?;
        if out.code == WEBHOOK_MISSING {
            return Ok(Vec::new());
        }
        table_or_error(&out)
    }

    /// The webhooks gluster lists, and whether each node's glustereventsd runs.
    pub async fn webhooks(
        &self,
        t: &Target,
    ) -> Result<(Vec<String>, Vec<NodeOutcome>), GlusterError> {
        let out = self.eventsapi(t, &["status"], &["status"]).await?;
        let nodes = table_or_error(&out)?;
        Ok((parse_webhooks(&out.stdout), nodes))
    }

    /// Every node posts an empty event to `url` with `token`: whether georep is reachable
    /// from each and takes the token.
    pub async fn test_webhook(
        &self,
        t: &Target,
        url: &str,
        token: &str,
    ) -> Result<Vec<NodeOutcome>, GlusterError> {
        let logged = ["webhook-test", url, "--bearer_token", "(token)"];
        let out = self
            .eventsapi(t, &["webhook-test", url, "--bearer_token", token], &logged)
            .await?;
        // exit 3: not every node OK, the table says which
        let nodes = parse_node_table(&out.stdout);
        if nodes.is_empty() {
            return Err(super::runner::exit_error(&out));
        }
        Ok(nodes)
    }

    /// Tells node `t`'s glustereventsd to load the webhooks again; whether one was running.
    pub async fn reload_eventsd(&self, t: &Target) -> Result<bool, GlusterError> {
        let out = self.run_script(t, RELOAD, &[]).await?;
        if out.code != 0 {
            return Err(super::runner::exit_error(&out));
        }
        Ok(out.stdout.trim() != "0")
    }
}

/// The node table of a command that exits 0 (its outcome per node), else gluster's message.
fn table_or_error(out: &Output) -> Result<Vec<NodeOutcome>, GlusterError> {
    let nodes = parse_node_table(&out.stdout);
    if out.code != 0 || nodes.is_empty() {
        let text = if out.stdout.trim().is_empty() {
            &out.stderr
        } else {
            &out.stdout
        };
        return Err(GlusterError::Exit {
            code: out.code,
            message: text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("no output")
                .to_owned(),
        });
    }
    Ok(nodes)
}
