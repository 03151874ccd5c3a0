//! The `georep` binary: parses the command line and wires the store, gluster and service;
//! `serve` runs the server (startup.rs), the other subcommands the admin CLI (admin.rs).
use std::process::ExitCode;

use georep::config::{Cli, Command, LoadError};
use georep::service::Service;
use georep::store::Store;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::load() {
        Ok(cli) => cli,
        Err(LoadError::Clap(e)) => e.exit(),
        Err(LoadError::File(message)) => {
            eprintln!("georep: {message}");
            return ExitCode::FAILURE;
        }
    };
    georep::telemetry::init();
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
        Some(Command::Backup { file }) => return georep::admin::backup(&cli.database, file).await,
        Some(Command::Restore { file }) => {
            return georep::admin::restore(&cli.database, file).await
        }
        // files only: no database is opened
        Some(Command::Install(args)) => return georep::install::install(args),
        Some(Command::Uninstall(args)) => return georep::install::uninstall(args),
        _ => {}
    }
    let store = Store::open_any(&cli.database)
        .await
        .map_err(|e| e.to_string())?;
    // ssh host keys in georep's own file (gluster/known_hosts.rs)
    let state = cli.state_dir();
    let gluster = georep::gluster::Gluster::new(cli.gluster.command.clone(), cli.gluster.timeout())
        .with_known_hosts(georep::gluster::KnownHosts::in_folder(&state))
        .with_restart_command(&cli.gluster.restart_command);
    let service = Service::new(store, gluster);
    match cli.command.expect("Cli::load reads no subcommand as serve") {
        Command::Serve(args) => georep::startup::serve(&args, service, &state)
            .await
            .map_err(|e| e.to_string()),
        Command::Cluster(c) => georep::admin::cluster(&service, c).await,
        Command::Sync => georep::admin::sync(&service).await,
        Command::User(c) => georep::admin::user(&service, c).await,
        Command::Token(c) => georep::admin::token(&service, c).await,
        Command::Backup { .. }
        | Command::Restore { .. }
        | Command::Install(_)
        | Command::Uninstall(_) => unreachable!("handled above"),
    }
}
