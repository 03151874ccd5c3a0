//! Command line, environment and config file: every setting has a flag, a `GEOREP_*`
//! variable and a key in the config file (`file.rs`), in that order of precedence.
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use app::domain::Role;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub mod file;

#[derive(Debug, Parser)]
#[command(name = "georep", version, about = "GlusterFS geo-replication manager")]
pub struct Cli {
    /// The config file: TOML whose keys are the flags' long names (`sync-interval = 5`); a
    /// flag or variable given wins over it. Default: /etc/georep/georep.toml if it exists
    /// (`--config /dev/null`: none).
    #[arg(long, env = "GEOREP_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// SQLite database file (created with its folder if missing), or a PostgreSQL URL
    /// (`postgres://USER@HOST:PORT/DB`; the password from `PGPASSWORD` or a `PGPASSFILE`, not
    /// the command line), for several georep processes sharing one database.
    #[arg(
        long,
        env = "GEOREP_DATABASE",
        default_value = "data/georep.db",
        global = true
    )]
    pub database: PathBuf,

    /// The folder of the files georep keeps beside its database (its ssh known hosts, the
    /// first admin's drawn password). Default: the database file's folder; `data` with a
    /// PostgreSQL database.
    #[arg(long, env = "GEOREP_STATE_DIR", global = true)]
    pub state_dir: Option<PathBuf>,

    #[command(flatten)]
    pub gluster: GlusterArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
// parsed once at start: the size of the serve variant costs nothing
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Serve the web UI and the REST API (the default).
    Serve(ServeArgs),
    /// Manage registered clusters.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Run one sync cycle with every registered cluster and exit.
    Sync,
    /// Manage the users of the REST API.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens (shown once when made, stored hashed).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Copy the database to the new FILE: a consistent copy, also while georep serves it.
    Backup {
        /// Where the copy goes (an existing file is never overwritten).
        file: PathBuf,
    },
    /// Replace the database with FILE (a backup); refused while any georep uses the
    /// database (stop the server first) or when FILE is not a georep database this version
    /// can open.
    Restore {
        /// The backup to restore.
        file: PathBuf,
    },
    /// Install (or upgrade) georep on this machine: the binary, the site, a systemd unit, a
    /// config file (kept if there is one) and the data folder (README "Install").
    Install(InstallArgs),
    /// Remove what `install` put in place; the config file and the data folder stay unless
    /// --purge.
    Uninstall(UninstallArgs),
}

#[derive(Debug, Args, Clone)]
pub struct InstallArgs {
    /// Install under this folder as if it were / (a package's staging folder, a test): the
    /// files name their final paths.
    #[arg(long, default_value = "/")]
    pub root: PathBuf,
    /// The built site to install (`pkg/` of `cargo leptos build --release`). Default: `site`
    /// in this binary's target folder (`target/release/georep` -> `target/site`).
    #[arg(long)]
    pub site: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct UninstallArgs {
    /// The folder `install --root` installed under.
    #[arg(long, default_value = "/")]
    pub root: PathBuf,
    /// Also remove the config folder (/etc/georep) and the data folder (/var/lib/georep: the
    /// database, georep's ssh known hosts).
    #[arg(long)]
    pub purge: bool,
}

impl Cli {
    /// Whether `--database` is a PostgreSQL URL rather than an SQLite file.
    pub fn database_is_postgres(&self) -> bool {
        self.database
            .to_str()
            .is_some_and(crate::store::is_postgres_url)
    }

    /// Where georep's own files go (`--state-dir`).
    pub fn state_dir(&self) -> PathBuf {
        match &self.state_dir {
            Some(dir) => dir.clone(),
            None if self.database_is_postgres() => PathBuf::from("data"),
            None => self
                .database
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."))
                .to_path_buf(),
        }
    }
}

/// Why the settings could not be read: clap's own error (usage, `--help`, a bad flag or
/// variable: it prints and exits as clap does), or the config file's.
#[derive(Debug)]
pub enum LoadError {
    Clap(clap::Error),
    File(String),
}

impl Cli {
    /// The settings of this process: its arguments, the environment, the config file.
    pub fn load() -> Result<Cli, LoadError> {
        Self::load_from(std::env::args_os(), Path::new(file::DEFAULT_PATH))
    }

