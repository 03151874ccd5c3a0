//! The `georep` binary's work, here in the library rather than in main.rs: parse the command
//! line, wire the store, gluster and service, and run `serve` (startup.rs) or an admin
//! subcommand (admin.rs). In main.rs the server's async state machines were instantiated a
//! second time, in the binary's crate: its release build took 42 s after the library's, 3 s now
//! (docs/benchmarks.md).
use std::process::ExitCode;

use crate::config::{Cli, Command, LoadError};
use crate::service::Service;
use crate::store::Store;

/// What `fn main` runs: tokio's multi-thread runtime (as `#[tokio::main]` builds it) around
/// the command.
pub fn main() -> ExitCode {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
        .block_on(run_main())
}

async fn run_main() -> ExitCode {
    let cli = match Cli::load() {
        Ok(cli) => cli,
        Err(LoadError::Clap(e)) => e.exit(),
        Err(LoadError::File(message)) => {
            eprintln!("georep: {message}");
            return ExitCode::FAILURE;
        }
    };
    crate::telemetry::init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("georep: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    // the file as a whole, without opening (or migrating) it as a store
    match &cli.command {
        Some(Command::Backup { .. } | Command::Restore { .. }) if cli.database_is_postgres() => {
            return Err(
                "backup and restore copy an SQLite file; for a PostgreSQL database use \
                        pg_dump and pg_restore"
                    .into(),
            )
        }
        Some(Command::Backup { file }) => return crate::admin::backup(&cli.database, file).await,
        Some(Command::Restore { file }) => return crate::admin::restore(&cli.database, file).await,
        // files only: no database is opened
        Some(Command::Install(args)) => return crate::install::install(args),
        Some(Command::Uninstall(args)) => return crate::install::uninstall(args),
        _ => {}
    }
    let store = Store::open_any(&cli.database)
        .await
        .map_err(|e| e.to_string())?;
    // ssh host keys in georep's own file (gluster/known_hosts.rs)
    let state = cli.state_dir();
    let gluster = crate::gluster::Gluster::new(cli.gluster.command.clone(), cli.gluster.timeout())
        .with_known_hosts(crate::gluster::KnownHosts::in_folder(&state))
        .with_restart_command(&cli.gluster.restart_command);
    let service = Service::new(store, gluster);
    match cli.command.expect("Cli::load reads no subcommand as serve") {
        Command::Serve(args) => crate::startup::serve(&args, service, &state)
            .await
            .map_err(|e| e.to_string()),
        Command::Cluster(c) => crate::admin::cluster(&service, c).await,
        Command::Sync => crate::admin::sync(&service).await,
        Command::User(c) => crate::admin::user(&service, c).await,
        Command::Token(c) => crate::admin::token(&service, c).await,
        Command::Backup { .. }
        | Command::Restore { .. }
        | Command::Install(_)
        | Command::Uninstall(_) => unreachable!("handled above"),
    }
}