    /// The same from `args` (with the program's name first), `default_file` read when neither
    /// `--config` nor `GEOREP_CONFIG` names a file and it exists. No subcommand is `serve`.
    pub fn load_from(
        args: impl IntoIterator<Item = impl Into<OsString>>,
        default_file: &Path,
    ) -> Result<Cli, LoadError> {
        let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        // once without the file: which file, and which command (install and uninstall read
        // none: an upgrade must not be stopped by the config it keeps)
        let first = Cli::command()
            .try_get_matches_from(&args)
            .map_err(LoadError::Clap)?;
        let mut cmd = Cli::command();
        if !matches!(first.subcommand_name(), Some("install" | "uninstall")) {
            let path = match first.get_one::<PathBuf>("config") {
                Some(p) => Some(p.clone()),
                None => default_file.is_file().then(|| default_file.to_owned()),
            };
            if let Some(path) = path {
                cmd = file::apply(cmd, &path).map_err(LoadError::File)?;
            }
        }
        if first.subcommand_name().is_none() {
            args.push("serve".into());
        }
        let matches = cmd.try_get_matches_from(&args).map_err(LoadError::Clap)?;
        let cli = Cli::from_arg_matches(&matches).map_err(LoadError::Clap)?;
        if let Some(Command::Serve(serve)) = &cli.command {
            // clap checks that the two go together on the command line only
            if serve.tls_cert.is_some() != serve.tls_key.is_some() {
                return Err(LoadError::File(
                    "tls-cert and tls-key go together (flags, variables or config file)".into(),
                ));
            }
        }
        Ok(cli)
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; without --password-stdin a random password is drawn and printed once.
    Add {
        name: String,
        #[arg(long, default_value = "viewer", value_parser = role_parser())]
        role: Role,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users and their roles.
    List,
    /// Remove a user with their tokens and browser logins (never the last admin).
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make an API token for a user and print it once.
    Add {
        /// The user the token acts as.
        user: String,
        /// A label for the token (e.g. what uses it).
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List tokens: id, user, label, when made (the tokens themselves are not stored).
    List,
    /// Revoke a token by its id (from `token list`).
    Revoke { id: uuid::Uuid },
}

/// `admin` or `viewer` (listed in `--help`), as the one `Role`.
fn role_parser() -> impl clap::builder::TypedValueParser<Value = Role> {
    use clap::builder::TypedValueParser;
    use strum::VariantNames;
    clap::builder::PossibleValuesParser::new(Role::VARIANTS)
        .try_map(|s| s.parse::<Role>().map_err(|e| e.to_string()))
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the log says which).
    #[arg(long, env = "GEOREP_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Folder with the built site (`pkg/` with the wasm, css and js) made by cargo-leptos.
    #[arg(long, env = "GEOREP_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// Seconds between two syncs with the clusters.
    #[arg(long, env = "GEOREP_SYNC_INTERVAL", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub sync_interval: u64,
    /// A file whose first line is the first admin's password when no user exists yet (the
    /// variable GEOREP_ADMIN_PASSWORD gives it too; never a flag: argv is visible in `ps`).
    /// Without either, one is drawn and written to `initial-admin-password`.
    #[arg(long, env = "GEOREP_ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<PathBuf>,
    /// Reverse proxies (addresses or CIDR blocks, comma-separated in the variable) whose
    /// X-Forwarded-For names the client; without any, the client is the connection's address.
    #[arg(long = "trusted-proxy", env = "GEOREP_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = crate::web::client::parse_trusted_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A file holding the bearer token that may read /metrics (and nothing else); without it,
    /// /metrics takes any user's API token (it is never public).
    #[arg(long, env = "GEOREP_METRICS_TOKEN_FILE")]
    pub metrics_token_file: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS (with --tls-key); the login cookie is then
    /// `__Host-georep_session`, Secure.
    #[arg(long, env = "GEOREP_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "GEOREP_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Let georep admins change *command options*: session options that name a program, a
    /// command line or a path gsyncd runs or writes as root on the session's nodes
    /// (ssh_command, rsync_options, …). Without it such changes are refused (403).
    #[arg(long, env = "GEOREP_ALLOW_COMMAND_OPTIONS")]
    pub allow_command_options: bool,
    /// Days the audit trail keeps an event (0: for ever); older events are deleted shortly after
    /// the start, then every hour.
    #[arg(long, env = "GEOREP_EVENT_RETENTION_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u64).range(0..=36500))]
    pub event_retention_days: u64,
    /// The URL gluster's nodes reach georep at (`http://georep.example:3000`), for clusters
    /// that push gluster's events; by default the address georep listens on, unless that is
    /// a wildcard (0.0.0.0, ::).
    #[arg(long, env = "GEOREP_EVENTS_URL", value_parser = parse_events_url)]
    pub events_url: Option<String>,
    #[command(flatten)]
    pub health: HealthArgs,
}

/// Session health: the probe, lag and alerts (README "Health").
#[derive(Debug, Args, Clone)]
pub struct HealthArgs {
    /// Seconds between two health probes of an active session (0: no scheduled probes).
    #[arg(long, env = "GEOREP_PROBE_INTERVAL", default_value_t = 600, value_parser = clap::value_parser!(u64).range(0..=604800))]
    pub probe_interval: u64,
    /// Seconds a probe waits for every active worker to complete its checkpoint; a worker that
    /// does not is STALLED.
    #[arg(long, env = "GEOREP_PROBE_TIMEOUT", default_value_t = 60, value_parser = clap::value_parser!(u64).range(5..=3600))]
    pub probe_timeout: u64,
    /// Folder under which georep mounts master volumes (FUSE) for the probe's change.
    #[arg(
        long,
        env = "GEOREP_PROBE_MOUNT_DIR",
        default_value = "/run/georep/probe"
    )]
    pub probe_mount_dir: std::path::PathBuf,
    /// Lag (seconds) above which an active session is LAGGING.
    #[arg(long, env = "GEOREP_LAG_THRESHOLD", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub lag_threshold: u64,
    /// Seconds between two lag samples (history for charts).
    #[arg(long, env = "GEOREP_LAG_SAMPLE_INTERVAL", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub lag_sample_interval: u64,
    /// Days lag samples and probe records are kept.
    #[arg(long, env = "GEOREP_HEALTH_RETENTION_DAYS", default_value_t = 14, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub health_retention_days: u64,
    /// URL that gets a JSON POST on every transition into or out of stalled, faulty, lagging.
    #[arg(long, env = "GEOREP_ALERT_WEBHOOK")]
    pub alert_webhook: Option<String>,
    /// Self-healing by default: when a probe finds a stalled worker, georep restarts it and
    /// probes again (a session's own setting overrides this).
    #[arg(long, env = "GEOREP_SELF_HEAL")]
    pub self_heal: bool,
    /// At most this many self-healing restarts per session and hour; then georep alerts and
    /// stops trying until the hour has passed.
    #[arg(long, env = "GEOREP_SELF_HEAL_PER_HOUR", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub self_heal_per_hour: u64,
}

impl Default for HealthArgs {
    fn default() -> Self {
        HealthArgs {
            probe_interval: 600,
            probe_timeout: 60,
            probe_mount_dir: "/run/georep/probe".into(),
            lag_threshold: 300,
            lag_sample_interval: 60,
            health_retention_days: 14,
            alert_webhook: None,
            self_heal: false,
            self_heal_per_hour: 3,
        }
    }
}

/// The service's health settings are the flags' (their defaults are the flags' defaults).
impl Default for crate::service::health::HealthConfig {
    fn default() -> Self {
        Self::from(&HealthArgs::default())
    }
}

impl From<&HealthArgs> for crate::service::health::HealthConfig {
    fn from(a: &HealthArgs) -> Self {
        Self {
            probe_interval: Duration::from_secs(a.probe_interval),
            probe_timeout: Duration::from_secs(a.probe_timeout),
            mount_dir: a.probe_mount_dir.clone(),
            lag_threshold: a.lag_threshold as i64,
            sample_interval: Duration::from_secs(a.lag_sample_interval),
            retention: chrono::Duration::days(a.health_retention_days as i64),
            webhook: a.alert_webhook.clone().filter(|w| !w.trim().is_empty()),
            self_heal: a.self_heal,
            self_heal_per_hour: a.self_heal_per_hour as i64,
        }
    }
}

fn parse_events_url(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .ok_or("an http:// or https:// URL")?;
    if rest.is_empty() || rest.contains(char::is_whitespace) || rest.contains(['?', '#']) {
        return Err("a base URL: scheme, host, port and path only".into());
    }
    Ok(s.to_owned())
}

impl ServeArgs {
    /// Where gluster's nodes reach georep, listening on `bound`: `--events-url`, else the
    /// bound address unless it is a wildcard.
    pub fn events_url(&self, bound: SocketAddr, tls: bool) -> Option<String> {
        if let Some(u) = &self.events_url {
            return Some(u.clone());
        }
        let scheme = if tls { "https" } else { "http" };
        (!bound.ip().is_unspecified()).then(|| format!("{scheme}://{bound}"))
    }

    pub fn sync_interval(&self) -> Duration {
        Duration::from_secs(self.sync_interval)
    }

    /// How long the audit trail keeps an event (None: for ever).
    pub fn event_retention(&self) -> Option<chrono::Duration> {
        (self.event_retention_days > 0)
            .then(|| chrono::Duration::days(self.event_retention_days as i64))
    }

    /// The first admin's password: the first line of `--admin-password-file`, else the
    /// variable `GEOREP_ADMIN_PASSWORD` (read here, not by clap: a clap variable is a flag too).
    pub fn admin_password(&self) -> Result<Option<String>, String> {
        match &self.admin_password_file {
            Some(path) => first_line(path).map(Some),
            None => Ok(std::env::var("GEOREP_ADMIN_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty())),
        }
    }

    /// The token of `--metrics-token-file` (at least 16 characters: it is a password).
    pub fn metrics_token(&self) -> Result<Option<String>, String> {
        let Some(path) = &self.metrics_token_file else {
            return Ok(None);
        };
        let token = first_line(path)?;
        if token.len() < 16 {
            return Err(format!(
                "the metrics token in {} is shorter than 16 characters",
                path.display()
            ));
        }
        Ok(Some(token))
    }
}

/// The first line of a secret's file, without its line end.
fn first_line(path: &std::path::Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text.lines().next().unwrap_or("").trim_end().to_owned())
}

#[derive(Debug, Args, Clone)]
pub struct GlusterArgs {
    /// The gluster CLI to run (a path or a name on PATH).
    #[arg(
        long = "gluster-command",
        env = "GEOREP_GLUSTER",
        default_value = "gluster",
        global = true
    )]
    pub command: String,
    /// Seconds a gluster call may take before it is killed and reported as a timeout.
    #[arg(long = "gluster-timeout", env = "GEOREP_GLUSTER_TIMEOUT", default_value_t = 30, global = true,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// What restarts glusterd on a slave node after georep set up gluster's mountbroker for a
    /// non-root session (run there over ssh, split at blanks into an argv).
    #[arg(long = "glusterd-restart-command", env = "GEOREP_GLUSTERD_RESTART_COMMAND",
          default_value = crate::gluster::GLUSTERD_RESTART, global = true,
          value_parser = parse_command)]
    pub restart_command: String,
}

fn parse_command(s: &str) -> Result<String, String> {
    match s.split_whitespace().next() {
        Some(_) => Ok(s.trim().to_owned()),
        None => Err("a command".into()),
    }
}

impl GlusterArgs {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Register a cluster by one host of its trusted pool.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        host: String,
        #[arg(long, value_enum, default_value_t = ConnectionArg::Local)]
        connection: ConnectionArg,
        #[arg(long, default_value = "")]
        description: String,
        /// ssh only: the user georep logs in as (default root).
        #[arg(long)]
        ssh_user: Option<String>,
        /// ssh only: the port (default 22).
        #[arg(long)]
        ssh_port: Option<i64>,
        /// Register without asking gluster first (the sync reports what it finds).
        #[arg(long)]
        no_verify: bool,
    },
    /// List registered clusters.
    List,
    /// Change a cluster's name, description, or the ssh user and port of its hosts (a
    /// changed host key: `accept-host-key`).
    Edit {
        /// The cluster's name or id.
        cluster: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        ssh_user: Option<String>,
        #[arg(long)]
        ssh_port: Option<i64>,
        /// Store a new ssh user or port without first checking that gluster answers with them.
        #[arg(long)]
        no_verify: bool,
    },
    /// Forget a cluster in georep: its hosts, volumes and sessions with their health,
    /// schedules and failover records. Nothing changes in gluster.
    Remove {
        /// The cluster's name or id.
        cluster: String,
        /// Also when it has geo-replication sessions (gluster keeps them replicating).
        #[arg(long)]
        force: bool,
    },
    /// Accept the new ssh host key of a registered host after it changed (georep refuses a
    /// changed key): give the fingerprint the refusal named, once checked on the host itself
    /// (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`).
    AcceptHostKey {
        #[arg(long)]
        host: String,
        /// `SHA256:…`, the key georep is to trust from now on.
        #[arg(long)]
        fingerprint: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ConnectionArg {
    Local,
    Ssh,
}

impl From<ConnectionArg> for app::domain::Connection {
    fn from(c: ConnectionArg) -> Self {
        match c {
            ConnectionArg::Local => app::domain::Connection::Local,
            ConnectionArg::Ssh => app::domain::Connection::Ssh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> ServeArgs {
        let argv = ["georep", "serve"].iter().chain(args);
        match Cli::try_parse_from(argv).unwrap().command {
            Some(Command::Serve(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_audit_trail_keeps_a_year_by_default_and_zero_keeps_it_for_ever() {
        assert_eq!(
            serve(&[]).event_retention(),
            Some(chrono::Duration::days(365))
        );
        let days = serve(&["--event-retention-days", "30"]).event_retention();
        assert_eq!(days, Some(chrono::Duration::days(30)));
        assert_eq!(
            serve(&["--event-retention-days", "0"]).event_retention(),
            None
        );
        let argv = ["georep", "serve", "--event-retention-days", "-1"];
        assert!(Cli::try_parse_from(argv).is_err());
    }

    #[test]
    fn the_events_url_is_given_or_the_address_listened_on() {
        let bound: SocketAddr = "127.0.0.1:4100".parse().unwrap();
        assert_eq!(
            serve(&[]).events_url(bound, false).as_deref(),
            Some("http://127.0.0.1:4100")
        );
        assert_eq!(
            serve(&[]).events_url(bound, true).as_deref(),
            Some("https://127.0.0.1:4100")
        );
        let any: SocketAddr = "0.0.0.0:4100".parse().unwrap();
        assert_eq!(serve(&[]).events_url(any, false), None);
        let given = serve(&["--events-url", "http://10.77.0.254:4100/"]);
        assert_eq!(
            given.events_url(any, false).as_deref(),
            Some("http://10.77.0.254:4100")
        );
        for bad in ["10.0.0.1:80", "ftp://x", "http://", "http://x/?a=1"] {
            assert!(parse_events_url(bad).is_err(), "{bad}");
        }
    }
}
